# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answers captured from real Veeam servers (fixtures/captures/, see its README.md and the notes beside each file),
fed through the parsing and normalising the clients use for that kind of answer, and checked key by key against
INTERFACE.md section 2: times in UTC at the right instant, unknown elements ignored, enum words compared without
regard to case where the server's case varies, messages trimmed of trailing white space. The VBR request bodies a
live 13.1 accepted are held against the bodies the client sends for the same kind of object.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import sys

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em import EMClient
from ansible_collections.backupops.veeam.plugins.module_utils._em_machines import EMMachineClient
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import em_items, em_job, em_link, em_session
from ansible_collections.backupops.veeam.plugins.module_utils._machines import Machines
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import SESSION_KEYS, JOB_KEYS, apply_last_session
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    ci_get,
    is_guid,
    message_text,
    parse_body,
    to_int,
    utc_time,
)
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_machines import VBRMachineClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import Revision, vbr_job, vbr_session
from ansible_collections.backupops.veeam.plugins.module_utils._vspc import VSPCClient
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import (
    vspc_agent_result,
    vspc_job,
    vspc_session,
    vspc_vm_result,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scripted import Answer, Scripted, xml  # noqa: E402  pylint: disable=wrong-import-position

CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'captures')
UTC_FORM = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$')
NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


def capture(name):
    with open(os.path.join(CAPTURES, name), encoding='utf-8') as handle:
        return handle.read()


def instant(text):
    """The UTC instant of an ISO 8601 time, worked out here on its own (not by the code under test), to the second."""
    match = re.match(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d):(\d\d))$', text)
    assert match, text
    moment = datetime.datetime(*[int(part) for part in match.groups()[:6]])
    if match.group(7) != 'Z':
        offset = datetime.timedelta(hours=int(match.group(9)), minutes=int(match.group(10)))
        moment = moment - offset if match.group(8) == '+' else moment + offset
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def test_every_capture_is_used_here():
    """A capture added to the folder without a test here fails this test."""
    source = open(__file__, encoding='utf-8').read()
    data = [name for name in os.listdir(CAPTURES) if name.endswith(('.json', '.xml'))]
    assert len(data) == 10
    assert [name for name in data if "'%s'" % name not in source] == []


# -- Enterprise Manager, JSON: the query service's Entities envelope ----------------------------------------------
EM_SESSIONS = 'em-query-backupjobsession-entities-centreon.json'


def em_client(routes, cls=EMClient):
    server = Scripted()
    for method, pattern, answer in routes:
        server.route(method, pattern, answer)
    client = cls(server, 'admin', 'pw')
    client._session_token = 'token'
    return client, server


def em_query_sessions(text):
    client, server = em_client([('GET', '/query', Answer(200, text))])
    entities = list(client.query('BackupJobSession', everything=True))
    return [em_session(entity) for entity in entities], server


def test_em_json_sessions_key_by_key():
    raw = json.loads(capture(EM_SESSIONS))['Entities']['BackupJobSessions']['BackupJobSessions']
    sessions, server = em_query_sessions(capture(EM_SESSIONS))
    assert len(sessions) == len(raw) == 24
    assert len(server.requests('GET', '/query')) == 1, 'PagesCount 1 and no Next link: one page'
    for session, item in zip(sessions, raw):
        assert sorted(session) == sorted(SESSION_KEYS)
        assert session['creation_time'] == instant(item['CreationTimeUTC'])
        assert session['end_time'] == instant(item['EndTimeUTC'])
        assert UTC_FORM.match(session['creation_time']) and UTC_FORM.match(session['end_time'])
        assert (session['state'], session['result'], session['running']) == ('Stopped', item['Result'], False)
        assert session['result'] in ('Success', 'Warning', 'Failed')
        assert (session['job_name'], session['job_type']) == (item['JobName'], item['JobType'])
        assert session['name'] == item['Name'] and session['is_retry'] is item['IsRetry']
        assert session['progress'] == 100 and session['failure_message'] is None
        # anonymised ids are no GUIDs: the part after the last colon
        assert session['id'] == item['UID'].rsplit(':', 1)[-1] and session['job_id'] == item['JobUid'].rsplit(':', 1)[-1]
    first = sessions[0]
    assert (first['creation_time'], first['end_time']) == ('2025-02-19T03:33:17Z', '2025-02-19T03:46:02Z')
    # 2- and 3-digit fractions alike (…:42.28Z, …:11.94Z)
    assert sessions[3]['end_time'] == '2025-02-19T00:25:42Z' and sessions[4]['creation_time'] == '2025-02-19T12:00:11Z'
    assert [session['job_type'] for session in sessions].count('NasBackup') == 7


