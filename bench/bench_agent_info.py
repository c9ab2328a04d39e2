# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time listing every agent job and the last 1000 agent sessions at --scale N, on em and vspc.

Run with `make bench-agent` (or: PYTHONPATH=tests:tests/integration:build/collections .venv/bin/python
bench/bench_agent_info.py --scale 5000 --rounds 5). Prints a Markdown table; --write appends it to
bench/RESULTS.md with the command that produced it.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import statistics
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import run_module, veeam_env  # noqa: E402  (test helpers: real `ansible` runs)
from conftest import start_simulator  # noqa: E402

CASES = [
    ('all agent jobs', 'backupops.veeam.veeam_agent_job_info', {}),
    ('last 1000 agent sessions', 'backupops.veeam.veeam_agent_session_info', {'limit': 1000}),
]


def measure(sim, api, module, args, rounds):
    walls, requests = [], []
    for dummy in range(rounds):
        sim.reset()
        started = time.monotonic()
        run = run_module(module, args, veeam_env(sim, api))
        walls.append(time.monotonic() - started)
        if run.rc != 0:
            raise SystemExit('%s failed on %s:\n%s' % (module, api, run.output[-3000:]))
        requests.append(sim.counters()['requests_total'])
        items = len(run.last.get('jobs', run.last.get('sessions', [])))
    return statistics.median(walls), max(requests), items


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--scale', type=int, default=5000)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    options = parser.parse_args()
    sim = start_simulator('--scale', options.scale)
    try:
        lines = ['| case | api | items | requests (max) | median wall time of the `ansible` run, s |',
                 '|---|---|---|---|---|']
        for title, module, args in CASES:
            for api in ('em', 'vspc'):
                wall, requests, items = measure(sim, api, module, args, options.rounds)
                lines.append('| %s | %s | %d | %d | %.2f |' % (title, api, items, requests, wall))
    finally:
        sim.stop()
    header = ['## Agent jobs and sessions at --scale %d (%s)' % (options.scale, datetime.date.today().isoformat()),
              '',
              'Command: `make bench-agent` (`bench/bench_agent_info.py --scale %d --rounds %d --write`); '
              'medians of %d rounds against the simulator on loopback, %s. Wall time is the whole '
              '`ansible localhost -m ...` process (start-up, module, logon/logoff); requests are all requests the '
              'simulator received, logon and logoff included.'
              % (options.scale, options.rounds, options.rounds, machine()),
              '']
    text = '\n'.join(header + lines) + '\n'
    report(text, options.write)


if __name__ == '__main__':
    main()
