# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input for every option of every module and role: each must fail with a message naming the
option (never a traceback) and before any request. Odd but valid input (quotes, commas, semicolons,
non-ASCII in names and passwords) must work, and must not change an EM query filter. A server that
is not a Veeam API (HTML, an empty body) must be reported as such.

Many cases share one ansible-playbook run (``ignore_errors``, or ``block``/``rescue`` for roles), and
a playbook made only of invalid input must leave the simulator's request counter at zero.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.server
import json
import os
import ssl
import threading

try:
    from urllib.parse import parse_qs
except ImportError:  # pragma: no cover
    from urlparse import parse_qs

import pytest

from ansible_run import assert_logged_off, run_playbook, veeam_env

JOB_INFO = 'backupops.veeam.veeam_job_info'
AGENT_JOB_INFO = 'backupops.veeam.veeam_agent_job_info'
SESSIONS = 'backupops.veeam.veeam_agent_session_info'
ACTION = 'backupops.veeam.veeam_job_action'
POINTS = 'backupops.veeam.veeam_restore_point_info'
QUICK = 'backupops.veeam.veeam_quick_backup'
GUID = '00000000-0000-4000-8000-000000000000'
FUTURE = '2999-01-01T00:00:00Z'


def status_of(run, name):
    found = [entry['status'] for entry in run.results if entry['task'] == name]
    assert found, 'no result for task %r; output:\n%s' % (name, run.output[-3000:])
    return found[-1]


def assert_clean(result, case):
    """No crash: the failure (if any) was reported by the module or Ansible with a message."""
    text = json.dumps(result)
    assert 'Traceback' not in text and 'MODULE FAILURE' not in text, (case, result)
    assert 'module_stderr' not in result, (case, result)


