# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time ``ansible-inventory -i x.veeam.yml --list`` (the backupops.veeam.machines inventory plugin) at --scale N
(N VMs and N agent computers besides the simulator's own machines: 2 500 gives 5 000 machines), on em, vspc and
vbr, with the number of requests; then once more with a jsonfile cache, which must send none.

Run with `make bench-inventory` (or: PYTHONPATH=tests:tests/integration:build/collections .venv/bin/python
bench/bench_inventory.py --scale 2500 --rounds 3). Prints a Markdown table; --write appends it to bench/RESULTS.md.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import ansible_environment, veeam_env  # noqa: E402  (test helpers)
from conftest import start_simulator  # noqa: E402

SOURCE = 'plugin: backupops.veeam.machines\n'
CACHED = SOURCE + 'cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 3600\n'


def run_inventory(source, env):
    started = time.monotonic()
    done = subprocess.run(['ansible-inventory', '-i', source, '--list'], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit('ansible-inventory failed:\n%s' % done.stderr[-3000:])
    return seconds, len(json.loads(done.stdout)['_meta']['hostvars'])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--scale', type=int, default=2500)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix='bench-inventory-')
    sim = start_simulator('--scale', options.scale, '--vbr-validate', 'off')
    lines = ['| api | hosts | requests | median wall time, s | cached run: requests | cached run, s |',
             '|---|---|---|---|---|---|']
    try:
        plain = os.path.join(folder, 'x.veeam.yml')
        with open(plain, 'w') as handle:
            handle.write(SOURCE)
        for api in ('em', 'vspc', 'vbr'):
            env = ansible_environment(veeam_env(sim, api))
            walls, requests = [], []
            for dummy in range(options.rounds):
                sim.reset()
                seconds, hosts = run_inventory(plain, env)
                walls.append(seconds)
                requests.append(sim.counters()['requests_total'])
            cached = os.path.join(folder, 'cached-%s.veeam.yml' % api)
            with open(cached, 'w') as handle:
                handle.write(CACHED % os.path.join(folder, 'cache-' + api))
            run_inventory(cached, env)  # fills the cache
            before = sim.counters()['requests_total']
            cached_seconds, dummy = run_inventory(cached, env)
            lines.append('| %s | %d | %d | %.2f | %d | %.2f |' % (
                api, hosts, max(requests), statistics.median(walls), sim.counters()['requests_total'] - before,
                cached_seconds))
    finally:
        sim.stop()
        shutil.rmtree(folder, ignore_errors=True)
    header = ['## Inventory plugin at --scale %d (%s)' % (options.scale, datetime.date.today().isoformat()), '',
              'Command: `make bench-inventory` (`bench/bench_inventory.py --scale %d --rounds %d --write`); medians '
              'of %d rounds of the whole `ansible-inventory -i x.veeam.yml --list` process against the simulator '
              '(`--vbr-validate off`) on loopback, %s; requests are all the simulator received, logon and logoff '
              'included. The cached run reads a jsonfile cache filled by the run before it.'
              % (options.scale, options.rounds, options.rounds, machine()), '']
    report('\n'.join(header + lines) + '\n', options.write)


if __name__ == '__main__':
    main()
