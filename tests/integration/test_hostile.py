# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile servers on every API: the module talks to a proxy in front of the simulator (tests/integration/hostile.py)
that answers chosen requests itself, the way a compromised, misconfigured or broken server could.

- A redirect (3xx) of the logon / token request or of a later read, to another host or to plain http, fails the
  module naming the status and the Location (without its user:password@ part); nothing reaches the target, and
  the EM session / VBR token of a read that was redirected is still logged off / out.
- ``timeout`` bounds a whole attempt, body included: a body dribbled a byte every 2 s and a chunked body that
  never ends fail after ``timeout`` seconds, naming the option, after one attempt (a timeout is not retried),
  on a connection kept alive and on one the server said it closes (``Connection: close``).
- An answer over 64 MiB (announced, endless, or a gzip body that unpacks beyond it) is refused without being
  read whole; JSON nested 100000 levels and XML nested 100 levels fail with the collection's own message.
- An EM logon answered 201 with a session header and a Location but a body that cannot be parsed fails cleanly,
  and the session it opened is logged off all the same.
- A server that echoes every credential, session id and token it got (in its error messages, and in the
  Location of a redirected logoff) leaks none of them into stdout, -vvv output, warnings or ansible-runner events.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
from xml.sax.saxutils import escape as xml_escape

try:
    from urllib.parse import quote, quote_plus
except ImportError:  # pragma: no cover
    from urllib import quote, quote_plus

import pytest
import yaml

from ansible_run import (
    READ_PATH,
    RUNNER_INVENTORY,
    assert_logged_off,
    run_module,
    run_playbook,
    runner_envvars,
    secrets_seen,
    veeam_env,
)
from hostile import LOGON_PATH, LOOPBACK, MiB, SESSION_HEADER, HostileProxy, RecordingSink


JOB_INFO = 'backupops.veeam.veeam_job_info'
JOB = 'File Server Backup'
TIMEOUT = 3
# one request with its retries: 4 attempts of ``timeout`` seconds and the back-off between them (0.5 + 1 + 2 s)
REQUEST_BOUND = 4 * TIMEOUT + 3.5
# a user whose password changes under every encoding: URL (both ways), base64, XML, JSON
USER = 'hostile-op'
PASSWORD = u'p@ss w0rd/+&=%\u00fc"<>'
# the user:password@ of a redirect's Location, which no message may show
LOCATION_USERINFO = 'intruder:Hunter2-Location-Pass'


# -- fixtures and helpers -----------------------------------------------------------------------------
@pytest.fixture
def proxy(simulator, api):
    """A hostile proxy in front of the simulator's ``api`` listener, closed after the test."""
    with HostileProxy(simulator, api) as hostile:
        yield hostile


@pytest.fixture
def sinks(simulator):
    """Two recording sinks, the targets of the redirects: ``(https one, plain http one)``."""
    with RecordingSink(simulator) as tls_sink, RecordingSink() as plain_sink:
        yield tls_sink, plain_sink


def proxied_env(simulator, api, proxy, **kwargs):
    """The VEEAM_* variables of the simulator, with the proxy as the server."""
    return veeam_env(simulator, api, VEEAM_SERVER=LOOPBACK, VEEAM_PORT=str(proxy.port), **kwargs)


def client_path(api, path):
    """A path as the module's messages name it: under the API's base path (/api, /api/v3; VBR: whole)."""
    base = {'em': '/api', 'vspc': '/api/v3', 'vbr': ''}[api]
    return path[len(base):]


def job_info_task(name, **options):
    return {'name': name, JOB_INFO: dict({'name': JOB}, **options), 'ignore_errors': True}


def entry_of(run, name):
    """The result_file line of the (last) task of that name: task, status, seconds, result."""
    found = [entry for entry in run.results if entry['task'] == name]
    assert found, 'no result for task %r; output:\n%s' % (name, run.output[-3000:])
    return found[-1]


def assert_failed_cleanly(run, name, api, *words):
    """The task failed through the module's own fail_json, with a message holding ``words``, and ``api`` in the
    result; no traceback anywhere. Returns the result."""
    entry = entry_of(run, name)
    result = entry['result']
    assert entry['status'] == 'failed', (name, result)
    message = result.get('msg') or ''
    assert 'MODULE FAILURE' not in message and 'module_stderr' not in result and 'exception' not in result, (name, result)
    assert result.get('api') == api, (name, result)
    for word in words:
        assert word in message, (name, word, message)
    assert 'Traceback' not in run.output, run.output[-3000:]
    return result


