# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection run the way AWX / automation controller runs it: through ansible-runner, with the
connection only in the environment, injected from a credential of the type in docs/awx/credential_type.yml.

AWX renders a custom credential type's injectors with Jinja in a sandbox: fields left empty are
undefined (they render as ''), boolean fields never set are false, every ``file`` injector is written
to a private file under ``<private_data_dir>/env`` whose name is ``tower.filename.<label>``, and every
``env`` injector is set. When the type is saved, AWX renders each injector with every field set and
undefined names refused. ``awx_validate`` and ``awx_inject`` below do the same, so these tests check
the credential type document as well as the playbooks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re
import stat
import tempfile

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_run import ACCOUNTS, API_KEY, REPO, RUNNER_INVENTORY, runner_envvars


CREDENTIAL_TYPE = os.path.join(REPO, 'docs', 'awx', 'credential_type.yml')
CONNECTION_FRAGMENT = os.path.join(REPO, 'plugins', 'doc_fragments', 'connection.py')
ON = 'Offsite Backup Copy'
OFF = 'Legacy Archive Backup'


# -- what AWX does with a custom credential type ------------------------------------------------
def load_credential_type():
    with open(CREDENTIAL_TYPE) as handle:
        return yaml.safe_load(handle)


class _Namespace(object):
    """Attribute bag for the reserved ``tower`` name (``tower.filename.<label>``)."""


def _file_labels(credential_type):
    return [key.split('.', 1)[1] for key in credential_type['injectors'].get('file', {})]


def awx_validate(credential_type):
    """Save-time checks: known field types, required fields exist, every injector renders with every field set."""
    fields = credential_type['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert len(set(ids)) == len(ids), ids
    assert len(set(field['label'] for field in fields)) == len(fields)
    for field in fields:
        assert re.match(r'^[a-zA-Z_][a-zA-Z0-9_]*$', field['id']), field['id']
        assert field.get('type', 'string') in ('string', 'boolean'), field
        if 'choices' in field:
            assert field.get('type', 'string') == 'string' and field.get('default', field['choices'][0]) in field['choices']
    assert set(credential_type['inputs'].get('required', [])) <= set(ids)
    assert credential_type['kind'] in ('cloud', 'net')
    files = credential_type['injectors'].get('file', {})
    assert all(key.startswith('template.') for key in files), 'use the multi-file syntax (template.<label>)'
    namespace = dict((field_id, 'EXAMPLE') for field_id in ids)
    namespace['tower'] = _Namespace()
    namespace['tower'].filename = _Namespace()
    for label in _file_labels(credential_type):
        setattr(namespace['tower'].filename, label, 'EXAMPLE_FILENAME')
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, injector in credential_type['injectors'].items():
        assert kind in ('env', 'file', 'extra_vars'), kind
        for key, template in injector.items():
            if kind == 'env':
                assert not key.startswith('ANSIBLE_') and key not in ('PATH', 'HOME', 'PYTHONPATH'), key
            strict.from_string(template).render(namespace)


def awx_inject(credential_type, inputs, private_data_dir):
    """The environment a job gets from a credential with these ``inputs``; writes the file injectors."""
    fields = credential_type['inputs']['fields']
    namespace = {'tower': _Namespace()}
    for field in fields:
        value = inputs.get(field['id'])
        if field.get('type') == 'boolean':
            namespace[field['id']] = bool(value)
        elif value:  # an empty string is the same as not set
            namespace[field['id']] = value
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    namespace['tower'].filename = _Namespace()
    for key, template in credential_type['injectors'].get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        setattr(namespace['tower'].filename, key.split('.', 1)[1], path)
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type['injectors'].get('env', {}).items())


# -- fixtures and helpers -----------------------------------------------------------------------
@pytest.fixture
def clean_environ(monkeypatch):
    """Only the credential may supply the connection: nothing VEEAM_* or CA-related from the test's own environment."""
    for key in list(os.environ):
        if key.startswith('VEEAM_') or key in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE'):
            monkeypatch.delenv(key)


def credential_inputs(simulator, api, api_key=False):
    """A credential as an administrator would fill it in: the CA pasted as PEM text."""
    with open(simulator.ca_path) as handle:
        ca_pem = handle.read()
    inputs = {'api': api, 'server': simulator.host, 'port': str(simulator.port(api)), 'ca_data': ca_pem}
    if api_key:
        inputs['api_key'] = API_KEY
    else:
        inputs.update(username='admin', password=ACCOUNTS['admin'])
    return inputs


