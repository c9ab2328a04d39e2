# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting in rounds (module side): JobActions with a round's time limit, follow(), and the round driver."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import threading
import time

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._actions import JobActions
from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._progress import (
    PROGRESS_OPTION,
    finished,
    first_state,
    progress_result,
    read_request,
    results_or_round,
    run_round,
    watch,
)
from ansible_collections.backupops.veeam.plugins.module_utils._wait import WaitSettings


class Clock:
    """Simulated time: sleeping moves it on (thread-safe; threads sleeping together add up, which the
    tests that use several threads allow for)."""

    def __init__(self):
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds


class FastClock:
    """Real time, sped up SPEED times: threads really wait side by side (for the tests of ``parallel``)."""

    SPEED = 50.0

    def __init__(self):
        self.began = time.monotonic()

    def __call__(self):
        return (time.monotonic() - self.began) * self.SPEED

    def sleep(self, seconds):
        time.sleep(seconds / self.SPEED)


def job(name):
    return {'id': name.lower(), 'uid': name.lower(), 'name': name, 'type': 'Backup', 'backup_server_name': 'vbr-01',
            'backup_server_id': None, 'schedule_enabled': True, 'schedule_configured': True,
            'last_run': None, 'last_result': None, 'running': None}


class Server:
    """A fake client whose runs last ``durations[name]`` simulated seconds and end ``outcomes[name]``; a new run
    becomes visible ``lag`` seconds after its start (Enterprise Manager's collection delay)."""

    page_workers = 4
    side_by_side = VeeamClient.side_by_side  # the base's own: names looked up / jobs worked on at once

    def __init__(self, clock, durations, outcomes=None, lag=0.0):
        self.clock = clock
        self.durations = durations
        self.outcomes = outcomes or {}
        self.lag = lag
        self.runs = {}
        self.acted = []
        self.read = []
        self.lock = threading.Lock()

    def _session(self, job_name):
        started = self.runs.get(job_name)
        if started is None or self.clock() < started + self.lag:
            return {'id': 'old-' + job_name, 'job_name': job_name, 'state': 'Stopped', 'result': 'Success',
                    'running': False, 'progress': 100, 'creation_time': 'yesterday', 'end_time': 'yesterday',
                    'failure_message': None}
        elapsed = self.clock() - started
        duration = self.durations[job_name]
        running = elapsed < duration
        result = self.outcomes.get(job_name, 'Success')
        return {'id': 'new-' + job_name, 'job_name': job_name, 'state': 'Working' if running else 'Stopped',
                'result': 'None' if running else result, 'running': running,
                'progress': int(100 * min(elapsed, duration) / duration), 'creation_time': 'at %d' % started,
                'end_time': None if running else 'at %d' % (started + duration),
                'failure_message': 'Disk full' if result == 'Failed' and not running else None}

    def latest_session(self, target):
        with self.lock:
            self.read.append(target['name'])
        return self._session(target['name'])

    def read_session(self, target, session):
        return self.latest_session(target)

    def act(self, target, action):
        with self.lock:
            self.acted.append((target['name'], action))
            self.runs[target['name']] = self.clock()
        return {'task': {'id': 'task-%d' % len(self.acted), 'success': True}, 'session': None}


class NoActing(Server):
    def act(self, target, action):
        raise AssertionError('a later round acted on %r' % target['name'])


def actions(server, clock, **wait):
    wait.setdefault('poll_interval', 5)
    return JobActions(server, 'start', WaitSettings(wait=True, **wait), sleep=clock.sleep, clock=clock)


def through_json(state):
    """What the next round gets: the state as the action plugin hands it back (JSON)."""
    return json.loads(json.dumps(state))


def rounds(make_actions, targets, interval, parallel=1, limit=100):
    """Run rounds as the action plugin does (a new JobActions per round, as a new module run has) until every
    run has ended; return the states after each round."""
    states = []
    state = first_state(targets)
    while True:
        state = run_round(make_actions(), state, interval, parallel=parallel)
        states.append(state)
        if finished(state):
            return states
        state = through_json(state)
        assert len(states) < limit


