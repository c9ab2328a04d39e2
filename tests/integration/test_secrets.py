# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No password, API key, EM session id or VSPC / VBR token in any output or result, even with -vvv.

Every module and the run_and_wait role run with -vvv through succeeding and failing paths (a wrong
password or API key, a job run that fails, a 404 answer), with each credential kind: EM password,
VSPC password, VSPC API key, VBR password. The secrets are collected from what the simulator received (its
request log), so a session id or token the module used can be looked for in the output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    from urllib.parse import quote, quote_plus
except ImportError:  # pragma: no cover
    from urllib import quote, quote_plus

import pytest

from ansible_run import ACCOUNTS, API_KEY, READ_PATH, control_task, run_playbook, secrets_seen, veeam_env

JOB_INFO = 'backupops.veeam.veeam_job_info'
AGENT_JOB_INFO = 'backupops.veeam.veeam_agent_job_info'
SESSIONS = 'backupops.veeam.veeam_agent_session_info'
JOB_SESSIONS = 'backupops.veeam.veeam_session_info'
POINTS = 'backupops.veeam.veeam_restore_point_info'
ACTION = 'backupops.veeam.veeam_job_action'
ROLE = 'backupops.veeam.run_and_wait'
USER = 'CORP\\tricky'
WRONG_PASSWORD = 'Wr0ng-Secret-Passw0rd-4711'
WRONG_API_KEY = 'sim-api-key-WRONG-9876543210fedcba'
# keys a result must never carry: a logon session id, a token, credentials
SECRET_KEY = re.compile(r'(session_?id|restsvc|token|password|passwd|api_?key|secret|authorization|bearer|cookie)',
                        re.IGNORECASE)


def encodings(secret):
    """The secret and the forms it could leak in: url-encoded, JSON-escaped."""
    forms = {secret, quote(secret, safe=''), quote_plus(secret), json.dumps(secret)[1:-1]}
    return set(form for form in forms if len(form) >= 8)


