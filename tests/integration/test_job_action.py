# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_job_action end to end against the simulator, on every API."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_run import assert_logged_off, run_module, run_playbook, secrets_seen, veeam_env

MODULE = 'backupops.veeam.veeam_job_action'
CHANGING = ('start', 'stop', 'retry', 'sync', 'toggle', 'patch', 'enable', 'disable')
# what sets a job's schedule: EM flips it, VSPC patches isEnabled, VBR enables or disables
SCHEDULE_CHANGES = {'em': ('toggle',), 'vspc': ('patch',), 'vbr': ('enable', 'disable')}


RUNS = []


@pytest.fixture(autouse=True)
def every_run_keeps_secrets_and_closes_sessions(simulator):
    """Every test here runs its modules with -vvv; afterwards no EM session or VBR token may be left, and no
    password, session id or token the simulator saw may appear in any output."""
    del RUNS[:]
    yield
    assert_logged_off(simulator)
    secrets = secrets_seen(simulator)
    secrets.update(password for password, dummy in RUNS)
    for dummy, output in RUNS:
        for secret in secrets:
            assert secret not in output, 'a secret appears in the -vvv output'


def actions_sent(simulator):
    return sum(simulator.counters()['actions'][name] for name in CHANGING)


def act(simulator, api, args, *extra, **env):
    environment = veeam_env(simulator, api, **env)
    run = run_module(MODULE, args, environment, args=list(extra) + ['-vvv'])
    RUNS.append((environment['VEEAM_PASSWORD'], run.output))
    return run


def test_start_without_wait_returns_the_new_session(simulator, api):
    run = act(simulator, api, {'name': 'File Server Backup', 'action': 'start', 'poll_interval': 1})
    assert run.rc == 0, run.output
    result = run.last
    assert result['changed'] is True
    session = result['session']
    assert session['job_name'] == 'File Server Backup' and session['running'] is True
    if api == 'em':
        assert result['task']['success'] is True and result['task']['operation'] == 'StartJob'
    else:
        assert result['task'] is None
    if api != 'vspc':  # VSPC has no session ids
        assert session['id'] == simulator.job('File Server Backup')['last_session_id']
    assert simulator.counters()['actions']['start'] == 1


@pytest.mark.parametrize('outcome', ['Success', 'Warning', 'Failed'])
def test_start_with_wait_reports_each_outcome(simulator, api, outcome):
    job = simulator.job('Exchange "Mail" Backup')
    simulator.configure_job(job['id'], duration=2, outcome=outcome, failure_message='Simulated %s' % outcome)
    run = act(simulator, api, {'id': job['id'], 'action': 'start', 'wait': True, 'poll_interval': 1})
    result = run.last
    assert result['session']['result'] == outcome and result['session']['running'] is False
    assert result['changed'] is True
    if outcome == 'Failed':
        assert run.rc != 0 and 'ended Failed' in result['msg'] and 'Simulated Failed' in result['msg']
    else:
        assert run.rc == 0, run.output
        assert result['job']['last_result'] == outcome
    if outcome == 'Warning':
        assert 'ended with a warning' in run.output
        strict = act(simulator, api, {'id': job['id'], 'action': 'start', 'wait': True, 'poll_interval': 1,
                                      'fail_on_warning': True})
        assert strict.rc != 0 and 'ended Warning' in strict.last['msg']


def test_backup_copy_job_is_started(simulator, api):
    run = act(simulator, api, {'name': 'Offsite Backup Copy', 'action': 'start', 'wait': True, 'poll_interval': 1})
    assert run.rc == 0, run.output
    assert run.last['session']['result'] == 'Success'
    counted = simulator.counters()['actions']
    # EM starts backup copy jobs with ?action=sync
    assert (counted['sync'], counted['start']) == ((1, 0) if api == 'em' else (0, 1))


def test_start_on_a_running_job_sends_no_start_and_awaits_it(simulator, api):
    # the VBR REST API is vbr-prod-01's own
    server = 'vbr-prod-01.corp.example' if api == 'vbr' else 'vbr-dr-01.corp.example'
    job = simulator.job('Daily Backup', server=server)
    # long enough to be still running when the module reads the job's state, even on a busy machine
    simulator.configure_job(job['id'], duration=10, running=True)
    run = act(simulator, api, {'name': 'Daily Backup', 'backup_server': server, 'action': 'start',
                               'wait': True, 'poll_interval': 1})
    assert run.rc == 0, run.output
    assert run.last['changed'] is False
    assert run.last['session']['running'] is False and run.last['session']['result'] == 'Success'
    assert actions_sent(simulator) == 0


