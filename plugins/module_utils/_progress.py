# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module side of waiting in rounds, for the action plugins that print progress while a module waits
(``plugins/plugin_utils/_waiting.py``). Internal to this collection, may change without notice.

A waiting task runs its module once per round. The action plugin sets the internal option ``_veeam_progress``
to ``{'interval': seconds, 'state': None}`` on the first round: the module looks its targets up and acts as it
always does, but waits at most ``interval`` seconds. Every run still going then is returned pending, in the
result key ``_veeam_progress``: ``{'state': [...], 'watch': [...]}``. The plugin prints ``watch`` and runs the
module again with that ``state``: the later rounds look nothing up and only follow the runs the earlier rounds
started or found, until every run has ended; that last round returns the module's usual result.

``state`` has one entry per target, in the order given: ``{'todo': job}`` for a job not handled yet (more jobs
than ``parallel``: it waits for a free slot, nothing was read or sent for it), or the job's result dict, which
carries ``pending`` (see ``JobActions.follow``) while its run goes on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError

PROGRESS_OPTION = '_veeam_progress'


def read_request(value):
    """``(interval, state)`` from the internal option; ``state`` is None on the first round."""
    problem = None
    if not isinstance(value, dict) or set(value) - {'interval', 'state'}:
        problem = 'not a dict of interval and state'
    elif isinstance(value.get('interval'), bool) or not isinstance(value.get('interval'), (int, float)) \
            or value['interval'] <= 0:
        problem = 'interval is not a positive number of seconds'
    elif value.get('state') is not None and not (
            isinstance(value['state'], list) and all(_well_formed(entry) for entry in value['state'])):
        problem = 'state is not what an earlier round returned'
    if problem:
        raise VeeamOptionError('%s is set by the action plugin of the collection only, and this one is wrong: %s'
                               % (PROGRESS_OPTION, problem))
    return value['interval'], value.get('state')


def _well_formed(entry):
    if not isinstance(entry, dict):
        return False
    if 'todo' in entry:
        return isinstance(entry['todo'], dict) and 'name' in entry['todo']
    pending = entry.get('pending')
    return isinstance(entry.get('job'), dict) and (pending is None or (
        isinstance(pending, dict) and isinstance(pending.get('remaining'), (int, float)) and 'previous' in pending))


def results_or_round(request, waits, worker, targets, run_all, parallel=1, warn=None):
    """What a waiting module's work returns: ``(results, None)`` when the task runs at once (no action plugin
    asked for rounds, or the task does not wait), or after the last round; ``(None, progress result)`` when a
    round ends with runs still going. ``targets()`` gives the first round's targets, ``run_all()`` the
    results without rounds; ``request`` is the internal option (None when not set).

    A round after which runs go on hands the warnings its results have so far to ``warn`` (the module's), so
    that they leave with this round's result: a later round that fails as a whole (the server is down, say)
    cannot drop them. The results keep an empty ``warnings`` list."""
    if request is None or not waits:
        return run_all(), None
    interval, state = read_request(request)
    state = run_round(worker, first_state(targets()) if state is None else state, interval, parallel=parallel)
    if not finished(state):
        if warn is not None:
            for entry in state:
                for warning in entry.get('warnings') or []:
                    warn(warning)
                if 'warnings' in entry:
                    entry['warnings'] = []
        return None, progress_result(state)
    return state, None


def first_state(targets):
    """The state of the first round: every target still to be handled."""
    return [{'todo': target} for target in targets]


def run_round(worker, state, interval, parallel=1):
    """Work on every entry of ``state`` for about ``interval`` seconds, up to ``parallel`` of them at once, and
    return the new state (same order).

    ``worker`` has ``run(target)`` (read, act, wait: the module's normal handling of one target), ``follow(result)``
    (go on waiting, never acting), ``clock`` and ``until`` (the time the round ends, set here). Pending entries are
    followed first; a target still to be handled starts only while the round lasts, when a slot is free.
    """
    worker.until = worker.clock() + interval

    def step(entry):
        if 'todo' in entry:
            if worker.clock() >= worker.until:
                return entry
            return worker.run(entry['todo'])
        if 'pending' in entry:
            return worker.follow(entry)
        return entry

    busy = [entry for entry in state if 'todo' in entry or 'pending' in entry]
    if parallel <= 1 or len(busy) <= 1:
        return [step(entry) for entry in state]
    # map() hands the entries to the threads in order: the pending ones (always before the targets still to
    # handle) take their slots first, and no more than ``parallel`` runs go on at once.
    with ThreadPoolExecutor(max_workers=min(parallel, len(busy))) as pool:
        return list(pool.map(step, state))


def finished(state):
    """Whether every entry has its final result."""
    return not any('todo' in entry or 'pending' in entry for entry in state)


def watch(state):
    """What the action plugin shows of each entry: ``name``, ``status`` (``queued``, ``running`` or ``ended``),
    ``state`` and ``progress`` of the run (None where unknown), ``result`` (the run's result once it ended), and
    ``msg`` (what the module says of it)."""
    looks = []
    for entry in state:
        if 'todo' in entry:
            looks.append({'name': entry['todo']['name'], 'status': 'queued', 'state': None, 'progress': None,
                          'result': None, 'msg': None})
            continue
        session = entry.get('session') or {}
        running = 'pending' in entry
        looks.append({'name': entry['job']['name'], 'status': 'running' if running else 'ended',
                      'state': session.get('state'), 'progress': session.get('progress'),
                      'result': None if running else session.get('result'), 'msg': entry.get('msg')})
    return looks


def progress_result(state):
    """The module's result for a round after which runs still go on."""
    results = [entry for entry in state if 'todo' not in entry]
    going = sum(1 for entry in state if 'todo' in entry or 'pending' in entry)
    return {'changed': any(result.get('changed') for result in results),
            'msg': '%d of %d still going' % (going, len(state)),
            PROGRESS_OPTION: {'state': state, 'watch': watch(state)}}