def test_em_json_session_words_in_another_case_give_the_documented_words():
    """A server that writes ``stopped`` / ``FAILED`` / ``warning``: the documented spelling comes out, so that
    ``when: session.result == 'Failed'`` holds, and ``running`` is false for a stopped session in any case."""
    text = capture(EM_SESSIONS).replace('"Stopped"', '"stopped"').replace('"Failed"', '"FAILED"')
    text = text.replace('"Warning"', '"warning"')
    sessions, dummy = em_query_sessions(text)
    assert set(session['state'] for session in sessions) == {'Stopped'}
    assert set(session['running'] for session in sessions) == {False}
    assert [session['result'] for session in sessions][:2] == ['Failed', 'Failed']
    assert 'Warning' in [session['result'] for session in sessions]
    job = apply_last_session(dict.fromkeys(JOB_KEYS), sessions[0])
    assert (job['last_result'], job['running'], job['last_run']) == ('Failed', False, '2025-02-19T03:33:17Z')


def test_em_json_unknown_words_pass_through_and_messages_are_trimmed():
    entity = json.loads(capture(EM_SESSIONS))['Entities']['BackupJobSessions']['BackupJobSessions'][0]
    entity.update(State='Postprocessing', Result='Partial', FailureMessage='Processing vm01 failed.\r\n\r\n',
                  SqlInfo={'Unknown': 'element'})
    session = em_session(entity)
    assert (session['state'], session['result'], session['running']) == ('Postprocessing', 'Partial', True)
    assert session['failure_message'] == 'Processing vm01 failed.'
    entity['FailureMessage'] = '\n\n'
    assert em_session(entity)['failure_message'] is None


# -- Enterprise Manager, XML -------------------------------------------------------------------------------------
def test_em_xml_job_reference_list():
    root, body = parse_body('application/xml; charset=utf-8', capture('em-jobs-entityreferences-cloudstack.xml'))
    assert root == 'EntityReferences'
    [ref] = em_items({'EntityReferences': body}, 'EntityReferences', 'Ref')
    job = em_job(ref)
    assert sorted(job) == sorted(JOB_KEYS)
    assert job['id'] == '8acac50d-3711-4c99-bf7b-76fe9c7e39c3'
    assert job['uid'] == 'urn:veeam:Job:8acac50d-3711-4c99-bf7b-76fe9c7e39c3'
    assert job['name'] == 'ZONE1-GOLD'
    assert (job['backup_server_id'], job['backup_server_name']) == ('1efaeae4-d23c-46cd-84a1-8798f68bdb78', '10.1.1.10')
    # a reference tells nothing more; the Down link has no Name attribute
    assert [job[key] for key in ('type', 'next_run', 'last_run', 'last_result', 'running')] == [None] * 5
    assert ci_get(em_link(ref, 'Down'), 'Name') is None


@pytest.mark.parametrize('name, expected', [
    ('em-backupfiles-entity-v11-cloudstack.xml', [
        ('2023-10-27T23:00:13Z', 7516219400, 'vbk'), ('2023-10-30T00:00:22Z', 76572828, 'vib'),
        ('2023-10-25T13:59:51Z', 2147506644, 'vbk')]),
    ('em-backupfiles-entity-v12-cloudstack.xml', [('2023-11-03T16:25:35Z', 2147507235, 'vbk')]),
])
def test_em_xml_backup_files_times_and_sizes(name, expected):
    """BackupFile writes ``CreationTimeUtc`` (VmRestorePoint ``CreationTimeUTC``): element names are read in any case;
    fractions of 2 (v11, trailing zeros trimmed) and 6 digits (v12); sizes past 2**31."""
    root, body = parse_body('application/xml', capture(name))
    assert root == 'BackupFiles'
    files = em_items({'BackupFiles': body}, 'BackupFiles', 'BackupFile')
    assert [(utc_time(ci_get(item, 'CreationTimeUTC')), to_int(ci_get(item, 'DataSize')), ci_get(item, 'FileType'))
            for item in files] == expected


VM_POINT_V12 = 'em-vmrestorepoints-entity-v12-cloudstack.xml'
V12_SERVER = '18cc2a81-1ff0-42cd-8389-62f2bbcc6b7f'


