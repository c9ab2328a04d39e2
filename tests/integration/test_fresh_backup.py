# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fresh_backup role and the backupops.veeam.fresh_backup playbook on inventory hosts named after the
simulator's machines, real ansible-playbook runs over HTTPS, on em, vspc and vbr where each applies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

import pytest
import yaml

from ansible_run import BIN, _run, secrets_seen, veeam_env

ROLE = 'backupops.veeam.fresh_backup'
CHANGING = ('start', 'stop', 'retry', 'sync', 'toggle', 'patch', 'enable', 'disable', 'quick_backup')
FAIL_TASKS = ('Fail when the machine has no fresh backup and none can be made', 'Fail when the machine is still stale')
QUICK_BACKUP_TASK = 'Back up just this machine now (quick backup) and wait for the run'


@pytest.fixture(params=['em', 'vspc', 'vbr'])
def api(request):
    return request.param


@pytest.fixture(params=['em', 'vbr'])
def backup_api(request):
    return request.param


def patch_play(tmp_path, simulator, api, hosts, role_vars=None, args=(), forks=10, playbook=None, env=None):
    """ansible-playbook on an inventory of ``hosts`` ({name: host vars}): the role, then a stand-in for the patching
    that records which hosts reached it."""
    inventory = os.path.join(str(tmp_path), 'inventory.yml')
    with open(inventory, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': dict((name, variables or None) for name, variables in hosts.items())}}, handle,
                       allow_unicode=True)
    if playbook is None:
        playbook = os.path.join(str(tmp_path), 'patch.yml')
        play = {'name': 'Patch, each host only after a fresh backup', 'hosts': 'all', 'gather_facts': False,
                'roles': [{'role': ROLE, 'vars': dict({'fresh_backup_poll_interval': 1}, **(role_vars or {}))}],
                'tasks': [{'name': 'Patch', 'ansible.builtin.debug': {'msg': 'patching {{ inventory_hostname }}'}}]}
        with open(playbook, 'w') as handle:
            yaml.safe_dump([play], handle, allow_unicode=True, sort_keys=False)
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook, '-f', str(forks)] + list(args)
    return _run(command, dict(veeam_env(simulator, api), **(env or {})), timeout=600)


def failures(run):
    """{host: the one-line message of the role's failure}"""
    return dict((entry['host'], entry['result']['msg']) for entry in run.results
                if entry['status'] == 'failed' and entry['task'].split(' : ')[-1] in FAIL_TASKS)


def patched(run):
    return sorted(entry['host'] for entry in run.results if entry['task'] == 'Patch' and entry['status'] == 'ok')


def machine_fact(run, host):
    facts = [entry['result']['ansible_facts']['fresh_backup_machine'] for entry in run.results
             if entry['host'] == host and entry['status'] == 'ok' and 'fresh_backup_machine' in
             (entry['result'].get('ansible_facts') or {})]
    return facts[-1]


def host_result(run, host, task):
    found = [entry['result'] for entry in run.results if entry['host'] == host and entry['task'].endswith(' : ' + task)]
    assert found, 'no result of %r for %s:\n%s' % (task, host, run.output[-3000:])
    return found[-1]


def world(simulator):
    return dict((machine['name'], machine) for machine in simulator.data()['machines'])


def actions(simulator):
    counted = simulator.counters()['actions']
    return dict((name, counted.get(name, 0)) for name in CHANGING)


def nothing_changed(simulator):
    return not any(actions(simulator).values())


def short_job_runs(simulator, seconds, *job_names):
    for job in simulator.data()['jobs'] + simulator.data()['agent_jobs']:
        if job['name'] in job_names:
            simulator.configure_job(job['id'], duration=seconds)


def set_machine(simulator, name, **settings):
    return simulator._call('POST', '/machines/%s' % quote(name, safe=''), settings)


