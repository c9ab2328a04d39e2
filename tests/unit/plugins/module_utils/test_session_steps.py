# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_session_info's pure logic: the shared rules of ``_sessions`` (trimming, task and log dicts, newest first,
each run once), the task shapes of each API, VBR's server-side filters per revision, and EM's batching of the task
query."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em_sessions import TASK_BATCH, EMSessionClient
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import em_task
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._parse import message_text as trimmed
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import (
    TASK_KEYS,
    check_include_log,
    log_records,
    newest_first,
    session_client_class,
    task,
)
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_sessions import VBRSessionClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import Revision, vbr_log_record, vbr_task
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import vspc_object_task, vspc_summary_task


@pytest.mark.parametrize('text, expected', [
    ('Error: disk full\r\n\r\n', 'Error: disk full'),
    ('  kept leading\t \n', '  kept leading'),
    ('', None),
    (' \r\n', None),
    (None, None),
])
def test_trimmed(text, expected):
    assert trimmed(text) == expected


def test_task_words_in_another_case_are_given_in_the_documented_spelling():
    made = task(state='stopped', result='FAILED')
    assert (made['state'], made['result']) == ('Stopped', 'Failed')
    assert task(state='Somewhere', result='Later')['result'] == 'Later'     # unknown words pass through
    assert [record['status'] for record in log_records([('t1', 'failed', 'a', None), ('t2', 'succeeded', 'b', None),
                                                        ('t3', 'Warning', 'c', None)])] == ['Failed', 'Warning']


def test_task_has_every_key_and_a_trimmed_message():
    made = task(task_id='t', session_id='s', name='web01', result='Failed', message='Error: x\n\n')
    assert set(made) == set(TASK_KEYS)
    assert made['message'] == 'Error: x' and made['restore_point_id'] is None
    assert 'raw' in task(raw={'a': 1}) and 'raw' not in task()


def test_log_keeps_warning_and_failed_oldest_first():
    records = [('2026-11-22T10:05:00Z', 'Failed', 'Processing fs01', 'fs01: Error: disk full\r\n\r\n'),
               ('2026-11-22T10:00:00Z', 'Succeeded', 'Job started', None),
               ('2026-11-22T10:01:00Z', 'Warning', 'Processing web01 ', ''),
               ('2026-11-22T10:06:00Z', 'None', 'Processing db01', None)]
    assert log_records(records) == [
        {'time': '2026-11-22T10:01:00Z', 'status': 'Warning', 'title': 'Processing web01', 'description': None},
        {'time': '2026-11-22T10:05:00Z', 'status': 'Failed', 'title': 'Processing fs01',
         'description': 'fs01: Error: disk full'}]


def session(session_id, time, message=None, job_id='j'):
    return {'id': session_id, 'job_id': job_id, 'creation_time': time, 'failure_message': message}


def test_newest_first_each_run_once_at_most_limit():
    listed = [session('A', '2026-11-22T01:00:00Z'), session('B', '2026-11-22T03:00:00Z', 'Warning: x \n'),
              session('a', '2026-11-22T01:00:00Z'), session('C', '2026-11-22T02:00:00Z')]
    found = newest_first(listed, limit=2)
    assert [each['id'] for each in found] == ['B', 'C']
    assert found[0]['failure_message'] == 'Warning: x'
    assert all(each['tasks'] is None and each['log'] is None for each in found)
    assert [each['id'] for each in newest_first(listed)] == ['B', 'C', 'A']
    # vspc sessions have no id: the job and the time tell them apart
    assert len(newest_first([session(None, 't1', job_id='x'), session(None, 't1', job_id='y')])) == 2


def test_include_log_is_for_vbr_only():
    check_include_log('vbr', True)
    check_include_log('em', False)
    for api in ('em', 'vspc'):
        with pytest.raises(VeeamOptionError, match='include_log'):
            check_include_log(api, True)


def test_session_client_class_per_api():
    assert session_client_class('em') is EMSessionClient
    assert session_client_class('vbr') is VBRSessionClient
    assert session_client_class('vspc').__name__ == 'VSPCSessionClient'


def test_em_task_from_an_entity():
    entity = {'UID': 'urn:veeam:BackupTaskSession:11111111-2222-4333-8444-555555555555',
              'JobSessionUid': 'urn:veeam:ReplicaJobSession:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
              'VmDisplayName': 'web01', 'State': 'Completed', 'Result': 'Warning',
              'Reason': 'Warning: Changed block tracking cannot be enabled\r\n',
              'CreationTimeUTC': '2026-11-22T10:00:00Z', 'EndTimeUTC': '2026-11-22T10:05:00Z'}
    made = task(**em_task(entity))
    assert made == {'id': '11111111-2222-4333-8444-555555555555', 'session_id': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
                    'name': 'web01', 'state': 'Completed', 'result': 'Warning',
                    'message': 'Warning: Changed block tracking cannot be enabled',
                    'creation_time': '2026-11-22T10:00:00Z', 'end_time': '2026-11-22T10:05:00Z',
                    'restore_point_id': None}