def private_data_dir(tmp_path, playbooks=None):
    """The layout AWX prepares for a job: project/ (the project's checkout), env/, inventory/."""
    base = tmp_path / 'private_data_dir'
    (base / 'project').mkdir(parents=True)
    for name, content in (playbooks or {}).items():
        (base / 'project' / name).write_text(content)
    return str(base)


def run(runner, data_dir, credential_env, **kwargs):
    """ansible_runner.run as AWX calls it: env files suppressed, the credential's env, quiet."""
    kwargs.setdefault('inventory', RUNNER_INVENTORY)
    result = runner.run(private_data_dir=data_dir, envvars=runner_envvars(credential_env), suppress_env_files=True,
                        quiet=True, timeout=600, **kwargs)
    return result


def output(result):
    """The run's stdout, for assertion messages."""
    with open(os.path.join(result.config.artifact_dir, 'stdout')) as handle:
        return handle.read()[-4000:]


def events(result, name):
    return [event for event in result.events if event.get('event') == name]


def task_results(result, action):
    """``res`` of every runner_on_ok / runner_on_failed event of tasks running this module or action."""
    found = []
    for event in result.events:
        data = event.get('event_data', {})
        if event.get('event') in ('runner_on_ok', 'runner_on_failed') and data.get('task_action') == action:
            found.append(data['res'])
    return found


def assert_no_secret_in_artifacts(data_dir, secrets, result):
    """The secrets appear in no stdout, no job event and no other file the run left behind, except the
    ``command`` artifact: ansible-runner writes its whole environment there, by design (mode 0600, and AWX
    deletes the private data directory when the job ends)."""
    places = []
    for root, dummy, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                content = handle.read()
            for secret in secrets:
                if secret.encode('utf-8') in content:
                    places.append(os.path.relpath(path, data_dir))
    leaks = [place for place in places if not re.match(r'^artifacts/[^/]+/command$', place)]
    assert not leaks, 'a secret appears in %s' % leaks
    stdout_path = os.path.join(data_dir, 'artifacts', result.config.ident, 'stdout')
    events_dir = os.path.join(data_dir, 'artifacts', result.config.ident, 'job_events')
    assert os.path.getsize(stdout_path) > 0 and os.listdir(events_dir)
    command = os.path.join(data_dir, 'artifacts', result.config.ident, 'command')
    if os.path.exists(command):
        assert stat.S_IMODE(os.stat(command).st_mode) == 0o600


# -- the credential type ------------------------------------------------------------------------
def test_credential_type_is_valid_and_injects_every_connection_variable():
    credential_type = load_credential_type()
    awx_validate(credential_type)
    assert credential_type['name'] == 'Veeam Backup API'
    with open(CONNECTION_FRAGMENT) as handle:
        documented = set(re.findall(r'E\((VEEAM_[A-Z_]+)\)', handle.read()))
    assert documented >= {'VEEAM_API', 'VEEAM_SERVER', 'VEEAM_PASSWORD', 'VEEAM_CA_PATH'}, documented
    assert set(credential_type['injectors']['env']) == documented
    secret = set(field['id'] for field in credential_type['inputs']['fields'] if field.get('secret'))
    assert secret == {'password', 'api_key'}