def test_fresh_hosts_pass_at_once_and_nothing_is_started(simulator, api, tmp_path):
    run = patch_play(tmp_path, simulator, api, {'web01.corp.example': {}, 'PRINT': {'fresh_backup_name': 'Print Server 2'},
                                                'APP01': {}}, {'fresh_backup_max_age': '24h'}, args=['-vvv'])
    assert run.rc == 0, run.output[-3000:]
    assert patched(run) == ['APP01', 'PRINT', 'web01.corp.example']
    assert not [entry for entry in run.results if entry['task'].endswith(QUICK_BACKUP_TASK)]
    fact = machine_fact(run, 'PRINT')
    assert (fact['name'], fact['item'], fact['protected']) == ('Print Server 2', 'Print Server 2', True)
    assert machine_fact(run, 'web01.corp.example')['name'] == 'web01'
    assert nothing_changed(simulator)
    for secret in secrets_seen(simulator):
        assert secret not in run.output, 'a secret appears in the -vvv output'


@pytest.mark.compat
def test_the_hosts_of_a_batch_are_looked_up_together_and_odd_ones_on_their_own(simulator, tmp_path):
    hosts = {'web01': {}, 'WEB02.corp.example': {}, 'mail01': {}, 'APP01': {}}
    run = patch_play(tmp_path, simulator, 'em', hosts)
    assert run.rc == 0, run.output[-3000:]
    assert patched(run) == sorted(hosts)
    assert simulator.counters()['em']['logons'] == 1, 'one module run looked up the four hosts'
    simulator.reset()
    # a name given as a role parameter is not visible to the other hosts: that host is looked up on its own
    run = patch_play(tmp_path, simulator, 'em', hosts, {'fresh_backup_name': '{{ inventory_hostname | lower }}'})
    assert run.rc == 0, run.output[-3000:]
    assert machine_fact(run, 'APP01')['item'] == 'app01' and machine_fact(run, 'WEB02.corp.example')['name'] == 'web02'
    assert simulator.counters()['em']['logons'] == 3, 'the batch, and APP01 and WEB02.corp.example on their own'


@pytest.mark.compat
def test_a_stale_host_gets_exactly_one_quick_backup_of_itself_and_is_patched(simulator, backup_api, tmp_path):
    short_job_runs(simulator, 1, 'Legacy Archive Backup')
    before = world(simulator)
    run = patch_play(tmp_path, simulator, backup_api, {'legacy01.corp.example': {}, 'web01': {}},
                     {'fresh_backup_max_age': '3d'}, args=['-vvv'])
    assert run.rc == 0, run.output[-3000:]
    assert patched(run) == ['legacy01.corp.example', 'web01']
    message = host_result(run, 'legacy01.corp.example', 'Say that the machine was backed up')['msg']
    assert message.startswith("fresh_backup: legacy01.corp.example: quick backup of 'legacy01' through job "
                              "'Legacy Archive Backup' ended Success")
    fact = machine_fact(run, 'legacy01.corp.example')
    assert fact['protected'] is True and fact['age'] < 300 and fact['item'] == 'legacy01.corp.example'
    assert actions(simulator) == dict(actions(simulator), quick_backup=1, start=0, sync=0)
    after = world(simulator)
    for name, record in after.items():
        assert record['restore_points'] == before[name]['restore_points'] + (1 if name == 'legacy01' else 0), name
    for secret in secrets_seen(simulator):
        assert secret not in run.output, 'a secret appears in the -vvv output'


def test_hosts_without_backups_fail_with_one_line_and_are_not_patched(simulator, api, tmp_path):
    run = patch_play(tmp_path, simulator, api, {'newvm01': {}, 'ghost01.corp.example': {}, 'web01': {}})
    assert run.rc != 0
    assert patched(run) == ['web01']
    failed = failures(run)
    assert failed['newvm01'].startswith('fresh_backup: newvm01: no backups: ')
    assert failed['ghost01.corp.example'].startswith('fresh_backup: ghost01.corp.example: no backups: ')
    assert all('\n' not in message for message in failed.values())
    assert nothing_changed(simulator)


