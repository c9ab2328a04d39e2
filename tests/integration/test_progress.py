# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines while a task waits (the action plugin of veeam_job_action), through ansible-playbook.

Per API, three plays run side by side on three jobs that each run 40 s (so the suite waits 40 s once per API,
not once per check): the module with a 10 s progress interval at -vvv, the same module with the task's own
``async: 120, poll: 2`` (no progress lines: the result a single module run returns), and the run_and_wait
role. The tests below look at what those three runs printed and returned, and at what the simulator saw.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_run import run_playbook, secrets_seen, start_playbook, veeam_env

MODULE = 'backupops.veeam.veeam_job_action'
ROLE = 'backupops.veeam.run_and_wait'
LONG = 40
INTERVAL = 10
PROGRESS_JOB = 'Exchange "Mail" Backup'
ASYNC_JOB = 'SQL Server; Nightly, Full'
ROLE_JOB = u'Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller'
NEVER = ('FAILED', 'RETRYING', 'RETYING')


class LongRuns(object):
    """What the three plays of one API printed and returned, and what the simulator saw of them."""


@pytest.fixture(scope='module', params=['em', 'vspc', 'vbr'])
def long_runs(request, simulator, tmp_path_factory):
    api = request.param
    simulator.reset()
    runs = LongRuns()
    runs.api = api
    runs.ids = {}
    for name in (PROGRESS_JOB, ASYNC_JOB, ROLE_JOB):
        runs.ids[name] = simulator.job(name)['id']
        simulator.configure_job(runs.ids[name], duration=LONG)
    env = veeam_env(simulator, api)
    runs.password = env['VEEAM_PASSWORD']
    tmp_path = tmp_path_factory.mktemp('long-runs-' + api)
    started = [
        start_playbook(tmp_path, [{'name': 'Start and wait', MODULE: {
            'name': PROGRESS_JOB, 'action': 'start', 'wait': True, 'progress_interval': INTERVAL}}],
            env, args=['-vvv'], name='progress.yml'),
        start_playbook(tmp_path, [{'name': 'Start and wait', MODULE: {
            'name': ASYNC_JOB, 'action': 'start', 'wait': True}, 'async': 120, 'poll': 2}],
            env, args=['-vvv'], name='async.yml'),
        start_playbook(tmp_path, [{'name': 'Run and wait', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': {
            'run_and_wait_jobs': [ROLE_JOB], 'run_and_wait_poll_interval': 5,
            'run_and_wait_progress_interval': INTERVAL}}], env, name='role.yml'),
    ]
    runs.progress, runs.async_run, runs.role = [play.wait() for play in started]
    runs.counters = simulator.counters()
    runs.log = simulator.log()
    runs.secrets = secrets_seen(simulator)
    return runs


def progress_of(run, name):
    """(seconds after the start of the command, what follows the job's name) of each progress line of a job."""
    head = '[localhost] job %r: ' % name
    return [(seconds, line[len(head):]) for seconds, line in run.timed if line.startswith(head)]


def task_end(run, task):
    """Seconds after the start of the command at which the task's result was printed."""
    lines = run.timed
    banner = [index for index, (dummy, line) in enumerate(lines) if line.startswith('TASK [') and task in line]
    assert banner, run.output[-3000:]
    for seconds, line in lines[banner[-1]:]:
        if line.startswith(('ok: [localhost]', 'changed: [localhost]', 'fatal: [localhost]')):
            return seconds
    raise AssertionError('no result line for %r:\n%s' % (task, run.output[-3000:]))


def elapsed_of(text):
    found = re.search(r', (?:(\d+)m )?(\d+)s elapsed$', text)
    assert found, text
    return int(found.group(1) or 0) * 60 + int(found.group(2))


def assert_lines_while_it_ran(runs, run, name, task):
    lines = progress_of(run, name)
    going = [(seconds, text) for seconds, text in lines if text.startswith(('Starting', 'Working'))]
    # a 40 s run with a line every 10 s: at least three lines while it ran
    assert len(going) >= 3, run.output[-4000:]
    end = task_end(run, task)
    assert all(seconds < end for seconds, dummy in lines), (lines, end)
    # printed over the run, one look at a time, not all at the end
    assert going[-1][0] - going[0][0] >= 2 * INTERVAL - 3, going
    waited = [elapsed_of(text) for dummy, text in going]
    assert waited == sorted(waited) and waited[0] >= INTERVAL - 2 and waited[-1] < LONG + 5, waited
    percents = [re.search(r', (\d+)% done, ', text) for dummy, text in going]
    if runs.api != 'vspc':
        values = [int(found.group(1)) for found in percents if found]
        assert len(values) == len(going) and values == sorted(values) and 0 < values[0] < values[-1] < 100, going
    else:
        assert not any(percents), going  # VSPC tells no percentage


def assert_never_failed_or_retrying(run):
    for word in NEVER:
        assert word not in run.output, '%r in the output of a successful run:\n%s' % (word, run.output[-4000:])


def test_the_module_prints_progress_lines_while_the_run_goes_on(long_runs):
    run = long_runs.progress
    assert run.rc == 0, run.output[-4000:]
    assert_lines_while_it_ran(long_runs, run, PROGRESS_JOB, 'Start and wait')
    assert_never_failed_or_retrying(run)


