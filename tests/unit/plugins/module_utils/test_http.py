# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from urllib import request as urllib_request

import pytest
import requests

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamCheckModeError,
    VeeamConnectionError,
    VeeamProtocolError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._http import (
    MAX_ANSWER_BYTES,
    RetryPolicy,
    Transport,
    retry_after_seconds,
)


@pytest.mark.parametrize('status', [500, 502, 503, 504, 520])
def test_reads_are_retried_on_server_errors_with_growing_backoff(status):
    policy = RetryPolicy(attempts=4, backoff=0.5)
    delays = [policy.delay(attempt, idempotent=True, status=status) for attempt in (1, 2, 3, 4)]
    assert delays == [0.5, 1.0, 2.0, None]


@pytest.mark.parametrize('status', [500, 502, 503, 504, 520])
def test_changing_requests_are_never_retried_after_server_errors(status):
    assert RetryPolicy().delay(1, idempotent=False, status=status) is None
    assert RetryPolicy().delay(1, idempotent=False, connection_error=True) is None


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(status):
    assert RetryPolicy().delay(1, idempotent=True, status=status) is None


def test_throttling_waits_as_long_as_the_server_asks_even_for_changing_requests():
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay(1, idempotent=False, status=429, retry_after=25) == 25
    assert policy.delay(1, idempotent=True, status=429, retry_after=600) == 60
    assert policy.delay(1, idempotent=True, status=429) == policy.backoff_delay(1)


class FakeResponse(requests.Response):
    """A real requests.Response whose body streams from memory (``chunks``: the pieces the server sends; an
    exception among them breaks the connection there)."""

    def __init__(self, status, body=None, headers=None, chunks=None):
        super(FakeResponse, self).__init__()
        self.status_code = status
        self.headers.update(headers or {})
        data = json.dumps(body).encode('utf-8') if body is not None else b''
        if body is not None:
            self.headers.setdefault('Content-Type', 'application/json')
        self.pieces = list(chunks) if chunks is not None else ([data] if data else [])
        self._content = data if chunks is None else False

    def close(self):
        self.closed = True

    def iter_content(self, chunk_size=1, decode_unicode=False):
        for piece in self.pieces:
            if isinstance(piece, Exception):
                raise piece
            yield piece


def test_retry_after_from_vspc_body_or_header():
    assert retry_after_seconds(FakeResponse(429, {'errors': [{'type': 'transport', 'code': 429, 'retryAfter': 25}]})) == 25
    assert retry_after_seconds(FakeResponse(429, headers={'Retry-After': '7'})) == 7
    assert retry_after_seconds(FakeResponse(429)) is None


