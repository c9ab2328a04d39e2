# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""veeam_job_info end to end: real ansible-playbook / ansible runs against the simulator over HTTPS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_run import (
    ACCOUNTS,
    API_KEY,
    READ_PATH,
    assert_logged_off,
    run_module,
    run_playbook,
    secrets_seen,
    veeam_env,
    visible_jobs,
)

MODULE = 'backupops.veeam.veeam_job_info'
JOB_KEYS = {'id', 'uid', 'name', 'type', 'platform', 'description', 'backup_server_id', 'backup_server_name',
            'schedule_configured', 'schedule_enabled', 'next_run', 'last_run', 'last_result', 'running'}
QUOTED = 'Exchange "Mail" Backup'
ODD_NAMES = ['SQL Server; Nightly, Full', u'Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller']
BACKUP_COPY_TYPE = {'em': 'BackupCopy', 'vspc': 'BackupCopy', 'vbr': 'BackupCopy'}
PLAIN_TYPES = {'em': ['Backup', 'Replica'], 'vspc': ['BackupVm', 'ReplicationVM'], 'vbr': ['VSphereBackup', 'VSphereReplica']}
TYPE_WORD = {'em': 'em_type', 'vspc': 'vspc_type', 'vbr': 'vbr_type'}
VBR_SERVER = 'vbr-prod-01.corp.example'


def task(title, **args):
    return {'name': title, MODULE: args, 'register': 'out'}