def assert_one_attempt(proxy, label, method, path, expected_total):
    """The request the rule ``label`` answered was sent once: not retried, the next match went to the next case."""
    assert len(proxy.answered_by(label)) == 1, (label, [(r['method'], r['path'], r['rule']) for r in proxy.records])
    assert len(proxy.matching(method, path)) == expected_total, [(r['method'], r['path'], r['rule']) for r in proxy.records]


# -- 1. redirects -------------------------------------------------------------------------------------
def test_redirects_of_the_logon_and_of_a_read_are_never_followed(simulator, api, proxy, sinks, tmp_path):
    """307/308 of the logon and 302/301 of the job listing, to https on another host name (``localhost`` while the
    module talks to 127.0.0.1, with a user:password@ in the Location) and to plain http: each fails naming the
    status and the Location without its credentials; neither sink gets so much as a connection; the EM session /
    VBR token of each read is logged off / out."""
    tls_sink, plain_sink = sinks
    logon, read = LOGON_PATH[api], READ_PATH[api]
    cross_host = 'https://%s@localhost:%d' % (LOCATION_USERINFO, tls_sink.port)
    cases = [
        # task, method, path, nth request of that path, status, Location, Location as a message shows it
        ('logon to another host', 'POST', logon, 1, 307, cross_host + logon + '/?v=latest',
         'https://localhost:%d%s/?v=latest' % (tls_sink.port, logon)),
        ('logon downgraded to http', 'POST', logon, 2, 308, plain_sink.url(logon), plain_sink.url(logon)),
        ('read to another host', 'GET', read, 1, 302, cross_host + read + '?page=1',
         'https://localhost:%d%s?page=1' % (tls_sink.port, read)),
        ('read downgraded to http', 'GET', read, 2, 301, plain_sink.url(read), plain_sink.url(read)),
    ]
    for task, method, path, nth, status, location, dummy in cases:
        proxy.rule(task, method, path, 'redirect', nth=nth, status=status, location=location)
    run = run_playbook(tmp_path, [job_info_task(case[0]) for case in cases], proxied_env(simulator, api, proxy),
                       timeout=120)

    for task, method, path, nth, status, location, shown in cases:
        result = assert_failed_cleanly(run, task, api, 'HTTP %d' % status, 'never follows redirects', shown)
        assert result.get('status') == status and result.get('location') == shown, (task, result)
        assert len(proxy.answered_by(task)) == 1, task  # answered once, not sent again
    assert LOCATION_USERINFO.split(':')[1] not in run.output + json.dumps(run.results)
    assert tls_sink.untouched() and plain_sink.untouched(), (tls_sink.requests, plain_sink.requests)
    # the two reads had logged on: their session / token pair was closed after the redirect
    counters = simulator.counters()
    if api == 'em':
        assert counters['em']['logons'] == 2, counters['em']
        assert len(proxy.matching('DELETE', '/api/logonSessions/')) == 2
    elif api == 'vbr':
        assert counters['vbr']['tokens_issued'] == 2, counters['vbr']
        assert len(proxy.matching('POST', '/api/oauth2/logout')) == 2
    assert_logged_off(simulator)


# -- 2. timeouts --------------------------------------------------------------------------------------
def assert_timed_out_after_one_attempt(run, proxy, api, tasks):
    """Each task failed naming the option, the proxy got its request once and saw the client hang up on it, and
    the task (module start, logon, the read, logoff) took less than one request with its retries may take."""
    read = READ_PATH[api]
    for task in tasks:
        assert_failed_cleanly(run, task, api, 'GET %s: ' % client_path(api, read),
                              'within %d seconds (option timeout)' % TIMEOUT)
        assert proxy.stream(task)['ended'] == 'client went away', (task, proxy.stream(task))
        assert entry_of(run, task)['seconds'] < REQUEST_BOUND + 5, (task, entry_of(run, task)['seconds'])
        assert_one_attempt(proxy, task, 'GET', read, len(tasks))


def test_a_body_slower_than_timeout_fails_after_one_attempt(simulator, api, proxy, tmp_path):
    """With ``timeout: 3``, a job listing whose body comes one byte every 2 s (under a Content-Length of 4096),
    and one whose chunked body never ends (a chunk a second), on a connection kept alive: each fails naming the
    option, after exactly one attempt (the proxy got the request once; the client hung up on it), well within
    4 x timeout + back-off."""
    read = READ_PATH[api]
    proxy.rule('slow body', 'GET', read, 'dribble', nth=1, interval=2.0, length=4096)
    proxy.rule('endless chunked body', 'GET', read, 'endless_chunks', nth=2, interval=1.0)
    tasks = [job_info_task('slow body', timeout=TIMEOUT), job_info_task('endless chunked body', timeout=TIMEOUT)]
    run = run_playbook(tmp_path, tasks, proxied_env(simulator, api, proxy), timeout=120)
    assert_timed_out_after_one_attempt(run, proxy, api, ['slow body', 'endless chunked body'])
    assert_logged_off(simulator)