def walk_keys(value, path=''):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == 'invocation':
                continue  # Ansible's echo of the module options (no_log values are masked there)
            yield path + '/' + key, key
            yield from walk_keys(item, path + '/' + key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_keys(item, '%s[%d]' % (path, index))


@pytest.mark.parametrize('credential', ['em-password', 'vspc-password', 'vspc-api-key', 'vbr-password'])
def test_no_secret_in_any_output_or_result(simulator, credential, tmp_path):
    api = credential.split('-')[0]
    if credential == 'vspc-api-key':
        env = veeam_env(simulator, api, api_key=API_KEY)
        wrong = {'api_key': WRONG_API_KEY}
        known = {API_KEY, WRONG_API_KEY}
    else:
        env = veeam_env(simulator, api, username=USER)
        wrong = {'password': WRONG_PASSWORD}
        known = {ACCOUNTS[USER], WRONG_PASSWORD}
    failing = simulator.job('File Server Backup')
    simulator.configure_job(failing['id'], duration=1, outcome='Failed', failure_message='Simulated disk full')
    simulator.configure_job(simulator.job('SQL Server; Nightly, Full')['id'], duration=1)
    simulator.configure_job(simulator.job('Linux Web Servers', agent=True)['id'], duration=1)

    tasks = [
        {'name': 'jobs', JOB_INFO: {'include_last_session': True, 'include_raw': True}},
        {'name': 'agent jobs', AGENT_JOB_INFO: {'include_last_session': True, 'include_raw': True}},
        {'name': 'sessions', SESSIONS: {'limit': 5, 'include_raw': True}},
        {'name': 'job sessions', JOB_SESSIONS: dict({'limit': 5, 'include_tasks': True, 'include_raw': True},
                                                    **({'include_log': True} if api == 'vbr' else {}))},
        {'name': 'restore points', POINTS: {'name': ['web01', 'bigdata01'], 'include_raw': True}},
        {'name': 'start and wait', ACTION: {'name': 'SQL Server; Nightly, Full', 'action': 'start', 'wait': True,
                                            'poll_interval': 1}},
        {'name': 'agent start', ACTION: {'name': 'Linux Web Servers', 'agent': True, 'action': 'start', 'wait': True,
                                         'poll_interval': 1}},
        {'name': 'disable', ACTION: {'jobs': ['Offsite Backup Copy'], 'action': 'disable'}},
        {'name': 'failing run', ACTION: {'name': 'File Server Backup', 'action': 'start', 'wait': True,
                                         'poll_interval': 1}, 'ignore_errors': True},
        {'name': 'wrong credentials', JOB_INFO: dict(wrong, name='Daily Backup'), 'ignore_errors': True},
        {'name': 'wrong credentials agent', SESSIONS: dict(wrong, limit=1), 'ignore_errors': True},
        {'name': 'wrong credentials action', ACTION: dict(wrong, name='DC Replication', action='start'),
         'ignore_errors': True},
        control_task(simulator, 'control add a 404', 'POST', '/faults',
                     {'api': api, 'method': 'GET', 'path_prefix': READ_PATH[api], 'status': 404, 'count': 1}),
        {'name': 'answered 404', JOB_INFO: {'name': 'Daily Backup'}, 'ignore_errors': True},
        {'name': 'the role', 'block': [
            {'name': 'run and wait', 'ansible.builtin.include_role': {'name': ROLE},
             'vars': {'run_and_wait_jobs': ['SQL Server; Nightly, Full', 'File Server Backup'],
                      'run_and_wait_poll_interval': 1, 'run_and_wait_progress_interval': 2}},
        ], 'rescue': [
            {'name': 'the role failed', 'ansible.builtin.debug': {'msg': 'the role failed as expected'}},
        ]},
    ]
    run = run_playbook(tmp_path, tasks, env, args=['-vvv'])
    assert run.rc == 0, run.output[-4000:]

    # the paths really were taken
    def status(name):
        found = [entry['status'] for entry in run.results if entry['task'] == name]
        assert found, 'no result for %r' % name
        return found[-1]

    for name in ('jobs', 'agent jobs', 'sessions', 'job sessions', 'restore points', 'start and wait', 'agent start',
                 'disable'):
        assert status(name) == 'ok', (name, run.task(name))
    for name in ('failing run', 'wrong credentials', 'wrong credentials agent', 'wrong credentials action',
                 'answered 404'):
        assert status(name) == 'failed', (name, run.task(name))
    assert 'Simulated disk full' in run.task('failing run')['msg']
    assert '404' in run.task('answered 404')['msg']
    assert [entry for entry in run.results if entry['task'] == 'the role failed'], 'the role did not fail'
    assert 'Traceback' not in run.output

    seen = secrets_seen(simulator)
    secrets = set(known) | seen
    log = simulator.log()
    if api == 'em':
        assert any(entry['headers'].get('X-RestSvcSessionId') for entry in log)
        assert len([s for s in seen if s not in known]) >= 3, 'expected several EM session ids and Basic tokens'
    elif credential in ('vspc-password', 'vbr-password'):
        assert len([s for s in seen if s not in known]) >= 2, 'expected access tokens'
    else:
        assert simulator.counters()['vspc']['tokens_issued'] == 0
    secrets = set(s for s in secrets if s and len(s) >= 8)

    results_text = json.dumps(run.results, ensure_ascii=False)
    results_ascii = json.dumps(run.results)
    leaks = []
    for secret in sorted(secrets):
        for form in encodings(secret):
            for where, text in (('output', run.output), ('results', results_text), ('results', results_ascii)):
                if form in text:
                    # say where, not the secret (nor its surroundings, which may hold other secrets)
                    leaks.append('%s**** in %s at character %d' % (form[:3], where, text.index(form)))
    assert not leaks, 'secrets leaked:\n' + '\n'.join(sorted(set(leaks)))

    # no result carries a key that looks like a session id, a token or a credential
    suspicious = []
    for entry in run.results:
        if entry['task'].startswith('control '):
            continue
        for path, key in walk_keys(entry['result']):
            if '/raw/' in path:
                continue  # the server's own representation (include_raw): a job's sessionId or encryptionPasswordId
                # there names Veeam objects, not credentials; the values were searched for secrets above
            if key == 'session_id' and '/tasks[' in path:
                continue  # a task's session_id (INTERFACE.md section 2) names the job run, not a logon session
            if SECRET_KEY.search(key) and key not in ('_ansible_no_log',):
                suspicious.append('%s: %s' % (entry['task'], path))
    assert not suspicious, suspicious