def test_a_failing_backup_fails_the_host_with_the_machines_message(simulator, backup_api, tmp_path):
    short_job_runs(simulator, 1, 'Legacy Archive Backup')
    set_machine(simulator, 'legacy01', outcome='Failed', failure_message='Error: VSS writer timed out (simulated)')
    run = patch_play(tmp_path, simulator, backup_api, {'legacy01': {}})
    assert run.rc != 0 and patched(run) == []
    assert failures(run) == {'legacy01': (
        "fresh_backup: legacy01: the backup failed: quick backup of 'legacy01' through job 'Legacy Archive Backup' "
        "ended Failed: Error: VSS writer timed out (simulated)")}
    assert actions(simulator)['quick_backup'] == 1


def test_on_vspc_a_stale_host_fails_without_anything_started(simulator, tmp_path):
    run = patch_play(tmp_path, simulator, 'vspc', {'legacy01': {}, 'web01': {}})
    assert run.rc != 0 and patched(run) == ['web01']
    message = failures(run)['legacy01']
    assert message.startswith('fresh_backup: legacy01: stale (newest restore point ')
    assert ('and it cannot be backed up now: nothing was started: the Service Provider Console has no per-machine '
            'backup') in message
    assert "start its job 'Legacy Archive Backup' with backupops.veeam.veeam_job_action" in message
    assert nothing_changed(simulator)


@pytest.mark.parametrize('checking_api', ['em', 'vbr'])
def test_check_mode_says_which_hosts_would_be_backed_up_and_starts_nothing(simulator, checking_api, tmp_path):
    run = patch_play(tmp_path, simulator, checking_api, {'legacy01': {}, 'web01': {}}, args=['--check'])
    assert run.rc == 0, run.output[-3000:]
    assert host_result(run, 'legacy01', 'Say that the machine was backed up')['msg'] == (
        "fresh_backup: legacy01: 'legacy01' would be backed up now (quick backup through job 'Legacy Archive Backup')")
    assert nothing_changed(simulator)


def test_only_checking_fails_a_stale_host(simulator, tmp_path):
    run = patch_play(tmp_path, simulator, 'em', {'legacy01': {}}, {'fresh_backup_run': False})
    assert run.rc != 0
    message = failures(run)['legacy01']
    assert message.startswith('fresh_backup: legacy01: stale: newest restore point ')
    assert message.endswith('more than 24h, and fresh_backup_run is false')
    assert nothing_changed(simulator)


def test_a_name_on_two_servers_fails_listing_both_and_backup_server_chooses(simulator, tmp_path):
    run = patch_play(tmp_path, simulator, 'em', {'db01': {}, 'db01.corp.example': {
        'fresh_backup_backup_server': 'vbr-prod-01.corp.example'}})
    assert patched(run) == ['db01.corp.example']
    message = failures(run)['db01']
    assert message.startswith("fresh_backup: db01: 'db01' matches 2 machines: ")
    assert 'vbr-prod-01.corp.example' in message and 'vbr-dr-01.corp.example' in message
    # the role's user sets fresh_backup_backup_server, not the module's backup_server
    assert 'give fresh_backup_backup_server (or fresh_backup_kind) to choose one' in message, message
    assert nothing_changed(simulator)


def twenty_hosts(api):
    """20 inventory hosts named after the world's machines (some as FQDN or in capitals), with what must happen to
    each at a maximum age of 24 h: fresh (patched, nothing started), backed up (one quick backup, patched), failed."""
    hosts = {
        'web01': 'fresh', 'WEB02.corp.example': 'fresh', 'app01.corp.example': 'fresh', 'mail01': 'fresh',
        'sql01': 'fresh', 'dc01.corp.example': 'fresh', 'PRINT': 'fresh', 'lnx-web01.corp.example': 'fresh',
        'ws-0001': 'fresh', 'Web01.Corp.Example': 'fresh',
        'fs01.corp.example': 'backed up', 'legacy01': 'backed up', 'LNX-DB01.corp.example': 'backed up',
        'newvm01': 'failed', 'ghost01': 'failed', 'ghost02.corp.example': 'failed', 'dc01': 'failed',
        'db01': 'failed', 'rhel-node1.corp.example': 'fresh', 'web-retired.corp.example': 'failed',
    }
    if api == 'vbr':  # VBR shows the machines of its own server only
        hosts.update({'db01': 'fresh', 'rhel-node1.corp.example': 'failed'})
    if api == 'em':  # Enterprise Manager has no quick backup for Veeam Agent computers
        hosts.update({'LNX-DB01.corp.example': 'failed'})
    return hosts


