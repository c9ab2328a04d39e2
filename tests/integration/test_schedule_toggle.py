# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role backupops.veeam.schedule_toggle and playbook backupops.veeam.schedule_toggle, end to end against the simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest

from ansible_run import BIN, _run, run_playbook, veeam_env

ROLE = 'backupops.veeam.schedule_toggle'
PLAYBOOK = 'backupops.veeam.schedule_toggle'
# In the simulator's data set 'Legacy Archive Backup' has its schedule disabled, the others enabled.
OFF = 'Legacy Archive Backup'
ON = 'Offsite Backup Copy'
COMMA = 'SQL Server; Nightly, Full'
AUTH_PATHS = ('/api/sessionMngr', '/api/logonSessions', '/api/v3/token', '/api/oauth2/')
RECAP = re.compile(r'^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def run_collection_playbook(extra_vars, env, args=(), timeout=300):
    """``ansible-playbook backupops.veeam.schedule_toggle -e JSON``, exactly as the README and AWX docs say:
    no inventory (implicit localhost), the connection in the VEEAM_* environment."""
    command = [os.path.join(BIN, 'ansible-playbook'), PLAYBOOK, '-e', json.dumps(extra_vars)] + list(args)
    return _run(command, env, timeout)


def recap(run):
    """(ok, changed, unreachable, failed) from the PLAY RECAP line of localhost."""
    found = RECAP.findall(run.stdout)
    assert found, 'no PLAY RECAP in the output:\n%s' % run.output[-4000:]
    return tuple(int(number) for number in found[-1])


def schedules(simulator, *names, **kw):
    return dict((name, simulator.job(name, **kw)['schedule_enabled']) for name in names)


def changing_requests(simulator):
    """Requests other than reads, logon and logoff that reached the simulator (schedule changes, actions)."""
    return [(entry['method'], entry['path']) for entry in simulator.log()
            if entry['method'] not in ('GET', 'HEAD') and not entry['path'].startswith(AUTH_PATHS)]


def schedule_changes(simulator):
    actions = simulator.counters()['actions']
    return actions['toggle'] + actions['patch'] + actions['enable'] + actions['disable']


def role_task(jobs, enabled, **extra):
    role_vars = {'schedule_toggle_jobs': jobs, 'schedule_toggle_enabled': enabled}
    role_vars.update(extra)
    return {'name': 'apply the role', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': role_vars}


SHOW_RESULTS = {'name': 'results', 'ansible.builtin.debug': {'var': 'schedule_toggle_results'}}


def connection_defaults(simulator, api):
    env = veeam_env(simulator, api)
    return {'group/backupops.veeam.veeam': {
        'api': api, 'server': env['VEEAM_SERVER'], 'port': int(env['VEEAM_PORT']), 'username': env['VEEAM_USERNAME'],
        'password': env['VEEAM_PASSWORD'], 'ca_path': simulator.ca_path}}


@pytest.mark.compat
def test_role_with_module_defaults_is_idempotent(simulator, api, tmp_path):
    assert schedules(simulator, OFF, ON) == {OFF: False, ON: True}
    play = {'module_defaults': connection_defaults(simulator, api)}
    tasks = [role_task([OFF, ON], False), SHOW_RESULTS]

    first = run_playbook(tmp_path, tasks, {}, play_extra=play)
    assert first.rc == 0, first.output
    assert recap(first)[1:] == (1, 0, 0), first.stdout[-2000:]
    assert schedules(simulator, OFF, ON) == {OFF: False, ON: False}
    assert schedule_changes(simulator) == 1
    results = first.task('results')['schedule_toggle_results']
    assert [r['changed'] for r in results] == [False, True]
    assert [r['failed'] for r in results] == [False, False]
    assert [r['job']['name'] for r in results] == [OFF, ON]
    assert [r['job']['schedule_enabled'] for r in results] == [False, False]
    before = changing_requests(simulator)

    second = run_playbook(tmp_path, tasks, {}, play_extra=play)
    assert second.rc == 0, second.output
    assert recap(second)[1:] == (0, 0, 0), second.stdout[-2000:]
    assert schedule_changes(simulator) == 1
    assert changing_requests(simulator) == before, 'the second run sent a changing request'
    assert [r['changed'] for r in second.task('results')['schedule_toggle_results']] == [False, False]


def test_role_with_environment_enables_and_check_mode_changes_nothing(simulator, api, tmp_path):
    env = veeam_env(simulator, api)
    tasks = [role_task([OFF, ON], True), SHOW_RESULTS]

    checked = run_playbook(tmp_path, tasks, env, args=['--check', '--diff'])
    assert checked.rc == 0, checked.output
    assert recap(checked)[1] == 1
    assert [r['changed'] for r in checked.task('results')['schedule_toggle_results']] == [True, False]
    assert schedule_changes(simulator) == 0 and changing_requests(simulator) == []
    assert schedules(simulator, OFF, ON) == {OFF: False, ON: True}

    first = run_playbook(tmp_path, tasks, env)
    assert first.rc == 0, first.output
    assert recap(first)[1] == 1
    assert schedules(simulator, OFF, ON) == {OFF: True, ON: True}
    assert schedule_changes(simulator) == 1

    second = run_playbook(tmp_path, tasks, env)
    assert second.rc == 0, second.output
    assert recap(second)[1] == 0
    assert schedule_changes(simulator) == 1


@pytest.mark.compat
def test_collection_playbook_by_fqcn_with_extra_vars(simulator, api):
    env = veeam_env(simulator, api)
    extra = {'schedule_toggle_jobs': [ON, COMMA], 'schedule_toggle_enabled': False}

    first = run_collection_playbook(extra, env)
    assert first.rc == 0, first.output
    assert recap(first)[1] == 1
    assert schedules(simulator, ON, COMMA) == {ON: False, COMMA: False}
    assert schedule_changes(simulator) == 2
    shown = first.task('Show what happened to each job')['msg']
    assert len(shown) == 2 and ON in shown[0] and COMMA in shown[1], shown
    before = changing_requests(simulator)

    second = run_collection_playbook(extra, env)
    assert second.rc == 0, second.output
    assert recap(second)[1] == 0
    assert changing_requests(simulator) == before

    back = run_collection_playbook(dict(extra, schedule_toggle_enabled='true'), env)  # a survey answers with text
    assert back.rc == 0, back.output
    assert schedules(simulator, ON, COMMA) == {ON: True, COMMA: True}


def test_backup_server_picks_one_of_two_jobs_with_the_same_name(simulator, api):
    env = veeam_env(simulator, api)
    extra = {'schedule_toggle_jobs': ['Daily Backup'], 'schedule_toggle_enabled': False}
    if api == 'vbr':
        # a VBR server has its own jobs only: another server's name matches nothing, its own name its job
        other = run_collection_playbook(dict(extra, schedule_toggle_backup_server='vbr-dr-01.corp.example'), env)
        assert other.rc != 0 and "'Daily Backup' matches no job on backup server 'vbr-dr-01.corp.example'" in other.output
        assert schedule_changes(simulator) == 0
        run = run_collection_playbook(dict(extra, schedule_toggle_backup_server='vbr-prod-01.corp.example'), env)
        assert run.rc == 0, run.output
        assert schedules(simulator, 'Daily Backup', server='vbr-prod-01.corp.example') == {'Daily Backup': False}
        assert schedules(simulator, 'Daily Backup', server='vbr-dr-01.corp.example') == {'Daily Backup': True}
        return

    ambiguous = run_collection_playbook(extra, env)
    assert ambiguous.rc != 0
    assert 'Daily Backup' in ambiguous.output
    # the role's user wrote schedule_toggle_backup_server, not the module's backup_server
    assert 'give schedule_toggle_backup_server or the id' in ' '.join(ambiguous.output.split()), ambiguous.output
    assert schedule_changes(simulator) == 0

    run = run_collection_playbook(dict(extra, schedule_toggle_backup_server='vbr-dr-01.corp.example'), env)
    assert run.rc == 0, run.output
    assert schedules(simulator, 'Daily Backup', server='vbr-dr-01.corp.example') == {'Daily Backup': False}
    assert schedules(simulator, 'Daily Backup', server='vbr-prod-01.corp.example') == {'Daily Backup': True}


def test_agent_jobs(simulator, api):
    env = veeam_env(simulator, api)
    # VBR sees the agent jobs of vbr-prod-01 only, whose schedules are all on: switch one off instead
    name, wanted = ('Linux Web Servers', False) if api == 'vbr' else ('Branch Laptops', True)
    assert simulator.job(name, agent=True)['schedule_enabled'] is not wanted
    extra = {'schedule_toggle_jobs': [name], 'schedule_toggle_enabled': wanted, 'schedule_toggle_agent': True}
    run = run_collection_playbook(extra, env)
    assert run.rc == 0, run.output
    assert simulator.job(name, agent=True)['schedule_enabled'] is wanted
    again = run_collection_playbook(extra, env)
    assert again.rc == 0, again.output
    assert recap(again)[1] == 0


def test_unknown_job_fails_before_anything_changes(simulator, api, tmp_path):
    tasks = [{
        'name': 'toggle',
        'block': [role_task([ON, 'No Such Job'], False)],
        'rescue': [SHOW_RESULTS, {'name': 'failure', 'ansible.builtin.debug': {'var': 'ansible_failed_result.msg'}}],
    }]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output
    assert 'No Such Job' in run.task('failure')['ansible_failed_result.msg']
    # every job is looked up before any is changed: nothing was changed, so there are no results
    assert run.task('results')['schedule_toggle_results'] == []
    assert schedules(simulator, ON) == {ON: True}
    assert changing_requests(simulator) == []


def test_a_job_without_a_schedule_passes_both_steps_of_a_maintenance_window_with_a_warning(simulator, api, tmp_path):
    tasks = [dict(role_task([ON, 'Manual Test Backup'], False), name='off'), dict(SHOW_RESULTS, name='after off'),
             dict(role_task([ON, 'Manual Test Backup'], True), name='on'), dict(SHOW_RESULTS, name='after on')]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    for step, changed in (('after off', True), ('after on', True)):
        results = run.task(step)['schedule_toggle_results']
        assert [(r['item'], r['changed'], r['failed']) for r in results] == [(ON, changed, False),
                                                                             ('Manual Test Backup', False, False)]
    assert ' '.join(run.output.split()).count("[WARNING]: job 'Manual Test Backup' has no schedule configured") == 2, run.output
    assert schedules(simulator, ON) == {ON: True}


@pytest.mark.parametrize('extra, words', [
    ({'schedule_toggle_jobs': [ON], 'schedule_toggle_enabled': 'maybe'},
     ['schedule_toggle_enabled', 'maybe', 'not a valid boolean']),
    ({'schedule_toggle_jobs': {'name': ON}, 'schedule_toggle_enabled': False},
     ['schedule_toggle_jobs', 'list']),
    ({'schedule_toggle_jobs': '%s, Daily Backup' % ON, 'schedule_toggle_enabled': False},
     ['schedule_toggle_jobs must be a non-empty list']),
    ({'schedule_toggle_jobs': [], 'schedule_toggle_enabled': False},
     ['schedule_toggle_jobs must be a non-empty list']),
    ({'schedule_toggle_jobs': [ON]},
     ['missing required arguments: schedule_toggle_enabled']),
    ({'schedule_toggle_jobs': [ON], 'schedule_toggle_enabled': False, 'schedule_toggle_agent': 'sometimes'},
     ['schedule_toggle_agent']),
])
def test_wrong_variables_are_refused_before_any_request(simulator, api, extra, words):
    before = simulator.counters()['requests_total']
    run = run_collection_playbook(extra, veeam_env(simulator, api))
    assert run.rc != 0
    assert recap(run)[3] == 1
    message = run.last['msg']
    for word in words:
        assert word in message, message
    assert 'Traceback' not in run.output
    assert simulator.counters()['requests_total'] == before