@pytest.mark.compat
def test_lookup_by_name_then_by_id_and_uid(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        task('by name', name=QUOTED),
        {'name': 'by id', MODULE: {'id': '{{ out.jobs[0].id }}'}, 'register': 'by_id'},
        {'name': 'by uid', MODULE: {'id': '{{ out.jobs[0].uid }}'}},
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    by_name = run.task('by name')
    assert by_name['changed'] is False and by_name['api'] == api
    [job] = by_name['jobs']
    assert set(job) == JOB_KEYS
    assert job['name'] == QUOTED
    assert run.task('by id')['jobs'] == [job]
    assert job['uid'] == ('urn:veeam:Job:' + job['id'] if api == 'em' else job['id'])
    assert run.task('by uid')['jobs'] == [job]
    assert_logged_off(simulator)


def test_names_with_separators_and_non_ascii_are_matched_exactly(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [task(name, name=name) for name in ODD_NAMES] + [
        task('prefix only', name='SQL Server'),
        task('other case', name=QUOTED.upper()),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    for name in ODD_NAMES:
        assert [job['name'] for job in run.task(name)['jobs']] == [name]
    assert run.task('prefix only')['jobs'] == []
    assert run.task('other case')['jobs'] == []


def test_one_name_on_two_servers_and_filtering_by_backup_server(simulator, api, tmp_path):
    if api == 'vbr':
        # a VBR server sees only its own jobs: the name once, and backup_server is the server itself
        run = run_playbook(tmp_path, [
            task('both', name='Daily Backup'),
            task('by server name', name='Daily Backup', backup_server=VBR_SERVER),
            {'name': 'by server id', MODULE: {'name': 'Daily Backup', 'backup_server': '{{ out.jobs[0].backup_server_id }}'}},
            task('other server', name='Daily Backup', backup_server='vbr-dr-01.corp.example'),
        ], veeam_env(simulator, api))
        assert run.rc == 0, run.output
        [job] = run.task('both')['jobs']
        assert job['backup_server_name'] == VBR_SERVER
        assert job['backup_server_id'] == simulator.data()['vbr']['server_id']
        assert run.task('by server name')['jobs'] == [job] and run.task('by server id')['jobs'] == [job]
        assert run.task('other server')['jobs'] == []
        return
    run = run_playbook(tmp_path, [
        task('both', name='Daily Backup'),
        task('by server name', name='Daily Backup', backup_server='vbr-dr-01.corp.example'),
        {'name': 'by server id', MODULE: {'name': 'Daily Backup', 'backup_server': '{{ out.jobs[0].backup_server_id }}'}},
        task('unknown server', backup_server='vbr-nowhere.corp.example'),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    both = run.task('both')['jobs']
    assert len(both) == 2
    assert sorted(job['backup_server_name'] for job in both) == ['vbr-dr-01.corp.example', 'vbr-prod-01.corp.example']
    [on_dr] = run.task('by server name')['jobs']
    assert on_dr['backup_server_name'] == 'vbr-dr-01.corp.example'
    [on_id] = run.task('by server id')['jobs']
    assert on_id['backup_server_id'] == on_dr['backup_server_id']
    assert run.task('unknown server')['jobs'] == []


def test_filter_by_type_and_list_everything(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        task('all'),
        task('copies', type=[BACKUP_COPY_TYPE[api]]),
        task('two types', type=PLAIN_TYPES[api]),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    known = visible_jobs(simulator, api)
    everything = run.task('all')['jobs']
    names = [job['name'] for job in everything]
    assert sorted(names) == sorted(job['name'] for job in known) and len(names) == (10 if api == 'vbr' else 15), names
    # Veeam Agent jobs belong to veeam_agent_job_info
    assert 'Linux Web Servers' not in names
    copies = run.task('copies')['jobs']
    assert {job['type'] for job in copies} == {BACKUP_COPY_TYPE[api]}
    assert sorted(job['name'] for job in copies) == sorted(job['name'] for job in known if job[TYPE_WORD[api]] == 'BackupCopy')
    two = run.task('two types')['jobs']
    assert {job['type'] for job in two} == set(PLAIN_TYPES[api])
    assert sorted(job['name'] for job in two) == sorted(job['name'] for job in known if job[TYPE_WORD[api]] in PLAIN_TYPES[api])


def test_no_match_is_an_empty_list_not_a_failure(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        task('no name', name='No Such Job'),
        task('no id', id='00000000-0000-4000-8000-000000000000'),
        task('no type', type=['NoSuchType']),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    for name in ('no name', 'no id', 'no type'):
        result = run.task(name)
        assert result['jobs'] == [] and result['changed'] is False and not result.get('failed')


def test_include_last_session(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [
        task('failed job', name='File Server Backup', include_last_session=True),
        task('running job', name='Long Running Backup', include_last_session=True),
        task('replica job', name='DC Replication', include_last_session=True),
        task('without', name='File Server Backup'),
        task('all with sessions', include_last_session=True),
    ], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    [failed] = run.task('failed job')['jobs']
    assert (failed['last_result'], failed['running']) == ('Failed', False)
    assert failed['last_run'].endswith('Z')
    [running] = run.task('running job')['jobs']
    assert (running['running'], running['last_result']) == (True, None)
    [replica] = run.task('replica job')['jobs']
    assert replica['last_result'] == 'Success' and replica['last_run']
    [plain] = run.task('without')['jobs']
    if api == 'em':
        assert (plain['last_run'], plain['last_result'], plain['running']) == (None, None, None)
    else:  # VSPC and VBR always report the latest run
        assert plain['last_result'] == 'Failed'
    every = run.task('all with sessions')['jobs']
    assert all(job['last_run'] for job in every), [job['name'] for job in every if not job['last_run']]


def test_em_last_sessions_of_all_jobs_cost_one_query_per_session_type(simulator):
    run = run_module(MODULE, {'include_last_session': True}, veeam_env(simulator, 'em'))
    assert run.rc == 0, run.output
    assert len(run.last['jobs']) == 15
    # one query for the jobs, one for BackupJobSession, one for ReplicaJobSession: not one per job
    assert simulator.counters()['requests'].get('GET /api/query') == 3


def test_include_raw(simulator, api, tmp_path):
    run = run_playbook(tmp_path, [task('raw', name='Offsite Backup Copy', include_raw=True)], veeam_env(simulator, api))
    assert run.rc == 0, run.output
    [job] = run.task('raw')['jobs']
    raw = job['raw']
    if api == 'em':
        assert raw['UID'] == job['uid'] and raw['JobType'] == 'BackupCopy'
    elif api == 'vspc':
        assert raw['instanceUid'] == job['id'] and raw['type'] == 'BackupCopy'
    else:  # the state (/jobs/states) and the job model (/jobs)
        assert raw['state']['id'] == raw['job']['id'] == job['id'] and raw['job']['type'] == 'BackupCopy'
        assert raw['job']['isDisabled'] is (not job['schedule_enabled'])


def test_same_keys_on_every_api(simulator, tmp_path):
    keys = {}
    for api in ('em', 'vspc', 'vbr'):
        run = run_playbook(tmp_path, [task('one', name=QUOTED, include_last_session=True)], veeam_env(simulator, api))
        assert run.rc == 0, run.output
        [job] = run.task('one')['jobs']
        keys[api] = (set(job), job['id'], job['name'], job['backup_server_id'].lower(), job['last_result'])
    assert keys['em'] == keys['vspc'] == keys['vbr']


def test_tls_is_refused_without_the_ca_and_accepted_with_it(simulator, api, tmp_path):
    refused = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api, ca=False))
    assert refused.rc != 0
    result = refused.last
    assert refused.results[-1]['status'] == 'failed'
    assert 'TLS' in result['msg'] and 'ca_path (VEEAM_CA_PATH' in result['msg'] and 'validate_certs (VEEAM_VALIDATE_CERTS)' in result['msg'], result['msg']
    assert 'Traceback' not in refused.output
    accepted = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api))
    assert accepted.rc == 0, accepted.output
    assert len(accepted.last['jobs']) == 1
    unchecked = run_module(MODULE, {'name': QUOTED, 'validate_certs': False}, veeam_env(simulator, api, ca=False))
    assert unchecked.rc == 0, unchecked.output


@pytest.mark.parametrize('env_change, words', [
    ({'VEEAM_USERNAME': '', 'VEEAM_PASSWORD': ''}, ['missing credentials', 'username', 'password']),
    ({'VEEAM_PASSWORD': ''}, ['password (VEEAM_PASSWORD) is required']),
    ({'VEEAM_API_KEY': 'some-key'}, ['api_key']),
    ({'VEEAM_PORT': '70000'}, ['port (VEEAM_PORT)']),
    ({'VEEAM_SERVER': ''}, ['server (VEEAM_SERVER)', 'missing']),
    ({'VEEAM_TIMEOUT': '0'}, ['timeout (VEEAM_TIMEOUT)']),
    ({'VEEAM_CA_PATH': '/nonexistent/ca.pem'}, ['ca_path (VEEAM_CA_PATH)']),
    ({'VEEAM_SERVER': 'http://127.0.0.1'}, ['server', 'https']),
])
def test_bad_connection_options_fail_before_any_request(simulator, api, env_change, words):
    env = veeam_env(simulator, api)
    env.update(env_change)
    before = simulator.counters()['requests_total']
    run = run_module(MODULE, {'name': QUOTED}, env)
    assert run.rc != 0
    message = run.last['msg']
    for word in words:
        assert word in message, message
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == before


def test_wrong_password_is_a_clear_logon_failure(simulator, api):
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api, password='wrong-password'))
    assert run.rc != 0
    assert 'refused the logon' in run.last['msg'] and 'admin' in run.last['msg'], run.last['msg']
    assert 'wrong-password' not in run.output
    assert_logged_off(simulator)


def test_passwords_with_special_characters_log_on(simulator, api):
    assert set(ACCOUNTS['CORP\\tricky']) & set(':&%+ ')
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api, username='CORP\\tricky'))
    assert run.rc == 0, run.output
    assert len(run.last['jobs']) == 1