def test_a_run_longer_than_the_interval_is_handed_back_and_followed_until_it_ends():
    clock = Clock()
    server = Server(clock, {'Daily': 40})
    states = rounds(lambda: actions(server, clock), [job('Daily')], interval=10)
    assert len(states) == 4  # handed back after about 10, 20 and 30 s; ended in the fourth round
    for state in states[:-1]:
        [entry] = state
        assert entry['session']['running'] is True and entry['changed'] is True and entry['msg'] == "job 'Daily' started"
        assert 0 < entry['pending']['remaining'] < 3600 and entry['pending']['previous'] is None
    assert [entry['session']['progress'] for [entry] in states[:-1]] == [25, 50, 75]
    [final] = states[-1]
    assert 'pending' not in final and final['failed'] is False
    assert final['msg'] == "job 'Daily' started; the run ended Success"
    assert final['job']['last_result'] == 'Success' and final['job']['running'] is False
    assert server.acted == [('Daily', 'start')]


def test_the_final_result_is_what_a_single_run_returns():
    def scenario():
        clock = Clock()
        return clock, Server(clock, {'Daily': 33, 'Weekly': 12}, outcomes={'Weekly': 'Warning'})

    clock, server = scenario()
    single = actions(server, clock).run_all([job('Daily'), job('Weekly')], parallel=1)
    clock, server = scenario()
    states = rounds(lambda: actions(server, clock), [job('Daily'), job('Weekly')], interval=10)
    assert len(states) > 2
    assert states[-1] == single
    assert single[1]['warnings'] and single[1]['msg'].endswith('the run ended Warning')


def test_a_run_not_visible_yet_is_looked_for_in_the_next_round_without_acting_again():
    clock = Clock()
    server = Server(clock, {'Daily': 30}, lag=15)
    first = run_round(actions(server, clock, poll_interval=1), first_state([job('Daily')]), 10)
    [entry] = first
    assert entry['session'] is None and entry['pending']['previous']['id'] == 'old-Daily'
    assert entry['msg'] == "job 'Daily' started"
    follower = NoActing(clock, server.durations, lag=15)
    follower.runs = server.runs
    state = through_json(first)
    while not finished(state):
        state = through_json(run_round(actions(follower, clock, poll_interval=1), state, 10))
    [final] = state
    assert final['session']['id'] == 'new-Daily' and final['session']['result'] == 'Success'
    assert server.acted == [('Daily', 'start')]


def test_follow_only_reads():
    clock = Clock()
    server = Server(clock, {'Daily': 25})
    [entry] = run_round(actions(server, clock), first_state([job('Daily')]), 10)
    follower = NoActing(clock, server.durations)
    follower.runs = server.runs
    result = actions(follower, clock).follow(through_json(entry))
    assert result['session']['result'] == 'Success' and result['failed'] is False
    assert follower.read and server.acted == [('Daily', 'start')]


def test_wait_timeout_counts_across_rounds_and_fails_with_the_last_session():
    clock = Clock()
    server = Server(clock, {'Daily': 500})
    states = rounds(lambda: actions(server, clock, wait_timeout=25), [job('Daily')], interval=10)
    assert len(states) == 3
    [final] = states[-1]
    assert final['failed'] is True and 'wait_timeout' in final['msg']
    assert final['session']['running'] is True and final['changed'] is True
    assert server.acted == [('Daily', 'start')]


