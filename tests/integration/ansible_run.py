# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ``ansible-playbook`` and ``ansible`` commands against the simulator, and read their results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import yaml

try:
    from urllib.parse import parse_qs
except ImportError:  # pragma: no cover
    from urlparse import parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, 'build', 'collections')
BIN = os.path.dirname(sys.executable)
ACCOUNTS = {
    'admin': 'Simulator-Pass1',
    'viewer': 'Viewer-Pass1',
    'operator': 'Operator-Pass1',
    'CORP\\tricky': u'p:a&s%s+ w\u00f6rd',
}
API_KEY = 'sim-api-key-0123456789abcdef'
# where veeam_job_info reads its jobs on each API: the path to put a read fault on
READ_PATH = {'em': '/api/query', 'vspc': '/api/v3/infrastructure/backupServers/jobs', 'vbr': '/api/v1/jobs/states'}


def ensure_collection_link():
    """``build/collections/ansible_collections/backupops/veeam`` -> the checkout (as ``make`` makes it)."""
    link = os.path.join(COLLECTIONS, 'ansible_collections', 'backupops', 'veeam')
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    return COLLECTIONS


def veeam_env(simulator, api='em', username='admin', password=None, api_key=None, ca=True, **extra):
    """The ``VEEAM_*`` variables (as an AWX credential injects them) for the simulator."""
    env = {
        'VEEAM_API': api,
        'VEEAM_SERVER': simulator.host,
        'VEEAM_PORT': str(simulator.port(api)),
    }
    if api_key:
        env['VEEAM_API_KEY'] = api_key
    elif username:
        env['VEEAM_USERNAME'] = username
        env['VEEAM_PASSWORD'] = password if password is not None else ACCOUNTS[username]
    if ca:
        env['VEEAM_CA_PATH'] = simulator.ca_path
    env.update(extra)
    return env


class Run:
    def __init__(self, command, returncode, stdout, stderr, results, timed=None):
        self.command = command
        self.rc = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        # (seconds since the command started, line) for each stdout line, when run with start_playbook
        self.timed = timed

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name):
        """The result of the (last) task with that name."""
        # role tasks are reported as 'role : task'
        found = [entry for entry in self.results if entry['task'] == name or entry['task'].endswith(' : ' + name)]
        assert found, 'no result for task %r; output:\n%s' % (name, self.output[-4000:])
        return found[-1]['result']

    @property
    def last(self):
        assert self.results, 'no task ran; output:\n%s' % self.output[-4000:]
        return self.results[-1]['result']

    def __repr__(self):
        return '<Run rc=%s %s>' % (self.rc, ' '.join(self.command))


def ansible_environment(env):
    """The environment an ansible command runs in: the test collection, the results callback, no
    VEEAM_* or CA-bundle variables of the caller's shell, then ``env`` on top."""
    base = dict((key, value) for key, value in os.environ.items() if not key.startswith('VEEAM_'))
    for key in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE'):
        base.pop(key, None)
    base.update({
        'ANSIBLE_COLLECTIONS_PATH': ensure_collection_link(),
        'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
        'ANSIBLE_CALLBACKS_ENABLED': 'result_file',
        'ANSIBLE_LOAD_CALLBACK_PLUGINS': '1',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
        'PATH': BIN + os.pathsep + os.environ.get('PATH', ''),
    })
    base.update(env)
    return base


def _run(command, env, timeout):
    fd, result_file = tempfile.mkstemp(prefix='ansible-results-', suffix='.jsonl')
    os.close(fd)
    environment = ansible_environment(env)
    environment['BACKUPOPS_RESULT_FILE'] = result_file
    try:
        completed = subprocess.run(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=timeout, universal_newlines=True, check=False)
        with open(result_file) as handle:
            results = [json.loads(line) for line in handle if line.strip()]
    finally:
        os.unlink(result_file)
    return Run(command, completed.returncode, completed.stdout, completed.stderr, results)


class Running:
    """An ansible command started in the background (``wait()`` gives its Run); each stdout line is timed as it
    arrives, so a test can tell what was printed while the command ran."""

    def __init__(self, command, env, timeout):
        self.command = command
        fd, self.result_file = tempfile.mkstemp(prefix='ansible-results-', suffix='.jsonl')
        os.close(fd)
        environment = ansible_environment(env)
        environment['BACKUPOPS_RESULT_FILE'] = self.result_file
        self.stderr = tempfile.TemporaryFile(mode='w+')
        self.timed = []
        self.began = time.monotonic()
        self.proc = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=self.stderr,
                                     universal_newlines=True)
        self.reader = threading.Thread(target=self._read)
        self.reader.start()
        self.timer = threading.Timer(timeout, self.proc.kill)
        self.timer.start()

    def _read(self):
        for line in self.proc.stdout:
            self.timed.append((time.monotonic() - self.began, line.rstrip('\n')))

    def wait(self):
        try:
            self.proc.wait()
            self.reader.join()
        finally:
            self.timer.cancel()
        self.stderr.seek(0)
        stderr = self.stderr.read()
        self.stderr.close()
        try:
            with open(self.result_file) as handle:
                results = [json.loads(line) for line in handle if line.strip()]
        finally:
            os.unlink(self.result_file)
        stdout = ''.join(line + '\n' for dummy, line in self.timed)
        return Run(self.command, self.proc.returncode, stdout, stderr, results, timed=self.timed)