def test_a_slow_body_with_connection_close_is_bounded_by_timeout_too(simulator, api, proxy, tmp_path):
    """The same slow answers, with ``Connection: close`` in their headers (as an HTTP/1.0 or a streaming server
    answers): a body of 4 bytes sent one every 2 s and a chunked body of 6 one-byte chunks a second apart. Both
    last far longer than ``timeout: 3``, so each must fail naming the option after one attempt; a client that
    loses its deadline on such a connection reads them to their end instead."""
    read = READ_PATH[api]
    proxy.rule('slow body, Connection: close', 'GET', read, 'dribble', nth=1, interval=2.0, length=4, close=True)
    proxy.rule('chunked body, Connection: close', 'GET', read, 'endless_chunks', nth=2, interval=1.0, chunks=6,
               close=True)
    tasks = [job_info_task('slow body, Connection: close', timeout=TIMEOUT),
             job_info_task('chunked body, Connection: close', timeout=TIMEOUT)]
    run = run_playbook(tmp_path, tasks, proxied_env(simulator, api, proxy), timeout=120)
    assert_timed_out_after_one_attempt(run, proxy, api, ['slow body, Connection: close', 'chunked body, Connection: close'])
    assert_logged_off(simulator)


# -- 3. size and depth --------------------------------------------------------------------------------
def test_an_answer_over_64_mib_is_refused_without_being_read_whole(simulator, api, proxy, tmp_path):
    """A job listing that announces 1 GiB (refused from its headers), one whose chunked body never ends (refused
    once 64 MiB are in: the proxy could send little more before the client hung up), and a gzip body of 100 KB
    that unpacks to 80 MiB (the cap counts what the answer unpacks to). Each fails naming 64 MiB, cleanly,
    after one attempt, and the module's session is closed."""
    read = READ_PATH[api]
    proxy.rule('announced 1 GiB', 'GET', read, 'huge', nth=1, announce=1024 * MiB)
    proxy.rule('endless body', 'GET', read, 'huge', nth=2)
    proxy.rule('gzip bomb', 'GET', read, 'huge', nth=3, gzipped=80 * MiB)
    tasks = [job_info_task('announced 1 GiB'), job_info_task('endless body'), job_info_task('gzip bomb')]
    run = run_playbook(tmp_path, tasks, proxied_env(simulator, api, proxy), timeout=120)

    for task in ('announced 1 GiB', 'endless body', 'gzip bomb'):
        assert_failed_cleanly(run, task, api, '64 MiB')
        assert_one_attempt(proxy, task, 'GET', read, 3)
    announced, endless = proxy.stream('announced 1 GiB'), proxy.stream('endless body')
    assert announced['ended'] == 'client went away' and announced['bytes'] < 16 * MiB, announced
    assert endless['ended'] == 'client went away', endless
    assert 64 * MiB <= endless['bytes'] < 96 * MiB, endless
    assert '1073741824 bytes announced' in entry_of(run, 'announced 1 GiB')['result']['msg']
    assert_logged_off(simulator)


def test_deeply_nested_answers_fail_with_the_collections_own_message(simulator, api, proxy, tmp_path):
    """A logon / token answer and a job listing nested too deep to be the Veeam API: JSON 100000 levels (vspc, vbr),
    XML 100 levels (em). Each fails with the collection's message naming the nesting, with ``api`` in the result:
    no traceback, no MODULE FAILURE."""
    depth = 100 if api == 'em' else 100000
    proxy.rule('nested logon answer', 'POST', LOGON_PATH[api], 'nested', nth=1, depth=depth)
    proxy.rule('nested job listing', 'GET', READ_PATH[api], 'nested', nth=1, depth=depth)
    tasks = [job_info_task('nested logon answer'), job_info_task('nested job listing')]
    run = run_playbook(tmp_path, tasks, proxied_env(simulator, api, proxy), timeout=120)

    for task in ('nested logon answer', 'nested job listing'):
        assert_failed_cleanly(run, task, api, 'nested')
        assert len(proxy.answered_by(task)) == 1, task
    assert_logged_off(simulator)