class FakeSession:
    """Stands in for requests.Session: answers from a list, records what was sent."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url))
        self.kwargs = kwargs
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        pass


def transport_with(answers, check_mode=False):
    sleeps = []
    transport = Transport('https://veeam.example:9398/api', check_mode=check_mode, sleep=sleeps.append)
    transport.session = FakeSession(answers)
    return transport, sleeps


def test_transport_retries_a_read_then_returns_the_answer():
    transport, sleeps = transport_with([FakeResponse(503), requests.exceptions.ConnectionError('reset'), FakeResponse(200)])
    assert transport.send('GET', '/query').status_code == 200
    assert len(transport.session.sent) == 3 and sleeps == [0.5, 1.0]


def test_transport_sends_a_job_start_once_whatever_happens():
    transport, sleeps = transport_with([FakeResponse(503)])
    assert transport.send('POST', '/jobs/1?action=start').status_code == 503
    transport, sleeps = transport_with([requests.exceptions.ConnectionError('reset')])
    with pytest.raises(VeeamConnectionError):
        transport.send('POST', '/jobs/1?action=start')
    assert len(transport.session.sent) == 1 and sleeps == []


def test_transport_resends_a_throttled_start_after_the_hinted_wait():
    throttled = FakeResponse(429, {'errors': [{'type': 'transport', 'code': 429, 'retryAfter': 3}]})
    transport, sleeps = transport_with([throttled, FakeResponse(200)])
    assert transport.send('POST', '/infrastructure/backupServers/jobs/1/start').status_code == 200
    assert sleeps == [3.0]


def test_transport_gives_up_after_the_last_attempt_and_returns_the_error_answer():
    transport, sleeps = transport_with([FakeResponse(502)] * 4)
    assert transport.send('GET', '/query').status_code == 502
    assert len(sleeps) == 3


def test_transport_names_the_timeout_option_on_a_slow_server():
    transport, dummy = transport_with([requests.exceptions.ReadTimeout('slow')])
    with pytest.raises(VeeamConnectionError) as caught:
        transport.send('GET', '/query')
    assert 'timeout' in caught.value.message


def test_check_mode_refuses_changing_requests_but_not_logon():
    transport, dummy = transport_with([FakeResponse(201)], check_mode=True)
    for method in ('POST', 'PUT', 'PATCH', 'DELETE'):
        with pytest.raises(VeeamCheckModeError):
            transport.send(method, '/jobs/1?action=start')
    assert transport.session.sent == []
    assert transport.send('POST', '/sessionMngr/', auth_request=True).status_code == 201


def test_transport_keeps_no_cookies():
    transport = Transport('https://veeam.example:9398/api')
    cookie = requests.cookies.create_cookie('X-RestSvcSessionId', 'abc', domain='veeam.example', path='/api')
    request = urllib_request.Request('https://veeam.example:9398/api/sessionMngr/')
    assert transport.session.cookies._policy.set_ok(cookie, request) is False


def test_ca_path_wins_over_the_ca_bundle_environment_variables(monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    monkeypatch.setenv('CURL_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    transport = Transport('https://veeam.example:9398/api', ca_path='/etc/corp/ca.pem', sleep=None)
    transport.session = FakeSession([FakeResponse(200)])
    transport.send('GET', '/query')
    assert transport.session.kwargs['verify'] == '/etc/corp/ca.pem'
    transport = Transport('https://veeam.example:9398/api', validate_certs=False, ca_path='/etc/corp/ca.pem')
    transport.session = FakeSession([FakeResponse(200)])
    transport.send('GET', '/query')
    assert transport.session.kwargs['verify'] is False


@pytest.mark.parametrize('status, location', [
    (302, 'http://127.0.0.1:8080/api/query'),
    (307, 'https://elsewhere.example:9398/api/sessionMngr/?v=latest'),
    (308, 'https://admin:secret@veeam.example:9398/api/query'),
    (301, '/api/other'),
])
def test_a_redirect_is_never_followed_and_names_the_status_and_location(status, location):
    transport, sleeps = transport_with([FakeResponse(status, headers={'Location': location})])
    with pytest.raises(VeeamProtocolError) as caught:
        transport.send('GET', '/query')
    message = caught.value.message
    assert 'HTTP %d' % status in message and 'never follows redirects' in message
    assert location.replace('admin:secret@', '') in message and 'secret' not in message
    assert transport.session.kwargs['allow_redirects'] is False and len(transport.session.sent) == 1 and sleeps == []


def test_only_https_is_mounted_and_a_link_is_followed_on_this_server_only():
    transport = Transport('https://veeam.example:1280/api/v3')
    assert list(transport.session.adapters) == ['https://']
    for link in ('https://VSPC01.corp.example:1280/api/v3/asyncActions/1', 'http://evil.example/api/v3/asyncActions/1'):
        assert transport.url(link) == 'https://veeam.example:1280/api/v3/asyncActions/1'


def test_an_answer_over_the_cap_fails_without_being_read_whole():
    announced = FakeResponse(200, headers={'Content-Length': str(MAX_ANSWER_BYTES + 1)}, chunks=[])
    transport, dummy = transport_with([announced])
    with pytest.raises(VeeamProtocolError) as caught:
        transport.send('GET', '/query')
    assert '64 MiB' in caught.value.message

    served = []

    def endless():
        while True:
            served.append(1)
            yield b'x' * (1024 * 1024)
    unannounced = FakeResponse(200, chunks=[])
    unannounced.iter_content = lambda *args, **kwargs: endless()
    transport, dummy = transport_with([unannounced])
    with pytest.raises(VeeamProtocolError):
        transport.send('GET', '/query')
    assert len(served) == 65  # stopped at the first MiB past the cap


def test_a_connection_broken_mid_answer_retries_a_read_but_never_a_start():
    broken = requests.exceptions.ChunkedEncodingError('connection broken')
    transport, sleeps = transport_with([FakeResponse(200, chunks=[b'{"da', broken]), FakeResponse(200, {'data': []})])
    assert transport.send('GET', '/jobs').json() == {'data': []}
    assert sleeps == [0.5]
    transport, sleeps = transport_with([FakeResponse(200, chunks=[b'{"da', broken])])
    with pytest.raises(VeeamConnectionError) as caught:
        transport.send('POST', '/jobs/1/start')
    assert 'may have carried it out' in caught.value.message and sleeps == []