def test_credential_injection_defaults(tmp_path):
    credential_type = load_credential_type()
    env = awx_inject(credential_type, {'server': 'em.corp.example', 'username': 'CORP\\ops', 'password': 'pw'},
                     str(tmp_path))
    assert env == {'VEEAM_API': 'em', 'VEEAM_SERVER': 'em.corp.example', 'VEEAM_PORT': '9398',
                   'VEEAM_USERNAME': 'CORP\\ops', 'VEEAM_PASSWORD': 'pw', 'VEEAM_API_KEY': '',
                   'VEEAM_VALIDATE_CERTS': 'true', 'VEEAM_CA_PATH': '', 'VEEAM_TIMEOUT': '30', 'VEEAM_API_VERSION': ''}
    vspc = awx_inject(credential_type, {'api': 'vspc', 'server': 'vspc.example', 'api_key': 'k', 'skip_tls_verify': True,
                                        'ca_path': '/etc/pki/ca.pem', 'timeout': '90'}, str(tmp_path))
    assert (vspc['VEEAM_PORT'], vspc['VEEAM_API_KEY'], vspc['VEEAM_USERNAME']) == ('1280', 'k', '')
    assert (vspc['VEEAM_VALIDATE_CERTS'], vspc['VEEAM_CA_PATH'], vspc['VEEAM_TIMEOUT']) == ('false', '/etc/pki/ca.pem', '90')
    vbr = awx_inject(credential_type, {'api': 'vbr', 'server': 'vbr.example', 'username': 'u', 'password': 'p',
                                       'api_version': '1.3-rev1'}, str(tmp_path))
    assert (vbr['VEEAM_API'], vbr['VEEAM_PORT'], vbr['VEEAM_API_VERSION']) == ('vbr', '9419', '1.3-rev1')
    pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    with_ca = awx_inject(credential_type, {'server': 's', 'ca_data': pem, 'ca_path': '/ignored'}, str(tmp_path))
    assert with_ca['VEEAM_CA_PATH'].startswith(str(tmp_path / 'env'))
    with open(with_ca['VEEAM_CA_PATH']) as handle:
        assert handle.read() == pem
    assert stat.S_IMODE(os.stat(with_ca['VEEAM_CA_PATH']).st_mode) == 0o600


# -- playbooks and ad hoc commands through ansible-runner ---------------------------------------
def test_schedule_toggle_job_template(runner, simulator, api, tmp_path, clean_environ):
    """A job template on a project whose playbook imports the collection playbook; survey answers as extra vars."""
    project_playbook = '- name: Veeam job schedules\n  ansible.builtin.import_playbook: backupops.veeam.schedule_toggle\n'
    data_dir = private_data_dir(tmp_path, {'veeam_schedule_toggle.yml': project_playbook})
    inputs = credential_inputs(simulator, api)
    env = awx_inject(load_credential_type(), inputs, data_dir)
    extravars = {'schedule_toggle_jobs': [ON, OFF], 'schedule_toggle_enabled': False}

    result = run(runner, data_dir, env, playbook='veeam_schedule_toggle.yml', extravars=extravars)
    assert (result.status, result.rc) == ('successful', 0), output(result)
    [res] = task_results(result, 'backupops.veeam.veeam_job_action')
    assert res['changed'] is True
    assert [(r['job']['name'], r['changed'], r['job']['schedule_enabled']) for r in res['results']] == [
        (ON, True, False), (OFF, False, False)]
    [stats] = events(result, 'playbook_on_stats')
    assert stats['event_data']['changed'] == {'localhost': 1}
    assert simulator.job(ON)['schedule_enabled'] is False
    assert_no_secret_in_artifacts(data_dir, [inputs['password']], result)

    again = run(runner, data_dir, env, playbook='veeam_schedule_toggle.yml', extravars=extravars)
    assert again.status == 'successful', output(again)
    [stats] = events(again, 'playbook_on_stats')
    assert stats['event_data'].get('changed', {}) == {}
    actions = simulator.counters()['actions']
    assert actions['toggle'] + actions['patch'] + actions['disable'] + actions['enable'] == 1, actions


def test_collection_playbook_by_name_with_an_api_key(runner, simulator, tmp_path, clean_environ):
    data_dir = private_data_dir(tmp_path)
    env = awx_inject(load_credential_type(), credential_inputs(simulator, 'vspc', api_key=True), data_dir)
    result = run(runner, data_dir, env, playbook='backupops.veeam.schedule_toggle',
                 extravars={'schedule_toggle_jobs': [OFF], 'schedule_toggle_enabled': 'true'})
    assert result.status == 'successful', output(result)
    assert simulator.job(OFF)['schedule_enabled'] is True
    assert simulator.counters()['vspc']['tokens_issued'] == 0
    assert_no_secret_in_artifacts(data_dir, [API_KEY], result)