def test_stop_only_a_running_job(simulator, api):
    idle = act(simulator, api, {'name': 'SQL Server; Nightly, Full', 'action': 'stop'})
    assert idle.rc == 0, idle.output
    assert idle.last['changed'] is False and 'not running' in idle.last['msg']
    assert actions_sent(simulator) == 0
    stopped = act(simulator, api, {'name': 'Long Running Backup', 'action': 'stop', 'wait': True, 'poll_interval': 1})
    assert stopped.rc == 0, stopped.output
    assert stopped.last['changed'] is True
    assert stopped.last['session']['running'] is False
    assert simulator.counters()['actions']['stop'] == 1


def test_retry_only_after_a_failed_or_warning_run(simulator, api):
    succeeded = act(simulator, api, {'name': 'SQL Server; Nightly, Full', 'action': 'retry'})
    assert succeeded.rc == 0, succeeded.output
    assert succeeded.last['changed'] is False and 'nothing to retry' in succeeded.last['msg']
    assert actions_sent(simulator) == 0
    failed = act(simulator, api, {'name': 'File Server Backup', 'action': 'retry', 'wait': True, 'poll_interval': 1})
    assert failed.rc == 0, failed.output
    assert failed.last['changed'] is True and failed.last['session']['result'] == 'Success'
    assert failed.last['session']['is_retry'] is (True if api == 'em' else None)
    assert simulator.counters()['actions']['retry'] == 1


@pytest.mark.compat
def test_disable_then_enable_is_idempotent_with_diff(simulator, api, tmp_path):
    tasks = [{'name': title, MODULE: {'name': 'Daily Backup', 'backup_server': 'vbr-prod-01.corp.example', 'action': action}}
             for title, action in (('disable', 'disable'), ('disable again', 'disable'),
                                   ('enable', 'enable'), ('enable again', 'enable'))]
    environment = veeam_env(simulator, api)
    run = run_playbook(tmp_path, tasks, environment, args=['--diff', '-vvv'])
    RUNS.append((environment['VEEAM_PASSWORD'], run.output))
    assert run.rc == 0, run.output
    assert run.task('disable')['changed'] is True and run.task('disable')['job']['schedule_enabled'] is False
    assert run.task('disable again')['changed'] is False
    assert run.task('enable')['changed'] is True and run.task('enable')['job']['schedule_enabled'] is True
    assert run.task('enable again')['changed'] is False
    assert sum(simulator.counters()['actions'][name] for name in SCHEDULE_CHANGES[api]) == 2
    # the default callback prints the diff (and keeps it out of the stored result)
    assert run.stdout.count('--- before: Daily Backup') == 2, run.stdout
    assert '-    "schedule_enabled": true\n+    "schedule_enabled": false' in run.stdout
    assert '-    "schedule_enabled": false\n+    "schedule_enabled": true' in run.stdout


def test_enable_and_disable_of_a_job_without_a_schedule_warn_and_change_nothing(simulator, api, tmp_path):
    tasks = [{'name': title, MODULE: {'name': 'Manual Test Backup', 'action': action}}
             for title, action in (('disable', 'disable'), ('enable', 'enable'))]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    for action in ('disable', 'enable'):
        assert run.task(action)['changed'] is False, run.task(action)
        assert ("job 'Manual Test Backup' has no schedule configured: nothing to %s" % action
                in ' '.join(run.output.split())), run.output[-3000:]
    assert actions_sent(simulator) == 0


@pytest.mark.parametrize('action, target, changed', [
    ('start', 'File Server Backup', True),
    ('start', 'Long Running Backup', False),
    ('stop', 'Long Running Backup', True),
    ('stop', 'File Server Backup', False),
    ('retry', 'File Server Backup', True),
    ('retry', 'SQL Server; Nightly, Full', False),
    ('disable', 'Offsite Backup Copy', True),
    ('enable', 'Offsite Backup Copy', False),
    ('enable', 'Legacy Archive Backup', True),
])
def test_check_mode_predicts_and_sends_nothing(simulator, api, action, target, changed):
    run = act(simulator, api, {'name': target, 'action': action, 'wait': True}, '--check')
    assert run.rc == 0, run.output
    assert run.last['changed'] is changed
    assert actions_sent(simulator) == 0
    requests = simulator.counters()['requests']
    assert not [key for key in requests if key.startswith(('POST /api/jobs', 'POST /api/agents', 'PATCH'))], requests
    assert not [key for key in requests if key.startswith(('POST /api/v3/infrastructure', 'POST /api/v1/'))], requests