def test_vbr_task_and_log_record():
    item = {'id': 't1', 'sessionId': 's1', 'name': 'fs01', 'state': 'Stopped', 'creationTime': '2026-11-22T11:00:00+01:00',
            'endTime': '2026-11-22T11:05:00+01:00', 'result': {'result': 'Failed', 'message': 'Error: Cannot connect to the host\n'}}
    made = task(**vbr_task(item))
    assert (made['result'], made['message'], made['creation_time']) == ('Failed', 'Error: Cannot connect to the host',
                                                                        '2026-11-22T10:00:00Z')
    running = task(**vbr_task({'id': 't2', 'name': 'db01', 'state': 'Working', 'result': {}}))
    assert running['result'] == 'None' and running['end_time'] is None
    assert vbr_log_record({'status': 'Warning', 'startTime': '2026-11-22T11:00:00+01:00', 'title': 'x'}) == (
        '2026-11-22T10:00:00Z', 'Warning', 'x', None)


def test_vspc_tasks_from_objects():
    vm = {'name': 'mail01', 'lastSession': {'backupStatus': 'Warning', 'messages': ['Warning: 1 of 12 files', '']}}
    assert vspc_object_task(vm, running=False) == {'name': 'mail01', 'state': 'Stopped', 'result': 'Warning',
                                                   'message': 'Warning: 1 of 12 files'}
    agent = {'computer': 'ws-0001', 'backupStatus': 'Running', 'failureMessage': None}
    assert vspc_object_task(agent, running=True) == {'name': 'ws-0001', 'state': 'Working', 'result': 'None',
                                                     'message': None}
    summary = {'objectName': 'dc02', 'status': 'Failed', 'failureMessages': ['Error: Failed to create VM snapshot']}
    assert vspc_summary_task(summary, running=False)['message'] == 'Error: Failed to create VM snapshot'


class Revisioned:
    """What VBRSessionClient._filters reads of its client: the revision in use."""

    def __init__(self, text):
        self.revision = Revision(text)


@pytest.mark.parametrize('revision, types, results, expected', [
    ('1.3-rev1', ['VSphereBackup', 'HyperVBackup', 'LinuxAgentBackup'], ['Failed', 'Warning'],
     {'typeFilter': ['AgentBackup', 'BackupJob'], 'resultFilter': ['Failed', 'Warning']}),
    ('1.3-rev1', ['Backup'], None, {'typeFilter': ['BackupJob']}),
    ('1.3-rev1', ['FileBackup'], None, {}),  # no session type known for it: filtered on the module's side
    ('1.2-rev1', ['Backup'], ['Failed'], {'typeFilter': 'BackupJob', 'resultFilter': 'Failed'}),
    ('1.2-rev1', ['Backup', 'VSphereReplica'], ['Failed', 'Warning'], {}),  # 1.2 takes one value of each
])
def test_vbr_server_side_filters(revision, types, results, expected):
    params = VBRSessionClient._filters(Revisioned(revision), None, types, None, results, None)
    assert params.pop('orderColumn') == 'CreationTime' and params.pop('orderAsc') == 'false'
    assert params == expected


class Recorder(EMSessionClient):
    """EMSessionClient whose query service records the filters asked for and answers one task per session."""

    def __init__(self):  # pylint: disable=super-init-not-called
        self.asked = []

    def query(self, query_type, conditions=None, sort_desc=None, page_size=500, everything=False, keep=None):
        self.asked.append((query_type, conditions))
        uids = [part.split('==')[1].strip('"') for part in conditions[0].strip('()').split(',')]
        return [{'UID': 'urn:veeam:BackupTaskSession:t-%s' % uid[-4:], 'JobSessionUid': uid, 'VmDisplayName': 'vm'}
                for uid in uids]

    def side_by_side(self, function, items, workers=None):
        return [function(item) for item in items]


def test_em_tasks_of_many_runs_in_batches_of_or_filters():
    client = Recorder()
    uids = ['urn:veeam:BackupJobSession:00000000-0000-4000-8000-%012d' % number for number in range(60)]
    found = client.tasks_of(uids)
    assert len(client.asked) == 3 == -(-60 // TASK_BATCH)
    assert all(query_type == 'BackupTaskSession' for query_type, dummy in client.asked)
    assert client.asked[0][1] == ['(%s)' % ','.join('JobSessionUid=="%s"' % uid for uid in uids[:TASK_BATCH])]
    assert sorted(found) == sorted(uid.rsplit(':', 1)[1] for uid in uids)
    assert client.tasks_of([]) == {} and len(client.asked) == 3