def em_point_query(extra=''):
    """The captured VmRestorePoint, copied unchanged (an element added where ``extra`` says), in the query service's
    envelope: the client asks ``query?type=VmRestorePoint``, which answers with the same entity."""
    point = re.search(r'<VmRestorePoint .*</VmRestorePoint>', capture(VM_POINT_V12), re.S).group(0)
    point = point.replace('</HierarchyObjRef>', '</HierarchyObjRef>' + extra)
    return xml(200, '<QueryResult %s><Entities><VmRestorePoints>%s</VmRestorePoints></Entities>'
                    '<PagingInfo PageNum="1" PageSize="100" PagesCount="1"/></QueryResult>' % (NS, point))


@pytest.mark.parametrize('extra', ['', '<SqlInfo><IsSqlServer>true</IsSqlServer><Databases><Database>'
                                       '<Name>master</Name></Database></Databases></SqlInfo>'])
def test_em_xml_vm_restore_point_through_the_machine_lookup(extra):
    """The v12 point, and the same point with the ``SqlInfo`` element the XSD lacks (a real v12 server sends it,
    CloudStack issue #10478): unknown elements are ignored."""
    client, server = em_client([('GET', '/query', lambda request, match: em_point_query(extra) if request.params[
        'type'] == 'VmRestorePoint' else xml(200, '<QueryResult %s><Entities/></QueryResult>' % NS))], EMMachineClient)
    [machine] = Machines(client).lookup_all(['i-2-4-VM'])
    assert machine['name'] == 'i-2-4-VM' and machine['kind'] == 'vm' and machine['platform'] == 'VMware'
    assert (machine['backup_server_id'], machine['backup_server_name']) == (V12_SERVER, '10.0.3.142')
    assert machine['protected'] is True
    assert machine['latest_restore_point_time'] == '2023-11-03T16:26:12Z'
    [point] = machine['restore_points']
    assert point == {'id': 'f6d504cf-eafe-4cd2-8dfc-e9cfe2f1e977', 'creation_time': '2023-11-03T16:26:12Z',
                     'type': 'Full', 'job_id': None, 'job_name': None, 'backup_id': None, 'malware_status': None}
    assert (machine['last_result'], machine['last_message']) == (None, None)


def test_em_task_session_result_in_another_case_and_reason_with_blank_lines():
    """The machine's own last task session, with the captured point: ``failed`` is the documented ``Failed``, and its
    Reason loses the blank lines VSPC-like servers end messages with."""
    task = ('<BackupTaskSession Type="BackupTaskSession" UID="urn:veeam:BackupTaskSession:00000001-1111-4000-8000-'
            '000000000000" VmDisplayName="i-2-4-VM"><Links><Link Rel="Up" Type="BackupServerReference" '
            'Href="https://10.0.3.142:9398/api/backupServers/%s"/></Links><JobSessionUid>urn:veeam:BackupJobSession:'
            '0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c</JobSessionUid><CreationTimeUTC>2023-11-03T16:25:35.92Z'
            '</CreationTimeUTC><State>completed</State><Result>failed</Result><Reason>Error: disk full.\r\n\r\n'
            '</Reason><TotalSize>0</TotalSize></BackupTaskSession>' % V12_SERVER)

    def answer(request, match):
        if request.params['type'] == 'VmRestorePoint':
            return em_point_query()
        if request.params['type'] == 'BackupTaskSession':
            return xml(200, '<QueryResult %s><Entities><BackupTaskSessions>%s</BackupTaskSessions></Entities>'
                            '<PagingInfo PageNum="1" PageSize="10" PagesCount="1"/></QueryResult>' % (NS, task))
        return xml(200, '<QueryResult %s><Entities/></QueryResult>' % NS)
    client, server = em_client([('GET', '/query', answer)], EMMachineClient)
    [machine] = Machines(client).lookup_all(['i-2-4-VM'])
    assert (machine['last_result'], machine['last_message']) == ('Failed', 'Error: disk full.')
    assert machine['job_id'] is None, 'a failed task made no point: no job is read for it'


# -- Service Provider Console ------------------------------------------------------------------------------------
def vspc_client(routes):
    server = Scripted()
    for method, pattern, answer in routes:
        server.route(method, pattern, answer)
    return VSPCClient(server, api_key='key'), server


def test_vspc_backup_servers_meta_before_data_pascal_case_words():
    body = capture('vspc-infrastructure-backupservers-jancotanis.json')
    client, server = vspc_client([('GET', '/infrastructure/backupServers', Answer(200, body))])
    assert client.server_names() == {'35b81455-b7f2-49b6-93ca-d1c52616eb95': 'HYPERV1'}
    assert client.resolve_server('HYPERV1') == '35b81455-b7f2-49b6-93ca-d1c52616eb95'
    items, total = client.read_page('/infrastructure/backupServers', {}, 0, 250)
    assert total == 28 and len(items) == 1, 'meta.pagingInfo.total, meta before data'
    assert (items[0]['status'], items[0]['backupServerRoleType'], items[0]['version']) == ('Healthy', 'Client', '11.0.0.837')