def test_the_result_is_what_a_single_module_run_returns(long_runs):
    progress, single = long_runs.progress.task('Start and wait'), long_runs.async_run.task('Start and wait')
    assert long_runs.async_run.rc == 0, long_runs.async_run.output[-4000:]
    for key in ('api', 'changed', 'msg', 'job', 'session', 'task', 'invocation'):
        assert key in progress and key in single, key
    assert set(progress) <= set(single)  # the async result adds its job id, finished, ... to the module's keys
    assert (progress['api'], progress['changed'], progress.get('failed', False)) == (long_runs.api, True, False)
    assert (single['api'], single['changed'], single.get('failed', False)) == (long_runs.api, True, False)
    assert progress['msg'] == single['msg'].replace(repr(ASYNC_JOB), repr(PROGRESS_JOB))
    assert progress['msg'] == 'job %r started; the run ended Success' % PROGRESS_JOB
    for key in ('session', 'job'):
        assert set(progress[key]) == set(single[key]), key
    for key in ('state', 'result', 'running'):
        assert progress['session'][key] == single['session'][key]
    assert (progress['session']['result'], progress['session']['running']) == ('Success', False)
    assert (progress['job']['last_result'], progress['job']['running']) == ('Success', False)
    assert progress['session']['job_name'] == PROGRESS_JOB and progress['job']['name'] == PROGRESS_JOB
    if long_runs.api == 'em':
        assert set(progress['task']) == set(single['task'])
        assert (progress['task']['operation'], progress['task']['success']) == ('StartJob', True)
    else:
        assert progress['task'] is None and single['task'] is None
    if long_runs.api != 'vspc':
        assert progress['session']['progress'] == 100
    arguments = progress['invocation']['module_args']
    assert set(arguments) == set(single['invocation']['module_args']) and '_veeam_progress' not in arguments
    assert arguments['progress_interval'] == INTERVAL
    assert 'warnings' not in progress and 'warnings' not in single


def test_a_task_with_its_own_async_still_works_and_prints_no_progress(long_runs):
    run = long_runs.async_run
    result = run.task('Start and wait')
    assert run.rc == 0 and result['finished'] == 1 and result['ansible_job_id']
    assert result['session']['result'] == 'Success'
    assert progress_of(run, ASYNC_JOB) == []


def test_run_and_wait_prints_progress_lines_and_keeps_its_results(long_runs):
    run = long_runs.role
    assert run.rc == 0, run.output[-4000:]
    assert_lines_while_it_ran(long_runs, run, ROLE_JOB, 'Start the jobs and wait for their runs')
    assert_never_failed_or_retrying(run)
    [session] = run.task('Set run_and_wait_results')['ansible_facts']['run_and_wait_results']
    assert (session['job_name'], session['result'], session['running']) == (ROLE_JOB, 'Success', False)
    [line] = run.task('Report the runs')['msg']
    assert line.startswith(u'ok     %s: Success in ' % ROLE_JOB), line
    assert 'async_status' not in run.output and 'Show progress' not in run.output


def test_each_job_was_started_once(long_runs):
    starts = {}
    for entry in long_runs.log:
        if entry['method'] != 'POST':
            continue
        action = (entry.get('query') or '') + entry['path']
        if re.search(r'action=(start|sync)\b', action) or entry['path'].endswith('/start'):
            for name, job_id in long_runs.ids.items():
                if job_id in entry['path']:
                    starts[name] = starts.get(name, 0) + 1
    assert starts == dict((name, 1) for name in long_runs.ids), starts
    if long_runs.api == 'em':
        em = long_runs.counters['em']
        # every round logged on and off again; the progress run and the role took several rounds each
        assert em['open_sessions'] == 0 and em['logoffs'] == em['logons'] >= 1 + 2 * (LONG // INTERVAL), em
    if long_runs.api == 'vbr':
        vbr = long_runs.counters['vbr']
        # every round took a token and logged it out
        assert vbr['live_tokens'] == 0 and vbr['logouts'] == vbr['tokens_issued'] >= 1 + 2 * (LONG // INTERVAL), vbr


def test_no_secret_in_the_verbose_output_of_a_progress_run(long_runs):
    secrets = set(long_runs.secrets) | {long_runs.password}
    assert len(secrets) >= 2
    for run in (long_runs.progress, long_runs.async_run, long_runs.role):
        for secret in secrets:
            assert secret not in run.output


def test_tasks_that_do_not_wait_run_the_module_once_and_print_no_progress(simulator, api, tmp_path):
    simulator.configure_job(simulator.job('File Server Backup')['id'], duration=3)
    simulator.configure_job(simulator.job('DC Replication')['id'], duration=3)
    fast = {'progress_interval': 1, 'poll_interval': 1}
    tasks = [
        {'name': 'start without wait', MODULE: dict(fast, name='File Server Backup', action='start')},
        {'name': 'disable', MODULE: dict(fast, name='Offsite Backup Copy', action='disable', wait=True)},
        {'name': 'enable', MODULE: dict(fast, name='Offsite Backup Copy', action='enable', wait=True)},
        {'name': 'check mode', MODULE: dict(fast, name='DC Replication', action='start', wait=True),
         'check_mode': True},
        # waits, but its run ends within the interval: one round, one module run
        {'name': 'short wait', MODULE: {'name': 'DC Replication', 'action': 'start', 'wait': True, 'poll_interval': 1}},
    ]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-4000:]
    assert run.task('start without wait')['session']['running'] is True
    assert [run.task(name)['changed'] for name in ('disable', 'enable', 'check mode')] == [True, True, True]
    assert run.task('short wait')['session']['result'] == 'Success'
    assert '[localhost] job ' not in run.output
    counters = simulator.counters()
    calls = {'em': counters['em']['logons'], 'vspc': counters['vspc']['tokens_issued'],
             'vbr': counters['vbr']['tokens_issued']}[api]
    assert calls == len(tasks), counters
