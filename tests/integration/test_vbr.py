# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only api: vbr has: the REST API revision (found or pinned), what VBR 12.3 lacks, the OAuth2 token
pair (renewed once, logged out always), name patterns, the session a start answers with, the roles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

import pytest

from ansible_run import (
    ACCOUNTS,
    assert_logged_off,
    control_task,
    run_module,
    run_playbook,
    secrets_seen,
    veeam_env,
    visible_jobs,
)

JOB_INFO = 'backupops.veeam.veeam_job_info'
AGENT_JOB_INFO = 'backupops.veeam.veeam_agent_job_info'
SESSIONS = 'backupops.veeam.veeam_agent_session_info'
ACTION = 'backupops.veeam.veeam_job_action'
TOKEN = '/api/oauth2/token'
VMWARE_JOB = 'Exchange "Mail" Backup'


def vbr_env(simulator, **kw):
    return veeam_env(simulator, 'vbr', **kw)


def revisions_sent(simulator):
    """(x-api-version of each token request, the set of x-api-version of every other request)."""
    tokens, others = [], set()
    for entry in simulator.log():
        headers = dict((key.lower(), value) for key, value in entry['headers'].items())
        if entry['path'] == TOKEN:
            tokens.append(headers.get('x-api-version'))
        else:
            others.add(headers.get('x-api-version'))
    return tokens, others


def failed(run, title):
    """Whether the (last) task of that title failed, as the play saw it."""
    found = [entry['status'] for entry in run.results if entry['task'] == title]
    assert found, 'no result for task %r; output:\n%s' % (title, run.output[-3000:])
    return found[-1] == 'failed'


def changing_requests(simulator):
    return [(entry['method'], entry['path']) for entry in simulator.log()
            if entry['method'] != 'GET' and not entry['path'].startswith('/api/oauth2/')]


# -- the revision --------------------------------------------------------------------------------
@pytest.mark.parametrize('version, tokens, used, word', [
    ('13.1', ['1.3-rev2'], '1.3-rev2', 'VSphereBackup'),
    ('13.0.1', ['1.3-rev2', '1.3-rev1'], '1.3-rev1', 'VSphereBackup'),
    ('12.3', ['1.3-rev2', '1.2-rev1'], '1.2-rev1', 'Backup'),
])
def test_the_revision_is_found_without_options_at_most_one_extra_request(simulator, version, tokens, used, word):
    simulator.settings(vbr_version=version)
    run = run_module(JOB_INFO, {'name': VMWARE_JOB}, vbr_env(simulator), args=['-vvv'])
    assert run.rc == 0, run.output
    [job] = run.last['jobs']
    assert job['type'] == word
    sent_tokens, others = revisions_sent(simulator)
    assert sent_tokens == tokens and others == {used}
    counters = simulator.counters()
    assert counters['vbr']['unsupported_version'] == len(tokens) - 1, counters['vbr']
    assert counters['requests']['POST ' + TOKEN] == len(tokens)
    assert_logged_off(simulator)
    for secret in secrets_seen(simulator):
        assert secret not in run.output


def test_api_version_pins_the_revision_from_the_option_or_the_environment(simulator, tmp_path):
    tasks = [
        {'name': 'option', JOB_INFO: {'name': VMWARE_JOB, 'api_version': '1.2-rev1'}},
        {'name': 'environment', JOB_INFO: {'name': 'DC Replication'}},
    ]
    run = run_playbook(tmp_path, tasks, vbr_env(simulator, VEEAM_API_VERSION='1.3-rev1'))
    assert run.rc == 0, run.output
    assert [job['type'] for job in run.task('option')['jobs']] == ['Backup']  # the 1.2 word on a 13.1 server
    assert [job['type'] for job in run.task('environment')['jobs']] == ['VSphereReplica']
    tokens, others = revisions_sent(simulator)
    assert tokens == ['1.2-rev1', '1.3-rev1'] and others == {'1.2-rev1', '1.3-rev1'}
    assert simulator.counters()['vbr']['unsupported_version'] == 0


def test_a_pinned_revision_the_server_does_not_serve_fails_naming_the_option(simulator):
    simulator.settings(vbr_version='12.3')
    run = run_module(JOB_INFO, {'name': VMWARE_JOB, 'api_version': '1.3-rev2'}, vbr_env(simulator))
    assert run.rc != 0
    message = run.last['msg']
    assert message.startswith('api_version:') and '1.3-rev2' in message and '1.2-rev1' in message, message
    assert simulator.counters()['vbr']['tokens_issued'] == 0
    assert 'Traceback' not in run.output


