# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_session_info end to end against the simulator, on every API: the filters, the order, ``limit``, each
machine of a run with its own result and reason, the log (vbr), what the requests cost at ``--scale 5000``, bad
input refused before any request, and no secret at -vvv."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import math
from urllib.parse import parse_qs

import pytest

from ansible_run import assert_logged_off, run_module, run_playbook, secrets_seen, veeam_env, visible_jobs

MODULE = 'backupops.veeam.veeam_session_info'
SESSION_KEYS = {'id', 'name', 'job_id', 'job_name', 'job_type', 'state', 'result', 'running', 'progress',
                'creation_time', 'end_time', 'failure_message', 'is_retry', 'tasks', 'log'}
TASK_KEYS = {'id', 'session_id', 'name', 'state', 'result', 'message', 'creation_time', 'end_time',
             'restore_point_id'}
LOG_KEYS = {'time', 'status', 'title', 'description'}
# a replication job type word of each API, and the job it finds
REPLICA = {'em': 'Replica', 'vspc': 'ReplicationVM', 'vbr': 'VSphereReplica'}
RANK = {'Success': 0, 'Warning': 1, 'Failed': 2}


def step(title, **args):
    return {'name': title, MODULE: args, 'register': 'out'}


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


@pytest.mark.compat
def test_filters_order_and_limit(simulator, api, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    run = run_playbook(tmp_path, [
        step('newest', limit=5),
        step('failed', result=['Failed'], since='7d', limit=1000),
        step('one job', job_name='Daily Backup', limit=3),
        step('by id', job_id='{{ out.sessions[0].job_id }}', limit=2),
        step('replicas', type=[REPLICA[api]], limit=1000),
        step('running', state=['Starting', 'Working', 'Stopping']),
        step('since', since='2d', limit=1000),
        step('since time', since=iso(now - datetime.timedelta(days=2)), limit=1000),
        step('no job', job_name='No Such Job'),
        step('raw', limit=1, include_raw=True),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]

    newest = run.task('newest')['sessions']
    assert all(set(session) == SESSION_KEYS for session in newest)
    assert all(session['tasks'] is None and session['log'] is None for session in newest)
    times = [session['creation_time'] for session in newest]
    assert times == sorted(times, reverse=True)
    assert len(newest) == 5
    # every kind of job: backup, agent and copy jobs are among the runs of the last week
    kinds = {session['job_type'] for session in run.task('since')['sessions']}
    assert len(kinds) >= 3, kinds

    failed = run.task('failed')['sessions']
    assert failed and {session['result'] for session in failed} == {'Failed'}
    assert all(session['failure_message'] for session in failed)
    times = [session['creation_time'] for session in failed]
    assert times == sorted(times, reverse=True)

    one_job = run.task('one job')['sessions']
    assert {session['job_name'] for session in one_job} == {'Daily Backup'}
    assert len(one_job) == (2 if api == 'vspc' else 3)  # vspc: the latest run of each server's Daily Backup
    by_id = run.task('by id')['sessions']
    assert by_id and {session['job_id'] for session in by_id} == {one_job[0]['job_id']}

    replicas = run.task('replicas')['sessions']
    assert replicas and {session['job_type'] for session in replicas} == {REPLICA[api]}
    names = {job['name'] for job in visible_jobs(simulator, api) if job['em_type'] == 'Replica'}
    assert {session['job_name'] for session in replicas} == names

    running = run.task('running')['sessions']
    assert running and all(session['running'] and session['result'] == 'None' and session['end_time'] is None
                           for session in running)
    assert 'Long Running Backup' in {session['job_name'] for session in running}

    oldest_allowed = iso(now - datetime.timedelta(days=2, minutes=5))
    since = run.task('since')['sessions']
    assert since and all(session['creation_time'] >= oldest_allowed for session in since)
    assert abs(len(since) - len(run.task('since time')['sessions'])) <= 1
    assert run.task('no job')['sessions'] == []
    assert 'raw' in run.task('raw')['sessions'][0]
    assert_logged_off(simulator)


def test_tasks_name_each_machine_and_why(simulator, api, tmp_path):
    """Each run that failed or warned comes with its machines: the run's result is the worst of theirs, and each
    machine that failed or warned says why, in the words of the run's message."""
    run = run_playbook(tmp_path, [
        step('report', result=['Failed', 'Warning'], since='30d', include_tasks=True, limit=1000),
        step('one', job_name='File Server Backup', limit=1, include_tasks=True, include_raw=True),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    report = run.task('report')['sessions']
    with_tasks = [session for session in report if session['tasks']]
    assert len(with_tasks) >= (4 if api == 'vspc' else 10)
    for session in with_tasks:
        assert all(set(task) - {'raw'} == TASK_KEYS for task in session['tasks'])
        bad = [task for task in session['tasks'] if task['result'] in ('Warning', 'Failed')]
        assert bad, session
        assert max(RANK[task['result']] for task in session['tasks']) == RANK[session['result']], session
        for task in bad:
            assert task['message'] and task['message'] == task['message'].rstrip(), task
            assert task['message'] in session['failure_message'], (task, session['failure_message'])
        if api != 'vspc':
            assert {task['session_id'] for task in session['tasks']} == {session['id']}
            assert all(task['creation_time'] >= session['creation_time'] for task in session['tasks'])
    # a run of several machines in which one failed or warned: the others succeeded
    several = [session for session in with_tasks if len(session['tasks']) > 1]
    if api != 'vspc':
        assert several
    for session in several:
        assert len([task for task in session['tasks'] if task['result'] != 'Success']) == 1

    [latest] = run.task('one')['sessions']
    assert latest['result'] == 'Failed'
    [task] = latest['tasks']
    assert (task['name'], task['result']) == ('fs01', 'Failed')
    assert task['message'].startswith('Error: ') and 'raw' in task
    if api == 'vbr':
        assert task['restore_point_id'] is None  # a failed machine made no restore point
    assert_logged_off(simulator)


def test_vbr_log_warning_and_failed_records(simulator, tmp_path):
    run = run_playbook(tmp_path, [
        step('failed', result=['Failed', 'Warning'], since='30d', include_log=True, include_tasks=True, limit=20),
        step('clean', result=['Success'], limit=3, include_log=True),
    ], veeam_env(simulator, 'vbr'))
    assert run.rc == 0, run.output[-3000:]
    failed = run.task('failed')['sessions']
    assert failed
    for session in failed:
        log = session['log']
        assert log and all(set(record) == LOG_KEYS for record in log)
        assert {record['status'] for record in log} <= {'Warning', 'Failed'}
        assert [record['time'] for record in log] == sorted(record['time'] for record in log)
        assert all(record['description'] == record['description'].rstrip() for record in log if record['description'])
        for task in session['tasks']:
            if task['result'] != 'Success':
                assert any(task['name'] in (record['description'] or '') for record in log), (task, log)
    assert all(session['log'] == [] for session in run.task('clean')['sessions'])
    # each run's tasks and log: one request each
    counted = simulator.counters()['requests']
    assert counted['GET /api/v1/sessions/{id}/logs'] == len(failed) + len(run.task('clean')['sessions'])
    assert counted['GET /api/v1/sessions/{id}/taskSessions'] == len(failed)
    assert simulator.violations() == []


@pytest.mark.parametrize('api_name', ['em', 'vspc'])
def test_include_log_refused_before_any_request(simulator, api_name):
    run = run_module(MODULE, {'include_log': True}, veeam_env(simulator, api_name))
    assert run.rc != 0
    assert 'include_log' in run.last['msg'] and 'api=vbr' in run.last['msg'], run.last['msg']
    assert simulator.counters()['requests_total'] == 0


@pytest.mark.parametrize('args, words', [
    ({'since': 'yesterday'}, ['since', '90m, 24h, 7d']),
    ({'since': '2999-01-01T00:00:00Z'}, ['since', 'future']),
    ({'state': ['Sleeping']}, ['state', 'Working']),
    ({'result': ['Broken']}, ['result', 'Failed']),
    ({'limit': 0}, ['limit', 'positive']),
    ({'limit': 'many'}, ['limit']),
    ({'job_id': 'abc'}, ['job_id', 'not a job id']),
    ({'job_name': ' '}, ['job_name', 'empty']),
    ({'type': ['Backup;JobName==x']}, ['type', 'type word']),
    ({'type': ['']}, ['type', 'empty']),
    ({'include_tasks': 'perhaps'}, ['include_tasks']),
    ({'include_log': 'perhaps'}, ['include_log']),
    ({'include_raw': 'perhaps'}, ['include_raw']),
    ({'color': 'blue'}, ['color']),
])
def test_bad_options_fail_before_any_request(simulator, api, args, words):
    run = run_module(MODULE, args, veeam_env(simulator, api))
    assert run.rc != 0
    for word in words:
        assert word in run.last['msg'], run.last['msg']
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == 0


def test_no_secret_at_vvv(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        step('report', result=['Failed', 'Warning'], since='7d', include_tasks=True, include_log=api == 'vbr',
             include_raw=True, limit=5),
        {'name': 'wrong password', MODULE: {'password': 'Wr0ng-Secret-Passw0rd-4711', 'limit': 1},
         'ignore_errors': True},
    ], veeam_env(simulator, api), args=['-vvv'])
    assert run.rc == 0, run.output[-3000:]
    assert run.task('report')['sessions']
    secrets = set(secret for secret in secrets_seen(simulator) | {'Wr0ng-Secret-Passw0rd-4711', 'Simulator-Pass1'}
                  if len(secret) >= 8)
    assert len(secrets) >= 3
    text = run.output + json.dumps(run.results) + json.dumps(run.results, ensure_ascii=False)
    leaks = [secret[:3] + '****' for secret in secrets if secret in text]
    assert not leaks, leaks


SCALE = 5000
PAGE = 500


def counted(simulator, api_name):
    """{(method, path, query type): requests} of the simulator's log of one API."""
    found = {}
    for entry in simulator.log():
        if entry['api'] != api_name:
            continue
        kind = (parse_qs(entry['query']).get('type') or [None])[0]
        path = entry['path'].split('/')
        path = '/'.join('{id}' if len(part) == 36 and part.count('-') == 4 else part for part in path)
        key = (entry['method'], path, kind)
        found[key] = found.get(key, 0) + 1
    return found


def test_em_at_scale_tasks_in_batches(scaled_simulator):
    """EM: one page per session type, then the tasks of 25 runs per query; never a request per run."""
    sim = scaled_simulator(SCALE)
    sim.reset()
    run = run_module(MODULE, {'since': '7d', 'limit': 200, 'include_tasks': True}, veeam_env(sim, 'em'))
    assert run.rc == 0, run.output[-2000:]
    sessions = run.last['sessions']
    # the runs of the moment (started or ended in the last minutes, which depends on the time of day the test runs)
    # may list no machine yet; every other run lists its machines, read in batches
    assert len(sessions) == 200 and sum(1 for session in sessions if session['tasks']) >= 190, \
        [session['creation_time'] for session in sessions if not session['tasks']]
    times = [session['creation_time'] for session in sessions]
    assert times == sorted(times, reverse=True)
    requests = counted(sim, 'em')
    assert requests[('GET', '/api/query', 'BackupJobSession')] == 1
    assert requests[('GET', '/api/query', 'ReplicaJobSession')] == 1
    assert requests[('GET', '/api/query', 'BackupTaskSession')] == math.ceil(200 / 25)
    assert sum(requests.values()) <= 2 + math.ceil(200 / 25) + 3, requests  # + logon, logoff and the API root
    assert not [key for key in requests if key[1].startswith('/api/backupSessions')]


def test_vbr_at_scale_no_page_past_limit(scaled_simulator):
    sim = scaled_simulator(SCALE)
    every_job = len(visible_jobs(sim, 'vbr')) + len(visible_jobs(sim, 'vbr', agent=True))
    sim.reset()
    run = run_module(MODULE, {'since': '7d', 'limit': 300, 'include_tasks': True}, veeam_env(sim, 'vbr'))
    assert run.rc == 0, run.output[-2000:]
    assert len(run.last['sessions']) == 300
    requests = sim.counters()['requests']
    assert requests['GET /api/v1/sessions'] == 1  # 300 sessions: one page, none after
    assert requests['GET /api/v1/sessions/{id}/taskSessions'] == 300
    assert requests['GET /api/v1/jobs/states'] <= math.ceil(every_job / PAGE)
    assert sim.counters()['requests_total'] <= 300 + 1 + math.ceil(every_job / PAGE) + 2
    assert_logged_off(sim)

    sim.reset()
    run = run_module(MODULE, {'limit': 700}, veeam_env(sim, 'vbr'))
    assert run.rc == 0, run.output[-2000:]
    assert len(run.last['sessions']) == 700
    assert sim.counters()['requests']['GET /api/v1/sessions'] == math.ceil(700 / PAGE)
    assert sim.violations() == []


def test_vspc_at_scale_objects_per_batch_of_jobs(scaled_simulator):
    sim = scaled_simulator(SCALE)
    every_job = len(visible_jobs(sim, 'vspc')) + len(visible_jobs(sim, 'vspc', agent=True))
    sim.reset()
    run = run_module(MODULE, {'limit': 200, 'include_tasks': True}, veeam_env(sim, 'vspc'))
    assert run.rc == 0, run.output[-2000:]
    sessions = run.last['sessions']
    assert len(sessions) == 200
    requests = counted(sim, 'vspc')
    objects = sum(count for key, count in requests.items() if key[1].endswith('/objects'))
    kinds = {session['job_type'] for session in sessions}
    assert objects <= sum(math.ceil(len([s for s in sessions if s['job_type'] == kind]) / 40) for kind in kinds)
    assert requests[('GET', '/api/v3/infrastructure/backupServers/jobs', None)] <= math.ceil(every_job / PAGE)


def test_vbr_12_3_one_value_filters(make_simulator):
    """VBR 12.3 (revision 1.2-rev1) takes one value of typeFilter and resultFilter and pages no task sessions: the
    module sends what the document has, filters the rest itself, and its answers validate."""
    sim = make_simulator('--vbr-version', '12.3')
    run = run_module(MODULE, {'result': ['Failed', 'Warning'], 'since': '7d', 'type': ['Backup', 'VSphereReplica'],
                              'include_tasks': True, 'include_log': True, 'limit': 3}, veeam_env(sim, 'vbr'))
    assert run.rc == 0, run.output[-2000:]
    sessions = run.last['sessions']
    assert len(sessions) == 3 and {session['result'] for session in sessions} <= {'Failed', 'Warning'}
    assert {session['job_type'] for session in sessions} <= {'Backup', 'VSphereReplica'}
    assert all(session['tasks'] and session['log'] for session in sessions)
    assert sim.violations() == []
    assert_logged_off(sim)