# -- 4. an EM logon answer that cannot be read ----------------------------------------------------------
def test_em_logon_with_an_unreadable_body_fails_and_logs_the_session_off(simulator):
    """EM answers the logon 201 with its X-RestSvcSessionId and a Location naming the session, but the body is
    ``<LogonSession><broken``: the module fails cleanly, then deletes that session (DELETE of the Location's
    /api/logonSessions/<guid>, with the session header), and shows neither the session id nor the header."""
    with HostileProxy(simulator, 'em') as proxy:
        proxy.rule('garbage logon', 'POST', LOGON_PATH['em'], 'garbage_logon')
        run = run_module(JOB_INFO, {'name': JOB}, proxied_env(simulator, 'em', proxy), timeout=120)
        [logon] = proxy.answered_by('garbage logon')
        deletes = proxy.matching('DELETE', '/api/logonSessions/')
    assert run.rc != 0
    result = run.last
    assert 'MODULE FAILURE' not in result.get('msg', '') and 'module_stderr' not in result, result
    assert result.get('api') == 'em' and 'XML' in result['msg'] and 'cannot be parsed' in result['msg'], result
    assert 'Traceback' not in run.output

    given = dict((name.lower(), value) for name, value in logon['answer_headers'])
    token, location = given[SESSION_HEADER.lower()], given['location']
    session_id = location.rstrip('/').rsplit('/', 1)[-1]
    assert logon['status'] == 201 and location.startswith(proxy.url('/api/logonSessions/')), logon
    assert [(d['path'], d['headers'].get(SESSION_HEADER)) for d in deletes] == [('/api/logonSessions/' + session_id, token)]
    assert [r['method'] for r in proxy.records] == ['POST', 'DELETE'], 'nothing but the logon and its logoff'
    em = simulator.counters()['em']
    assert (em['logons'], em['logoffs'], em['open_sessions']) == (1, 1, 0), em
    for secret in (token, session_id):
        assert secret not in run.output and secret not in json.dumps(run.results)


# -- 5. secrets echoed back -----------------------------------------------------------------------------
def leak_forms(value, whole):
    """The forms in which ``value`` must not appear in any output: for a secret of its own as it is, URL-encoded
    both ways, base64-, XML- and JSON-encoded; for a value that holds secrets (an Authorization header, a token
    request body, user:password) as it is. Each also JSON-escaped, as it stands in JSON text."""
    forms = set([value])
    if whole:
        forms.update([quote(value, safe=''), quote_plus(value), base64.b64encode(value.encode('utf-8')).decode('ascii'),
                      xml_escape(value, {'"': '&quot;'})])
    for form in list(forms):
        forms.update([json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1]])
    return set(form for form in forms if len(form) >= 8)