def test_vspc_companies_with_malformed_uids():
    body = capture('vspc-organizations-companies-jancotanis.json')
    client, server = vspc_client([('GET', '/organizations/companies', Answer(200, body))])
    items, total = client.read_page('/organizations/companies', {}, 0, 100)
    assert total == 30 and [item['name'] for item in items] == ['Company name']
    # the hand-anonymised UIDs are no GUIDs: taken for a name, never refused
    assert not is_guid(items[0]['instanceUid'])
    assert items[0]['status'] == 'Active' and items[0]['_embedded'] == {'organization': None}


def test_vspc_alarms_times_with_seven_digit_fractions_and_offsets_and_messages_with_blank_lines():
    body = capture('vspc-alarms-active-jancotanis.json')
    client, server = vspc_client([('GET', '/alarms/active', Answer(200, body))])
    items, total = client.read_page('/alarms/active', {}, 0, 250)
    assert total == 3 and len(items) == 3, 'meta after data'
    activations = [item['lastActivation'] for item in items]
    assert [utc_time(each['time']) for each in activations] == [
        '2023-01-19T03:35:05Z', '2023-01-19T03:55:06Z', '2023-01-19T08:45:44Z']
    assert [utc_time(each['time']) for each in activations] == [instant(each['time']) for each in activations]
    assert [message_text(each['message']) for each in activations] == [
        'License auto-update functionality is not enabled.',
        'The same license ID 11112222-1111-2222-3333-111122223333 has been detected for backup servers: VSPC1 '
        '(My Company), r2SecondCC (My Company), R2THIRDCC (My Company), R2THIRDVBR (CCTenantThird)',
        'Job session for "Windows workstation - Personal files_r2vaw2" finished with success.']
    assert [message_text(each['remark']) for each in activations] == [None] * 3
    # alarm statuses are no job words: they pass through as written
    assert [each['status'] for each in activations] == ['Info', 'Warning', 'Resolved']


def vspc_job_item(status, message='Processing web01 failed.\n\n', last_run='2023-01-19T04:35:05.4970000+01:00'):
    """A VSPC job item with what the captures show of VSPC: PascalCase or camelCase words, 7-digit fractions with a
    local offset, messages that end in blank lines."""
    return {'instanceUid': '6bf39221-c79b-49ff-8537-26a37b0a9080', 'name': 'Daily Backup', 'type': 'BackupVm',
            'status': status, 'backupServerUid': '35b81455-b7f2-49b6-93ca-d1c52616eb95', 'scheduleType': 'Daily',
            'isEnabled': True, 'lastRun': last_run, 'lastEndTime': '2023-01-19T04:55:06.1030000+01:00',
            'failureMessage': message, 'someFieldOfANewerServer': {'x': 1}}


@pytest.mark.parametrize('status, result, running, state', [
    ('Failed', 'Failed', False, 'Stopped'), ('failed', 'Failed', False, 'Stopped'), ('WARNING', 'Warning', False, 'Stopped'),
    ('Running', None, True, 'Working'), ('running', None, True, 'Working'), ('waitingTape', None, True, 'Working'),
    ('starting', None, True, 'Starting'), ('None', None, False, 'Stopped'), ('Idle', None, False, 'Stopped'),
])
def test_vspc_job_words_in_any_case(status, result, running, state):
    job = vspc_job(vspc_job_item(status))
    assert (job['last_result'], job['running']) == (result, running)
    assert (job['last_run'], job['next_run']) == ('2023-01-19T03:35:05Z', None)
    session = vspc_session(vspc_job_item(status))
    assert (session['state'], session['running'], session['result']) == (state, running, result or 'None')
    assert session['failure_message'] == 'Processing web01 failed.'
    assert session['end_time'] == (None if running else '2023-01-19T03:55:06Z')


def test_vspc_machine_results_in_any_case_with_messages_trimmed():
    objects = [{'jobUid': 'j1', 'platform': 'VSphere', 'lastSession': {
        'startTime': '2023-01-19T04:35:05.4970000+01:00', 'backupStatus': 'warning', 'messages': ['Low space.\n\n']}}]
    assert vspc_vm_result(objects, {'jobUid': 'j1'}) == ('Warning', 'Low space.', 'VSphere')
    agents = [{'backupServerUid': '', 'lastRun': '2023-01-19T04:35:05.497+01:00', 'backupStatus': 'FAILED',
               'failureMessage': 'Agent failed.\r\n\r\n'}]
    assert vspc_agent_result(agents, {}) == ('Failed', 'Agent failed.')