def test_jobs_beyond_parallel_wait_untouched_for_a_slot_and_are_handled_once():
    clock = FastClock()
    server = Server(clock, {'A': 15, 'B': 15, 'C': 15})
    first = run_round(actions(server, clock), first_state([job('A'), job('B'), job('C')]), 10, parallel=2)
    assert [('todo' in entry, 'pending' in entry) for entry in first] == [(False, True), (False, True), (True, False)]
    assert 'C' not in server.read and sorted(server.acted) == [('A', 'start'), ('B', 'start')]
    state = through_json(first)
    while not finished(state):
        assert sum('pending' in entry for entry in state) <= 2
        state = through_json(run_round(actions(server, clock), state, 10, parallel=2))
    assert [entry['job']['name'] for entry in state] == ['A', 'B', 'C']
    assert all(entry['session']['result'] == 'Success' for entry in state)
    assert sorted(server.acted) == [('A', 'start'), ('B', 'start'), ('C', 'start')]


def test_a_short_run_ends_in_the_first_round():
    clock = Clock()
    server = Server(clock, {'Daily': 4})
    state = run_round(actions(server, clock, poll_interval=1), first_state([job('Daily')]), 60)
    assert finished(state) and state[0]['session']['result'] == 'Success'


def test_watch_and_the_progress_result():
    clock = Clock()
    server = Server(clock, {'A': 5, 'B': 30, 'C': 30}, outcomes={'A': 'Failed'})
    state = run_round(actions(server, clock, poll_interval=1), first_state([job('A'), job('B'), job('C')]), 10)
    looks = watch(state)
    assert [(look['name'], look['status'], look['result']) for look in looks] == [
        ('A', 'ended', 'Failed'), ('B', 'running', None), ('C', 'queued', None)]
    assert looks[1]['state'] == 'Working' and looks[1]['progress'] is not None
    assert looks[0]['msg'] == "job 'A': the run ended Failed: Disk full"
    result = progress_result(state)
    assert result['changed'] is True and result['msg'] == '2 of 3 still going'
    assert result[PROGRESS_OPTION] == {'state': state, 'watch': looks}
    json.dumps(result)


def test_a_round_hands_its_warnings_on_at_once_so_a_later_round_that_fails_cannot_drop_them():
    clock = Clock()
    server = Server(clock, {'A': 5, 'B': 30}, outcomes={'A': 'Warning'})
    warned = []
    results, progress = results_or_round({'interval': 10, 'state': None}, True, actions(server, clock, poll_interval=1),
                                         lambda: [job('A'), job('B')], None, warn=warned.append)
    assert results is None and warned == ["job 'A': the run ended with a warning"]
    state = progress[PROGRESS_OPTION]['state']
    assert [entry['warnings'] for entry in state] == [[], []]
    follower = NoActing(clock, server.durations, server.outcomes)
    follower.runs = server.runs
    results, progress = results_or_round({'interval': 60, 'state': through_json(state)}, True,
                                         actions(follower, clock, poll_interval=1), None, None, warn=warned.append)
    assert progress is None and [result['warnings'] for result in results] == [[], []]
    assert warned == ["job 'A': the run ended with a warning"]  # not twice


@pytest.mark.parametrize('value, words', [
    ('10', 'not a dict'),
    ({'interval': 10, 'state': None, 'extra': 1}, 'not a dict'),
    ({'interval': 0, 'state': None}, 'interval'),
    ({'interval': True, 'state': None}, 'interval'),
    ({'interval': 10, 'state': 'x'}, 'state'),
    ({'interval': 10, 'state': [{'job': {'name': 'A'}, 'pending': {'remaining': 'soon', 'previous': None}}]}, 'state'),
    ({'interval': 10, 'state': [{'todo': 'A'}]}, 'state'),
])
def test_a_wrong_internal_option_is_refused(value, words):
    with pytest.raises(VeeamOptionError) as caught:
        read_request(value)
    assert PROGRESS_OPTION in caught.value.message and words in caught.value.message


def test_read_request():
    assert read_request({'interval': 9.5, 'state': None}) == (9.5, None)
    state = [{'todo': job('A')}, {'job': job('B'), 'pending': {'remaining': 12.0, 'previous': None}}, {'job': job('C')}]
    assert read_request({'interval': 10, 'state': copy.deepcopy(state)}) == (10, state)