# -- every module option ------------------------------------------------------------------------------
# (title, module, args, words that the message must contain); run on em unless args say api: vspc
CONNECTION_CASES = [
    ('api unknown', JOB_INFO, {'api': 'xml'}, ['api', 'em', 'vspc', 'vbr']),
    ('api wrong type', JOB_INFO, {'api': ['em']}, ['api']),
    ('server empty', JOB_INFO, {'server': ''}, ['server']),
    ('server with a space', JOB_INFO, {'server': 'em corp example'}, ['server']),
    ('server http scheme', JOB_INFO, {'server': 'http://127.0.0.1'}, ['server', 'https']),
    ('server with a path', JOB_INFO, {'server': 'https://127.0.0.1/somewhere/else'}, ['server']),
    ('server bad port', JOB_INFO, {'server': '127.0.0.1:notaport'}, ['server', 'port']),
    ('port not a number', JOB_INFO, {'port': 'ninety'}, ['port']),
    ('port negative', JOB_INFO, {'port': -1}, ['port']),
    ('port zero', JOB_INFO, {'port': 0}, ['port']),
    ('port too big', JOB_INFO, {'port': 70000}, ['port']),
    ('username empty', JOB_INFO, {'username': ''}, ['username']),
    ('password empty', JOB_INFO, {'password': ''}, ['password']),
    ('username without password', JOB_INFO, {'username': 'admin', 'password': None}, ['password']),
    ('api_key with em', JOB_INFO, {'api_key': 'sim-api-key-0123456789abcdef', 'username': None, 'password': None},
     ['api_key', 'em']),
    ('token alias with em', JOB_INFO, {'token': 'sim-api-key-0123456789abcdef', 'username': None, 'password': None},
     ['api_key']),
    ('api_key and password on vspc', JOB_INFO, {'api': 'vspc', 'api_key': 'sim-api-key-0123456789abcdef'},
     ['api_key', 'username', 'password']),
    ('api_key empty on vspc', JOB_INFO, {'api': 'vspc', 'api_key': '', 'username': None, 'password': None},
     ['api_key']),
    ('api_key with vbr', JOB_INFO, {'api': 'vbr', 'api_key': 'sim-api-key-0123456789abcdef', 'username': None,
                                    'password': None}, ['api_key', 'api=vbr']),
    ('api_version with em', JOB_INFO, {'api_version': '1.3-rev1'}, ['api_version', 'api=vbr only']),
    ('api_version with vspc', JOB_INFO, {'api': 'vspc', 'api_version': '1.3-rev1'}, ['api_version', 'api=vbr only']),
    ('api_version not a revision', JOB_INFO, {'api': 'vbr', 'api_version': '13.1'}, ['api_version', '1.3-rev1']),
    ('api_version with a space', JOB_INFO, {'api': 'vbr', 'api_version': '1.3 rev1'}, ['api_version']),
    ('api_version wrong type', JOB_INFO, {'api': 'vbr', 'api_version': ['1.3-rev1']}, ['api_version']),
    ('validate_certs not a bool', JOB_INFO, {'validate_certs': 'perhaps'}, ['validate_certs']),
    ('ca_path missing file', JOB_INFO, {'ca_path': '/nonexistent/veeam-ca.pem'}, ['ca_path']),
    ('timeout zero', JOB_INFO, {'timeout': 0}, ['timeout']),
    ('timeout negative', JOB_INFO, {'timeout': -5}, ['timeout']),
    ('timeout not a number', JOB_INFO, {'timeout': 'soon'}, ['timeout']),
    ('unknown option', JOB_INFO, {'colour': 'blue'}, ['colour']),
]
JOB_INFO_CASES = [
    ('job_info id malformed', JOB_INFO, {'id': 'not-a-guid'}, ['id', 'not a job id']),
    ('job_info id number', JOB_INFO, {'id': 12345}, ['id', 'not a job id']),
    ('job_info id empty', JOB_INFO, {'id': ''}, ['id']),
    ('job_info id short guid', JOB_INFO, {'id': GUID[:-1]}, ['id']),
    ('job_info id urn of another kind', JOB_INFO, {'id': 'urn:veeam:Job:' + GUID + '"'}, ['id']),
    ('job_info name empty', JOB_INFO, {'name': ''}, ['name']),
    ('job_info name blank', JOB_INFO, {'name': '   '}, ['name']),
    ('job_info backup_server empty', JOB_INFO, {'backup_server': ''}, ['backup_server']),
    ('job_info type empty word', JOB_INFO, {'type': ['']}, ['type']),
    ('job_info type injection', JOB_INFO, {'type': ['Backup;Name==x']}, ['type']),
    ('job_info type with quote', JOB_INFO, {'type': ['Backup"']}, ['type']),
    ('job_info type wrong type', JOB_INFO, {'type': {'a': 1}}, ['type']),
    ('job_info include_last_session not a bool', JOB_INFO, {'include_last_session': 'often'}, ['include_last_session']),
    ('job_info include_raw not a bool', JOB_INFO, {'include_raw': 'maybe'}, ['include_raw']),
]
AGENT_JOB_INFO_CASES = [
    ('agent_job_info id malformed', AGENT_JOB_INFO, {'id': 'abc'}, ['id', 'not a job id']),
    ('agent_job_info id empty', AGENT_JOB_INFO, {'id': ''}, ['id']),
    ('agent_job_info name empty', AGENT_JOB_INFO, {'name': ''}, ['name']),
    ('agent_job_info backup_server empty', AGENT_JOB_INFO, {'backup_server': ''}, ['backup_server']),
    ('agent_job_info include_last_session not a bool', AGENT_JOB_INFO, {'include_last_session': 'x'},
     ['include_last_session']),
    ('agent_job_info include_raw not a bool', AGENT_JOB_INFO, {'include_raw': 'x'}, ['include_raw']),
    ('agent_job_info unknown option', AGENT_JOB_INFO, {'type': ['AgentBackup']}, ['type']),
]
SESSION_CASES = [
    ('sessions job_id malformed', SESSIONS, {'job_id': 'abc'}, ['job_id', 'not a job id']),
    ('sessions job_id empty', SESSIONS, {'job_id': ''}, ['job_id']),
    ('sessions job_name empty', SESSIONS, {'job_name': ''}, ['job_name']),
    ('sessions state unknown', SESSIONS, {'state': ['Sleeping']}, ['state', 'Working']),
    ('sessions state empty', SESSIONS, {'state': ['']}, ['state']),
    ('sessions result unknown', SESSIONS, {'result': ['Broken']}, ['result', 'Failed']),
    ('sessions result injection', SESSIONS, {'result': ['Failed);Name==(x']}, ['result']),
    ('sessions since words', SESSIONS, {'since': 'yesterday'}, ['since', '90m']),
    ('sessions since empty', SESSIONS, {'since': ''}, ['since']),
    ('sessions since in the future', SESSIONS, {'since': FUTURE}, ['since', 'future']),
    ('sessions since negative duration', SESSIONS, {'since': '-3d'}, ['since']),
    ('sessions since bad date', SESSIONS, {'since': '2026-13-45T99:00:00Z'}, ['since']),
    ('sessions limit zero', SESSIONS, {'limit': 0}, ['limit']),
    ('sessions limit negative', SESSIONS, {'limit': -10}, ['limit']),
    ('sessions limit not a number', SESSIONS, {'limit': 'lots'}, ['limit']),
    ('sessions include_raw not a bool', SESSIONS, {'include_raw': 'x'}, ['include_raw']),
]
START = {'name': 'Daily Backup', 'backup_server': 'vbr-prod-01.corp.example', 'action': 'start'}
ACTION_CASES = [
    ('action id malformed', ACTION, {'id': 'abc', 'action': 'start'}, ['id', 'not a job id']),
    ('action id empty', ACTION, {'id': '', 'action': 'start'}, ['id']),
    ('action name empty', ACTION, {'name': '', 'action': 'start'}, ['name']),
    ('action id and name', ACTION, {'id': GUID, 'name': 'Daily Backup', 'action': 'start'}, ['id', 'name']),
    ('action name and jobs', ACTION, {'name': 'Daily Backup', 'jobs': ['Daily Backup'], 'action': 'start'},
     ['name', 'jobs']),
    ('action no job', ACTION, {'action': 'start'}, ['id', 'name', 'jobs']),
    ('action jobs empty list', ACTION, {'jobs': [], 'action': 'start'}, ['jobs']),
    ('action jobs empty entry', ACTION, {'jobs': ['Daily Backup', ''], 'action': 'start'}, ['jobs']),
    ('action jobs wrong type', ACTION, {'jobs': {'name': 'Daily Backup'}, 'action': 'start'}, ['jobs']),
    ('action missing', ACTION, {'name': 'Daily Backup'}, ['action']),
    ('action unknown word', ACTION, {'name': 'Daily Backup', 'action': 'restart'}, ['action', 'start', 'stop']),
    ('action empty word', ACTION, {'name': 'Daily Backup', 'action': ''}, ['action']),
    ('action agent not a bool', ACTION, dict(START, agent='sometimes'), ['agent']),
    ('action backup_server empty', ACTION, dict(START, backup_server=''), ['backup_server']),
    ('action wait not a bool', ACTION, dict(START, wait='later'), ['wait']),
    ('action wait_timeout zero', ACTION, dict(START, wait=True, wait_timeout=0), ['wait_timeout']),
    ('action wait_timeout negative', ACTION, dict(START, wait=True, wait_timeout=-60), ['wait_timeout']),
    ('action wait_timeout not a number', ACTION, dict(START, wait_timeout='an hour'), ['wait_timeout']),
    ('action poll_interval zero', ACTION, dict(START, wait=True, poll_interval=0), ['poll_interval']),
    ('action poll_interval negative', ACTION, dict(START, wait=True, poll_interval=-1), ['poll_interval']),
    ('action progress_interval zero', ACTION, dict(START, wait=True, progress_interval=0), ['progress_interval']),
    ('action progress_interval negative', ACTION, dict(START, wait=True, progress_interval=-10), ['progress_interval']),
    ('action progress_interval not a number', ACTION, dict(START, wait=True, progress_interval='often'),
     ['progress_interval']),
    ('action internal option from a task', ACTION, dict(START, wait=True, _veeam_progress={'interval': 1, 'state': None}),
     ['_veeam_progress', 'internal']),
    ('action fail_on_warning not a bool', ACTION, dict(START, fail_on_warning='yes please'), ['fail_on_warning']),
    ('action parallel zero', ACTION, {'jobs': ['Daily Backup'], 'action': 'start', 'parallel': 0}, ['parallel']),
    ('action parallel negative', ACTION, {'jobs': ['Daily Backup'], 'action': 'start', 'parallel': -2}, ['parallel']),
    ('action parallel not a number', ACTION, {'jobs': ['Daily Backup'], 'action': 'start', 'parallel': 'four'},
     ['parallel']),
    ('action api_key with em', ACTION, dict(START, api_key='sim-api-key-0123456789abcdef', username=None,
                                            password=None), ['api_key']),
    ('action timeout zero', ACTION, dict(START, timeout=0), ['timeout']),
]
# words of a failure that came from trying to connect or from a crash, not from checking the input
NOT_A_VALIDATION = ['cannot reach', 'Connection', 'Max retries', 'refused the logon', 'Module failed', 'MODULE FAILURE',
                    'Traceback', 'TLS connection']
