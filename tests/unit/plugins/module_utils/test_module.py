# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    base_url,
    basic_credentials,
    check_api_version,
    check_credentials,
    check_job_id,
    check_not_empty,
    mask,
    secret_forms,
)


@pytest.mark.parametrize('api, server, port, expected', [
    ('em', 'em.corp.example', None, 'https://em.corp.example:9398/api'),
    ('vspc', 'vspc.corp.example', None, 'https://vspc.corp.example:1280/api/v3'),
    ('em', 'em.corp.example', 443, 'https://em.corp.example:443/api'),
    ('em', 'em.corp.example:9999', 443, 'https://em.corp.example:9999/api'),
    ('em', 'https://em.corp.example', None, 'https://em.corp.example:9398/api'),
    ('em', 'https://em.corp.example:8443/api/', 1, 'https://em.corp.example:8443/api'),
    ('vspc', 'https://vspc.corp.example/api/v3', None, 'https://vspc.corp.example:1280/api/v3'),
    ('em', '10.0.0.5', None, 'https://10.0.0.5:9398/api'),
    ('em', '[::1]:9400', None, 'https://[::1]:9400/api'),
    ('em', '::1', None, 'https://[::1]:9398/api'),
    ('em', '  em.corp.example  ', None, 'https://em.corp.example:9398/api'),
    ('vbr', 'vbr.corp.example', None, 'https://vbr.corp.example:9419'),
    ('vbr', 'https://vbr.corp.example/api/v1', 443, 'https://vbr.corp.example:443'),
])
def test_base_url(api, server, port, expected):
    assert base_url(api, server, port) == expected


@pytest.mark.parametrize('server, port, words', [
    ('', None, ['server']),
    ('http://em.corp.example', None, ['server', 'https only']),
    ('https://em.corp.example/other', None, ['server', 'path']),
    ('em.corp.example:port', None, ['server', 'invalid port']),
    ('em corp', None, ['server']),
    ('em.corp.example', 70000, ['port']),
    ('em.corp.example', 0, ['port (VEEAM_PORT): 0 is not a TCP port']),
    ('em.corp.example:0', None, ['port (VEEAM_PORT): 0 is not a TCP port']),
])
def test_base_url_rejects_bad_servers_naming_the_option(server, port, words):
    with pytest.raises(VeeamOptionError) as caught:
        base_url('em', server, port)
    for word in words:
        assert word in caught.value.message


def params(**kwargs):
    base = dict(api='em', username=None, password=None, api_key=None)
    base.update(kwargs)
    return base


@pytest.mark.parametrize('given', [
    params(username='admin', password='p:a&s%s+ wörd'),
    params(api='vspc', username='admin', password='x'),
    params(api='vspc', api_key='key'),
])
def test_valid_credentials(given):
    check_credentials(given)


@pytest.mark.parametrize('given, words', [
    (params(), ['missing credentials', 'username', 'password', 'VEEAM_USERNAME']),
    (params(api='vspc'), ['missing credentials', 'api_key']),
    (params(username='admin'), ['password (VEEAM_PASSWORD) is required']),
    (params(password='x'), ['username (VEEAM_USERNAME) is required']),
    (params(api_key='key'), ['api_key', 'api=vspc only']),
    (params(api='vbr', api_key='key'), ['api_key', 'api=vspc only', 'VBR REST API (api=vbr) needs username']),
    (params(api='vbr'), ['missing credentials', 'username', 'password']),
    (params(api='vspc', api_key='key', username='admin', password='x'), ['either api_key', 'not both']),
])
def test_bad_credentials_name_the_options(given, words):
    with pytest.raises(VeeamOptionError) as caught:
        check_credentials(given)
    for word in words:
        assert word in caught.value.message


@pytest.mark.parametrize('value', [None, '2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b', 'urn:veeam:Job:2E6C1A3F-7B1D-4F9A-9B52-0C1D2E3F4A5B',
                                   'urn:veeam:AgentBackupJob:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b'])
def test_job_ids_accepted(value):
    check_job_id(value, 'id')


@pytest.mark.parametrize('value', ['42', 'SQL Nightly', 'urn:veeam:Job:42', '2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b"'])
def test_malformed_job_ids_are_refused_naming_the_option(value):
    with pytest.raises(VeeamOptionError) as caught:
        check_job_id(value, 'id')
    assert caught.value.message.startswith('id: ')


def test_empty_strings_are_refused_naming_the_option():
    with pytest.raises(VeeamOptionError) as caught:
        check_not_empty({'name': '  ', 'type': None}, 'name', 'type')
    assert caught.value.message == 'name: must not be empty'
    with pytest.raises(VeeamOptionError) as caught:
        check_not_empty({'name': None, 'type': ['Backup', '']}, 'name', 'type')
    assert caught.value.message.startswith('type: ')


@pytest.mark.parametrize('given, expected', [
    (params(api='vbr', api_version='1.3-rev1'), '1.3-rev1'),
    (params(api='vbr', api_version=' v1.2-rev1 '), '1.2-rev1'),
    (params(api='vbr', api_version=None), None),
    (params(api='em', api_version=None), None),
    (params(api='em', api_version=''), None),
])
def test_api_version_accepted(given, expected):
    assert check_api_version(given) == expected


@pytest.mark.parametrize('given, words', [
    (params(api='em', api_version='1.3-rev1'), ['api_version is for api=vbr only', 'Enterprise Manager', 'VEEAM_API_VERSION']),
    (params(api='vspc', api_version='1.3-rev1'), ['api_version is for api=vbr only', 'api=vspc']),
    (params(api='vbr', api_version='13.1'), ['api_version (VEEAM_API_VERSION): ', 'such as 1.3-rev1']),
    (params(api='vbr', api_version='1.3-rev1; x'), ['api_version (VEEAM_API_VERSION): ']),
])
def test_bad_api_version_names_the_option(given, words):
    with pytest.raises(VeeamOptionError) as caught:
        check_api_version(given)
    for word in words:
        assert word in caught.value.message


def test_every_form_of_a_secret_is_masked_the_longest_first():
    password = 'p@ss w0rd/+&=%\u00fc"<>'
    forms = secret_forms(password) | secret_forms(basic_credentials('CORP\\op', password))
    echoed = ('refused grant_type=password&username=op&password=p%40ss+w0rd%2F%2B%26%3D%25%C3%BC%22%3C%3E; '
              'header Basic Q09SUFxvcDpwQHNzIHcwcmQvKyY9JcO8Ijw+; body "p@ss w0rd/+&=%\\u00fc\\"<>"; '
              'xml p@ss w0rd/+&amp;=%\u00fc&quot;&lt;&gt;; plain p@ss w0rd/+&=%\u00fc"<>; path p%40ss%20w0rd%2F%2B%26%3D%25%C3%BC%22%3C%3E')
    masked = mask(echoed, forms)
    assert masked.count('********') == 6, masked
    for form in forms:
        assert form not in masked
    assert mask('nothing secret here', forms) == 'nothing secret here'
    assert secret_forms(None) == set() and secret_forms('') == set()
