# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest
from scripted import Scripted, xml

from ansible_collections.backupops.veeam.plugins.module_utils._em import (
    EMClient,
    basic_auth_header,
    enum_word,
    job_urn,
    quote,
    relative,
    server_condition,
)
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError, VeeamProtocolError

GUID = '7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11'


@pytest.mark.parametrize('value, expected', [
    ('SQL Nightly', '"SQL Nightly"'),
    ('Exchange "Mail" Backup', '"Exchange ""Mail"" Backup"'),
    ('a,b;c==d', '"a,b;c==d"'),
    ('"', '""""'),
    (u'Sauvegarde générale', u'"Sauvegarde générale"'),
])
def test_quote_doubles_inner_quotes(value, expected):
    assert quote(value) == expected


@pytest.mark.parametrize('value', ['Backup;Name==x', 'Backup"', '', 'Back up', '1Backup'])
def test_enum_words_cannot_carry_filter_syntax(value):
    with pytest.raises(VeeamOptionError) as caught:
        enum_word(value, 'type')
    assert caught.value.message.startswith('type: ')


def test_server_condition_by_id_urn_or_name():
    assert server_condition(GUID) == 'BackupServerUid=="urn:veeam:BackupServer:%s"' % GUID
    assert server_condition('urn:veeam:BackupServer:' + GUID) == 'BackupServerUid=="urn:veeam:BackupServer:%s"' % GUID
    assert server_condition('vbr "prod"') == 'BackupServerName=="vbr ""prod"""'


def test_job_urn():
    assert job_urn(GUID) == 'urn:veeam:Job:' + GUID
    assert job_urn(GUID, agent=True) == 'urn:veeam:AgentBackupJob:' + GUID
    assert job_urn('urn:veeam:Job:' + GUID, agent=True) == 'urn:veeam:Job:' + GUID


def test_relative_drops_the_servers_own_host_name():
    href = 'https://vbr-em.internal:9398/api/query?type=Job&pageSize=500&page=2'
    assert relative(href) == '/query?type=Job&pageSize=500&page=2'
    assert relative('https://x:9398/api/logonSessions/' + GUID) == '/logonSessions/' + GUID


@pytest.mark.parametrize('username, password', [
    ('admin', 'p:a&s%s+ wörd'),
    ('CORP\\tricky', u'пароль:with colon'),
])
def test_basic_auth_is_utf8_and_keeps_colons_in_the_password(username, password):
    header = basic_auth_header(username, password)
    assert header.startswith('Basic ')
    decoded = base64.b64decode(header[6:]).decode('utf-8')
    assert decoded.split(':', 1) == [username, password]


def test_next_page_prefers_the_next_link_then_page_numbers():
    with_link = {'PagingInfo': {'PageNum': '1', 'PagesCount': '3', 'Links': {'Link': [
        {'Rel': 'First', 'Href': 'https://em:9398/api/query?type=Job&page=1'},
        {'Rel': 'Next', 'Href': 'https://em:9398/api/query?type=Job&page=2'}]}}}
    assert EMClient._next_page(with_link, {'type': 'Job'}) == ('/query?type=Job&page=2', None)
    numbers_only = {'PagingInfo': {'PageNum': 1, 'PagesCount': 3, 'Links': None}}
    assert EMClient._next_page(numbers_only, {'type': 'Job', 'page': 1}) == ('/query', {'type': 'Job', 'page': 2})
    last = {'PagingInfo': {'PageNum': 3, 'PagesCount': 3, 'Links': [{'Rel': 'Last', 'Href': 'x'}]}}
    assert EMClient._next_page(last, {'type': 'Job', 'page': 3}) is None
    assert EMClient._next_page({}, {'type': 'Job'}) is None


def test_a_logon_whose_body_cannot_be_read_is_still_logged_off_by_its_location():
    server = Scripted()
    server.route('POST', '/sessionMngr/', xml(201, '<LogonSession><broken', headers={
        'X-RestSvcSessionId': 'c2Vzc2lvbg==', 'Location': 'https://em01:9398/api/logonSessions/' + GUID}))
    server.route('DELETE', '/logonSessions/' + GUID, xml(204, ''))
    secrets = []
    client = EMClient(server, 'admin', 'pw', register_secret=secrets.append)
    with pytest.raises(VeeamProtocolError):
        with client:
            pass
    [logoff] = server.requests('DELETE')
    assert logoff.path == '/logonSessions/' + GUID
    assert 'c2Vzc2lvbg==' in secrets and GUID in secrets
