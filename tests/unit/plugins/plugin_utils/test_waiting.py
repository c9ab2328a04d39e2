# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting in rounds (controller side): the progress lines, merging the rounds' results, and the action plugin's
loop with a scripted module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.backupops.veeam.plugins.action.veeam_job_action import ActionModule
from ansible_collections.backupops.veeam.plugins.plugin_utils import _waiting
from ansible_collections.backupops.veeam.plugins.plugin_utils._waiting import (
    final_result,
    format_elapsed,
    hidden_line,
    next_round,
    progress_line,
    progress_lines,
)

OPTION = '_veeam_progress'


def look(name='SQL Nightly', status='running', state='Working', progress=None, result=None, msg=None):
    return {'name': name, 'status': status, 'state': state, 'progress': progress, 'result': result, 'msg': msg}


@pytest.mark.parametrize('seconds, text', [
    (0, '0s'), (9.9, '9s'), (59, '59s'), (60, '1m 00s'), (125, '2m 05s'), (3599, '59m 59s'), (3725, '1h 02m 05s'),
    (-3, '0s'),
])
def test_format_elapsed(seconds, text):
    assert format_elapsed(seconds) == text


@pytest.mark.parametrize('entry, text', [
    (look(progress=45), "[localhost] job 'SQL Nightly': Working, 45% done, 1m 20s elapsed"),
    (look(), "[localhost] job 'SQL Nightly': Working, 1m 20s elapsed"),
    (look(progress=0), "[localhost] job 'SQL Nightly': Working, 0% done, 1m 20s elapsed"),
    (look(state=None), "[localhost] job 'SQL Nightly': started, its run is not visible on the server yet, 1m 20s elapsed"),
    (look(status='queued', state=None), "[localhost] job 'SQL Nightly': not started yet, waits for a free slot (parallel), "
                                        "1m 20s elapsed"),
    (look(status='ended', state='Stopped', result='Failed', msg="job 'SQL Nightly': the run ended Failed"),
     "[localhost] job 'SQL Nightly': ended Failed, 1m 20s elapsed"),
    (look(status='ended', state=None, msg="job 'SQL Nightly': still running after 60 seconds (wait_timeout)"),
     "[localhost] job 'SQL Nightly': still running after 60 seconds (wait_timeout), 1m 20s elapsed"),
    (look(name='Exchange "Mail" Backup', progress=5), "[localhost] job 'Exchange \"Mail\" Backup': Working, 5% done, "
                                                      "1m 20s elapsed"),
])
def test_progress_line(entry, text):
    assert progress_line('localhost', entry, 80) == text


def test_an_ended_run_is_announced_once():
    announced = set()
    first = progress_lines('h', [look(name='A'), look(name='B', status='ended', result='Success')], 10, announced)
    assert first == ["[h] job 'A': Working, 10s elapsed", "[h] job 'B': ended Success, 10s elapsed"]
    second = progress_lines('h', [look(name='A', progress=50), look(name='B', status='ended', result='Success')], 20,
                            announced)
    assert second == ["[h] job 'A': Working, 50% done, 20s elapsed"]


def test_a_no_log_task_shows_only_how_many_runs_go_on():
    watch = [look(name='Secret Project'), look(name='B', status='queued'), look(name='C', status='ended', result='Success')]
    assert hidden_line('h', watch, 65) == '[h] 2 of 3 still going, 1m 05s elapsed (details hidden by no_log)'


@pytest.mark.parametrize('took, asked, expected', [
    (10.0, 10.0, 10.0),  # no overhead
    (11.5, 10.0, 8.5),   # start-up and the last look took 1.5 s
    (9.0, 10.0, 10.0),   # the round ended early: nothing to take off
    (40.0, 10.0, 5.0),   # never less than half the interval
])
def test_next_round_takes_the_overhead_off(took, asked, expected):
    assert next_round(10, took, asked) == pytest.approx(expected)
    assert next_round(1, 5.0, 1.0) == 1.0  # and never under a second


def test_final_result_adds_the_earlier_rounds():
    result = final_result({'changed': False, 'failed': True, 'warnings': ['last']}, ['first', 'second'], ['old'], True)
    assert result == {'changed': True, 'failed': True, 'warnings': ['first', 'second', 'last'], 'deprecations': ['old']}
    untouched = {'changed': False, 'msg': 'x'}
    assert final_result(dict(untouched), [], [], False) == untouched


# -- the action plugin with a scripted module ------------------------------------------------------------------
def plugin(args, check_mode=False, async_val=0, no_log=False):
    task = MagicMock()
    task.args = args
    task.async_val = async_val
    task.check_mode = check_mode
    task.no_log = no_log
    task.action = 'backupops.veeam.veeam_job_action'
    connection = MagicMock()
    connection.has_native_async = False
    action = ActionModule(task, connection, MagicMock(), MagicMock(), MagicMock(), MagicMock())
    action._remove_tmp_path = MagicMock()
    return action