# -- VBR ---------------------------------------------------------------------------------------------------------
def test_vbr_session_words_in_any_case_and_messages_trimmed():
    item = {'id': 's1', 'name': 'Daily Backup', 'jobId': 'j1', 'state': 'stopped', 'creationTime':
            '2021-12-09T07:52:32.98+13:00', 'endTime': '2021-12-09T08:02:00.1+13:00',
            'result': {'result': 'warning', 'message': 'Your vCenter Server API version is higher ... KB2443\n\n'}}
    session = vbr_session(item)
    assert (session['state'], session['result'], session['running']) == ('Stopped', 'Warning', False)
    assert (session['creation_time'], session['end_time']) == ('2021-12-08T18:52:32Z', '2021-12-08T19:02:00Z')
    assert session['failure_message'] == 'Your vCenter Server API version is higher ... KB2443'
    working = vbr_session(dict(item, state='Postprocessing', endTime=None, result={'result': 'None'}))
    assert (working['state'], working['running'], working['result'], working['end_time']) == (
        'Postprocessing', True, 'None', None)


def test_vbr_job_last_result_in_any_case():
    job = vbr_job({'id': 'j1', 'name': 'Daily Backup', 'type': 'VSphereBackup', 'status': 'Inactive',
                   'lastResult': 'failed', 'lastRun': '2026-11-22T11:15:00.5+01:00'})
    assert (job['last_result'], job['running'], job['last_run']) == ('Failed', False, '2026-11-22T10:15:00Z')
    assert vbr_job({'id': 'j1', 'status': 'running', 'lastResult': 'Success'})['running'] is True


def test_vbr_job_creation_body_accepted_live_uses_the_words_the_client_sends():
    """POST /api/v1/jobs (1.3-rev2, VBR 13.1.1.18): its job type is the word the client uses for a VMware backup
    job on 1.3, and the VM it includes has the keys and words of the VM the client's quick backup sends."""
    accepted = json.loads(capture('vbr-jobs-post-request-vmoperator.json'))
    revision = Revision('1.3-rev2')
    assert revision.job_type_word('Backup') == accepted['type'] == 'VSphereBackup'
    assert accepted['type'] in revision.job_types()
    [vm] = accepted['virtualMachines']['includes']
    server = Scripted()
    server.route('GET', '/api/v1/serverInfo', Answer(200, {'vbrId': V12_SERVER, 'name': 'vbr'}))
    client = VBRMachineClient(server, 'admin', 'pw', clock=lambda: 0.0)
    client.revision = revision
    machine = {'name': 'web01', '_candidate': {'_ref': {'objects': [
        {'name': 'web01', 'objectId': 'vm-1036', 'path': 'vc01.corp.example\\DC\\web01', 'platformName': 'VMware'}]}}}
    sent = client._quick_backup_body(machine, 'vsphere')
    assert sorted(sent) == sorted(vm)
    assert (sent['type'], sent['platform']) == (vm['type'], vm['platform']) == ('VirtualMachine', 'VSphere')
    assert (sent['objectId'], sent['hostName']) == ('vm-1036', 'vc01.corp.example')


def test_vbr_restore_body_accepted_live_is_valid_for_the_document():
    """POST /api/v1/restore/vmRestore/vSphere: the client sends no restore; the body the live 13.1 accepted is what
    the simulator's document of 1.3-rev2 takes (the simulator checks every VBR request against it)."""
    accepted = json.loads(capture('vbr-restore-vmrestore-vsphere-request-vmoperator.json'))
    assert accepted == {'type': 'OriginalLocation', 'restorePointId': '<rp-id>', 'powerUp': False, 'overwrite': False,
                        'reason': 'vmop e2e restore to new'}
    document = os.path.join(os.path.dirname(CAPTURES), '..', '..', '..', '..', 'veeamsim', 'schema')
    names = [name for name in os.listdir(document) if '1.3-rev2' in name]
    assert names, 'the 1.3-rev2 document'
    with open(os.path.join(document, names[0]), encoding='utf-8') as handle:
        spec = json.load(handle)
    operation = spec['paths']['/api/v1/restore/vmRestore/vSphere']['post']
    assert operation['responses'].get('201'), 'answered 201 with a session, as the live server did'
