# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._actions import JobActions, close_names, resolve_targets
from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAmbiguousError,
    VeeamNotFoundError,
    VeeamTaskError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import guid_of
from ansible_collections.backupops.veeam.plugins.module_utils._wait import WaitSettings

GUID_A = '11111111-1111-4111-8111-111111111111'
GUID_B = '22222222-2222-4222-8222-222222222222'


def job(guid, name, server='vbr-01', enabled=True, configured=True):
    return {'id': guid, 'uid': 'urn:veeam:Job:' + guid, 'name': name, 'type': 'Backup', 'backup_server_name': server,
            'backup_server_id': None, 'schedule_enabled': enabled, 'schedule_configured': configured,
            'last_run': None, 'last_result': None, 'running': None}


def session(sid, state='Stopped', result='Success', created='2026-11-22T10:00:00Z'):
    return {'id': sid, 'state': state, 'result': result, 'running': state != 'Stopped', 'creation_time': created,
            'progress': None, 'failure_message': 'boom' if result == 'Failed' else None}


class FakeClient:
    """Scripted stand-in for the EM/VSPC clients: each read returns the next scripted session."""

    page_workers = 4
    side_by_side = VeeamClient.side_by_side  # the base's own: names looked up / jobs worked on at once

    def __init__(self, jobs, sessions=None, after_toggle=None, task_error=None):
        self.jobs = jobs
        self.sessions = list(sessions or [])
        self.after_toggle = after_toggle
        self.task_error = task_error
        self.acted = []

    def find_jobs(self, agent=False, job_id=None, name=None, backup_server=None, **dummy):
        wanted = (guid_of(job_id) or job_id or '').lower()
        return [j for j in self.jobs if (job_id is None or j['id'] == wanted) and (name is None or j['name'] == name)
                and (backup_server is None or j['backup_server_name'] == backup_server)]

    def latest_session(self, job):
        return self.sessions.pop(0) if len(self.sessions) > 1 else (self.sessions[0] if self.sessions else None)

    def read_session(self, job, current):
        return self.latest_session(job)

    def read_job(self, job):
        return dict(job, schedule_enabled=self.after_toggle)

    def act(self, job, action):
        self.acted.append((job['name'], action))
        if self.task_error:
            raise VeeamTaskError(self.task_error, details={'task': {'id': 'task-1', 'success': False}})
        return {'task': {'id': 'task-1', 'success': True}, 'session': None}


def actions(client, action, check_mode=False, **wait):
    return JobActions(client, action, WaitSettings(**wait), check_mode=check_mode, sleep=lambda seconds: None)


def test_resolve_lists_every_problem_and_changes_nothing():
    client = FakeClient([job(GUID_A, 'Daily', 'vbr-01'), job(GUID_B, 'Daily', 'vbr-02')])
    with pytest.raises(VeeamAmbiguousError) as caught:
        resolve_targets(client, ['Daily', 'Missing'])
    message = caught.value.message
    assert message.startswith('nothing was changed: ')
    assert "'Missing' matches no job" in message and "'Daily' matches 2 jobs" in message
    assert 'vbr-01' in message and 'vbr-02' in message and 'backup_server' in message
    assert client.acted == []


@pytest.mark.parametrize('extra', [[], ['Daily@vbr-02']], ids=['one query each', 'one listing'])
def test_resolve_by_name_id_and_urn(extra):
    client = FakeClient([job(GUID_A, 'Daily', 'vbr-01'), job(GUID_B, 'Daily', 'vbr-02'), job('3' * 8 + GUID_A[8:], 'Other')])
    client.jobs.append(job('4' * 8 + GUID_A[8:], 'Daily@vbr-02'))
    targets = [GUID_B, 'Other', 'urn:veeam:Job:' + GUID_A.upper()] + extra
    found = resolve_targets(client, targets)
    assert [j['id'] for j in found][:3] == [GUID_B, '3' * 8 + GUID_A[8:], GUID_A]
    with pytest.raises(VeeamAmbiguousError) as caught:
        resolve_targets(client, ['Other', GUID_A, 'urn:veeam:Job:' + GUID_A, GUID_B])
    assert 'are the same job' in caught.value.message
    with pytest.raises(VeeamNotFoundError):
        resolve_targets(client, ['Daily'], backup_server='vbr-03')


def test_start_of_a_running_job_is_no_change_and_is_awaited():
    running = session('s1', state='Working', result='None')
    client = FakeClient([], sessions=[running, running, session('s1')])
    result = actions(client, 'start', wait=True).run(job(GUID_A, 'Daily'))
    assert (result['changed'], result['failed'], client.acted) == (False, False, [])
    assert result['session']['result'] == 'Success' and result['job']['last_result'] == 'Success'