def _playbook_command(tmp_path, tasks, play_extra, args, name='playbook.yml'):
    play = {'name': 'backupops.veeam integration', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
    play.update(play_extra or {})
    playbook = os.path.join(str(tmp_path), name)
    with open(playbook, 'w') as handle:
        yaml.safe_dump([play], handle, allow_unicode=True, sort_keys=False)
    return [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', playbook] + list(args)


def run_playbook(tmp_path, tasks, env, play_extra=None, args=(), timeout=300):
    """Run one play on localhost with these tasks; returns a Run."""
    return _run(_playbook_command(tmp_path, tasks, play_extra, args), env, timeout)


def start_playbook(tmp_path, tasks, env, play_extra=None, args=(), timeout=300, name='playbook.yml'):
    """Start one play on localhost with these tasks in the background; returns a Running (``.wait()`` -> Run).
    Give each of several plays started together its own ``name``."""
    return Running(_playbook_command(tmp_path, tasks, play_extra, args, name), env, timeout)


def run_module(module, module_args, env, args=(), timeout=300):
    """``ansible localhost -m MODULE -a JSON``; returns a Run."""
    command = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module]
    if module_args:  # '-a {}' would be taken as free-form text
        command += ['-a', json.dumps(module_args)]
    command += list(args)
    return _run(command, env, timeout)


def secrets_seen(simulator):
    """Every credential, EM session id and token the simulator was sent: session ids, bearer tokens
    (VSPC access token or API key), Basic credentials and their password, token-request passwords
    and refresh tokens (decoded and as sent)."""
    secrets = set()
    for entry in simulator.log():
        headers = dict((key.lower(), value) for key, value in entry['headers'].items())
        if headers.get('x-restsvcsessionid'):
            secrets.add(headers['x-restsvcsessionid'])
        scheme, dummy, value = (headers.get('authorization') or '').partition(' ')
        if value:
            secrets.add(value)
            if scheme.lower() == 'basic':
                secrets.add(base64.b64decode(value).decode('utf-8').partition(':')[2])
        if entry['method'] == 'DELETE' and '/logonSessions/' in entry['path']:
            secrets.add(entry['path'].rstrip('/').rsplit('/', 1)[-1])  # the EM logon session id
        if entry['path'].endswith('/token') and entry['body']:
            form = parse_qs(entry['body'])
            for part in entry['body'].split('&'):
                key, dummy, sent = part.partition('=')
                if key in ('password', 'refresh_token') and sent:
                    secrets.add(sent)  # as sent, url-encoded
                    secrets.update(form.get(key, []))
    return secrets


def wait_for(fetch, accept, timeout=20.0):
    """Call fetch until accept(value) holds (polling with a deadline); return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError('condition not met within %ss; last value: %r' % (timeout, value))
        time.sleep(0.1)


def visible_jobs(simulator, api, agent=False):
    """The ``/_sim/data`` records of the jobs (or agent jobs) an API shows: Enterprise Manager and VSPC
    every backup server's, the VBR REST API only its own server's (those it has a type word for)."""
    data = simulator.data()
    jobs = data['agent_jobs' if agent else 'jobs']
    if api == 'vbr':
        return [job for job in jobs if job['server_name'] == data['vbr']['server_name'] and job['vbr_type']]
    return jobs


def assert_logged_off(simulator):
    """No Enterprise Manager logon session is left open and no VBR token pair is left alive (VSPC tokens
    are not revoked on purpose: INTERFACE.md section 1)."""
    counters = simulator.counters()
    em, vbr = counters['em'], counters['vbr']
    assert em['open_sessions'] == 0 and em['logoffs'] == em['logons'], em
    assert vbr['live_tokens'] == 0 and vbr['logouts'] == vbr['tokens_issued'], vbr
    assert vbr['refresh_reuse'] == 0, vbr


def control_task(simulator, title, method, path, body=None):
    """A uri task calling the simulator's control API (trusted through its CA)."""
    args = {'url': simulator.control_url + path, 'method': method, 'ca_path': simulator.ca_path,
            'return_content': True, 'status_code': [200], 'use_proxy': False}
    if body is not None:
        args.update(body_format='json', body=body)
    return {'name': title, 'ansible.builtin.uri': args}


# ansible-runner, as AWX runs a job: the localhost inventory, and the environment its execution environment gives
RUNNER_INVENTORY = {'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}


def runner_envvars(env):
    """``env`` (the credential's VEEAM_* variables) with what an execution environment supplies."""
    envvars = dict(env)
    envvars.update({
        # an execution environment has the collection installed; here it is the checkout
        'ANSIBLE_COLLECTIONS_PATH': ensure_collection_link(),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''),
    })
    return envvars