# -- VBR 12.3 lacks agent jobs and retry: refused before any change --------------------------------
def test_what_vbr_12_3_lacks_fails_before_any_change_naming_feature_revision_and_version(simulator, tmp_path):
    simulator.settings(vbr_version='12.3')
    daily = simulator.job('Daily Backup', server='vbr-prod-01.corp.example')
    simulator.configure_job(daily['id'], duration=1, outcome='Failed', running=True)
    tasks = [
        {'name': 'agent jobs', AGENT_JOB_INFO: {}, 'ignore_errors': True},
        {'name': 'agent sessions', SESSIONS: {'limit': 5}, 'ignore_errors': True},
        {'name': 'agent start', ACTION: {'name': 'Linux Web Servers', 'agent': True, 'action': 'start'},
         'ignore_errors': True},
        {'name': 'retry', ACTION: {'name': 'Daily Backup', 'action': 'retry', 'wait': True}, 'ignore_errors': True},
        {'name': 'retry in check mode', ACTION: {'name': 'Daily Backup', 'action': 'retry'}, 'check_mode': True,
         'ignore_errors': True},
        {'name': 'what 12.3 has', ACTION: {'name': 'Daily Backup', 'action': 'disable'}},
    ]
    run = run_playbook(tmp_path, tasks, vbr_env(simulator))
    for title in ('agent jobs', 'agent sessions', 'agent start', 'retry', 'retry in check mode'):
        assert failed(run, title), (title, run.task(title))
        message = run.task(title)['msg']
        for words in ('from VBR REST API revision 1.3-rev0 (VBR 13.0)', '1.2-rev1 (VBR 12.3)'):
            assert words in message, (title, message)
        assert ('Retrying' if 'retry' in title else 'Veeam Agent jobs') in message, message
    assert run.task('what 12.3 has')['changed'] is True
    assert changing_requests(simulator) == [('POST', '/api/v1/jobs/%s/disable' % daily['id'])]
    assert_logged_off(simulator)


# -- the token pair: renewed once, never reused, always logged out -----------------------------------
def test_a_401_is_survived_with_the_refresh_token(simulator):
    simulator.fault(api='vbr', method='GET', path_prefix='/api/v1/jobs/states', status=401, count=1)
    run = run_module(JOB_INFO, {'name': VMWARE_JOB}, vbr_env(simulator))
    assert run.rc == 0, run.output
    assert [job['name'] for job in run.last['jobs']] == [VMWARE_JOB]
    vbr = simulator.counters()['vbr']
    assert (vbr['tokens_issued'], vbr['tokens_refreshed'], vbr['refresh_reuse']) == (1, 1, 0), vbr
    assert simulator.counters()['requests']['GET /api/v1/jobs/states'] == 2
    assert_logged_off(simulator)


def test_parallel_workers_renew_an_expired_token_once(simulator):
    names = ['Daily Backup', 'SQL Server; Nightly, Full', 'DC Replication', 'Offsite Backup Copy']
    for name in names:
        simulator.configure_job(simulator.job(name, server='vbr-prod-01.corp.example')['id'], duration=4)
    # tokens live 2 s here: the four workers waiting on their runs all find the token expired
    simulator.settings(vbr_token_lifetime=2)
    run = run_module(ACTION, {'jobs': names, 'action': 'start', 'wait': True, 'poll_interval': 1, 'parallel': 4},
                     vbr_env(simulator))
    assert run.rc == 0, run.output
    assert [item['session']['result'] for item in run.last['results']] == ['Success'] * 4
    vbr = simulator.counters()['vbr']
    assert vbr['tokens_refreshed'] >= 1 and vbr['refresh_reuse'] == 0 and vbr['tokens_issued'] == 1, vbr
    assert_logged_off(simulator)


def test_no_live_token_after_success_or_failure(simulator, tmp_path):
    simulator.configure_job(simulator.job('File Server Backup')['id'], duration=1, outcome='Failed')
    tasks = [
        {'name': 'success', JOB_INFO: {'name': VMWARE_JOB}},
        {'name': 'a run that fails', ACTION: {'name': 'File Server Backup', 'action': 'start', 'wait': True,
                                              'poll_interval': 1}, 'ignore_errors': True},
        {'name': 'a job that does not exist', ACTION: {'name': 'No Such Job', 'action': 'start'}, 'ignore_errors': True},
        control_task(simulator, 'a fault', 'POST', '/faults',
                     {'api': 'vbr', 'method': 'GET', 'path_prefix': '/api/v1/jobs', 'status': 500, 'count': 8}),
        {'name': 'a server error', JOB_INFO: {'name': VMWARE_JOB}, 'ignore_errors': True},
    ]
    run = run_playbook(tmp_path, tasks, vbr_env(simulator))
    assert not failed(run, 'success')
    for title in ('a run that fails', 'a job that does not exist', 'a server error'):
        assert failed(run, title), title
    vbr = simulator.counters()['vbr']
    assert vbr['tokens_issued'] == 4 and vbr['logouts'] == 4 and vbr['live_tokens'] == 0, vbr