def runner_playbook(runner, tmp_path, tasks, env, verbosity):
    """Run one play through ansible-runner as AWX does (env files suppressed, the connection in the environment)."""
    data_dir = tmp_path / 'private_data_dir'
    (data_dir / 'project').mkdir(parents=True)
    play = {'name': 'backupops.veeam hostile', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
    (data_dir / 'project' / 'hostile.yml').write_text(yaml.safe_dump([play], allow_unicode=True, sort_keys=False))
    envvars = runner_envvars(env)
    result = runner.run(private_data_dir=str(data_dir), playbook='hostile.yml', envvars=envvars, suppress_env_files=True,
                        inventory=RUNNER_INVENTORY,
                        verbosity=verbosity, quiet=True, timeout=120)
    with open(os.path.join(result.config.artifact_dir, 'stdout')) as handle:
        stdout = handle.read()
    return result, stdout


def test_secrets_echoed_by_the_server_are_masked_everywhere(simulator, api, proxy, sinks, runner, tmp_path):
    """The job listing is answered 409 with a message holding every secret the proxy saw (the Authorization and
    session headers, the raw token request body, the password and tokens decoded, URL-encoded and base64-encoded);
    the EM logoff and the VBR logout are redirected to a Location holding the session id, session header, Basic
    credentials or tokens, which becomes a warning. Nothing of it shows unmasked in stdout, in -vvv output, in
    the warnings or in the ansible-runner events, for a password that changes under every encoding."""
    tls_sink, dummy = sinks
    simulator.add_user(USER, PASSWORD)
    read = READ_PATH[api]
    proxy.rule('echo', 'GET', read, 'echo', status=409)

    def em_logoff_location(record):
        basic = proxy.seen('basic credentials')[-1]
        return tls_sink.url('%s?session=%s&basic=%s' % (record['path'], record['headers'][SESSION_HEADER], basic),
                            host='localhost')

    def vbr_logout_location(record):
        access = record['headers']['Authorization'].split(' ', 1)[1]
        refresh = proxy.seen('refresh token given')[-1]
        return tls_sink.url('/api/oauth2/logout?access=%s&refresh=%s' % (access, refresh), host='localhost')
    if api == 'em':
        proxy.rule('logoff', 'DELETE', '/api/logonSessions/', 'redirect', status=307, location=em_logoff_location)
    elif api == 'vbr':
        proxy.rule('logoff', 'POST', '/api/oauth2/logout', 'redirect', status=307, location=vbr_logout_location)
    env = proxied_env(simulator, api, proxy, username=USER, password=PASSWORD)
    tasks = [{'name': 'echoed secrets', JOB_INFO: {}, 'ignore_errors': True}]  # every job

    plain = run_playbook(tmp_path, tasks, env, timeout=120)
    verbose = run_playbook(tmp_path, tasks, env, args=['-vvv'], timeout=120)
    through_runner, runner_stdout = runner_playbook(runner, tmp_path, tasks, env, verbosity=3)
    events = list(through_runner.events)

    # every path was taken: the listing echoed (and was masked), the logoff / logout gave a (masked) warning
    assert len(proxy.answered_by('echo')) == 3
    for run in (plain, verbose):
        assert_failed_cleanly(run, 'echoed secrets', api, 'HTTP 409', 'Conflict. You sent: ', '********')
        if api in ('em', 'vbr'):
            warnings = [line for line in run.output.splitlines() if '[WARNING]: could not log' in line]
            assert len(warnings) == 1, run.output[-3000:]
            assert 'HTTP 307' in warnings[0] and '********' in warnings[0], warnings
    assert 'ESTABLISH LOCAL CONNECTION' in verbose.output, verbose.output[-3000:]
    failed = [event for event in events if event.get('event') == 'runner_on_failed']
    assert len(failed) == 1 and '********' in failed[0]['event_data']['res']['msg'], failed
    assert [event for event in events if event.get('event') == 'verbose'], 'no -vvv events'
    assert tls_sink.untouched(), tls_sink.requests

    seen = proxy.secrets_seen()
    kinds = set(kind for kind, dummy, dummy2 in seen)
    expected = {'em': {'basic credentials', 'password', 'session header', 'session header given', 'logon session id'},
                'vspc': {'password', 'token request body', 'access token given', 'refresh token given'},
                'vbr': {'password', 'token request body', 'access token given', 'refresh token given'}}[api]
    assert expected <= kinds, kinds
    assert PASSWORD in [value for kind, value, dummy in seen if kind == 'password']
    # the echoes carried each secret of its run to the module, in every form: masking them was needed
    basic = base64.b64encode(('%s:%s' % (USER, PASSWORD)).encode('utf-8')).decode('ascii')
    echoed = [record['echoed'] for record in proxy.answered_by('echo')]
    for message in echoed:
        for form in (PASSWORD, quote(PASSWORD, safe=''), quote_plus(PASSWORD),
                     base64.b64encode(PASSWORD.encode('utf-8')).decode('ascii')):
            assert form in message
        assert (basic in message) == (api == 'em')
    for kind in expected:
        for value in proxy.seen(kind):
            assert any(value in message for message in echoed), kind
    # also what the simulator itself received (through the proxy), and the password as the test knows it
    secrets = set((value, whole) for dummy, value, whole in seen)
    secrets.update((value, True) for value in secrets_seen(simulator))
    secrets.update([(PASSWORD, True), (basic, True)])

    places = [
        ('stdout', plain.stdout), ('stderr', plain.stderr), ('results', json.dumps(plain.results)),
        ('-vvv stdout', verbose.stdout), ('-vvv stderr', verbose.stderr), ('-vvv results', json.dumps(verbose.results)),
        ('runner stdout', runner_stdout), ('runner events', json.dumps(events)),
        ('runner events (utf-8)', json.dumps(events, ensure_ascii=False)),
    ]
    leaks = []
    for value, whole in sorted(secrets):
        for form in leak_forms(value, whole):
            for where, text in places:
                if form in text:
                    # say where, not the secret (nor its surroundings, which may hold other secrets)
                    leaks.append('%s**** (%d characters) in %s at character %d' % (form[:3], len(form), where, text.index(form)))
    assert not leaks, 'secrets leaked:\n' + '\n'.join(sorted(set(leaks)))
