# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VBR client's pure logic and its token handling, against a scripted transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAuthError,
    VeeamOptionError,
    VeeamUnsupportedError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._vbr import VBRClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import (
    Revision,
    SUPPORTED_REVISIONS,
    is_agent_type,
    served_revisions,
    vbr_job,
    vbr_session,
)

UNSUPPORTED_12 = ('Unsupported RESTAPI version. The following versions are supported: v1.0-rev1, v1.0-rev2, '
                  'v1.1-rev0, v1.1-rev1, v1.2-rev1.')
JOB_ID = '3c6077d2-1a8e-4a2b-9f0c-6b7e1d2c3a4f'


def test_revisions_parse_compare_and_say_which_vbr_has_them():
    assert str(Revision('v1.3-rev1')) == '1.3-rev1'
    assert Revision('1.2-rev1').describe() == '1.2-rev1 (VBR 12.3)'
    assert [str(revision) for revision in SUPPORTED_REVISIONS] == ['1.3-rev2', '1.3-rev1', '1.3-rev0', '1.2-rev1']
    with pytest.raises(ValueError):
        Revision('13.1')


def test_served_revisions_are_read_from_the_refusal_message():
    assert [str(revision) for revision in served_revisions(UNSUPPORTED_12)] == [
        '1.0-rev1', '1.0-rev2', '1.1-rev0', '1.1-rev1', '1.2-rev1']
    assert served_revisions('Access denied.') == []


def test_job_type_words_follow_the_revision():
    old, new = Revision('1.2-rev1'), Revision('1.3-rev1')
    assert old.job_type_word('VSphereBackup') == 'Backup' and old.job_type_word('Backup') == 'Backup'
    assert new.job_type_word('Backup') == 'VSphereBackup' and new.job_type_word('HyperVBackup') == 'HyperVBackup'
    assert 'WindowsAgentBackupServerPolicy' in new.job_types()
    assert 'WindowsAgentBackupServerPolicy' not in Revision('1.3-rev0').job_types()
    assert 'ProxmoxBackupJob' in Revision('1.3-rev2').job_types() and 'VSphereBackup' not in old.job_types()


def test_features_missing_from_a_revision_are_refused_naming_feature_revision_and_version():
    with pytest.raises(VeeamUnsupportedError) as caught:
        Revision('1.2-rev1').require('Veeam Agent jobs are available', Revision('1.3-rev0'))
    assert caught.value.message == ('Veeam Agent jobs are available from VBR REST API revision 1.3-rev0 (VBR 13.0) on; '
                                    'this server serves revision 1.2-rev1 (VBR 12.3) at most')
    with pytest.raises(VeeamUnsupportedError) as caught:
        Revision('1.2-rev1').require('Retrying is available', Revision('1.3-rev0'), pinned=True)
    assert caught.value.message.endswith('the revision in use is 1.2-rev1 (VBR 12.3), set by api_version')
    Revision('1.3-rev1').require('Veeam Agent jobs are available', Revision('1.3-rev0'))


def test_agent_types():
    for word in ('WindowsAgentBackup', 'LinuxAgentBackup', 'LinuxAgentBackupWorkstationPolicy',
                 'WindowsAgentBackupFailoverCluster'):
        assert is_agent_type(word)
    for word in ('VSphereBackup', 'Backup', 'BackupCopy', None):
        assert not is_agent_type(word)


def test_vbr_job_joins_state_model_and_server():
    state = {'id': JOB_ID, 'name': 'SQL Nightly', 'type': 'LinuxAgentBackup', 'description': 'db',
             'status': 'running', 'lastRun': '2026-12-02T04:46:49.067+01:00', 'lastResult': 'Success',
             'nextRun': '2026-12-02T22:00:00+01:00'}
    model = {'id': JOB_ID, 'isDisabled': True, 'schedule': {'runAutomatically': True}}
    job = vbr_job(state, model, {'vbrId': 'abc', 'name': 'vbr01'})
    assert job['platform'] == 'Linux' and job['running'] is True
    assert job['last_result'] is None, 'null while a run goes on'
    assert job['last_run'] == '2026-12-02T03:46:49Z' and job['next_run'] == '2026-12-02T21:00:00Z'
    assert job['schedule_enabled'] is False and job['schedule_configured'] is True
    assert job['backup_server_id'] == 'abc' and job['backup_server_name'] == 'vbr01'
    idle = vbr_job(dict(state, status='Inactive', type='VSphereBackup'), {'isDisabled': False})
    assert idle['last_result'] == 'Success' and idle['running'] is False and idle['platform'] is None
    assert idle['schedule_configured'] is None and idle['backup_server_id'] is None


