# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix on every API: server errors, dropped connections, throttling, expiring sessions and
tokens, slow servers, TLS trouble and parallel runs, each with its expected outcome.

Several cases share one ansible-playbook run: ``ansible.builtin.uri`` tasks talk to the simulator's
control API (add a fault, read the counters) between the module tasks, so each case is judged by the
difference of two counter snapshots.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

from ansible_run import BIN, READ_PATH, Run, ansible_environment, control_task, run_module, run_playbook, veeam_env

JOB_INFO = 'backupops.veeam.veeam_job_info'
JOB_ACTION = 'backupops.veeam.veeam_job_action'
QUOTED = 'Exchange "Mail" Backup'
START_JOB = 'SQL Server; Nightly, Full'
START_PREFIX = {'em': '/api/jobs/', 'vspc': '/api/v3/infrastructure/backupServers/jobs/', 'vbr': '/api/v1/jobs/'}
START_KEY = {'em': 'POST /api/jobs/{id}', 'vspc': 'POST /api/v3/infrastructure/backupServers/jobs/{id}/start',
             'vbr': 'POST /api/v1/jobs/{id}/start'}
# (label, fault fields): every status a read is retried after, and a connection closed without an answer
READ_FAULTS = [
    ('500', {'status': 500}),
    ('502', {'status': 502}),
    ('503', {'status': 503}),
    ('504', {'status': 504}),
    ('520', {'status': 520}),
    ('drop', {'drop': True}),
]


# -- helpers --------------------------------------------------------------------------------------
def counters_task(simulator, title):
    return control_task(simulator, title, 'GET', '/counters')


def counters_of(run, title):
    return run.task(title)['json']


def delta(before, after, key):
    return after['requests'].get(key, 0) - before['requests'].get(key, 0)


def assert_em_closed(counters):
    """No EM logon session and no VBR token pair left open by the runs so far (a counters snapshot)."""
    em, vbr = counters['em'], counters['vbr']
    assert em['open_sessions'] == 0, em
    assert em['logoffs'] == em['logons'], em
    assert vbr['live_tokens'] == 0 and vbr['logouts'] == vbr['tokens_issued'] and vbr['refresh_reuse'] == 0, vbr


def status_of(run, name):
    """'ok' or 'failed': how the callback saw the (last) task of that name."""
    found = [entry['status'] for entry in run.results if entry['task'] == name]
    assert found, 'no result for task %r' % name
    return found[-1]


def assert_clean_failure(run, result, *words):
    """A failure reported by the module itself: fail_json with a message, not a crash."""
    message = result.get('msg') or ''
    assert 'MODULE FAILURE' not in message and 'module_stderr' not in result, result
    for word in words:
        assert word in message, message
    assert 'Traceback' not in run.output, run.output[-3000:]


class Background(object):
    """``ansible localhost -m MODULE -a ARGS`` started with Popen; ``finish()`` gives a Run."""

    def __init__(self, module, module_args, env):
        fd, self.result_file = tempfile.mkstemp(prefix='ansible-results-', suffix='.jsonl')
        os.close(fd)
        full_env = ansible_environment(env)
        full_env['BACKUPOPS_RESULT_FILE'] = self.result_file
        self.command = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module,
                        '-a', json.dumps(module_args)]
        self.proc = subprocess.Popen(self.command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     universal_newlines=True)

    def finish(self, timeout=120):
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            stdout, stderr = self.proc.communicate()
            raise AssertionError('%s did not end within %s s:\n%s%s' % (self.command, timeout, stdout, stderr))
        try:
            with open(self.result_file) as handle:
                results = [json.loads(line) for line in handle if line.strip()]
        finally:
            os.unlink(self.result_file)
        return Run(self.command, self.proc.returncode, stdout, stderr, results)


def start_in_background(simulator, api, duration):
    """veeam_job_action starting START_JOB (a run of ``duration`` seconds) and waiting for it, in the background."""
    simulator.configure_job(simulator.job(START_JOB)['id'], duration=duration)
    return Background(JOB_ACTION, {'name': START_JOB, 'action': 'start', 'wait': True, 'poll_interval': 1},
                      veeam_env(simulator, api))


def assert_started_once_and_succeeded(simulator, run):
    assert run.rc == 0, run.output
    result = run.last
    assert result['changed'] is True and result['session']['result'] == 'Success', result
    assert simulator.counters()['actions']['start'] == 1