# -- names are patterns on the server, exact in the collection ----------------------------------------
def test_names_with_a_star_and_names_that_are_prefixes_find_only_themselves(simulator, tmp_path):
    names = ['Nightly', 'Nightly*', '*Nightly', 'Nightly Copy', 'Night*ly']
    for name in names:
        simulator.add_job(name)
    run = run_playbook(tmp_path, [{'name': name, JOB_INFO: {'name': name}} for name in names] + [
        {'name': 'other case', JOB_INFO: {'name': 'NIGHTLY'}},
        {'name': 'start the starred one', ACTION: {'name': 'Nightly*', 'action': 'start'}},
    ], vbr_env(simulator))
    assert run.rc == 0, run.output
    for name in names:
        assert [job['name'] for job in run.task(name)['jobs']] == [name]
    assert run.task('other case')['jobs'] == []
    starts = [entry['path'] for entry in simulator.log() if entry['path'].endswith('/start')]
    assert starts == ['/api/v1/jobs/%s/start' % simulator.job('Nightly*')['id']]


# -- a start answers with its session: that is the one followed ---------------------------------------
def test_start_with_wait_follows_the_session_the_start_answered_with(simulator):
    job = simulator.job(VMWARE_JOB)
    simulator.configure_job(job['id'], duration=3)
    run = run_module(ACTION, {'id': job['id'], 'action': 'start', 'wait': True, 'poll_interval': 1}, vbr_env(simulator))
    assert run.rc == 0, run.output
    session = run.last['session']
    assert session['id'] == simulator.job(VMWARE_JOB)['last_session_id'] and session['result'] == 'Success'
    log = simulator.log()
    [start] = [index for index, entry in enumerate(log) if entry['path'].endswith('/start')]
    after = [entry for entry in log[start + 1:] if entry['path'].startswith('/api/v1/sessions')]
    # followed by id: no listing of the job's sessions to look for the run
    assert after and all(entry['path'] == '/api/v1/sessions/%s' % session['id'] for entry in after), after
    assert_logged_off(simulator)


# -- roles -----------------------------------------------------------------------------------------
def test_an_operator_starts_but_may_not_disable_or_name_the_server(simulator, tmp_path):
    env = vbr_env(simulator, username='operator', password=ACCOUNTS['operator'])
    simulator.configure_job(simulator.job(VMWARE_JOB)['id'], duration=1)
    run = run_playbook(tmp_path, [
        {'name': 'list', JOB_INFO: {'name': VMWARE_JOB}},
        {'name': 'by server', JOB_INFO: {'name': VMWARE_JOB, 'backup_server': 'vbr-prod-01.corp.example'},
         'ignore_errors': True},
        {'name': 'start', ACTION: {'name': VMWARE_JOB, 'action': 'start', 'wait': True, 'poll_interval': 1}},
        {'name': 'disable', ACTION: {'name': VMWARE_JOB, 'action': 'disable'}, 'ignore_errors': True},
    ], env)
    [job] = run.task('list')['jobs']
    assert (job['backup_server_id'], job['backup_server_name']) == (None, None)
    by_server = run.task('by server')
    assert failed(run, 'by server') and by_server['msg'].startswith('backup_server:'), by_server
    assert 'Administrator' in by_server['msg'], by_server['msg']
    assert run.task('start')['session']['result'] == 'Success'
    disable = run.task('disable')
    assert failed(run, 'disable') and '403' in disable['msg'] and 'Backup Administrator' in disable['msg'], disable['msg']
    assert simulator.job(VMWARE_JOB)['schedule_enabled'] is True
    assert_logged_off(simulator)


# -- at scale ----------------------------------------------------------------------------------------
def test_every_job_of_a_5000_job_server(scaled_simulator):
    sim = scaled_simulator(5000)
    sim.reset()
    run = run_module(JOB_INFO, {}, vbr_env(sim))
    assert run.rc == 0, run.output[-2000:]
    jobs = visible_jobs(sim, 'vbr')
    agents = visible_jobs(sim, 'vbr', agent=True)
    assert len(run.last['jobs']) == len(jobs) > 5000
    per_type = {}
    for job in jobs:
        per_type[job['vbr_type']] = per_type.get(job['vbr_type'], 0) + 1
    # the states of every job, the models of the listed types only, the server, the token and the logout
    pages = math.ceil((len(jobs) + len(agents)) / 500.0) + sum(math.ceil(count / 500.0) for count in per_type.values())
    counters = sim.counters()
    assert counters['requests_total'] == pages + 3, counters['requests']
    assert counters['requests']['GET /api/v1/jobs'] == sum(math.ceil(count / 500.0) for count in per_type.values())