def test_vspc_api_key(simulator):
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, 'vspc', api_key=API_KEY))
    assert run.rc == 0, run.output
    assert len(run.last['jobs']) == 1
    assert simulator.counters()['vspc']['tokens_issued'] == 0


def test_vspc_token_is_not_revoked_at_exit(simulator):
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, 'vspc'))
    assert run.rc == 0, run.output
    vspc = simulator.counters()['vspc']
    assert vspc['tokens_issued'] == 1 and vspc['tokens_revoked'] == 0


def test_em_session_is_closed_after_a_failure(simulator, tmp_path):
    simulator.fault(api='em', method='GET', path_prefix='/api/query', status=404, count=1)
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, 'em'))
    assert run.rc != 0
    assert 'HTTP 404' in run.last['msg'] and run.last['status'] == 404
    assert_logged_off(simulator)
    assert simulator.counters()['em']['logons'] == 1


def test_reads_are_retried_after_503(simulator, api):
    path = READ_PATH[api]
    simulator.fault(api=api, method='GET', path_prefix=path, status=503, count=2)
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api))
    assert run.rc == 0, run.output
    assert len(run.last['jobs']) == 1
    requests = simulator.counters()['requests']
    key = 'GET ' + path
    assert requests.get(key) == 3, requests
    assert_logged_off(simulator)