POINT_CASES = [
    ('points name missing', POINTS, {}, ['name']),
    ('points name empty list', POINTS, {'name': []}, ['name']),
    ('points name empty entry', POINTS, {'name': ['web01', '']}, ['name']),
    ('points kind unknown', POINTS, {'name': ['web01'], 'kind': 'server'}, ['kind', 'vm', 'computer']),
    ('points since words', POINTS, {'name': ['web01'], 'since': 'yesterday'}, ['since', '90m']),
    ('points since in the future', POINTS, {'name': ['web01'], 'since': FUTURE}, ['since', 'future']),
    ('points limit zero', POINTS, {'name': ['web01'], 'limit': 0}, ['limit']),
    ('points limit not a number', POINTS, {'name': ['web01'], 'limit': 'lots'}, ['limit']),
    ('points backup_server empty', POINTS, {'name': ['web01'], 'backup_server': ''}, ['backup_server']),
    ('points include_raw not a bool', POINTS, {'name': ['web01'], 'include_raw': 'x'}, ['include_raw']),
]
QUICK_CASES = [
    ('quick name missing', QUICK, {}, ['name']),
    ('quick name empty', QUICK, {'name': ''}, ['name']),
    ('quick kind unknown', QUICK, {'name': 'web01', 'kind': 'vms'}, ['kind']),
    ('quick backup_server empty', QUICK, {'name': 'web01', 'backup_server': ''}, ['backup_server']),
    ('quick wait not a bool', QUICK, {'name': 'web01', 'wait': 'later'}, ['wait']),
    ('quick wait_timeout zero', QUICK, {'name': 'web01', 'wait_timeout': 0}, ['wait_timeout']),
    ('quick poll_interval negative', QUICK, {'name': 'web01', 'poll_interval': -1}, ['poll_interval']),
    ('quick progress_interval zero', QUICK, {'name': 'web01', 'progress_interval': 0}, ['progress_interval']),
    ('quick internal option from a task', QUICK, {'name': 'web01', '_veeam_progress': {'interval': 1, 'state': None}},
     ['_veeam_progress', 'internal']),
    ('quick fail_on_warning not a bool', QUICK, {'name': 'web01', 'fail_on_warning': 'strict'}, ['fail_on_warning']),
]
MATRIX = {
    'connection': CONNECTION_CASES,
    'veeam_restore_point_info': POINT_CASES,
    'veeam_quick_backup': QUICK_CASES,
    'veeam_job_info': JOB_INFO_CASES,
    'veeam_agent_job_info': AGENT_JOB_INFO_CASES,
    'veeam_agent_session_info': SESSION_CASES,
    'veeam_job_action': ACTION_CASES,
}


