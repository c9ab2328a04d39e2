# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time one poll of the EDA source backupops.veeam.veeam_events on a server with 5 000 jobs and about 500 runs
ended since the last poll, on every API: the requests it sends (bounded, none per job) and its wall time.

The simulator runs with ``--scale 2500``: 2 500 backup jobs and 2 500 agent jobs, each run weekly, about 714 runs a
day; a source whose cursor is 17 hours back sees about 500 ended runs. ``results`` is every result, so each of them
is a ``session_ended`` event, and ``task_failed`` reads the machines of the failed ones. Goal (issue 19): under 2 s.

Run with `make bench-events` (or: PYTHONPATH=build/collections .venv/bin/python bench/bench_events.py --rounds 3);
--write appends the table to bench/RESULTS.md.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import importlib.util
import os
import statistics
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import ACCOUNTS, REPO, ensure_collection_link  # noqa: E402
from conftest import start_simulator  # noqa: E402

GOAL = 2.0


def load_source():
    ensure_collection_link()
    path = os.path.join(REPO, 'extensions', 'eda', 'plugins', 'event_source', 'veeam_events.py')
    spec = importlib.util.spec_from_file_location('veeam_events', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--scale', type=int, default=2500)
    parser.add_argument('--back', default='17h', help='the cursor: how far back the last poll was')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    options = parser.parse_args()
    veeam_events = load_source()
    sim = start_simulator('--scale', options.scale, '--vbr-validate', 'off')
    try:
        jobs = len(sim.data()['jobs']) + len(sim.data()['agent_jobs'])
        lines = ['| api | jobs | runs ended since the cursor | events | requests | one poll, s (median) | goal < %.0f s |'
                 % GOAL, '|---|---|---|---|---|---|---|']
        for api in ('em', 'vspc', 'vbr'):
            sim.reset()
            args = {'api': api, 'server': sim.host, 'port': sim.port(api), 'username': 'admin',
                    'password': ACCOUNTS['admin'], 'ca_path': sim.ca_path, 'since': options.back,
                    'results': ['Success', 'Warning', 'Failed'], 'events': ['session_ended', 'task_failed']}
            source = veeam_events.Source(args)
            source.poll()  # the simulator derives the runs' tasks on first use: not the source's time
            seconds, requests = [], 0
            for dummy in range(options.rounds):
                before = sim.counters()['requests_total']
                started = time.monotonic()
                events, dummy_keys, dummy_started, dummy_done = source.poll()
                seconds.append(time.monotonic() - started)
                requests = max(requests, sim.counters()['requests_total'] - before)
            ended = len([event for event in events if event['veeam']['type'] == 'session_ended'])
            median = statistics.median(seconds)
            lines.append('| %s | %d | %d | %d | %d | %.2f | %s |' % (api, jobs, ended, len(events), requests, median,
                                                                     'met' if median < GOAL else 'MISSED'))
    finally:
        sim.stop()
    header = ['## veeam_events, one poll of 5 000 jobs with about 500 runs ended since the last poll (%s)'
              % datetime.date.today().isoformat(),
              '',
              'Command: `make bench-events` (`bench/bench_events.py --scale %d --back %s --rounds %d --write`): `Source.poll()` (logon to '
              'logoff, as each poll of the source runs it) against the simulator started with `--scale %d '
              '--vbr-validate off`, the cursor %s back, `results: [Success, Warning, Failed]`, `events: '
              '[session_ended, task_failed]`; medians of %d rounds after one untimed poll, %s. vspc keeps the latest '
              'run of each job only. Requests include logon and logoff.'
              % (options.scale, options.back, options.rounds, options.scale, options.back, options.rounds, machine()),
              '']
    report('\n'.join(header + lines) + '\n', options.write)


if __name__ == '__main__':
    main()
