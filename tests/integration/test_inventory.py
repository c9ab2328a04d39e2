# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin backupops.veeam.machines (INTERFACE.md section 5): real ``ansible-inventory`` and
``ansible-playbook`` runs against the simulator on em, vspc and vbr, the expected hosts and groups computed from the
simulator's own world (``GET /_sim/data``)."""

from __future__ import absolute_import, division, print_function

import datetime
import json
import os
import re

import pytest
from ansible.inventory.group import to_safe_group_name

from ansible_run import API_KEY, _run, secrets_seen, veeam_env

VBR_SERVER = 'vbr-prod-01.corp.example'
ALWAYS = ('veeam_fresh', 'veeam_stale', 'veeam_failed', 'veeam_warning', 'veeam_malware')


def write_source(tmp_path, options=None, name='prod.veeam.yml'):
    path = tmp_path / name
    lines = ['plugin: backupops.veeam.machines']
    lines += ['%s: %s' % (key, json.dumps(value)) for key, value in (options or {}).items()]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def inventory(simulator, api, tmp_path, options=None, args=('--list',), env=None, fail_unparsed=True):
    """``ansible-inventory -i prod.veeam.yml <args>`` with the VEEAM_* environment of ``api``."""
    environment = veeam_env(simulator, api)
    environment['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = '1' if fail_unparsed else '0'
    environment['ANSIBLE_INVENTORY_ENABLED'] = 'backupops.veeam.machines,ini'
    environment.update(env or {})
    return _run(['ansible-inventory', '-i', write_source(tmp_path, options)] + list(args), environment, 300)


def plain(value):
    """A --list answer without ansible-core's ``__ansible_unsafe`` wrappers (2.19 writes them)."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def listed(run):
    assert run.rc == 0, run.output[-4000:]
    text = run.stdout[run.stdout.index('\n{') + 1:] if not run.stdout.startswith('{') else run.stdout  # after -vvv lines
    answer = plain(json.loads(text))
    groups = dict((name, set(body.get('hosts', []))) for name, body in answer.items() if name != '_meta')
    return groups, answer['_meta']['hostvars']


def group_name(job_name):
    """Ansible's group-name sanitising, forced (what the plugin documents)."""
    return to_safe_group_name('veeam_job_' + job_name, force=True, silent=True)


def expected_world(simulator, api, kind='any', backup_server=None, max_age_hours=24):
    """{host name: the simulator's machine record} and the expected groups, by the rules of INTERFACE.md 5."""
    machines = [machine for machine in simulator.data()['machines'] if machine['restore_points'] > 0
                and kind in ('any', machine['kind'])
                and (api != 'vbr' or machine['server_name'] == VBR_SERVER)
                and backup_server in (None, machine['server_name'])]
    machines.sort(key=lambda machine: (machine['name'].lower(), machine['server_name'], machine['kind']))
    hosts, taken = {}, set()
    for machine in machines:
        name = machine['name']
        if name.lower() in taken:
            name = '%s@%s' % (machine['name'], machine['server_name'])
        taken.add(name.lower())
        hosts[name] = machine
    limit = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=max_age_hours)).strftime(
        '%Y-%m-%dT%H:%M:%S')
    groups = dict((name, set()) for name in ALWAYS)
    for name, machine in hosts.items():
        groups['veeam_stale' if machine['latest_restore_point'][:19] < limit else 'veeam_fresh'].add(name)
        if machine['last_result'] in ('Failed', 'Warning'):
            groups['veeam_%s' % machine['last_result'].lower()].add(name)
        groups.setdefault(group_name(machine['latest_restore_point_job']), set()).add(name)
        # Enterprise Manager does not report malware status; vbr and vspc do
        if api != 'em' and simulator.malware(machine['id'])['status'] in ('Suspicious', 'Infected'):
            groups['veeam_malware'].add(name)
    return hosts, groups