def test_twenty_hosts_with_ten_forks_against_one_server_all_correct(simulator, backup_api, tmp_path):
    short_job_runs(simulator, 3, 'File Server Backup', 'Legacy Archive Backup', 'Linux DB Servers')
    expected = twenty_hosts(backup_api)
    inventory = dict((host, {'fresh_backup_name': 'Print Server 2'} if host == 'PRINT' else {}) for host in expected)
    before = world(simulator)
    run = patch_play(tmp_path, simulator, backup_api, inventory, {'fresh_backup_max_age': '24h'}, forks=10)
    outcome = {}
    failed = failures(run)
    backed = set(entry['host'] for entry in run.results if entry['task'].endswith(QUICK_BACKUP_TASK))
    for host in expected:
        outcome[host] = 'failed' if host in failed else 'backed up' if host in backed else 'fresh'
    assert outcome == expected, run.output[-4000:]
    assert patched(run) == sorted(host for host, what in expected.items() if what != 'failed')
    backed_up = [host for host, what in expected.items() if what == 'backed up']
    assert actions(simulator) == dict(actions(simulator), quick_backup=len(backed_up), start=0, sync=0)
    after = world(simulator)
    for host in backed_up:
        name = machine_fact(run, host)['name']
        assert after[name]['restore_points'] == before[name]['restore_points'] + 1, name
    # the three quick backups (three jobs) ran at the same time, not one after another
    sessions = [host_result(run, host, QUICK_BACKUP_TASK)['session'] for host in backed_up]
    assert max(session['creation_time'] for session in sessions) < min(session['end_time'] for session in sessions), sessions


@pytest.mark.compat
def test_the_collection_playbook_takes_target_or_limit_and_refuses_the_whole_inventory(simulator, tmp_path):
    hosts = {'web01': {}, 'legacy01': {}}
    run = patch_play(tmp_path, simulator, 'em', hosts, playbook='backupops.veeam.fresh_backup',
                     args=['-e', 'target=web01'])
    assert run.rc == 0, run.output[-3000:]
    assert sorted(set(entry['host'] for entry in run.results if 'fresh_backup' in entry['task'])) == ['web01']
    run = patch_play(tmp_path, simulator, 'em', hosts, playbook='backupops.veeam.fresh_backup', args=['--limit', 'web01'])
    assert run.rc == 0, run.output[-3000:]
    simulator.reset()
    run = patch_play(tmp_path, simulator, 'em', hosts, playbook='backupops.veeam.fresh_backup')
    assert run.rc != 0
    assert 'fresh_backup: name the hosts with -e target=<host, group or pattern> or with --limit' in run.output
    assert simulator.counters()['requests_total'] == 0


@pytest.mark.parametrize('variables, words', [
    ({'fresh_backup_max_age': 'a day'}, ['fresh_backup_max_age a duration such as 12h', 'fresh_backup_max_age=\\"a day\\"']),
    ({'fresh_backup_timeout': 0}, ['fresh_backup_timeout']),
    ({'fresh_backup_kind': 'server'}, ['fresh_backup_kind', 'server']),
])
def test_wrong_settings_are_refused_before_any_request(simulator, tmp_path, variables, words):
    run = patch_play(tmp_path, simulator, 'em', {'web01': {}}, variables)
    assert run.rc != 0
    for word in words:
        assert word in run.output, run.output[-3000:]
    assert simulator.counters()['requests_total'] == 0