def test_vbr_session_running_and_failed():
    running = vbr_session({'id': 's1', 'name': 'SQL Nightly', 'jobId': JOB_ID, 'state': 'Working',
                           'progressPercent': 40, 'creationTime': '2026-12-02T05:00:00+01:00',
                           'result': {'result': 'None', 'message': ''}}, {'name': 'SQL Nightly', 'type': 'VSphereBackup'})
    assert running['running'] is True and running['result'] == 'None' and running['end_time'] is None
    assert running['job_type'] == 'VSphereBackup' and running['progress'] == 40
    failed = vbr_session({'id': 's2', 'name': 'x', 'jobId': JOB_ID, 'state': 'Stopped', 'progressPercent': 100,
                          'creationTime': '2026-12-02T05:00:00Z', 'endTime': '2026-12-02T05:10:00Z',
                          'result': {'result': 'Failed', 'message': 'Disk full', 'isCanceled': False}})
    assert failed['failure_message'] == 'Disk full' and failed['end_time'] == '2026-12-02T05:10:00Z'


class Answer:
    def __init__(self, status, body=None):
        self.status_code = status
        self.text = json.dumps(body) if body is not None else ''
        self.headers = {'Content-Type': 'application/json; charset=utf-8'}


class FakeVBR:
    """A scripted VBR server behind a Transport-like ``send``: serves some revisions, hands out token
    pairs whose refresh token works once, and records every request."""

    def __init__(self, served=('1.2-rev1', '1.3-rev1', '1.3-rev2'), lifetime=900):
        self.served = set(served)
        self.lifetime = lifetime
        self.sent = []
        self.session = type('Session', (), {'headers': {}})()
        self.check_mode = False
        self.pairs = 0
        self.refresh_tokens = set()
        self.valid_access = set()
        self.logged_out = []
        self.closed = False
        self.lock = threading.Lock()

    def send(self, method, path, params=None, data=None, json_body=None, headers=None, idempotent=None,
             auth_request=False):
        headers = dict(self.session.headers, **(headers or {}))
        with self.lock:
            self.sent.append((method, path, headers.get('x-api-version'), dict(data or {})))
            if headers.get('x-api-version') not in self.served:
                listed = ', '.join('v' + revision for revision in sorted(self.served))
                return Answer(400, {'errorCode': 'NotImplemented', 'message': 'Unsupported RESTAPI version. The '
                                    'following versions are supported: %s.' % listed})
            if path == '/api/oauth2/token':
                if data['grant_type'] == 'refresh_token':
                    if data['refresh_token'] not in self.refresh_tokens:
                        return Answer(401, {'errorCode': 'InvalidToken', 'message': 'refresh token reused'})
                    self.refresh_tokens.discard(data['refresh_token'])
                elif data['password'] != 'pw':
                    return Answer(401, {'errorCode': 'AccessDenied', 'message': 'Invalid credentials.'})
                self.pairs += 1
                access, refresh = 'access-%d' % self.pairs, 'refresh-%d' % self.pairs
                self.valid_access.add(access)
                self.refresh_tokens.add(refresh)
                return Answer(200, {'access_token': access, 'refresh_token': refresh, 'token_type': 'bearer',
                                    'expires_in': self.lifetime})
            token = (headers.get('Authorization') or '').partition(' ')[2]
            if token not in self.valid_access:
                return Answer(401, {'errorCode': 'ExpiredToken', 'message': 'expired'})
            if path == '/api/oauth2/logout':
                self.logged_out.append(token)
                self.valid_access.discard(token)
                return Answer(200, {})
            return Answer(200, {'data': [], 'pagination': {'total': 0, 'count': 0, 'skip': 0, 'limit': 500}})

    def close(self):
        self.closed = True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def client(server, password='pw', api_version=None, clock=None):
    secrets = []
    made = VBRClient(server, 'admin', password, api_version=api_version, register_secret=secrets.append,
                     clock=clock or Clock())
    made.secrets = secrets
    return made


