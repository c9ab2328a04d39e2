# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_agent_job_info and veeam_agent_session_info end to end against the simulator, on every API."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import math

import pytest

from ansible_run import assert_logged_off, run_module, run_playbook, veeam_env, visible_jobs

JOBS = 'backupops.veeam.veeam_agent_job_info'
SESSIONS = 'backupops.veeam.veeam_agent_session_info'
JOB_KEYS = {'id', 'uid', 'name', 'type', 'platform', 'description', 'backup_server_id', 'backup_server_name',
            'schedule_configured', 'schedule_enabled', 'next_run', 'last_run', 'last_result', 'running'}
SESSION_KEYS = {'id', 'name', 'job_id', 'job_name', 'job_type', 'state', 'result', 'running', 'progress',
                'creation_time', 'end_time', 'failure_message', 'is_retry'}
AGENT_JOB_NAMES = {'Linux Web Servers', 'Linux DB Servers', 'Windows File Server Agent', 'Windows Workstations',
                   'RHEL Cluster Agent', 'Branch Laptops'}
PLATFORMS = {'em': {'AgentForLinux', 'AgentForWindows'}, 'vspc': {'Linux', 'Windows'}, 'vbr': {'Linux', 'Windows'}}
TYPES = {'em': {'AgentBackup'}, 'vspc': {'AgentBackupJob'}, 'vbr': {'LinuxAgentBackup', 'WindowsAgentBackup'}}
# a server whose agent jobs em and vspc show (VBR shows only its own server, vbr-prod-01)
OTHER_SERVER = 'vbr-branch-01.corp.example'


def step(title, module, **args):
    return {'name': title, module: args, 'register': 'out'}


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