def test_list_matches_the_world(simulator, api, tmp_path):
    """Every machine with restore points is a host; the groups hold exactly the world's fresh, stale, failed,
    warning machines, the malware-flagged ones and each job's."""
    hosts, groups = expected_world(simulator, api)
    found, hostvars = listed(inventory(simulator, api, tmp_path))
    assert set(hostvars) == set(hosts)
    for name in list(ALWAYS) + [group for group in groups if group.startswith('veeam_job_')]:
        assert found.get(name, set()) == groups[name], name
    assert not [group for group in found if group.startswith('veeam_job_') and group not in groups]
    # computers and VMs, and a name on two backup servers (em and vspc show every server)
    assert set(machine['kind'] for machine in hosts.values()) == {'vm', 'computer'}
    if api != 'vbr':
        assert [name for name in hosts if '@' in name]
    # the world's flagged machines: bigdata01 Infected, winfs01 Suspicious (null on em)
    assert found.get('veeam_malware', set()) == (set() if api == 'em' else {'bigdata01', 'winfs01'}), found
    for name, machine in hosts.items():
        variable = hostvars[name]['veeam_machine']
        assert variable['name'] == machine['name']
        assert variable['kind'] == machine['kind']
        assert variable['backup_server_name'] == machine['server_name']
        assert variable['job_name'] == machine['latest_restore_point_job']
        if not machine['running']:  # a machine in a run: its last ended result (em, vbr) or null (vspc)
            assert variable['last_result'] == machine['last_result']
        assert variable['latest_restore_point_time'][:19] == machine['latest_restore_point'][:19]
        assert len(variable['restore_points']) == 1
        assert variable['stale'] is (name in groups['veeam_stale'])
        assert 'malware_status' in variable['restore_points'][0]
    # bounded: a handful of listings, not a request per machine
    assert simulator.counters()['requests_total'] < 15


def test_graph(simulator, api, tmp_path):
    hosts, groups = expected_world(simulator, api)
    run = inventory(simulator, api, tmp_path, args=('--graph',))
    assert run.rc == 0, run.output[-3000:]
    for group in ALWAYS:
        assert '@%s:' % group in run.stdout
    stale = run.stdout.split('@veeam_stale:', 1)[1].split('@', 1)[0]
    assert set(re.findall(r'--(\S.*)', stale)) == groups['veeam_stale']


@pytest.mark.parametrize('kind', ['vm', 'computer'])
def test_kind(simulator, tmp_path, kind):
    hosts, dummy = expected_world(simulator, 'em', kind=kind)
    found, hostvars = listed(inventory(simulator, 'em', tmp_path, {'kind': kind}))
    assert set(hostvars) == set(hosts)
    assert set(variables['veeam_machine']['kind'] for variables in hostvars.values()) == {kind}


@pytest.mark.parametrize('api', ['em', 'vspc', 'vbr'])
def test_backup_server(simulator, tmp_path, api):
    """One backup server's machines only: no name needs its server appended."""
    hosts, groups = expected_world(simulator, api, backup_server=VBR_SERVER)
    found, hostvars = listed(inventory(simulator, api, tmp_path, {'backup_server': VBR_SERVER}))
    assert set(hostvars) == set(hosts) and hosts
    assert not [name for name in hostvars if '@' in name]
    assert found['veeam_stale'] == groups['veeam_stale']


def test_constructed(simulator, tmp_path):
    """compose, groups and keyed_groups work on veeam_machine."""
    options = {'compose': {'backup_job': 'veeam_machine.job_name'},
               'groups': {'agents': "veeam_machine.kind == 'computer'"},
               'keyed_groups': [{'key': 'veeam_machine.platform', 'prefix': 'platform'}],
               'strict': True}
    hosts, dummy = expected_world(simulator, 'vbr')
    found, hostvars = listed(inventory(simulator, 'vbr', tmp_path, options))
    assert found['agents'] == set(name for name, machine in hosts.items() if machine['kind'] == 'computer')
    assert found['platform_VMware'] == set(name for name, machine in hosts.items() if machine['platform'] == 'VMware')
    for name, machine in hosts.items():
        assert hostvars[name]['backup_job'] == machine['latest_restore_point_job']