def test_a_13_1_server_costs_no_extra_request_to_find_the_revision():
    server = FakeVBR(served=('1.2-rev1', '1.3-rev1', '1.3-rev2'))
    with client(server) as vbr:
        assert str(vbr.revision) == '1.3-rev2'
        vbr.get('/api/v1/jobs/states')
    assert [entry[:3] for entry in server.sent] == [
        ('POST', '/api/oauth2/token', '1.3-rev2'), ('GET', '/api/v1/jobs/states', '1.3-rev2'),
        ('POST', '/api/oauth2/logout', '1.3-rev2')]
    assert server.logged_out == ['access-1'] and server.closed


@pytest.mark.parametrize('served, chosen', [(('1.0-rev1', '1.2-rev1'), '1.2-rev1'),
                                            (('1.2-rev1', '1.3-rev0', '1.3-rev1'), '1.3-rev1')])
def test_an_older_server_costs_one_extra_token_request(served, chosen):
    server = FakeVBR(served=served)
    with client(server) as vbr:
        assert str(vbr.revision) == chosen
    tokens = [entry for entry in server.sent if entry[1] == '/api/oauth2/token']
    assert [entry[2] for entry in tokens] == ['1.3-rev2', chosen]


def test_a_server_older_than_12_3_is_refused_naming_what_it_serves():
    server = FakeVBR(served=('1.0-rev1', '1.1-rev1'))
    with pytest.raises(VeeamUnsupportedError) as caught:
        client(server).__enter__()
    assert '1.1-rev1' in caught.value.message and '1.2-rev1 or later (VBR 12.3' in caught.value.message
    assert 'api_version' in caught.value.message


def test_a_pinned_revision_is_used_as_is_or_refused_naming_the_option():
    server = FakeVBR(served=('1.2-rev1', '1.3-rev1'))
    with client(server, api_version='1.2-rev1') as vbr:
        assert str(vbr.revision) == '1.2-rev1'
    assert {entry[2] for entry in server.sent} == {'1.2-rev1'}
    with pytest.raises(VeeamOptionError) as caught:
        client(FakeVBR(served=('1.2-rev1',)), api_version='1.3-rev2').__enter__()
    assert caught.value.message.startswith('api_version:') and '1.2-rev1' in caught.value.message


def test_a_refused_password_names_the_user_and_registers_no_token():
    with pytest.raises(VeeamAuthError) as caught:
        client(FakeVBR(), password='wrong').__enter__()
    assert "'admin'" in caught.value.message and 'Invalid credentials.' in caught.value.message


def test_tokens_are_registered_as_secrets():
    server = FakeVBR()
    with client(server) as vbr:
        pass
    assert vbr.secrets == ['access-1', 'refresh-1']


def test_an_expired_token_is_refreshed_once_by_parallel_workers():
    clock = Clock()
    server = FakeVBR(lifetime=900)
    with client(server, clock=clock) as vbr:
        clock.now = 10000  # past expiry: every worker wants a new token at once
        workers = [threading.Thread(target=vbr.get, args=('/api/v1/jobs/states',)) for dummy in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    grants = [entry[3].get('grant_type') for entry in server.sent if entry[1] == '/api/oauth2/token']
    assert grants == ['password', 'refresh_token']
    assert server.logged_out == ['access-2']


def test_a_401_renews_the_token_with_the_refresh_token_and_resends():
    server = FakeVBR()
    with client(server) as vbr:
        server.valid_access.clear()  # the server forgot the token (restart, expiry)
        vbr.get('/api/v1/jobs/states')
    paths = [(entry[1], entry[3].get('grant_type')) for entry in server.sent]
    assert paths == [('/api/oauth2/token', 'password'), ('/api/v1/jobs/states', None),
                     ('/api/oauth2/token', 'refresh_token'), ('/api/v1/jobs/states', None),
                     ('/api/oauth2/logout', None)]


def test_logout_renews_an_expired_token_first_and_happens_on_failure_too():
    clock = Clock()
    server = FakeVBR()
    with pytest.raises(RuntimeError):
        with client(server, clock=clock):
            clock.now = 10000
            raise RuntimeError('the module failed')
    assert [entry[3].get('grant_type') for entry in server.sent] == ['password', 'refresh_token', None]
    assert server.logged_out == ['access-2'] and server.closed