def wait_for(condition, what, timeout=30.0):
    """Poll ``condition()`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.1)


class TinyTLSServer(object):
    """A one-file HTTPS server with the simulator's certificate (for DNS:localhost, IP:127.0.0.1, ::1)."""

    def __init__(self, simulator, host):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'<html><body>not Veeam</body></html>'
                self.send_response(200)
                self.send_header('Content-Type', 'text/html')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(simulator.state_dir, 'server.pem'),
                                os.path.join(simulator.state_dir, 'server-key.pem'))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.host, self.port = self.httpd.server_address[:2]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# -- reads: retried after 5xx and dropped connections, given up after 4 attempts ---------------------
def test_reads_retry_server_errors_and_dropped_connections(simulator, api, tmp_path):
    path = READ_PATH[api]
    tasks = [counters_task(simulator, 'counters at start')]
    for label, fault in READ_FAULTS:
        for count in (2, 10):
            case = '%s x%d' % (label, count)
            body = dict(fault, api=api, method='GET', path_prefix=path, count=count)
            tasks.append(control_task(simulator, 'fault ' + case, 'POST', '/faults', body))
            tasks.append({'name': 'read ' + case, JOB_INFO: {'name': QUOTED}, 'ignore_errors': True})
            if count == 10:  # the module gave up early: drop the fault's remaining count
                tasks.append(control_task(simulator, 'clear ' + case, 'DELETE', '/faults'))
            tasks.append(counters_task(simulator, 'counters ' + case))
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert 'Traceback' not in run.output, run.output[-3000:]
    previous = counters_of(run, 'counters at start')
    for label, fault in READ_FAULTS:
        for count in (2, 10):
            case = '%s x%d' % (label, count)
            after = counters_of(run, 'counters ' + case)
            result = run.task('read ' + case)
            sent = delta(previous, after, 'GET ' + path)
            if count == 2:
                assert not result.get('failed'), (case, result)
                assert [job['name'] for job in result['jobs']] == [QUOTED], case
                assert sent == 3, (case, sent)
            else:
                if fault.get('drop'):
                    words = []
                elif api == 'vspc':
                    words = ['HTTP 520']  # VSPC sends every status >= 500 as 520 (VEEAM_API.md B.5)
                else:
                    words = ['HTTP %s' % label]
                assert status_of(run, 'read ' + case) == 'failed', (case, result)
                assert_clean_failure(run, result, *words)
                message = result['msg']
                assert ('query' in message or 'backupServers/jobs' in message or 'jobs/states' in message), (case, message)
                if fault.get('drop'):
                    said = message.lower()
                    assert any(word in said for word in ('connection', 'reach', 'closed', 'aborted')), message
                assert sent == 4, (case, sent)
            assert_em_closed(after)
            previous = after


def test_reads_wait_for_429_retry_after_then_succeed(simulator, api):
    path = READ_PATH[api]
    simulator.fault(api=api, method='GET', path_prefix=path, status=429, count=1, retry_after=2)
    began = time.monotonic()
    run = run_module(JOB_INFO, {'name': QUOTED}, veeam_env(simulator, api))
    took = time.monotonic() - began
    assert run.rc == 0, run.output
    assert [job['name'] for job in run.last['jobs']] == [QUOTED]
    counters = simulator.counters()
    assert counters['requests'].get('GET ' + path) == 2, counters['requests']
    # the two GETs of the path are at least retry_after apart
    times = [entry['time'] for entry in simulator.log() if entry['method'] == 'GET' and entry['path'] == path]
    assert len(times) == 2 and times[1] - times[0] >= 1.9, (times, took)
    assert_em_closed(counters)


