# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each client asks its server for machines, restore points and Quick Backup, and how it reads the answers,
against scripted transports (answers shaped as Veeam's documents show them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys
import os

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em_machines import EMMachineClient, POINT_PAGE, TASK_PAGE
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamUnsupportedError
from ansible_collections.backupops.veeam.plugins.module_utils._machines import Machines, public
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_machines import VBRMachineClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import Revision
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_machines import VSPCMachineClient

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scripted import Answer, Scripted, xml  # noqa: E402  pylint: disable=wrong-import-position

SERVER = '8c88c6d6-931f-4044-8c0b-7a0c5f188b00'
OTHER_SERVER = '1d4be0a5-3a5e-4b8e-9a43-2f1c0de0b111'
ROOT = 'a87d15db-dd70-4769-acd6-41bae88219d4'
JOB = '6bf39221-c79b-49ff-8537-26a37b0a9080'
SESSION = '0d3a8230-3db1-4cc1-a7b2-3b0b5c8f784c'
NS = 'xmlns="http://www.veeam.com/ent/v1.0"'


# -- Enterprise Manager -------------------------------------------------------------------------
def em_point(number, name='web01', server=SERVER, server_name='vbr-prod-01.corp.example', moref='vm-1001',
             time_text='2026-11-23T02:00:00Z', kind='vm'):
    guid = '%08d-0000-4000-8000-000000000000' % number
    links = ('<Links><Link Rel="Up" Type="BackupServerReference" Name="%s" Href="https://em:9398/api/backupServers/%s"/>'
             '</Links>' % (server_name, server))
    if kind == 'vm':
        return ('<VmRestorePoint Type="VmRestorePoint" Name="%s@%s" UID="urn:veeam:VmRestorePoint:%s" VmDisplayName="%s">'
                '%s<CreationTimeUTC>%s</CreationTimeUTC><VmName>%s</VmName><Algorithm>Incremental</Algorithm>'
                '<PointType>Increment</PointType><HierarchyObjRef>urn:VMware:Vm:%s.%s</HierarchyObjRef></VmRestorePoint>'
                % (name, time_text, guid, name, links, time_text, moref, ROOT, moref))
    return ('<AgentRestorePoint Type="AgentRestorePoint" Name="%s@%s" UID="urn:veeam:AgentRestorePoint:%s">%s'
            '<CreationTimeUTC>%s</CreationTimeUTC><Algorithm>Incremental</Algorithm><PointType>Full</PointType>'
            '</AgentRestorePoint>' % (name, time_text, guid, links, time_text))


def em_query(bucket, items, pages=1):
    return xml(200, '<QueryResult %s><Entities><%s>%s</%s></Entities><PagingInfo PageNum="1" PageSize="%d" '
                    'PagesCount="%d"/></QueryResult>' % (NS, bucket, ''.join(items), bucket, POINT_PAGE, pages))


def em_client(routes):
    server = Scripted()
    for method, pattern, answer in routes:
        server.route(method, pattern, answer)
    client = EMMachineClient(server, 'admin', 'pw')
    client._session_token = 'token'
    return client, server


def query_router(answers):
    """/query answers by type (a list is answered in turn)."""
    def answer(request, match):
        found = answers[request.params['type']]
        return found.pop(0) if isinstance(found, list) else found
    return answer


def test_em_finds_vms_and_computers_by_name_in_one_request_each():
    client, server = em_client([('GET', '/query', query_router({
        'VmRestorePoint': em_query('VmRestorePoints', [em_point(1, 'web01'), em_point(2, 'web01', time_text='2026-11-22T02:00:00Z')]),
        'AgentRestorePoint': em_query('AgentRestorePoints', []),
        'BackupTaskSession': em_query('BackupTaskSessions', [])}))])
    [found] = client.find_machines('web01')
    client.__exit__(None, None, None)  # waits for the task sessions asked for with the lookup
    assert (found['name'], found['kind'], found['platform']) == ('web01', 'vm', 'VMware')
    assert (found['backup_server_id'], found['backup_server_name']) == (SERVER, 'vbr-prod-01.corp.example')
    sent = dict((request.params['type'], request.params) for request in server.requests('GET', '/query'))
    assert sent['VmRestorePoint'] == {'type': 'VmRestorePoint', 'format': 'Entities', 'pageSize': POINT_PAGE, 'page': 1,
                                      'filter': 'VmDisplayName=="web01"', 'sortDesc': 'CreationTime'}
    assert sent['AgentRestorePoint']['filter'] == 'ComputerName=="web01"'
    # the machine's task sessions are asked for with its restore points, on every server (it is not known yet)
    assert sent['BackupTaskSession']['filter'] == 'VmDisplayName=="web01"'
    assert len(server.requests('GET', '/query')) == 3


def test_em_tells_machines_of_one_name_apart_by_server_and_vm_reference():
    points = [em_point(1, 'db01'), em_point(2, 'DB01', OTHER_SERVER, 'vbr-dr-01.corp.example', 'vm-2001')]
    client, server = em_client([('GET', '/query', query_router({'VmRestorePoint': em_query('VmRestorePoints', points)}))])
    found = client.find_machines('db01', kind='vm')
    assert [(each['name'], each['backup_server_name']) for each in found] == [
        ('db01', 'vbr-prod-01.corp.example'), ('DB01', 'vbr-dr-01.corp.example')]


def test_em_looks_behind_a_full_page_for_another_machine_of_that_name():
    full = [em_point(number, 'web01') for number in range(POINT_PAGE)]
    client, server = em_client([('GET', '/query', query_router({'VmRestorePoint': [
        em_query('VmRestorePoints', full, pages=2),
        em_query('VmRestorePoints', [em_point(999, 'WEB01', OTHER_SERVER, 'vbr-dr-01', 'vm-9')])],
        'BackupTaskSession': em_query('BackupTaskSessions', [])}))])
    found = client.find_machines('web01', kind='vm')
    client.__exit__(None, None, None)
    assert [each['backup_server_id'] for each in found] == [SERVER, OTHER_SERVER]
    points = [request.params for request in server.requests('GET', '/query') if request.params['type'] == 'VmRestorePoint']
    assert points[1]['filter'] == 'VmDisplayName=="web01";BackupServerUid!="urn:veeam:BackupServer:%s"' % SERVER
    assert points[1]['pageSize'] == 1
    assert len(points) == 2, 'the first page only: no second page of points is read'


def em_task(number, result='Success', reason='', point=None, state='Completed', name='web01', server=SERVER):
    links = ('<Link Rel="Up" Type="BackupServerReference" Href="https://em:9398/api/backupServers/%s"/>' % server
             if server else '')
    if point:
        links += ('<Link Rel="Related" Type="VmRestorePoint" Href="https://em:9398/api/vmRestorePoints/%s?format=Entity"/>'
                  % point)
    return ('<BackupTaskSession Type="BackupTaskSession" UID="urn:veeam:BackupTaskSession:%08d-1111-4000-8000-000000000000" '
            'VmDisplayName="%s"><Links>%s</Links><JobSessionUid>urn:veeam:BackupJobSession:%s</JobSessionUid>'
            '<CreationTimeUTC>2026-11-23T01:50:00Z</CreationTimeUTC><State>%s</State><Result>%s</Result>'
            '<Reason>%s</Reason><TotalSize>0</TotalSize></BackupTaskSession>' % (number, name, links, SESSION, state, result, reason))


def em_job_session(state='Stopped', result='Success'):
    return xml(200, '<BackupJobSession %s Type="BackupJobSession" UID="urn:veeam:BackupJobSession:%s" Name="Daily Backup@x">'
                    '<JobUid>urn:veeam:Job:%s</JobUid><JobName>Daily Backup</JobName><JobType>Backup</JobType>'
                    '<CreationTimeUTC>2026-11-23T11:00:00Z</CreationTimeUTC><State>%s</State><Result>%s</Result>'
                    '<Progress>100</Progress></BackupJobSession>' % (NS, SESSION, JOB, state, result))


def test_em_reads_the_machines_own_last_task_and_the_job_of_its_newest_point():
    newest = '00000001-0000-4000-8000-000000000000'
    client, server = em_client([
        ('GET', '/query', query_router({
            'VmRestorePoint': em_query('VmRestorePoints', [em_point(1, 'fs01')]),
            'AgentRestorePoint': em_query('AgentRestorePoints', []),
            'BackupTaskSession': em_query('BackupTaskSessions', [
                em_task(3, state='InProgress', result='None', name='fs01'),
                em_task(2, 'Failed', 'VSS timeout', name='fs01'),
                em_task(1, 'Success', point=newest, name='fs01')])})),
        ('GET', '/backupSessions/' + SESSION, em_job_session())])
    [machine] = Machines(client).lookup_all(['fs01'])
    assert (machine['last_result'], machine['last_message']) == ('Failed', 'VSS timeout')
    assert (machine['job_id'], machine['job_name']) == (JOB, 'Daily Backup')
    assert machine['restore_points'] == [{'id': newest, 'creation_time': '2026-11-23T02:00:00Z', 'type': 'Increment',
                                          'job_id': JOB, 'job_name': 'Daily Backup', 'backup_id': None,
                                          'malware_status': None}]
    [tasks] = [request.params for request in server.requests('GET', '/query') if request.params['type'] == 'BackupTaskSession']
    assert tasks['sortDesc'] == 'CreationTime' and tasks['pageSize'] == TASK_PAGE
    assert tasks['filter'] == 'VmDisplayName=="fs01"', 'asked for with the lookup; every task is of its server'
    assert server.requests('GET', '/backupSessions/' + SESSION)[0].params == {'format': 'Entity'}
    assert len(server.sent) == 4


@pytest.mark.parametrize('tasks, asked_again', [
    # a full page with another server's task in it may hide this server's older ones
    ([em_task(9, 'Failed', 'other server', server=OTHER_SERVER, name='fs01')]
     + [em_task(number, name='fs01') for number in range(TASK_PAGE - 1)], True),
    # a page that is not full holds every task of that name: this server's are among them
    ([em_task(9, 'Failed', 'other server', server=OTHER_SERVER, name='fs01'), em_task(1, name='fs01')], False),
    # a task that does not say its server
    ([em_task(1, 'Failed', 'unknown server', server=None, name='fs01')], True),
])
def test_em_asks_for_the_task_sessions_of_the_machines_server_when_those_of_its_name_cannot_tell(tasks, asked_again):
    own = [em_task(1, 'Success', name='fs01')]
    client, server = em_client([
        ('GET', '/query', query_router({
            'VmRestorePoint': em_query('VmRestorePoints', [em_point(1, 'fs01')]),
            'AgentRestorePoint': em_query('AgentRestorePoints', []),
            'BackupTaskSession': [em_query('BackupTaskSessions', tasks), em_query('BackupTaskSessions', own)]})),
        ('GET', '/backupSessions/' + SESSION, em_job_session())])
    [machine] = Machines(client).lookup_all(['fs01'])
    sent = [request.params['filter'] for request in server.requests('GET', '/query')
            if request.params['type'] == 'BackupTaskSession']
    if asked_again:
        assert sent == ['VmDisplayName=="fs01"', 'VmDisplayName=="fs01";BackupServerUid=="urn:veeam:BackupServer:%s"' % SERVER]
        assert machine['last_result'] == 'Success'
    else:
        assert sent == ['VmDisplayName=="fs01"']
        assert machine['last_result'] == 'Success', 'the other server\'s failed task is not this machine\'s'


def test_em_reads_a_computers_name_from_its_restore_point():
    client, server = em_client([('GET', '/query', query_router({
        'AgentRestorePoint': em_query('AgentRestorePoints', [em_point(5, 'lnx-web01.corp.example', kind='computer')])}))])
    [found] = client.find_machines('LNX-WEB01.corp.example', kind='computer')
    assert (found['name'], found['kind'], found['platform']) == ('lnx-web01.corp.example', 'computer', None)


def test_em_quick_backup_posts_the_vm_reference_and_follows_the_task_to_its_session():
    task = ('<Task %s Type="Task"><TaskId>task-7</TaskId><State>%s</State><Operation>QuickBackup</Operation>%s%s</Task>')
    finished = task % (NS, 'Finished', '<Result Success="true"><Message>Ok</Message></Result>',
                       '<Links><Link Rel="Related" Type="BackupJobSession" '
                       'Href="https://em.corp.example:9398/api/backupSessions/%s?format=Entity"/></Links>' % SESSION)
    client, server = em_client([
        ('GET', '/query', query_router({'VmRestorePoint': em_query('VmRestorePoints', [em_point(1)]),
                                        'BackupTaskSession': em_query('BackupTaskSessions', [])})),
        ('POST', '/backupServers/' + SERVER, xml(202, task % (NS, 'Running', '', ''))),
        ('GET', '/tasks/task-7', xml(200, finished)),
        ('GET', '/backupSessions/' + SESSION, em_job_session('Working', 'None'))])
    [machine] = Machines(client, kind='vm').lookup_all(['web01'])
    client.check_quick_backup(machine)
    outcome = client.quick_backup(machine, task_timeout=5)
    [post] = server.requests('POST')
    assert post.params == {'action': 'quickbackup'}
    assert post.body == ('<?xml version="1.0" encoding="utf-8"?><QuickBackupStartupSpec xmlns="http://www.veeam.com/ent/v1.0">'
                         '<VmRef>urn:VMware:Vm:%s.vm-1001</VmRef></QuickBackupStartupSpec>' % ROOT)
    assert outcome['task']['operation'] == 'QuickBackup' and outcome['task']['success'] is True
    assert outcome['session']['id'] == SESSION and outcome['session']['running'] is True
    assert outcome['job']['uid'] == 'urn:veeam:Job:' + JOB and outcome['job']['name'] == 'Daily Backup'


def test_em_has_no_quick_backup_for_computers():
    client, server = em_client([('GET', '/query', query_router({
        'AgentRestorePoint': em_query('AgentRestorePoints', [em_point(5, 'lnx01', kind='computer')]),
        'BackupTaskSession': em_query('BackupTaskSessions', [])}))])
    [machine] = Machines(client, kind='computer').lookup_all(['lnx01'])
    with pytest.raises(VeeamUnsupportedError) as caught:
        client.check_quick_backup(machine)
    assert 'no quick backup for Veeam Agent computers' in caught.value.message
    assert server.requests('POST') == []


# -- VBR REST API --------------------------------------------------------------------------------
OBJECT = 'fcea73fa-aa48-45e1-89e4-6e33411e8de2'
BACKUP = 'c88774c1-ce7b-4530-8b73-cca781f02061'


def vbr_object(name='web01', object_id=OBJECT, platform='VMware', kind='VM', **extra):
    item = {'id': object_id, 'name': name, 'type': kind, 'platformName': platform,
            'platformId': '00000000-0000-0000-0000-000000000000', 'restorePointsCount': 3}
    if platform == 'VMware':
        item.update(viType='VirtualMachine', objectId='vm-1001', path='vc01.corp.example\\DC1\\esx01\\' + name)
    item.update(extra)
    return item


def page(items):
    return Answer(200, {'data': items, 'pagination': {'total': len(items), 'count': len(items), 'skip': 0, 'limit': 500}})


def vbr_client(routes, revision='1.3-rev1'):
    server = Scripted()
    server.route('GET', '/api/v1/serverInfo', Answer(200, {'vbrId': SERVER, 'name': 'vbr-prod-01.corp.example'}))
    for method, pattern, answer in routes:
        server.route(method, pattern, answer)
    client = VBRMachineClient(server, 'admin', 'pw', clock=lambda: 0.0)
    client.revision = Revision(revision)
    client._access_token, client._expires_at = 'token', 1e18
    return client, server


def test_vbr_groups_a_machines_backup_objects_and_leaves_out_what_is_no_machine():
    client, server = vbr_client([('GET', '/api/v1/backupObjects', page([
        vbr_object('app01'), vbr_object('app01', '11111111-aa48-45e1-89e4-6e33411e8de2'),
        vbr_object('app01', '22222222-aa48-45e1-89e4-6e33411e8de2', viType='Folder', kind='Folder', objectId='group-1'),
        vbr_object('app01', '33333333-aa48-45e1-89e4-6e33411e8de2', kind='Template', objectId='vm-7'),
    ])), ('GET', '/api/v1/taskSessions', page([]))])
    [found] = client.find_machines('app01')
    assert len(found['_ref']['objects']) == 2 and found['platform'] == 'VMware'
    assert (found['backup_server_id'], found['backup_server_name']) == (SERVER, 'vbr-prod-01.corp.example')
    assert server.requests('GET', '/api/v1/backupObjects')[0].params == {'nameFilter': 'app01', 'skip': 0, 'limit': 500}
    server.route('GET', '/api/v1/restorePoints', page([]))
    assert client.find_machines('app01', kind='computer') == []
    assert server.requests('GET', '/api/v1/restorePoints')[0].params['nameFilter'] == 'app01*'


def point(name, platform, time_text='2026-11-23T01:00:00Z', point_id='p1'):
    return {'id': point_id, 'name': name, 'platformName': platform, 'platformId': '0', 'creationTime': time_text,
            'backupId': BACKUP, 'type': 'Increment', 'allowedOperations': []}


@pytest.mark.parametrize('name, points, found', [
    ('sql01', [point('sql01', 'HyperV'), point('sql012', 'HyperV')], ('sql01', 'vm', 'HyperV')),
    ('WINFS01', [point('winfs01 Windows File Server Agent', 'WindowsPhysical'),
                 point('winfs01x Other Agent', 'WindowsPhysical')], ('winfs01', 'computer', 'WindowsPhysical')),
])
def test_vbr_finds_a_machine_its_revision_shows_no_backup_object_of_by_its_restore_points(name, points, found):
    client, server = vbr_client([
        ('GET', '/api/v1/backupObjects', page([])), ('GET', '/api/v1/restorePoints', page(points)),
        ('GET', '/api/v1/taskSessions', page([])),
        ('GET', '/api/v1/backups/' + BACKUP, Answer(200, {'id': BACKUP, 'jobId': JOB, 'name': 'The Job'}))])
    [machine] = Machines(client).lookup_all([name])
    assert (machine['name'], machine['kind'], machine['platform']) == found
    assert machine['latest_restore_point_time'] == '2026-11-23T01:00:00Z' and machine['job_name'] == 'The Job'
    assert len(server.requests('GET', '/api/v1/restorePoints')) == 1, 'the lookup read the points once'
    with pytest.raises(VeeamUnsupportedError) as caught:
        client.check_quick_backup(machine)
    assert 'from VBR REST API revision 1.3-rev2 (VBR 13.1) on' in caught.value.message


def test_vbr_reads_points_newest_first_the_last_task_and_the_job_of_the_backup():
    client, server = vbr_client([
        ('GET', '/api/v1/backupObjects', page([vbr_object('mail01')])),
        ('GET', '/api/v1/restorePoints', page([
            {'id': 'p2', 'name': 'mail01', 'platformName': 'VMware', 'creationTime': '2026-11-23T03:00:00+01:00',
             'backupId': BACKUP, 'type': 'Increment', 'platformId': '0', 'allowedOperations': [],
             'malwareStatus': 'Suspicious'}])),
        ('GET', '/api/v1/taskSessions', page([
            {'name': 'mail01', 'state': 'Working', 'result': {'result': 'None'}},
            {'name': 'mail01-clone', 'state': 'Stopped', 'result': {'result': 'Failed', 'message': 'not me'}},
            {'name': 'mail01', 'state': 'Stopped', 'result': {'result': 'Warning', 'message': 'CBT off'}}])),
        ('GET', '/api/v1/backups/' + BACKUP, Answer(200, {'id': BACKUP, 'jobId': JOB, 'name': 'Exchange "Mail" Backup'})),
        ('POST', '/api/oauth2/logout', Answer(200, {}))])
    [machine] = Machines(client, limit=3).lookup_all(['MAIL01'])
    assert machine['latest_restore_point_time'] == '2026-11-23T02:00:00Z'
    assert (machine['job_id'], machine['job_name']) == (JOB, 'Exchange "Mail" Backup')
    assert (machine['last_result'], machine['last_message']) == ('Warning', 'CBT off')
    assert machine['restore_points'][0]['backup_id'] == BACKUP and machine['restore_points'][0]['type'] == 'Increment'
    assert machine['restore_points'][0]['malware_status'] == 'Suspicious'
    assert server.requests('GET', '/api/v1/restorePoints')[0].params == {
        'backupObjectIdFilter': OBJECT, 'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0, 'limit': 3}
    # asked for by the name given while the machine is looked up, and again by the machine's own name (the first may
    # still be on its way when the second is sent)
    client.__exit__(None, None, None)
    assert sorted((request.params for request in server.requests('GET', '/api/v1/taskSessions')),
                  key=lambda params: params['nameFilter']) == [
        {'nameFilter': name, 'typeFilter': 'Backup', 'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0,
         'limit': 4} for name in ('MAIL01', 'mail01')]
    assert server.unrouted == []


@pytest.mark.parametrize('revision, platform', [('1.2-rev1', 'VMware'), ('1.3-rev1', 'VSphere'), ('1.3-rev2', 'VSphere')])
def test_vbr_quick_backup_of_a_vsphere_vm_is_built_from_its_backup_object(revision, platform):
    started = {'id': SESSION, 'name': 'Daily Backup', 'jobId': JOB, 'sessionType': 'BackupJob', 'state': 'Starting',
               'creationTime': '2026-11-23T12:00:00+01:00', 'usn': 1, 'result': {'result': 'None'}}
    client, server = vbr_client([
        ('GET', '/api/v1/backupObjects', page([vbr_object('web01')])),
        ('GET', '/api/v1/restorePoints', page([])), ('GET', '/api/v1/taskSessions', page([])),
        ('POST', '/api/v1/jobs/quickBackup/vSphere', Answer(201, started))], revision)
    [machine] = Machines(client).lookup_all(['web01'])
    client.check_quick_backup(machine)
    outcome = client.quick_backup(machine)
    [post] = server.requests('POST')
    assert post.body == {'platform': platform, 'type': 'VirtualMachine', 'name': 'web01', 'hostName': 'vc01.corp.example',
                         'objectId': 'vm-1001'}
    assert outcome['session']['id'] == SESSION and outcome['session']['running'] is True
    assert outcome['job']['id'] == JOB


@pytest.mark.parametrize('platform, extra, words', [
    ('HyperV', {'objectId': 'guid-1', 'path': 'hv01.corp.example\\sql01'}, 'Quick backup of a Hyper-V VM'),
    ('LinuxPhysical', {'computerId': 'c-1', 'protectionGroupIds': ['pg-1']}, 'Quick backup of a Veeam Agent computer'),
])
@pytest.mark.parametrize('revision', ['1.2-rev1', '1.3-rev1'])
def test_vbr_before_1_3_rev2_refuses_hyperv_and_agent_quick_backup_naming_the_revision(platform, extra, words, revision):
    client, server = vbr_client([
        ('GET', '/api/v1/backupObjects', page([vbr_object('m1', platform=platform, **extra)])),
        ('GET', '/api/v1/restorePoints', page([])), ('GET', '/api/v1/taskSessions', page([]))], revision)
    [machine] = Machines(client).lookup_all(['m1'])
    with pytest.raises(VeeamUnsupportedError) as caught:
        client.check_quick_backup(machine)
    assert caught.value.message == ('%s (POST /api/v1/jobs/quickBackup/%s) is available from VBR REST API revision '
                                    '1.3-rev2 (VBR 13.1) on; this server serves revision %s at most'
                                    % (words, 'hyperV' if platform == 'HyperV' else 'agent', Revision(revision).describe()))
    assert server.requests('POST') == []


def test_vbr_agent_quick_backup_answers_with_the_job_only():
    client, server = vbr_client([
        ('GET', '/api/v1/backupObjects', page([vbr_object('lnx01', platform='WindowsPhysical', kind='Computer',
                                                          computerId='c-1', protectionGroupIds=['pg-1', 'pg-2'])])),
        ('GET', '/api/v1/restorePoints', page([])), ('GET', '/api/v1/taskSessions', page([])),
        ('POST', '/api/v1/jobs/quickBackup/agent', Answer(201, {'jobId': JOB}))], '1.3-rev2')
    [machine] = Machines(client).lookup_all(['lnx01'])
    assert machine['kind'] == 'computer'
    client.check_quick_backup(machine)
    outcome = client.quick_backup(machine)
    assert server.requests('POST')[0].body == {'platform': 'Agent', 'id': 'c-1', 'name': 'lnx01',
                                               'type': 'WindowsComputer', 'protectionGroupId': 'pg-1'}
    assert outcome['session'] is None and outcome['job']['id'] == JOB


# -- Service Provider Console --------------------------------------------------------------------
def vspc_page(items):
    return Answer(200, {'data': items, 'meta': {'pagingInfo': {'total': len(items), 'count': len(items), 'offset': 0}},
                        'errors': []})


def vspc_client(routes):
    server = Scripted()
    server.route('GET', '/infrastructure/backupServers', vspc_page([{'instanceUid': SERVER, 'name': 'vbr-prod-01'}]))
    for method, pattern, answer in routes:
        server.route(method, pattern, answer)
    return VSPCMachineClient(server, api_key='key'), server


def test_vspc_finds_machines_with_a_case_blind_equals_filter_and_reads_their_state():
    vm = {'instanceUid': 'vm-uid', 'backupServerUid': SERVER, 'name': 'web01', 'hierarchyRef': 'vm-1001',
          'jobUid': JOB, 'latestRestorePointDate': '2026-11-23T02:00:00.0000000+01:00', 'restorePoints': 2,
          'malwareState': 'Infected'}
    client, server = vspc_client([
        ('GET', '/protectedWorkloads/virtualMachines', vspc_page([vm])),
        ('GET', '/protectedWorkloads/computersManagedByBackupServer', vspc_page([])),
        ('GET', '/protectedWorkloads/virtualMachines/vm-uid/backupRestorePoints', vspc_page([
            {'instanceUid': 'p1', 'jobUid': JOB, 'backupUid': BACKUP, 'fileCreationTime': '2026-11-22T01:00:00Z',
             'malwareState': 'clean'},
            {'instanceUid': 'p2', 'jobUid': JOB, 'backupUid': BACKUP, 'fileCreationTime': '2026-11-23T01:00:00Z'}])),
        ('GET', '/infrastructure/backupServers/jobs/backupVmJobs/objects', vspc_page([
            {'jobUid': 'other-job', 'name': 'WEB01', 'platform': 'HyperV', 'lastSession': {'backupStatus': 'Failed'}},
            {'jobUid': JOB, 'name': 'web01', 'platform': 'vSphere', 'hierarchyRef': 'vm-1001',
             'lastSession': {'backupStatus': 'Warning', 'startTime': '2026-11-23T00:50:00Z', 'messages': ['CBT off']}}])),
        ('GET', '/infrastructure/backupServers/jobs/' + JOB, Answer(200, {'data': {'instanceUid': JOB, 'name': 'Daily Backup'}}))])
    [machine] = Machines(client, limit=2).lookup_all(['Web01'])
    assert machine['name'] == 'web01' and machine['backup_server_name'] == 'vbr-prod-01'
    assert machine['latest_restore_point_time'] == '2026-11-23T01:00:00Z'
    assert [point['id'] for point in machine['restore_points']] == ['p2', 'p1']
    # the newest point names no state of its own: the machine's; an older point its own, in Veeam's case
    assert [point['malware_status'] for point in machine['restore_points']] == ['Infected', 'Clean']
    assert (machine['job_name'], machine['last_result'], machine['last_message']) == ('Daily Backup', 'Warning', 'CBT off')
    assert machine['platform'] == 'vSphere'
    [query] = server.requests('GET', '/protectedWorkloads/virtualMachines')
    assert json.loads(query.params['filter']) == [{'property': 'name', 'operation': 'equals', 'collation': 'ignorecase',
                                                   'value': 'Web01'}]
    assert server.unrouted == []


def test_vspc_has_no_quick_backup():
    client, server = vspc_client([])
    with pytest.raises(VeeamUnsupportedError) as caught:
        client.check_quick_backup(public({'name': 'web01'}))
    assert 'has no per-machine backup' in caught.value.message and server.sent == []