def test_start_finds_the_new_session_and_judges_the_run():
    client = FakeClient([], sessions=[session('old'), session('old'), session('new', state='Working', result='None'),
                                      session('new', result='Failed')])
    result = actions(client, 'start', wait=True).run(job(GUID_A, 'Daily'))
    assert client.acted == [('Daily', 'start')]
    assert result['changed'] is True and result['failed'] is True
    assert result['session']['id'] == 'new' and 'ended Failed: boom' in result['msg']


def test_warning_warns_or_fails_with_fail_on_warning():
    def run(**kwargs):
        client = FakeClient([], sessions=[session('old'), session('new', result='Warning')])
        return actions(client, 'start', wait=True, **kwargs).run(job(GUID_A, 'Daily'))
    relaxed = run()
    assert relaxed['failed'] is False and relaxed['warnings']
    assert run(fail_on_warning=True)['failed'] is True


def test_wait_timeout_fails_with_the_last_known_session():
    clock = iter(range(0, 10000, 100))
    running = session('new', state='Working', result='None')
    client = FakeClient([], sessions=[session('old'), running])
    result = JobActions(client, 'start', WaitSettings(wait=True, wait_timeout=250), sleep=lambda s: None,
                        clock=lambda: next(clock)).run(job(GUID_A, 'Daily'))
    assert result['failed'] is True and 'wait_timeout' in result['msg']
    assert result['session']['id'] == 'new' and result['changed'] is True


@pytest.mark.parametrize('latest, acts', [
    (session('s', result='Failed'), True),
    (session('s', result='Warning'), True),
    (session('s', result='Success'), False),
    (session('s', state='Working', result='None'), False),
    (None, False),
])
def test_retry_only_after_failed_or_warning(latest, acts):
    client = FakeClient([], sessions=[latest, session('new')] if latest else [])
    result = actions(client, 'retry').run(job(GUID_A, 'Daily'))
    assert result['changed'] is acts and bool(client.acted) is acts


@pytest.mark.parametrize('action, enabled, changed', [
    ('enable', True, False), ('enable', False, True), ('disable', True, True), ('disable', False, False)])
def test_schedule_changes_only_on_a_difference_and_is_confirmed(action, enabled, changed):
    client = FakeClient([], after_toggle=action == 'enable')
    result = actions(client, action).run(job(GUID_A, 'Daily', enabled=enabled))
    assert result['changed'] is changed and result['failed'] is False
    assert bool(client.acted) is changed
    assert result['diff']['before'] == {'schedule_enabled': enabled}


def test_schedule_change_that_does_not_take_is_a_failure():
    client = FakeClient([], after_toggle=True)  # the server still reports it enabled
    result = actions(client, 'disable').run(job(GUID_A, 'Daily', enabled=True))
    assert result['failed'] is True and result['changed'] is True and 'still enabled' in result['msg']


@pytest.mark.parametrize('action, latest', [
    ('start', session('s')), ('retry', session('s', result='Failed')), ('stop', session('s', state='Working', result='None')),
    ('disable', None), ('enable', None)])
def test_check_mode_predicts_without_acting(action, latest):
    client = FakeClient([], sessions=[latest] if latest else [], after_toggle=None)
    result = actions(client, action, check_mode=True).run(job(GUID_A, 'Daily', enabled=action == 'disable'))
    assert result['changed'] is True and client.acted == []


def test_failed_task_fails_the_job_with_the_task_message_and_task():
    client = FakeClient([], sessions=[session('old')], task_error='Job "Daily" is already running.')
    result = actions(client, 'start').run(job(GUID_A, 'Daily'))
    assert result['failed'] is True and 'already running' in result['msg']
    assert result['task'] == {'id': 'task-1', 'success': False}


def test_run_all_keeps_the_order_with_parallel_workers():
    jobs = [job('%08d-1111-4111-8111-111111111111' % n, 'Job %d' % n) for n in range(12)]
    client = FakeClient(jobs, sessions=[session('s', state='Working', result='None')])
    results = actions(client, 'stop', wait=False).run_all(jobs, parallel=4)
    assert [r['job']['name'] for r in results] == ['Job %d' % n for n in range(12)]
    assert sorted(name for name, dummy in client.acted) == sorted('Job %d' % n for n in range(12))


def test_a_name_that_matches_no_job_lists_close_names_from_what_was_read():
    jobs = [{'name': name} for name in ('Daily Backup', 'Daily Backups Copy', 'SQL Server Nightly', 'Web Replica')]
    assert close_names('Daily Bakup', jobs) == " (did you mean 'Daily Backup', 'Daily Backups Copy'?)"
    assert close_names('sql server nightly', jobs) == " (did you mean 'SQL Server Nightly'?)"
    assert close_names('Exchange', jobs) == ''
    assert close_names('Daily Bakup', None) == ''
    assert close_names('00000000-0000-4000-8000-000000000000', jobs) == ''