def test_reads_wait_for_429_retry_after(simulator, api):
    path = READ_PATH[api]
    simulator.fault(api=api, method='GET', path_prefix=path, status=429, count=1, retry_after=1)
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api))
    assert run.rc == 0, run.output
    assert simulator.counters()['requests'].get('GET ' + path) == 2


def test_persistent_server_errors_end_in_a_clear_failure(simulator, api):
    path = READ_PATH[api]
    simulator.fault(api=api, method='GET', path_prefix=path, status=503, count=10)
    run = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api))
    assert run.rc != 0
    # VSPC answers every 5xx as 520 (VEEAM_API.md B.5)
    assert ('HTTP 520' if api == 'vspc' else 'HTTP 503') in run.last['msg'] and 'Traceback' not in run.output
    assert simulator.counters()['requests'].get('GET ' + path) == 4
    assert_logged_off(simulator)


@pytest.mark.compat
def test_no_secret_in_verbose_output(simulator, api, tmp_path):
    env = veeam_env(simulator, api)
    ok = run_playbook(tmp_path, [task('ok', name=QUOTED, include_last_session=True)], env, args=['-vvv'])
    assert ok.rc == 0, ok.output
    bad = run_module(MODULE, {'name': QUOTED}, veeam_env(simulator, api, password='Wr0ng-Secret-Passw0rd'), args=['-vvv'])
    assert bad.rc != 0
    output = ok.output + bad.output
    secrets = {env['VEEAM_PASSWORD'], 'Wr0ng-Secret-Passw0rd'} | secrets_seen(simulator)
    assert len(secrets) >= 3, secrets
    for secret in secrets:
        assert secret not in output, 'a secret appears in the -vvv output'
    for result in (ok.task('ok'), bad.last):
        assert 'session_id' not in str(result).lower()


@pytest.mark.compat
def test_ad_hoc_with_environment_credentials_and_check_mode(simulator, api):
    run = run_module(MODULE, {'name': 'Offsite Backup Copy'}, veeam_env(simulator, api), args=['--check'])
    assert run.rc == 0, run.output
    assert [job['name'] for job in run.last['jobs']] == ['Offsite Backup Copy']


@pytest.mark.compat
def test_module_defaults_for_the_action_group(simulator, api, tmp_path):
    env = veeam_env(simulator, api)
    defaults = {'api': api, 'server': env['VEEAM_SERVER'], 'port': int(env['VEEAM_PORT']), 'username': 'admin',
                'password': env['VEEAM_PASSWORD'], 'ca_path': simulator.ca_path}
    run = run_playbook(tmp_path, [task('grouped', name=QUOTED)], {},
                       play_extra={'module_defaults': {'group/backupops.veeam.veeam': defaults}})
    assert run.rc == 0, run.output
    assert len(run.task('grouped')['jobs']) == 1


@pytest.mark.parametrize('args, words', [
    ({'id': 'not-a-guid'}, ['id:', 'not a job id']),
    ({'name': ''}, ['name: must not be empty']),
    ({'type': ['Backup;Name==x']}, ['type:']),
    ({'include_raw': 'maybe'}, ['include_raw']),
])
def test_bad_module_options_name_the_option(simulator, api, args, words):
    before = simulator.counters()['requests_total']
    run = run_module(MODULE, args, veeam_env(simulator, api))
    assert run.rc != 0
    for word in words:
        assert word in run.last['msg'], run.last['msg']
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == before
