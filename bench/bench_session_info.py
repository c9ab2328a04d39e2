# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time veeam_session_info for the morning report: the runs of the last 24 hours with each machine
(``since: 24h``, ``include_tasks: true``, ``limit: 500``), about 500 runs of 20 machines each, on every API.

The simulator runs with ``--scale N --scale-machines 20``: N backup jobs and N agent jobs, each run weekly, so about
2N/7 runs a day (N = 1750: 500), each with a task per machine. Goal (issue 17): the module under 3 s on every API.

Run with `make bench-sessions` (or: PYTHONPATH=tests:tests/integration:build/collections .venv/bin/python
bench/bench_session_info.py --rounds 3). Prints a Markdown table; --write appends it to bench/RESULTS.md.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import ansible_environment, ensure_collection_link, run_module, veeam_env  # noqa: E402
from conftest import start_simulator  # noqa: E402

ARGS = {'since': '24h', 'include_tasks': True, 'limit': 500}
GOAL = 3.0

# the module's main() in a process of its own (no controller): its wall time, and its result
MODULE_ALONE = r'''
import io, json, sys, time
from contextlib import redirect_stdout
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
module = __import__('ansible_collections.backupops.veeam.plugins.modules.veeam_session_info', fromlist=['main'])
out = io.StringIO()
started = time.monotonic()
with patch_module_args(json.loads(sys.argv[2])), redirect_stdout(out):
    try:
        module.main()
    except SystemExit:
        pass
seconds = time.monotonic() - started
result = json.loads(out.getvalue())
sys.stderr.write(json.dumps({'seconds': seconds, 'failed': result.get('failed', False), 'msg': result.get('msg'),
                             'sessions': len(result.get('sessions') or []),
                             'tasks': sum(len(s['tasks'] or []) for s in result.get('sessions') or [])}))
'''


def module_alone(sim, api):
    done = subprocess.run([sys.executable, '-c', MODULE_ALONE, ensure_collection_link(), json.dumps(ARGS)],
                          env=ansible_environment(veeam_env(sim, api)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    figures = json.loads(done.stderr.strip().splitlines()[-1])
    if figures['failed']:
        raise SystemExit('veeam_session_info failed on %s: %s' % (api, figures['msg']))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--scale', type=int, default=1750)
    parser.add_argument('--machines', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    options = parser.parse_args()
    sim = start_simulator('--scale', options.scale, '--scale-machines', options.machines, '--vbr-validate', 'off')
    try:
        lines = ['| api | sessions | tasks | requests | module alone, s (median) | whole `ansible` run, s (median) | '
                 'goal < %.0f s |' % GOAL, '|---|---|---|---|---|---|---|']
        for api in ('em', 'vspc', 'vbr'):
            alone, whole, requests = [], [], 0
            sim.reset()
            module_alone(sim, api)  # the simulator derives the runs' tasks on first use: not the module's time
            for dummy in range(options.rounds):
                before = sim.counters()['requests_total']
                figures = module_alone(sim, api)
                alone.append(figures['seconds'])
                requests = max(requests, sim.counters()['requests_total'] - before)
                started = time.monotonic()
                run = run_module('backupops.veeam.veeam_session_info', ARGS, veeam_env(sim, api))
                whole.append(time.monotonic() - started)
                if run.rc != 0:
                    raise SystemExit('veeam_session_info failed on %s:\n%s' % (api, run.output[-3000:]))
            module_time = statistics.median(alone)
            lines.append('| %s | %d | %d | %d | %.2f | %.2f | %s |' % (
                api, figures['sessions'], figures['tasks'], requests, module_time, statistics.median(whole),
                'met' if module_time < GOAL else 'MISSED'))
    finally:
        sim.stop()
    header = ['## veeam_session_info, the morning report: the last 24 h with tasks (%s)'
              % datetime.date.today().isoformat(),
              '',
              'Command: `make bench-sessions` (`bench/bench_session_info.py --scale %d --machines %d --rounds %d '
              '--write`): `since: 24h`, `include_tasks: true`, `limit: 500` against the simulator started with '
              '`--scale %d --scale-machines %d --vbr-validate off` (about 500 runs a day, %d machines each; vspc keeps '
              'the latest run of each job only); medians of %d rounds on loopback after one untimed run (the simulator '
              'derives the runs\' tasks on first use), %s. "Module alone" is the module\'s main() in a process of its '
              'own (logon to logoff); requests include logon and logoff.'
              % (options.scale, options.machines, options.rounds, options.scale, options.machines, options.machines,
                 options.rounds, machine()),
              '']
    report('\n'.join(header + lines) + '\n', options.write)


if __name__ == '__main__':
    main()