# -- a job start: never sent twice after a 5xx or a dropped connection, resent after 429 ----------
def test_job_start_faults(simulator, api, tmp_path):
    job = simulator.job(START_JOB)
    simulator.configure_job(job['id'], duration=2)
    prefix, key = START_PREFIX[api], START_KEY[api]
    cases = [
        ('503', {'status': 503}),
        ('drop', {'drop': True}),
        ('429', {'status': 429, 'retry_after': 1}),
    ]
    tasks = [counters_task(simulator, 'counters at start')]
    for label, fault in cases:
        tasks.append(control_task(simulator, 'fault ' + label, 'POST', '/faults',
                                  dict(fault, api=api, method='POST', path_prefix=prefix, count=1)))
        tasks.append({'name': 'start ' + label, JOB_ACTION: {'name': START_JOB, 'action': 'start', 'wait': True,
                                                             'poll_interval': 1}, 'ignore_errors': True})
        tasks.append(counters_task(simulator, 'counters ' + label))
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert 'Traceback' not in run.output, run.output[-3000:]
    previous = counters_of(run, 'counters at start')
    for label, dummy in cases:
        after = counters_of(run, 'counters ' + label)
        result = run.task('start ' + label)
        sent = delta(previous, after, key)
        started = after['actions']['start'] - previous['actions']['start']
        if label == '429':
            # refused by throttling (faulted before the action was counted), then sent again and started
            assert status_of(run, 'start ' + label) == 'ok', result
            assert result['changed'] is True and result['session']['result'] == 'Success', result
            assert (sent, started) == (2, 1), (label, sent, started)
        else:
            # the start may have reached the server: it must not be sent a second time
            assert status_of(run, 'start ' + label) == 'failed', result
            assert_clean_failure(run, result)
            if label == '503':
                assert ('HTTP 520' if api == 'vspc' else 'HTTP 503') in result['msg'], result['msg']
            assert sent == 1, (label, sent, after['requests'])
            assert started == 0, (label, started)
            assert START_JOB in result['msg'], result['msg']
        assert_em_closed(after)
        previous = after


# -- an EM session / VSPC token that expires during a long wait ------------------------------------
def test_em_session_expiring_during_a_wait_is_renewed(simulator):
    background = start_in_background(simulator, 'em', duration=6)
    try:
        # the start was sent and its task is over: the module is looking for / waiting for the run
        wait_for(lambda: (simulator.counters()['actions']['start'] >= 1
                          and simulator.counters()['requests'].get('GET /api/query', 0) >= 3), 'the start of the job')
        assert background.proc.poll() is None, 'the module ended before the session could expire'
        simulator.expire('em')
    finally:
        run = background.finish()
    assert_started_once_and_succeeded(simulator, run)
    em = simulator.counters()['em']
    assert em['logons'] == 2, em  # logged on again after the 401
    assert em['open_sessions'] == 0, em
    assert em['logoffs'] == 1, em  # the second session was logged off; the expired one is gone already


def test_vspc_token_expiring_during_a_wait_is_refreshed(simulator):
    background = start_in_background(simulator, 'vspc', duration=6)
    try:
        wait_for(lambda: simulator.counters()['actions']['start'] >= 1, 'the start of the job')
        assert background.proc.poll() is None, 'the module ended before the token could expire'
        simulator.expire('vspc')
    finally:
        run = background.finish()
    assert_started_once_and_succeeded(simulator, run)
    vspc = simulator.counters()['vspc']
    assert vspc['tokens_refreshed'] + vspc['tokens_issued'] >= 2, vspc
    assert vspc['tokens_revoked'] == 0, vspc
    # every request after the expiry that was answered 401 was sent again with a new token
    log = simulator.log()
    bearer = [entry['headers'].get('Authorization') for entry in log if entry['path'].startswith('/api/v3/infra')]
    assert len(set(bearer)) == 2, 'expected requests with the first and with the renewed token'


def test_vbr_token_expiring_during_a_wait_is_renewed_with_the_refresh_token(simulator):
    background = start_in_background(simulator, 'vbr', duration=6)
    try:
        wait_for(lambda: simulator.counters()['actions']['start'] >= 1, 'the start of the job')
        assert background.proc.poll() is None, 'the module ended before the token could expire'
        simulator.expire('vbr')
    finally:
        run = background.finish()
    assert_started_once_and_succeeded(simulator, run)
    vbr = simulator.counters()['vbr']
    # one logon, renewed once with its refresh token (used once), logged out at the end: nothing left alive
    assert (vbr['tokens_issued'], vbr['tokens_refreshed'], vbr['refresh_reuse']) == (1, 1, 0), vbr
    assert vbr['logouts'] == 1 and vbr['live_tokens'] == 0, vbr
    log = simulator.log()
    bearer = [entry['headers'].get('Authorization') for entry in log if entry['path'].startswith('/api/v1/sessions')]
    assert len(set(bearer)) == 2, 'expected requests with the first and with the renewed token'
    refreshes = [entry for entry in log if entry['path'] == '/api/oauth2/token' and 'refresh_token' in entry['body']]
    started = [entry['time'] for entry in log if entry['path'].endswith('/start')]
    assert len(refreshes) == 1 and refreshes[0]['time'] > started[0]