@pytest.mark.parametrize('group', sorted(MATRIX))
def test_invalid_options_fail_naming_the_option_before_any_request(simulator, group, tmp_path):
    cases = MATRIX[group]
    titles = [case[0] for case in cases]
    assert len(set(titles)) == len(titles)
    # credentials come from the environment; a case sets an option to null to take its value away
    tasks = [{'name': title, module: args, 'ignore_errors': True} for title, module, args, dummy in cases]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, 'em'))
    problems = []
    for title, module, args, words in cases:
        result = [entry for entry in run.results if entry['task'] == title]
        if not result:
            problems.append('%s: no result' % title)
            continue
        status, result = result[-1]['status'], result[-1]['result']
        message = result.get('msg') or ''
        if status != 'failed':
            problems.append('%s: did not fail: %s' % (title, json.dumps(result)[:300]))
            continue
        text = json.dumps(result)
        if 'Traceback' in text or 'MODULE FAILURE' in text or 'module_stderr' in result:
            problems.append('%s: crashed: %s' % (title, text[:600]))
            continue
        missing = [word for word in words if word not in message]
        if missing:
            problems.append('%s: message lacks %s: %r' % (title, missing, message))
        wrong = [word for word in NOT_A_VALIDATION if word in message]
        if wrong:
            problems.append('%s: not refused as invalid input (%s): %r' % (title, wrong, message))
    assert 'Traceback' not in run.output or problems, run.output[-3000:]
    counters = simulator.counters()
    if counters['requests_total'] != 0:
        problems.append('requests were sent for invalid input: %s' % counters['requests'])
    assert not problems, '\n'.join(problems)


