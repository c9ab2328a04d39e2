# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import em_items, em_job, em_session
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    JOB_KEYS,
    SESSION_KEYS,
    apply_last_session,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import ci_get, parse_body
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import vspc_job, vspc_session

JOB_GUID = '2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b'
SERVER_GUID = '7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11'
EM_JOB_XML = u'''<Job xmlns="http://www.veeam.com/ent/v1.0" Href="https://em:9398/api/jobs/%(job)s?format=Entity"
  Type="Job" Name="SQL Nightly" UID="urn:veeam:Job:%(job)s">
  <Links>
    <Link Href="https://em:9398/api/backupServers/%(server)s" Name="vbr-prod-01" Type="BackupServerReference" Rel="Up"/>
    <Link Href="https://em:9398/api/jobs/%(job)s" Name="SQL Nightly" Type="JobReference" Rel="Alternate"/>
  </Links>
  <JobType>Backup</JobType><Platform>VMware</Platform><Description>Nightly SQL</Description>
  <ScheduleConfigured>true</ScheduleConfigured><ScheduleEnabled>true</ScheduleEnabled>
  <NextRun>2026-11-23T22:00:00Z</NextRun>
</Job>''' % {'job': JOB_GUID, 'server': SERVER_GUID}


def test_em_job_from_xml_entity():
    dummy, entity = parse_body('application/xml', EM_JOB_XML)
    job = em_job(entity)
    assert tuple(job) == JOB_KEYS
    assert job == {
        'id': JOB_GUID, 'uid': 'urn:veeam:Job:' + JOB_GUID, 'name': 'SQL Nightly', 'type': 'Backup',
        'platform': 'VMware', 'description': 'Nightly SQL', 'backup_server_id': SERVER_GUID,
        'backup_server_name': 'vbr-prod-01', 'schedule_configured': True, 'schedule_enabled': True,
        'next_run': '2026-11-23T22:00:00Z', 'last_run': None, 'last_result': None, 'running': None,
    }
    assert 'raw' not in job
    assert em_job(entity, include_raw=True)['raw'] is entity


def test_em_sessions_from_the_real_json_capture(em_capture):
    dummy, body = parse_body('application/json', em_capture)
    entities = em_items(ci_get(body, 'Entities'), 'BackupJobSessions', 'BackupJobSession')
    sessions = [em_session(entity) for entity in entities]
    first = sessions[0]
    assert tuple(first) == SESSION_KEYS
    assert first == {
        'id': 'xxxxxxxx-yyyy-zzzz-1111-aaaaaaaaaaaa', 'name': 'PROD Job 1@2025-02-19 03:33:17',
        'job_id': 'xxxxxxxx-yyyy-zzzz-1111-aaaaaaaaaaaa', 'job_name': 'PROD Job 1', 'job_type': 'Backup',
        'state': 'Stopped', 'result': 'Failed', 'running': False, 'progress': 100,
        'creation_time': '2025-02-19T03:33:17Z', 'end_time': '2025-02-19T03:46:02Z',
        'failure_message': None, 'is_retry': True,
    }
    assert sorted(set(session['result'] for session in sessions)) == ['Failed', 'Success', 'Warning']


def test_em_running_session_and_last_session_of_a_job():
    dummy, entity = parse_body('application/xml', u'''<BackupJobSession xmlns="http://www.veeam.com/ent/v1.0"
      Name="SQL Nightly@2026-11-23 10:00:00" UID="urn:veeam:BackupJobSession:11111111-2222-3333-4444-555555555555">
      <JobUid>urn:veeam:Job:%s</JobUid><JobName>SQL Nightly</JobName><JobType>Backup</JobType>
      <CreationTimeUTC>2026-11-23T10:00:00Z</CreationTimeUTC><State>Working</State><Result>None</Result>
      <Progress>42</Progress><FailureMessage/><IsRetry>false</IsRetry></BackupJobSession>''' % JOB_GUID)
    session = em_session(entity)
    assert (session['running'], session['result'], session['end_time'], session['progress']) == (True, 'None', None, 42)
    dummy, job_entity = parse_body('application/xml', EM_JOB_XML)
    job = apply_last_session(em_job(job_entity), session)
    # 'None' is EM's word for "no result yet": a running job has no last_result, as on VSPC
    assert (job['last_run'], job['last_result'], job['running']) == ('2026-11-23T10:00:00Z', None, True)


VSPC_JOB = {
    'instanceUid': JOB_GUID, 'uniqueUid': 'aaaaaaaa-0000-0000-0000-000000000001', 'name': 'SQL Nightly',
    'description': 'Nightly SQL', 'backupServerUid': SERVER_GUID.upper(), 'type': 'BackupVm', 'status': 'Failed',
    'isEnabled': False, 'scheduleType': 'Daily', 'lastRun': '2026-11-22T22:00:04.0000000+00:00',
    'lastEndTime': '2026-11-22T22:31:00.0000000+00:00', 'failureMessage': 'Disk full',
}


def test_vspc_job():
    job = vspc_job(VSPC_JOB, server_names={SERVER_GUID: 'vbr-prod-01'})
    assert tuple(job) == JOB_KEYS
    assert job == {
        'id': JOB_GUID, 'uid': JOB_GUID, 'name': 'SQL Nightly', 'type': 'BackupVm', 'platform': None,
        'description': 'Nightly SQL', 'backup_server_id': SERVER_GUID.upper(), 'backup_server_name': 'vbr-prod-01',
        'schedule_configured': True, 'schedule_enabled': False, 'next_run': None,
        'last_run': '2026-11-22T22:00:04Z', 'last_result': 'Failed', 'running': False,
    }


def test_vspc_agent_job_takes_the_embedded_generic_job():
    item = {'instanceUid': JOB_GUID, 'osType': 'Linux', 'jobMode': 'ManagedByBackupServer',
            '_embedded': {'backupServerJob': dict(VSPC_JOB, type='AgentBackupJob', status='Running',
                                                  scheduleType='NotScheduled')}}
    job = vspc_job(item)
    assert (job['platform'], job['type'], job['running'], job['last_result'], job['schedule_configured']) == \
        ('Linux', 'AgentBackupJob', True, None, False)


@pytest.mark.parametrize('status, state, result, running', [
    ('Running', 'Working', 'None', True),
    ('WaitingRepository', 'Working', 'None', True),
    ('Starting', 'Starting', 'None', True),
    ('Stopping', 'Stopping', 'None', True),
    ('Success', 'Stopped', 'Success', False),
    ('Warning', 'Stopped', 'Warning', False),
    ('Failed', 'Stopped', 'Failed', False),
    ('Idle', 'Stopped', 'None', False),
    ('SomethingNew', 'Stopped', 'None', False),
])
def test_vspc_session_from_the_job_status(status, state, result, running):
    session = vspc_session(dict(VSPC_JOB, status=status))
    assert tuple(session) == SESSION_KEYS
    assert (session['state'], session['result'], session['running']) == (state, result, running)
    assert session['job_id'] == JOB_GUID and session['creation_time'] == '2026-11-22T22:00:04Z'
    assert session['end_time'] == (None if running else '2026-11-22T22:31:00Z')