def test_failed_job_template_reports_failed_and_keeps_secrets(runner, simulator, api, tmp_path, clean_environ):
    data_dir = private_data_dir(tmp_path)
    inputs = credential_inputs(simulator, api)
    inputs['password'] = 'Wr0ng-Secret-Passw0rd'
    env = awx_inject(load_credential_type(), inputs, data_dir)
    result = run(runner, data_dir, env, playbook='backupops.veeam.schedule_toggle', verbosity=3,
                 extravars={'schedule_toggle_jobs': [ON], 'schedule_toggle_enabled': False})
    assert result.status == 'failed' and result.rc != 0
    [res] = task_results(result, 'backupops.veeam.veeam_job_action')
    assert 'admin' in res['msg'], res['msg']
    assert_no_secret_in_artifacts(data_dir, [inputs['password']], result)


def test_ad_hoc_job_info_and_check_mode(runner, simulator, api, tmp_path, clean_environ):
    """An AWX ad hoc command: module, arguments as text, host pattern; then the same in check mode."""
    data_dir = private_data_dir(tmp_path)
    inputs = credential_inputs(simulator, api)
    env = awx_inject(load_credential_type(), inputs, data_dir)
    for cmdline in (None, '--check'):
        result = run(runner, data_dir, env, module='backupops.veeam.veeam_job_info',
                     module_args='name="%s" include_last_session=true' % ON, host_pattern='localhost', cmdline=cmdline)
        assert (result.status, result.rc) == ('successful', 0), output(result)
        [ok] = events(result, 'runner_on_ok')
        res = ok['event_data']['res']
        assert res['changed'] is False and res['api'] == api
        assert [(job['name'], job['last_result']) for job in res['jobs']] == [(ON, 'Success')]
        assert_no_secret_in_artifacts(data_dir, [inputs['password']], result)


def test_run_and_wait_job_template_shows_progress_events_while_jobs_run(runner, simulator, tmp_path, clean_environ):
    """AWX shows a task's output when the task ends: the progress lines must arrive as events during the wait."""
    long_job, short_job = 'SQL Server; Nightly, Full', 'File Server Backup'
    simulator.configure_job(simulator.job(long_job)['id'], duration=40)
    simulator.configure_job(simulator.job(short_job)['id'], duration=4)
    data_dir = private_data_dir(tmp_path)
    inputs = credential_inputs(simulator, 'em')
    env = awx_inject(load_credential_type(), inputs, data_dir)
    result = run(runner, data_dir, env, playbook='backupops.veeam.run_and_wait',
                 extravars={'run_and_wait_jobs': [long_job, short_job], 'run_and_wait_poll_interval': 5,
                            'run_and_wait_progress_interval': 10})
    assert (result.status, result.rc) == ('successful', 0), output(result)
    task = 'Start the jobs and wait for their runs'
    [end] = [event for event in result.events if event['event'] == 'runner_on_ok'
             and event['event_data'].get('task', '').endswith(task)]
    lines = [event for event in result.events if event['event'] == 'verbose'
             and event.get('stdout', '').startswith('[localhost] job ')]
    going = [event for event in lines if event['stdout'].startswith("[localhost] job %r: Working" % long_job)]
    # a 40 s run with a line every 10 s: at least three lines while it ran, each an event of the waiting task
    assert len(going) >= 3, output(result)
    assert any(event['stdout'].startswith("[localhost] job %r: ended Success" % short_job) for event in lines), lines
    for event in lines:
        assert event['counter'] < end['counter'] and event['event_data'].get('task', '').endswith(task), event

    def created(event):
        return datetime.datetime.fromisoformat(event['created'].replace('Z', '+00:00'))
    # they came while the job ran, one look at a time, not all at the end
    assert (created(going[-1]) - created(going[0])).total_seconds() >= 17, [event['created'] for event in going]
    assert (created(end) - created(going[0])).total_seconds() >= 20
    with open(os.path.join(result.config.artifact_dir, 'stdout')) as handle:
        stdout = handle.read()
    for word in ('FAILED', 'RETRYING', 'RETYING'):
        assert word not in stdout, stdout[-4000:]
    [report] = [event for event in result.events if event['event'] == 'runner_on_ok'
                and event['event_data'].get('task', '').endswith('Report the runs')]
    report_lines = report['event_data']['res']['msg']
    assert report_lines[0].startswith('ok     %s: Success in ' % long_job), report_lines
    assert report_lines[1].startswith('ok     %s: Success in ' % short_job), report_lines
    assert simulator.counters()['actions']['start'] == 2
    assert_no_secret_in_artifacts(data_dir, [inputs['password']], result)