@pytest.mark.compat
def test_agent_jobs_by_every_option(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        step('all', JOBS),
        step('by name', JOBS, name='Linux DB Servers', include_last_session=True),
        {'name': 'by id', JOBS: {'id': '{{ out.jobs[0].id }}', 'include_raw': True}},
        step('by server', JOBS, backup_server=OTHER_SERVER),
        step('no match', JOBS, name='No Such Agent Job'),
        step('running', JOBS, name='Windows File Server Agent', include_last_session=True),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    everything = run.task('all')['jobs']
    assert {job['name'] for job in everything} == {job['name'] for job in visible_jobs(simulator, api, agent=True)}
    assert {job['name'] for job in everything} == (AGENT_JOB_NAMES if api != 'vbr' else AGENT_JOB_NAMES - {
        'RHEL Cluster Agent', 'Branch Laptops'})
    assert all(set(job) == JOB_KEYS for job in everything)
    assert {job['platform'] for job in everything} == PLATFORMS[api]
    assert {job['type'] for job in everything} == TYPES[api]
    [failed] = run.task('by name')['jobs']
    assert (failed['last_result'], failed['running']) == ('Failed', False)
    [same] = run.task('by id')['jobs']
    assert same['id'] == failed['id'] and 'raw' in same
    assert [job['name'] for job in run.task('by server')['jobs']] == ([] if api == 'vbr' else ['Branch Laptops'])
    assert run.task('no match')['jobs'] == []
    [running] = run.task('running')['jobs']
    assert (running['running'], running['last_result']) == (True, None)
    assert_logged_off(simulator)


@pytest.mark.compat
def test_sessions_filters(simulator, api, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    run = run_playbook(tmp_path, [
        step('newest', SESSIONS, limit=5),
        step('failed', SESSIONS, result=['Failed']),
        step('running', SESSIONS, state=['Starting', 'Working', 'Stopping']),
        step('one job', SESSIONS, job_name='Linux DB Servers', limit=3),
        step('no job', SESSIONS, job_name='No Such Agent Job'),
        step('since duration', SESSIONS, since='3d', limit=1000),
        step('since time', SESSIONS, since=iso(now - datetime.timedelta(days=3)), limit=1000),
        step('raw', SESSIONS, limit=1, include_raw=True),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output

    newest = run.task('newest')['sessions']
    assert 1 <= len(newest) <= 5 and all(set(s) - {'raw'} == SESSION_KEYS for s in newest)
    times = [s['creation_time'] for s in newest]
    assert times == sorted(times, reverse=True)
    if api != 'vspc':  # VSPC has one session per job (its latest run)
        assert len(newest) == 5

    failed = run.task('failed')['sessions']
    assert failed and {s['result'] for s in failed} == {'Failed'}
    assert {s['job_type'] for s in failed} <= TYPES[api]

    running = run.task('running')['sessions']
    assert [s['job_name'] for s in running] == ['Windows File Server Agent']
    assert (running[0]['running'], running[0]['result'], running[0]['end_time']) == (True, 'None', None)

    one_job = run.task('one job')['sessions']
    assert {s['job_name'] for s in one_job} == {'Linux DB Servers'}
    assert len(one_job) == (1 if api == 'vspc' else 3)
    assert run.task('no job')['sessions'] == []

    by_duration = run.task('since duration')['sessions']
    by_time = run.task('since time')['sessions']
    oldest_allowed = iso(now - datetime.timedelta(days=3, minutes=5))
    assert by_duration and all(s['creation_time'] >= oldest_allowed for s in by_duration)
    # the two forms name (almost) the same moment
    assert abs(len(by_duration) - len(by_time)) <= 1
    assert 'raw' in run.task('raw')['sessions'][0]


def test_same_keys_on_every_api(simulator, tmp_path):
    seen = {}
    for api in ('em', 'vspc', 'vbr'):
        run = run_playbook(tmp_path, [
            step('jobs', JOBS, name='Linux DB Servers', include_last_session=True),
            step('sessions', SESSIONS, job_name='Linux DB Servers', limit=1),
        ], veeam_env(simulator, api))
        assert run.rc == 0, run.output
        [job] = run.task('jobs')['jobs']
        [session] = run.task('sessions')['sessions']
        seen[api] = (set(job), set(session), job['id'], job['last_result'], session['result'], session['job_id'])
    assert seen['em'] == seen['vspc'] == seen['vbr']


@pytest.mark.parametrize('args, words', [
    ({'since': 'yesterday'}, ['since', '90m, 24h, 7d']),
    ({'since': '2999-01-01T00:00:00Z'}, ['since', 'future']),
    ({'state': ['Sleeping']}, ['state', 'Working']),
    ({'result': ['Broken']}, ['result', 'Failed']),
    ({'limit': 0}, ['limit', 'positive']),
    ({'job_id': 'abc'}, ['job_id', 'not a job id']),
])
def test_bad_session_options_fail_before_any_request(simulator, api, args, words):
    run = run_module(SESSIONS, args, veeam_env(simulator, api))
    assert run.rc != 0
    for word in words:
        assert word in run.last['msg'], run.last['msg']
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == 0


SCALE = 5000
PAGE = 500


@pytest.mark.parametrize('api_name', ['em', 'vspc', 'vbr'])
def test_at_scale_listing_costs_pages_plus_two(scaled_simulator, api_name):
    sim = scaled_simulator(SCALE)
    agent_jobs = len(visible_jobs(sim, api_name, agent=True))
    if api_name == 'vbr':
        return vbr_at_scale(sim, agent_jobs)

    sim.reset()
    run = run_module(JOBS, {}, veeam_env(sim, api_name))
    assert run.rc == 0, run.output[-2000:]
    assert len(run.last['jobs']) == agent_jobs
    assert sim.counters()['requests_total'] <= math.ceil(agent_jobs / PAGE) + 2, sim.counters()['requests']

    sim.reset()
    run = run_module(SESSIONS, {'limit': 1000}, veeam_env(sim, api_name))
    assert run.rc == 0, run.output[-2000:]
    sessions = run.last['sessions']
    assert len(sessions) == 1000
    times = [s['creation_time'] for s in sessions]
    assert times == sorted(times, reverse=True)
    # EM pages sessions; VSPC lists no sessions, so it reads every agent job once
    pages = math.ceil(1000 / PAGE) if api_name == 'em' else math.ceil(agent_jobs / PAGE)
    assert sim.counters()['requests_total'] <= pages + 2, sim.counters()['requests']


def vbr_at_scale(sim, agent_jobs):
    """VBR has no "agent jobs" listing: the states of every job of the server (a page per 500), the models of
    the agent jobs only (a page per 500 per agent type), the server's own name, the token and the logout."""
    every_job = len(visible_jobs(sim, 'vbr')) + agent_jobs
    sim.reset()
    run = run_module(JOBS, {}, veeam_env(sim, 'vbr'))
    assert run.rc == 0, run.output[-2000:]
    assert len(run.last['jobs']) == agent_jobs
    per_type = [math.ceil(agent_jobs / 2 / PAGE)] * 2  # the scaled agent jobs are half Linux, half Windows
    assert sim.counters()['requests_total'] <= math.ceil(every_job / PAGE) + sum(per_type) + 3, sim.counters()['requests']

    sim.reset()
    run = run_module(SESSIONS, {'limit': 1000}, veeam_env(sim, 'vbr'))
    assert run.rc == 0, run.output[-2000:]
    times = [s['creation_time'] for s in run.last['sessions']]
    assert len(times) == 1000 and times == sorted(times, reverse=True)
    # the agent jobs' names and types (their states), then the sessions newest first, two pages
    assert sim.counters()['requests_total'] <= math.ceil(every_job / PAGE) + math.ceil(1000 / PAGE) + 2, \
        sim.counters()['requests']
    assert_logged_off(sim)
