# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run_and_wait role and the backupops.veeam.run_and_wait playbook against the simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
from ansible.release import __version__ as ansible_core_version

from ansible_run import BIN, _run, run_playbook, veeam_env

ROLE = 'backupops.veeam.run_and_wait'
ANSIBLE_CORE = tuple(int(part) for part in ansible_core_version.split('.')[:2])


def role_play(tmp_path, simulator, api, variables, args=()):
    tasks = [{'name': 'Run and wait', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': variables}]
    return run_playbook(tmp_path, tasks, veeam_env(simulator, api), args=args)


def starts(simulator):
    counted = simulator.counters()['actions']
    return counted['start'] + counted['sync']


def test_succeeding_jobs(simulator, api, tmp_path):
    names = ['SQL Server; Nightly, Full', 'Offsite Backup Copy']
    for name in names:
        simulator.configure_job(simulator.job(name)['id'], duration=2)
    run = role_play(tmp_path, simulator, api, {'run_and_wait_jobs': names, 'run_and_wait_poll_interval': 1,
                                               'run_and_wait_progress_interval': 5})
    assert run.rc == 0, run.output
    results = run.task('Set run_and_wait_results')['ansible_facts']['run_and_wait_results']
    assert [session['job_name'] for session in results] == names
    assert [session['result'] for session in results] == ['Success', 'Success']
    assert starts(simulator) == 2
    assert 'ok     SQL Server; Nightly, Full: Success in' in run.stdout


@pytest.mark.compat
def test_a_failure_fails_at_the_end_and_every_job_is_reported(simulator, api, tmp_path):
    names = ['File Server Backup', 'SQL Server; Nightly, Full', 'DC Replication']
    simulator.configure_job(simulator.job('File Server Backup')['id'], duration=2, outcome='Failed',
                            failure_message='Not enough free space')
    for name in names[1:]:
        simulator.configure_job(simulator.job(name)['id'], duration=3)
    run = role_play(tmp_path, simulator, api, {'run_and_wait_jobs': names, 'run_and_wait_poll_interval': 1})
    assert run.rc != 0
    report = run.task('Report the runs')['msg']
    assert len(report) == 3
    assert re.match(r'FAILED File Server Backup: Failed in \d+ s: Not enough free space$', report[0]), report
    assert report[1].startswith('ok     SQL Server; Nightly, Full: Success in ')
    assert report[2].startswith('ok     DC Replication: Success in ')
    failure = run.task('Fail when a run failed')['msg']
    assert failure.startswith('run_and_wait: 1 of 3 runs failed:')
    assert 'File Server Backup: Failed in' in failure and 'Not enough free space' in failure
    assert starts(simulator) == 3


START_PREFIX = {'em': '/api/jobs/', 'vspc': '/api/v3/infrastructure/backupServers/jobs/', 'vbr': '/api/v1/jobs/'}


@pytest.mark.compat
def test_a_refused_start_is_reported_with_the_others_and_fails_at_the_end(simulator, api, tmp_path):
    names = ['Offsite Backup Copy', 'File Server Backup']
    simulator.configure_job(simulator.job('Offsite Backup Copy')['id'], duration=2)
    refused = simulator.job('File Server Backup')['id']
    simulator.fault(api=api, method='POST', path_prefix=START_PREFIX[api] + refused, status=409,
                    message='The job is disabled by the administrator')
    run = role_play(tmp_path, simulator, api, {'run_and_wait_jobs': names, 'run_and_wait_poll_interval': 1})
    assert run.rc != 0
    assert 'has no attribute' not in run.output and 'Traceback' not in run.output, run.output[-3000:]
    report = run.task('Report the runs')['msg']
    assert len(report) == 2, report
    assert report[0].startswith('ok     Offsite Backup Copy: Success in '), report
    assert report[1].startswith('FAILED File Server Backup: no run (job '), report
    assert 'HTTP 409' in report[1], report
    failure = run.task('Fail when a run failed')['msg']
    assert failure.startswith('run_and_wait: 1 of 2 runs failed:') and 'File Server Backup: no run' in failure, failure
    assert starts(simulator) == 1


def test_a_running_job_is_awaited_not_started_again(simulator, api, tmp_path):
    # by id: the one on vbr-dr-01 where the API sees every server (the VBR REST API is vbr-prod-01's own)
    job = simulator.job('Daily Backup', server='vbr-prod-01.corp.example' if api == 'vbr' else 'vbr-dr-01.corp.example')
    # long enough to be still running when the background module reads the job's state
    simulator.configure_job(job['id'], duration=12, running=True)
    run = role_play(tmp_path, simulator, api, {'run_and_wait_jobs': [job['id']], 'run_and_wait_poll_interval': 1})
    assert run.rc == 0, run.output
    [session] = run.task('Set run_and_wait_results')['ansible_facts']['run_and_wait_results']
    assert session['result'] == 'Success' and session['running'] is False
    assert starts(simulator) == 0


# The progress lines of a long run: tests/integration/test_progress.py (40 s runs, side by side with the module's).


@pytest.mark.compat
def test_argument_specs_reject_wrong_types(simulator, tmp_path):
    run = role_play(tmp_path, simulator, 'em', {'run_and_wait_jobs': 'File Server Backup, Daily Backup',
                                                'run_and_wait_timeout': 'soon'})
    assert run.rc != 0
    # every supported ansible-core names the variable and the type it wanted; 2.19 and later quote the value too
    assert 'run_and_wait_timeout' in run.output and 'unable to convert to int' in run.output, run.output[-3000:]
    if ANSIBLE_CORE >= (2, 19):
        assert "'soon'" in run.output, run.output[-3000:]
    assert starts(simulator) == 0


def test_check_mode_starts_nothing(simulator, api, tmp_path):
    run = role_play(tmp_path, simulator, api, {'run_and_wait_jobs': ['File Server Backup']}, args=['--check'])
    assert run.rc == 0, run.output
    assert starts(simulator) == 0


def test_collection_playbook_by_fqcn_with_environment_credentials(simulator, tmp_path):
    simulator.configure_job(simulator.job('Offsite Backup Copy')['id'], duration=2)
    command = [os.path.join(BIN, 'ansible-playbook'), 'backupops.veeam.run_and_wait',
               '-e', '{"run_and_wait_jobs": ["Offsite Backup Copy"], "run_and_wait_poll_interval": 1}']
    run = _run(command, veeam_env(simulator, 'vspc'), timeout=300)
    assert run.rc == 0, run.output
    assert 'ok     Offsite Backup Copy: Success in' in run.stdout
    assert starts(simulator) == 1


@pytest.mark.parametrize('variables, words', [
    ({'run_and_wait_jobs': 'SQL Server; Nightly, Full'}, ['non-empty list', 'SQL Server; Nightly, Full']),
    ({'run_and_wait_jobs': []}, ['non-empty list']),
    ({'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_poll_interval': 0}, ['must be positive']),
])
def test_a_string_or_empty_job_list_and_zero_intervals_are_refused(simulator, tmp_path, variables, words):
    run = role_play(tmp_path, simulator, 'em', variables)
    assert run.rc != 0
    for word in words:
        assert word in run.output, run.output[-3000:]
    assert simulator.counters()['requests_total'] == 0


def test_a_name_on_two_backup_servers_is_refused_naming_the_role_variable(simulator, tmp_path):
    run = role_play(tmp_path, simulator, 'em', {'run_and_wait_jobs': ['Daily Backup']})
    assert run.rc != 0
    output = ' '.join(run.output.split())
    assert "'Daily Backup' matches 2 jobs" in output and 'give run_and_wait_backup_server or the id' in output, \
        run.output[-3000:]
    assert starts(simulator) == 0