# -- role variables -------------------------------------------------------------------------------
RUN_AND_WAIT = 'backupops.veeam.run_and_wait'
SCHEDULE_TOGGLE = 'backupops.veeam.schedule_toggle'
FRESH_BACKUP = 'backupops.veeam.fresh_backup'
ROLE_CASES = [
    ('fb name empty', FRESH_BACKUP, {'fresh_backup_name': ''}, ['fresh_backup_name']),
    ('fb max_age words', FRESH_BACKUP, {'fresh_backup_max_age': 'a day'}, ['fresh_backup_max_age', '12h']),
    ('fb max_age negative', FRESH_BACKUP, {'fresh_backup_max_age': '-3d'}, ['fresh_backup_max_age']),
    ('fb kind unknown', FRESH_BACKUP, {'fresh_backup_kind': 'server'}, ['fresh_backup_kind']),
    ('fb run not a bool', FRESH_BACKUP, {'fresh_backup_run': 'maybe'}, ['fresh_backup_run']),
    ('fb timeout zero', FRESH_BACKUP, {'fresh_backup_timeout': 0}, ['fresh_backup_timeout']),
    ('fb poll_interval not a number', FRESH_BACKUP, {'fresh_backup_poll_interval': 'often'},
     ['fresh_backup_poll_interval']),
    ('raw jobs missing', RUN_AND_WAIT, {}, ['run_and_wait_jobs']),
    ('raw jobs empty', RUN_AND_WAIT, {'run_and_wait_jobs': []}, ['run_and_wait_jobs']),
    ('raw jobs a string with a comma', RUN_AND_WAIT, {'run_and_wait_jobs': 'SQL Server; Nightly, Full'},
     ['run_and_wait_jobs']),
    ('raw jobs a mapping', RUN_AND_WAIT, {'run_and_wait_jobs': {'name': 'Daily Backup'}}, ['run_and_wait_jobs']),
    ('raw agent not a bool', RUN_AND_WAIT, {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_agent': 'maybe'},
     ['run_and_wait_agent']),
    ('raw timeout zero', RUN_AND_WAIT, {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_timeout': 0},
     ['run_and_wait_timeout']),
    ('raw timeout negative', RUN_AND_WAIT, {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_timeout': -1},
     ['run_and_wait_timeout']),
    ('raw timeout not a number', RUN_AND_WAIT, {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_timeout': 'long'},
     ['run_and_wait_timeout']),
    ('raw poll_interval zero', RUN_AND_WAIT, {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_poll_interval': 0},
     ['run_and_wait_poll_interval']),
    ('raw progress_interval negative', RUN_AND_WAIT,
     {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_progress_interval': -60},
     ['run_and_wait_progress_interval']),
    ('raw fail_on_warning not a bool', RUN_AND_WAIT,
     {'run_and_wait_jobs': ['Daily Backup'], 'run_and_wait_fail_on_warning': 'strict'},
     ['run_and_wait_fail_on_warning']),
    ('st jobs missing', SCHEDULE_TOGGLE, {'schedule_toggle_enabled': False}, ['schedule_toggle_jobs']),
    ('st jobs empty', SCHEDULE_TOGGLE, {'schedule_toggle_jobs': [], 'schedule_toggle_enabled': False},
     ['schedule_toggle_jobs']),
    ('st jobs a string with a comma', SCHEDULE_TOGGLE,
     {'schedule_toggle_jobs': 'SQL Server; Nightly, Full', 'schedule_toggle_enabled': False}, ['schedule_toggle_jobs']),
    ('st enabled missing', SCHEDULE_TOGGLE, {'schedule_toggle_jobs': ['Daily Backup']}, ['schedule_toggle_enabled']),
    ('st enabled not a bool', SCHEDULE_TOGGLE,
     {'schedule_toggle_jobs': ['Daily Backup'], 'schedule_toggle_enabled': 'on-ish'},
     ['schedule_toggle_enabled']),
    ('st agent not a bool', SCHEDULE_TOGGLE,
     {'schedule_toggle_jobs': ['Daily Backup'], 'schedule_toggle_enabled': False, 'schedule_toggle_agent': 'x'},
     ['schedule_toggle_agent']),
]


def test_invalid_role_variables_fail_naming_the_variable_before_any_request(simulator, tmp_path):
    tasks = []
    for title, role, variables, dummy in ROLE_CASES:
        tasks.append({'name': 'case ' + title, 'block': [
            {'name': 'apply ' + title, 'ansible.builtin.include_role': {'name': role}, 'vars': variables},
            {'name': 'passed ' + title, 'ansible.builtin.debug': {'msg': 'the role accepted the variables'}},
        ], 'rescue': [
            {'name': 'caught ' + title, 'ansible.builtin.debug': {'var': 'ansible_failed_result'}},
        ]})
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, 'em'))
    problems = []
    for title, role, variables, words in ROLE_CASES:
        if [entry for entry in run.results if entry['task'] == 'passed ' + title]:
            problems.append('%s: the role accepted the variables' % title)
            continue
        caught = [entry for entry in run.results if entry['task'] == 'caught ' + title]
        if not caught:
            problems.append('%s: no failure caught' % title)
            continue
        failure = caught[-1]['result'].get('ansible_failed_result') or {}
        text = json.dumps(failure)
        if 'Traceback' in text or 'MODULE FAILURE' in text:
            problems.append('%s: crashed: %s' % (title, text[:600]))
        message = str(failure.get('msg') or '')
        missing = [word for word in words if word not in message]
        if missing:
            problems.append('%s: message lacks %s: %r' % (title, missing, message[:400]))
    counters = simulator.counters()
    if counters['requests_total'] != 0:
        problems.append('requests were sent for invalid role variables: %s' % counters['requests'])
    assert not problems, '\n'.join(problems)


# -- odd but valid names: found exactly, and no EM filter injection -------------------------------------
QUOTED = 'Exchange "Mail" Backup'
SEPARATORS = 'SQL Server; Nightly, Full'
ACCENTS = u'Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller'
INJECTIONS = ['x" , Name=="Daily Backup', 'Daily Backup";Name=="x', 'Daily Backup" , Name=="x',
              'x") , (Name=="Daily Backup']
AGENT_INJECTIONS = ['x" , Name=="Linux Web Servers', 'x" , JobName=="Linux Web Servers']
SERVER_INJECTIONS = ['vbr-nowhere" , Name=="Daily Backup', 'x") , (BackupServerName=="vbr-prod-01.corp.example']
MISSING = [u'Pas de t\u00e2che \u00ab ceci \u00bb; non, merci', u'\u65e5\u672c\u8a9e, "\u30b8\u30e7\u30d6"']


def _filters(log, path_part):
    """The decoded `filter` parameters of the logged requests whose path contains ``path_part``."""
    found = []
    for entry in log:
        if path_part in entry['path'] and entry['query']:
            for value in parse_qs(entry['query']).get('filter', []):
                found.append(value)
    return found


def test_names_with_quotes_separators_and_non_ascii_work_and_cannot_inject(simulator, api, tmp_path):
    tasks = []
    for name in [QUOTED, SEPARATORS, ACCENTS] + INJECTIONS + MISSING:
        tasks.append({'name': 'job %s' % name, JOB_INFO: {'name': name}, 'ignore_errors': True})
    for name in AGENT_INJECTIONS:
        tasks.append({'name': 'agent job %s' % name, AGENT_JOB_INFO: {'name': name}, 'ignore_errors': True})
        tasks.append({'name': 'sessions %s' % name, SESSIONS: {'job_name': name}, 'ignore_errors': True})
    for server in SERVER_INJECTIONS:
        tasks.append({'name': 'server %s' % server, JOB_INFO: {'backup_server': server}, 'ignore_errors': True})
    for name in INJECTIONS[:2]:
        tasks.append({'name': 'action %s' % name, ACTION: {'name': name, 'action': 'disable'}, 'ignore_errors': True})
    tasks.append({'name': 'action on the odd name', ACTION: {'name': SEPARATORS, 'action': 'disable'},
                  'check_mode': True})
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert 'Traceback' not in run.output, run.output[-3000:]
    for name in (QUOTED, SEPARATORS, ACCENTS):
        assert status_of(run, 'job %s' % name) == 'ok'
        assert [job['name'] for job in run.task('job %s' % name)['jobs']] == [name]
    for name in INJECTIONS + MISSING:
        assert status_of(run, 'job %s' % name) == 'ok', run.task('job %s' % name)
        assert run.task('job %s' % name)['jobs'] == [], name
    for name in AGENT_INJECTIONS:
        assert status_of(run, 'agent job %s' % name) == 'ok' and run.task('agent job %s' % name)['jobs'] == []
        assert status_of(run, 'sessions %s' % name) == 'ok' and run.task('sessions %s' % name)['sessions'] == []
    for server in SERVER_INJECTIONS:
        assert status_of(run, 'server %s' % server) == 'ok' and run.task('server %s' % server)['jobs'] == [], server
    for name in INJECTIONS[:2]:
        assert status_of(run, 'action %s' % name) == 'failed'
        result = run.task('action %s' % name)
        assert_clean(result, name)
        assert 'matches no job' in result['msg'] and name in result['msg'], result['msg']
    odd = run.task('action on the odd name')
    assert odd['changed'] is True and odd['job']['name'] == SEPARATORS
    counters = simulator.counters()
    assert sum(counters['actions'].values()) == 0, counters['actions']
    assert_logged_off(simulator)

    log = simulator.log()
    if api == 'vbr':
        # VBR has no filter language: each name is one nameFilter value, sent as it is
        sent = set()
        for entry in log:
            sent.update(parse_qs(entry['query']).get('nameFilter', []) if entry['query'] else [])
        for name in [QUOTED, SEPARATORS, ACCENTS] + INJECTIONS + MISSING + AGENT_INJECTIONS:
            assert name in sent, (name, sent)
    elif api == 'em':
        filters = _filters(log, '/api/query')
        for name in [QUOTED, SEPARATORS, ACCENTS] + INJECTIONS + MISSING:
            literal = 'Name=="%s"' % name.replace('"', '""')
            assert any(literal in value for value in filters), (literal, filters)
        for name in AGENT_INJECTIONS:
            doubled = name.replace('"', '""')
            assert any('JobName=="%s"' % doubled in value for value in filters), (name, filters)
        for server in SERVER_INJECTIONS:
            assert any('BackupServerName=="%s"' % server.replace('"', '""') in value for value in filters), filters
    else:
        values = []
        for value in _filters(log, '/api/v3/infrastructure'):
            values.extend(json.dumps(item) for item in json.loads(value))
        for name in [QUOTED, SEPARATORS, ACCENTS] + INJECTIONS + MISSING:
            assert any(json.dumps(name)[1:-1] in value for value in values), (name, values)


# -- passwords with : & % + space and non-ASCII -----------------------------------------------------------
def test_passwords_with_special_characters_log_on(simulator, api, tmp_path):
    user, password = u'CORP\\b\u00e4ckup-op', u'%41:b&c+d e%zz\u20ac\u00f6:'
    simulator.add_user(user, password)
    simulator.add_user('plain', u'\u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 + & % : ')
    tasks = [
        {'name': 'tricky from the environment', JOB_INFO: {'name': QUOTED}},
        {'name': 'added user as options', JOB_INFO: {'name': QUOTED, 'username': user, 'password': password}},
        {'name': 'plain user', JOB_INFO: {'name': QUOTED, 'username': 'plain',
                                          'password': u'\u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 + & % : '}},
        {'name': 'wrong variant', JOB_INFO: {'name': QUOTED, 'username': user, 'password': password.upper()},
         'ignore_errors': True},
    ]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api, username='CORP\\tricky'))
    for title in ('tricky from the environment', 'added user as options', 'plain user'):
        assert status_of(run, title) == 'ok', run.task(title)
        assert len(run.task(title)['jobs']) == 1
    assert status_of(run, 'wrong variant') == 'failed'
    wrong = run.task('wrong variant')
    assert_clean(wrong, 'wrong variant')
    assert 'refused the logon' in wrong['msg'], wrong['msg']
    assert password.upper() not in run.output
    assert_logged_off(simulator)
    counters = simulator.counters()
    assert counters[api]['failed_logons'] == 1, counters


# -- a server that is not a Veeam API -----------------------------------------------------------------
class NotVeeam(object):
    """A one-file HTTPS server (the simulator's certificate, so ca_path trusts it) answering every request
    with an HTML page or an empty 200 body."""

    def __init__(self, simulator, mode):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_GET(self):
                length = int(self.headers.get('Content-Length') or 0)
                if length:
                    self.rfile.read(length)
                if mode == 'html':
                    body = (b'<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head>'
                            b'<body>It works</body></html>')
                    content_type = 'text/html; charset=utf-8'
                else:
                    body, content_type = b'', None
                self.send_response(200)
                if content_type:
                    self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(simulator.state_dir, 'server.pem'),
                                os.path.join(simulator.state_dir, 'server-key.pem'))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_server_that_is_not_a_veeam_api_is_reported(simulator, api, tmp_path):
    html, empty = NotVeeam(simulator, 'html'), NotVeeam(simulator, 'empty')
    try:
        tasks = [
            {'name': 'html', JOB_INFO: {'name': QUOTED, 'port': html.port}, 'ignore_errors': True},
            {'name': 'empty', JOB_INFO: {'name': QUOTED, 'port': empty.port}, 'ignore_errors': True},
            {'name': 'html action', ACTION: {'name': QUOTED, 'action': 'start', 'port': html.port},
             'ignore_errors': True},
        ]
        env = veeam_env(simulator, api)
        env.pop('VEEAM_PORT')
        run = run_playbook(tmp_path, tasks, env)
    finally:
        html.close()
        empty.close()
    assert 'Traceback' not in run.output, run.output[-3000:]
    problems = []
    for title, words in (('html', ['html']), ('empty', ['empty']), ('html action', ['html'])):
        if status_of(run, title) != 'failed':
            problems.append('%s: did not fail: %s' % (title, run.task(title)))
            continue
        result = run.task(title)
        assert_clean(result, title)
        missing = [word for word in words if word not in result['msg'].lower()]
        if missing:
            problems.append('%s: the message does not say what came back (%s): %r' % (title, missing, result['msg']))
    assert not problems, '\n'.join(problems)