def test_ambiguous_name_and_unknown_id_fail_before_any_change(simulator, api):
    if api != 'vbr':  # one VBR server has one job of a name
        run = act(simulator, api, {'name': 'Daily Backup', 'action': 'start'})
        assert run.rc != 0
        message = run.last['msg']
        assert "'Daily Backup' matches 2 jobs" in message and 'vbr-prod-01.corp.example' in message
        assert 'vbr-dr-01.corp.example' in message and 'backup_server' in message
    missing = act(simulator, api, {'id': '00000000-0000-4000-8000-000000000000', 'action': 'start'})
    assert missing.rc != 0 and 'matches no job' in missing.last['msg']
    listed = act(simulator, api, {'jobs': ['File Server Backup', 'No Such Job'], 'action': 'start'})
    assert listed.rc != 0 and "'No Such Job' matches no job" in listed.last['msg']
    # four targets are resolved from one listing, which the message takes close names from
    typo = act(simulator, api, {'jobs': ['File Server Bakup', 'Offsite Backup Copy', 'Legacy Archive Backup',
                                         'Manual Test Backup'], 'action': 'start'})
    assert typo.rc != 0 and "'File Server Bakup' matches no job (did you mean 'File Server Backup'" in typo.last['msg'], \
        typo.last['msg']
    assert actions_sent(simulator) == 0


def test_read_only_user_gets_the_servers_403_message(simulator, api):
    run = act(simulator, api, {'name': 'File Server Backup', 'action': 'start'}, username='viewer')
    assert run.rc != 0
    assert '403' in run.last['msg'] and 'Access denied' in run.last['msg'], run.last['msg']
    role = {'em': 'Portal Administrator of Enterprise Manager', 'vspc': 'Company Administrator of the Service Provider',
            'vbr': 'Veeam Backup Administrator or Veeam Backup Operator'}[api]
    assert 'To start a job, the account needs the role' in run.last['msg'] and role in run.last['msg'], run.last['msg']


def test_agent_job_start_and_wait(simulator, api):
    run = act(simulator, api, {'name': 'Linux Web Servers', 'agent': True, 'action': 'start', 'wait': True,
                               'poll_interval': 1})
    assert run.rc == 0, run.output
    assert run.last['session']['result'] == 'Success' and run.last['changed'] is True
    assert run.last['job']['type'] == {'em': 'AgentBackup', 'vspc': 'AgentBackupJob', 'vbr': 'LinuxAgentBackup'}[api]


@pytest.mark.compat
def test_many_jobs_in_parallel_keep_their_order_and_all_finish_before_failing(simulator, api):
    names = ['Daily Backup', 'SQL Server; Nightly, Full', 'File Server Backup', 'DC Replication', 'Offsite Backup Copy']
    failing = simulator.job('File Server Backup')
    simulator.configure_job(failing['id'], duration=2, outcome='Failed', failure_message='Disk full')
    for name in names[1:]:
        if name != 'File Server Backup':
            simulator.configure_job(simulator.job(name)['id'], duration=2)
    run = act(simulator, api, {'jobs': names, 'backup_server': 'vbr-prod-01.corp.example', 'action': 'start',
                               'wait': True, 'poll_interval': 1, 'parallel': 3})
    assert run.rc != 0
    result = run.last
    assert [item['item'] for item in result['results']] == names
    assert [item['job']['name'] for item in result['results']] == names
    assert all(item['changed'] for item in result['results'])
    assert [item['failed'] for item in result['results']] == [False, False, True, False, False]
    assert result['msg'].startswith('1 of 5 jobs failed') and 'File Server Backup' in result['msg']
    assert all(item['session']['running'] is False for item in result['results'])
    assert sum(simulator.counters()['actions'][name] for name in ('start', 'sync')) == 5


def test_jobs_naming_the_same_job_twice_fail_before_any_change(simulator, api):
    job = simulator.job('File Server Backup')
    run = act(simulator, api, {'jobs': ['File Server Backup', job['id']], 'action': 'start'})
    assert run.rc != 0 and 'are the same job' in run.last['msg']
    assert actions_sent(simulator) == 0


def test_no_secret_in_verbose_output(simulator, api):
    env = veeam_env(simulator, api)
    simulator.configure_job(simulator.job('File Server Backup')['id'], duration=1, outcome='Failed')
    run = run_module(MODULE, {'name': 'File Server Backup', 'action': 'start', 'wait': True, 'poll_interval': 1},
                     env, args=['-vvv'])
    assert run.rc != 0  # the failure path prints the most
    secrets = {env['VEEAM_PASSWORD']} | secrets_seen(simulator)
    assert len(secrets) >= 2
    for secret in secrets:
        assert secret not in run.output