def test_play_limited_to_stale_and_patchable(simulator, tmp_path):
    """ansible-playbook -i prod.veeam.yml -i hosts.ini --limit 'veeam_stale:&patchable' runs on exactly those."""
    hosts, groups = expected_world(simulator, 'em')
    stale = sorted(groups['veeam_stale'])
    fresh = sorted(groups['veeam_fresh'])
    patchable = stale[:2] + fresh[:2]
    (tmp_path / 'hosts.ini').write_text('[patchable]\n%s\n' % '\n'.join('"%s"' % name if ' ' in name else name
                                                                        for name in patchable))
    (tmp_path / 'patch.yml').write_text(
        '- hosts: all\n  gather_facts: false\n  connection: local\n  tasks:\n'
        '    - ansible.builtin.debug:\n        msg: "{{ veeam_machine.job_name }}"\n')
    environment = veeam_env(simulator, 'em')
    environment['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = '1'
    run = _run(['ansible-playbook', '-i', write_source(tmp_path), '-i', str(tmp_path / 'hosts.ini'),
                str(tmp_path / 'patch.yml'), '--limit', 'veeam_stale:&patchable'], environment, 300)
    assert run.rc == 0, run.output[-4000:]
    assert set(result['host'] for result in run.results) == set(stale[:2])


def test_cache_sends_no_request(simulator, tmp_path):
    """A second run inside cache_timeout reads the jsonfile cache: the simulator's counters do not move; the cache
    holds no secret."""
    cache_dir = tmp_path / 'cache'
    options = {'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(cache_dir),
               'cache_timeout': 600}
    first, dummy = listed(inventory(simulator, 'vbr', tmp_path, options))
    before = simulator.counters()
    assert before['requests_total'] > 0
    secrets = secrets_seen(simulator)
    second, dummy = listed(inventory(simulator, 'vbr', tmp_path, options))
    assert second == first
    assert simulator.counters()['requests_total'] == before['requests_total']
    text = ''.join(path.read_text() for path in cache_dir.iterdir())
    assert 'web01' in text
    assert secrets and not [secret for secret in secrets if secret in text]
    assert 'Simulator-Pass1' not in text


def test_no_secret_in_output(simulator, api, tmp_path):
    run = inventory(simulator, api, tmp_path, args=('--list', '-vvv'))
    listed(run)
    secrets = secrets_seen(simulator) | {'Simulator-Pass1'}
    assert not [secret for secret in secrets if secret in run.output]


def test_failing_server_is_a_clear_error(simulator, api, tmp_path):
    prefixes = {'em': '/api/query', 'vspc': '/api/v3/protectedWorkloads', 'vbr': '/api/v1/backupObjects'}
    simulator.fault(api=api, status=500, count=20, path_prefix=prefixes[api])
    run = inventory(simulator, api, tmp_path)
    assert run.rc != 0
    assert 'backupops.veeam.machines:' in run.output and re.search(r'HTTP 5[02]0', run.output), run.output[-3000:]
    assert 'Traceback' not in run.output
    assert 'Simulator-Pass1' not in run.output


@pytest.mark.parametrize('options, word', [
    ({'kind': 'printer'}, 'kind'),
    ({'max_age': 'soon'}, 'max_age'),
    ({'api_version': '1.3-rev1'}, 'api_version'),
    ({'timeout': 0}, 'timeout'),
    ({'backup_server': ' '}, 'backup_server'),
])
def test_bad_options_are_refused_naming_the_option(simulator, tmp_path, options, word):
    run = inventory(simulator, 'em', tmp_path, options)
    assert run.rc != 0
    assert word in run.output, run.output[-3000:]
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == 0


def test_missing_credentials_named(simulator, tmp_path):
    run = inventory(simulator, 'vbr', tmp_path, env={'VEEAM_USERNAME': '', 'VEEAM_PASSWORD': ''})
    assert run.rc != 0
    assert 'VEEAM_USERNAME' in run.output and 'VEEAM_PASSWORD' in run.output, run.output[-3000:]
    assert simulator.counters()['requests_total'] == 0


def test_only_veeam_sources(simulator, tmp_path):
    """A file whose name does not end in .veeam.yml is not this plugin's."""
    path = tmp_path / 'prod.yml'
    path.write_text('plugin: backupops.veeam.machines\n')
    environment = veeam_env(simulator, 'em')
    environment['ANSIBLE_INVENTORY_ENABLED'] = 'backupops.veeam.machines'
    run = _run(['ansible-inventory', '-i', str(path), '--list'], environment, 120)
    assert simulator.counters()['requests_total'] == 0
    assert os.path.basename(str(path)) in run.output


def test_guide_coverage_report(simulator, tmp_path):
    """The coverage report of docs/guides/protection-inventory.md, as written there, prints one line per job with
    the world's numbers."""
    guide = open(os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'guides', 'protection-inventory.md')).read()
    section = guide.split('## A coverage report by job', 1)[1]
    (tmp_path / 'coverage.yml').write_text(section.split('```yaml\n', 1)[1].split('```', 1)[0])
    hosts, groups = expected_world(simulator, 'vbr')
    environment = veeam_env(simulator, 'vbr')
    environment['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = '1'
    run = _run(['ansible-playbook', '-i', write_source(tmp_path), str(tmp_path / 'coverage.yml')], environment, 300)
    assert run.rc == 0, run.output[-4000:]
    lines = [item['msg'] for result in run.results for item in result['result'].get('results', [])]
    daily = [name for name, machine in hosts.items() if machine['latest_restore_point_job'] == 'Daily Backup']
    assert 'Daily Backup: %d machines, %d stale, %d failed' % (
        len(daily), len(set(daily) & groups['veeam_stale']), len(set(daily) & groups['veeam_failed'])) in lines, lines


def test_secrets_echoed_by_a_hostile_server_are_masked(simulator, api, tmp_path):
    """A server that answers the first listing with every credential and token it got: the inventory error names
    the status and shows none of them, in the plain and in the -vvv output."""
    from hostile import HostileProxy
    prefix = {'em': '/api/query', 'vspc': '/api/v3/protectedWorkloads', 'vbr': '/api/v1/backupObjects'}[api]
    with HostileProxy(simulator, api) as proxy:
        proxy.rule('echo', 'GET', prefix, 'echo', status=409)
        env = {'VEEAM_SERVER': '127.0.0.1', 'VEEAM_PORT': str(proxy.port)}
        runs = [inventory(simulator, api, tmp_path, env=env),
                inventory(simulator, api, tmp_path, env=env, args=('--list', '-vvv'))]
        assert proxy.answered_by('echo')
    secrets = secrets_seen(simulator) | {'Simulator-Pass1'}
    for run in runs:
        assert run.rc != 0 and 'HTTP 409' in run.output and '********' in run.output, run.output[-3000:]
        assert not [secret for secret in secrets if secret in run.output]
        assert 'Traceback' not in run.output


@pytest.mark.parametrize('version', ['12.3', '13.0.1'])
def test_vbr_revisions_without_every_backup_object_model(make_simulator, tmp_path, version):
    """VBR 12.3 (1.2-rev1) shows backup objects of VMware VMs only and 13.0.1 (1.3-rev1) none of Windows computers:
    those machines still become hosts, from their restore points."""
    simulator = make_simulator('--vbr-version', version)
    hosts, groups = expected_world(simulator, 'vbr')
    found, hostvars = listed(inventory(simulator, 'vbr', tmp_path))
    assert set(hostvars) == set(hosts)
    if version == '12.3':  # 1.2-rev1 shows the runs of VMware jobs only: the others' own results are unknown
        for group in ('veeam_failed', 'veeam_warning'):
            groups[group] = set(name for name in groups[group] if hosts[name]['platform'] == 'VMware')
    for group in ALWAYS:
        assert found.get(group, set()) == groups[group], (group, found.get(group), groups[group])
    assert set(variables['veeam_machine']['kind'] for variables in hostvars.values()) == {'vm', 'computer'}
    assert simulator.counters()['vbr']['schema_violations'] == 0


def test_vspc_api_key_from_the_source_file_is_used_and_never_shown(simulator, tmp_path):
    """The api_key option (here under its alias token, in the source file) logs on to VSPC; it is in no output."""
    environment = {'VEEAM_USERNAME': '', 'VEEAM_PASSWORD': ''}
    run = inventory(simulator, 'vspc', tmp_path, {'token': API_KEY}, args=('--list', '-vvv'), env=environment)
    hosts, dummy = expected_world(simulator, 'vspc')
    found, hostvars = listed(run)
    assert set(hostvars) == set(hosts)
    assert API_KEY not in run.output
