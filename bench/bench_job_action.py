# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start 20 jobs and wait for them with veeam_job_action `jobs:`, four at a time vs one at a time.

Run with `make bench-action` (or: .venv/bin/python bench/bench_job_action.py --rounds 3 --write).
Every run lasts --duration seconds in the simulator; poll_interval is 1 s.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import statistics
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import run_module, veeam_env  # noqa: E402  (test helpers: real `ansible` runs)
from conftest import start_simulator  # noqa: E402

JOBS = 20


def one_round(sim, api, names, parallel, duration):
    sim.reset()
    for job in sim.data()['jobs']:
        if job['name'] in names:
            sim.configure_job(job['id'], duration=duration)
    started = time.monotonic()
    run = run_module('backupops.veeam.veeam_job_action',
                     {'jobs': names, 'action': 'start', 'wait': True, 'poll_interval': 1, 'parallel': parallel},
                     veeam_env(sim, api))
    wall = time.monotonic() - started
    if run.rc != 0 or len(run.last['results']) != len(names):
        raise SystemExit('run failed on %s:\n%s' % (api, run.output[-3000:]))
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--duration', type=float, default=3.0)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    options = parser.parse_args()
    sim = start_simulator('--scale', JOBS)
    names = ['Scale Job %05d' % (n + 1) for n in range(JOBS)]
    lines = ['| api | parallel | median wall time, s | speed-up |', '|---|---|---|---|']
    try:
        for api in ('em', 'vspc'):
            serial = statistics.median(one_round(sim, api, names, 1, options.duration) for dummy in range(options.rounds))
            four = statistics.median(one_round(sim, api, names, 4, options.duration) for dummy in range(options.rounds))
            lines.append('| %s | 1 | %.1f | 1.0 |' % (api, serial))
            lines.append('| %s | 4 | %.1f | %.1f |' % (api, four, serial / four))
    finally:
        sim.stop()
    header = ['## veeam_job_action: %d jobs started and awaited (%s)' % (JOBS, datetime.date.today().isoformat()), '',
              'Command: `make bench-action` (`bench/bench_job_action.py --rounds %d --duration %s --write`); medians of '
              '%d rounds; every run lasts %s s in the simulator, poll_interval 1 s; wall time of the whole `ansible` '
              'run; %s.'
              % (options.rounds, options.duration, options.rounds, options.duration, machine()), '']
    text = '\n'.join(header + lines) + '\n'
    report(text, options.write)


if __name__ == '__main__':
    main()