# -- a slow server ------------------------------------------------------------------------------
def test_a_server_slower_than_timeout_fails_naming_timeout(simulator, api):
    simulator.fault(api=api, method='GET', path_prefix=READ_PATH[api], latency=4, count=1)
    began = time.monotonic()
    run = run_module(JOB_INFO, {'name': QUOTED, 'timeout': 1}, veeam_env(simulator, api))
    assert run.rc != 0
    assert_clean_failure(run, run.last, 'timeout')
    assert time.monotonic() - began < 30
    if api != 'vspc':
        # the logoff is sent once the read gave up; it may arrive while the delayed read still sleeps
        wait_for(lambda: simulator.counters()['em']['open_sessions'] == 0 and simulator.counters()['vbr']['live_tokens'] == 0,
                 'the EM logoff or VBR logout', timeout=10)
        assert_em_closed(simulator.counters())


# -- TLS ------------------------------------------------------------------------------------------
def test_tls_certificate_for_another_name_is_refused(simulator, api):
    # 127.0.0.2 is a loopback address that the simulator's certificate does not name
    server = TinyTLSServer(simulator, '127.0.0.2')
    try:
        env = veeam_env(simulator, api, VEEAM_SERVER='127.0.0.2', VEEAM_PORT=str(server.port))
        run = run_module(JOB_INFO, {'name': QUOTED}, env)
    finally:
        server.close()
    assert run.rc != 0
    assert_clean_failure(run, run.last, 'TLS', 'ca_path', 'validate_certs')
    assert 'mismatch' in run.last['msg'] or 'not valid for' in run.last['msg'], run.last['msg']
    assert simulator.counters()['requests_total'] == 0


def test_tls_unknown_ca_is_refused(simulator, api):
    run = run_module(JOB_INFO, {'name': QUOTED}, veeam_env(simulator, api, ca=False))
    assert run.rc != 0
    assert_clean_failure(run, run.last, 'TLS', 'ca_path', 'validate_certs')
    assert 'certificate' in run.last['msg'], run.last['msg']
    assert simulator.counters()['requests_total'] == 0


# -- two runs with the same account at once (parallel AWX jobs) ------------------------------------
@pytest.mark.parametrize('token_api', ['vspc', 'vbr'])
def test_two_parallel_runs_with_the_same_account(simulator, token_api):
    # hold each run's job listing for a second, so that the two runs overlap for sure
    simulator.fault(api=token_api, method='GET', path_prefix=READ_PATH[token_api], latency=1, count=2)
    env = veeam_env(simulator, token_api)
    runs = [Background(JOB_INFO, {'name': QUOTED}, env) for dummy in range(2)]
    finished = [background.finish() for background in runs]
    for run in finished:
        assert run.rc == 0, run.output
        assert [job['name'] for job in run.last['jobs']] == [QUOTED]
    counters = simulator.counters()[token_api]
    assert counters['tokens_issued'] == 2, counters
    if token_api == 'vspc':
        assert counters['tokens_revoked'] == 0, counters  # revoking would log out the other run too
    else:
        # each run logged out its own token pair only, while the other one was still working with its own
        assert counters['logouts'] == 2 and counters['live_tokens'] == 0, counters
    # the two runs overlapped: both tokens were in use at the same time
    listings = [entry for entry in simulator.log() if entry['path'] == READ_PATH[token_api]]
    assert len(listings) == 2 and abs(listings[0]['time'] - listings[1]['time']) < 1.0, listings


def test_em_session_expiring_while_a_start_task_runs(simulator):
    # EM tasks belong to the logon session that created them: after logging on again the module
    # cannot read the task any more, and must go on to find the run instead of failing a sent start.
    simulator.settings(task_delay=4)
    background = start_in_background(simulator, 'em', duration=2)
    try:
        wait_for(lambda: simulator.counters()['actions']['start'] >= 1, 'the start of the job')
        simulator.expire('em')
    finally:
        run = background.finish()
    assert_started_once_and_succeeded(simulator, run)
    assert 'could not follow task' in run.output
    assert simulator.counters()['em']['open_sessions'] == 0