class Module:
    """Stands in for ``_execute_module``: records each call's arguments and answers the next scripted result."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, wrap_async=False, **dummy):
        self.calls.append({'args': None if module_args is None else dict(module_args), 'wrap_async': wrap_async})
        return dict(self.answers.pop(0))


def going(state, *looks, **extra):
    answer = {'changed': True, 'msg': '1 of 1 still going', OPTION: {'state': state, 'watch': list(looks)}}
    answer.update(extra)
    return answer


FINAL = {'changed': True, 'api': 'em', 'msg': "job 'SQL Nightly' started; the run ended Success",
         'session': {'result': 'Success'}, 'job': {'name': 'SQL Nightly'}, 'task': None,
         'invocation': {'module_args': {'name': 'SQL Nightly'}}}
WAITING = {'name': 'SQL Nightly', 'action': 'start', 'wait': True, 'progress_interval': 10}


@pytest.fixture
def lines(monkeypatch):
    shown = []
    monkeypatch.setattr(_waiting.display, 'display', lambda msg, **kwargs: shown.append(msg))
    return shown


def test_a_waiting_task_runs_rounds_prints_lines_and_returns_the_last_rounds_result(lines):
    module = Module(going(['s1'], look(progress=25), warnings=['a 503 was retried']),
                    going(['s2'], look(progress=50)), dict(FINAL, warnings=['the run ended with a warning']))
    action = plugin(dict(WAITING))
    action._execute_module = module
    result = action.run(task_vars={'inventory_hostname': 'ctl01'})
    assert [call['args'][OPTION]['state'] for call in module.calls] == [None, ['s1'], ['s2']]
    assert module.calls[0]['args'][OPTION]['interval'] == 10
    assert all(dict((k, v) for k, v in call['args'].items() if k != OPTION) == WAITING for call in module.calls)
    assert len(lines) == 2
    assert lines[0].startswith("[ctl01] job 'SQL Nightly': Working, 25% done, ") and lines[0].endswith(' elapsed')
    assert lines[1].startswith("[ctl01] job 'SQL Nightly': Working, 50% done, ")
    assert OPTION not in result
    expected = dict(FINAL, warnings=['a 503 was retried', 'the run ended with a warning'])
    assert result == expected


def test_no_log_hides_the_jobs_in_the_lines(lines):
    module = Module(going(['s1'], look(name='Secret Project', progress=25)), FINAL)
    action = plugin(dict(WAITING, name='Secret Project'), no_log=True)
    action._execute_module = module
    action.run(task_vars={'inventory_hostname': 'h'})
    assert len(lines) == 1 and lines[0].startswith('[h] 1 of 1 still going, ') and 'Secret' not in lines[0]


def test_a_null_progress_interval_is_the_default(lines):
    module = Module(FINAL)
    action = plugin(dict(WAITING, progress_interval=None))
    action._execute_module = module
    action.run(task_vars={})
    assert module.calls[0]['args']['_veeam_progress']['interval'] == 60


def test_a_short_run_is_one_call_whose_result_is_handed_on_as_is(lines):
    module = Module(FINAL)
    action = plugin(dict(WAITING))
    action._execute_module = module
    assert action.run(task_vars={}) == FINAL
    assert len(module.calls) == 1 and lines == []


@pytest.mark.parametrize('args, check_mode', [
    (dict(WAITING, wait=False), False),
    (dict(WAITING, action='enable'), False),
    (dict(WAITING, action='disable', wait='yes'), False),
    (dict(WAITING), True),
    (dict(WAITING, wait='not a boolean'), False),
    (dict(WAITING, progress_interval='soon'), False),
    (dict(WAITING, progress_interval=0), False),
])
def test_a_task_that_does_not_wait_is_one_plain_call(lines, args, check_mode):
    module = Module({'changed': False, 'msg': 'as usual'})
    action = plugin(args, check_mode=check_mode)
    action._execute_module = module
    assert action.run(task_vars={}) == {'changed': False, 'msg': 'as usual'}
    assert module.calls == [{'args': None, 'wrap_async': False}]  # the task's own arguments, unchanged
    assert lines == []


def test_the_tasks_own_async_is_left_to_ansible(lines):
    module = Module({'ansible_job_id': 'j1', 'started': 1, 'finished': 0})
    action = plugin(dict(WAITING), async_val=120)
    action._execute_module = module
    assert action.run(task_vars={})['ansible_job_id'] == 'j1'
    assert module.calls == [{'args': None, 'wrap_async': True}]
    assert lines == [] and not action._remove_tmp_path.called


def test_the_internal_option_is_refused_from_a_task():
    action = plugin(dict(WAITING, _veeam_progress={'interval': 1, 'state': None}))
    action._execute_module = Module()
    with pytest.raises(AnsibleActionFail) as caught:
        action.run(task_vars={})
    assert '_veeam_progress is internal' in str(caught.value)


def test_a_round_that_fails_keeps_changed_and_says_the_runs_go_on(lines):
    module = Module(going(['s1'], look()), {'failed': True, 'msg': 'logon refused (401)'})
    action = plugin(dict(WAITING))
    action._execute_module = module
    result = action.run(task_vars={})
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('logon refused (401) (while following the runs started or found ')
    assert 'they go on on the server' in result['msg']


def test_a_first_round_that_fails_is_handed_on_as_is(lines):
    failure = {'failed': True, 'msg': "'Nightly' matches no job", 'changed': False}
    module = Module(failure)
    action = plugin(dict(WAITING))
    action._execute_module = module
    assert action.run(task_vars={}) == failure
