# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every job of a large server, listed with one ad-hoc command, from 5 000 to 50 000 jobs, on each API.

For each API and scale, three figures, medians of --rounds runs:

1. the whole process: ``ansible localhost -m backupops.veeam.veeam_job_info`` as a user types it (the default
   stdout callback prints the result): wall time and the peak resident memory of its largest process;
2. the module alone: the module's main() in a process of its own (no controller): wall time and peak memory;
3. Ansible's own floor for a result of that size: the same ``ansible`` command with a stub module that only
   prints the result the module returned (read from a file), so the difference between 1 and 3 is the module.

Run with `make bench` (or .venv/bin/python bench/bench_scale.py --rounds 3 --write).
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import ensure_collection_link, veeam_env  # noqa: E402
from conftest import start_simulator  # noqa: E402

SCALES = (5000, 10000, 20000, 50000)

# runs a command and reports its wall time and the peak RSS of its largest process (RUSAGE_CHILDREN's ru_maxrss
# is the largest of the children waited for, grandchildren included)
MEASURE = r'''
import json, resource, subprocess, sys, time
started = time.monotonic()
done = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'w'), stderr=subprocess.PIPE, universal_newlines=True)
seconds = time.monotonic() - started
sys.stderr.write(done.stderr[-2000:] if done.returncode else '')
print(json.dumps({'rc': done.returncode, 'seconds': seconds,
                  'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0}))
'''

MODULE_ALONE = r'''
import json, resource, sys, time
started = time.monotonic()
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
module = __import__('ansible_collections.backupops.veeam.plugins.modules.veeam_job_info', fromlist=['main'])
with patch_module_args({}):
    try:
        module.main()
    except SystemExit:
        pass
sys.stderr.write(json.dumps({'seconds': time.monotonic() - started,
                             'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
'''

STUB_MODULE = '''#!/usr/bin/python
# prints the result a veeam_job_info run returned: what Ansible does with a result this size, without the module
import sys
with open(%r) as handle:
    sys.stdout.write(handle.read())
'''


def measure(command, env, output):
    done = subprocess.run([sys.executable, '-c', MEASURE, output] + command, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    figures = json.loads(done.stdout)
    if figures['rc'] != 0:
        raise SystemExit('%s failed:\n%s' % (' '.join(command), done.stderr))
    return figures


def module_alone(env):
    done = subprocess.run([sys.executable, '-c', MODULE_ALONE, ensure_collection_link()], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return json.loads(done.stderr.strip().splitlines()[-1]), json.loads(done.stdout)


def one_scale(scale, apis, rounds, folder):
    lines = []
    sim = start_simulator('--scale', str(scale), '--vbr-validate', 'off')
    try:
        for api in apis:
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), **veeam_env(sim, api))
            whole, alone, floor, count = [], [], [], 0
            for dummy in range(rounds):
                sim.reset()
                figures, result = module_alone(env)
                alone.append(figures)
                count = len(result['jobs'])
                result.pop('invocation', None)
                result_file = os.path.join(folder, 'result.json')
                with open(result_file, 'w') as handle:
                    json.dump(result, handle)
                library = os.path.join(folder, 'library')
                os.makedirs(library, exist_ok=True)
                with open(os.path.join(library, 'stub_job_info.py'), 'w') as handle:
                    handle.write(STUB_MODULE % result_file)
                sim.reset()
                whole.append(measure(['ansible', 'localhost', '-m', 'backupops.veeam.veeam_job_info'], env,
                                     os.path.join(folder, 'whole.out')))
                floor.append(measure(['ansible', 'localhost', '-M', library, '-m', 'stub_job_info'], env,
                                     os.path.join(folder, 'floor.out')))

            def median(runs, key):
                return statistics.median(run[key] for run in runs)
            lines.append('| %s | %d | %.2f | %.0f | %.2f | %.0f | %.2f | %.0f |' % (
                api, count, median(whole, 'seconds'), max(run['peak_mb'] for run in whole),
                median(alone, 'seconds'), max(run['peak_mb'] for run in alone),
                median(floor, 'seconds'), max(run['peak_mb'] for run in floor)))
    finally:
        sim.stop()
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--write', action='store_true', help='append the table to bench/RESULTS.md')
    parser.add_argument('--scale', type=int, action='append', help='jobs of the simulated server (default: %s)'
                        % ', '.join(str(scale) for scale in SCALES))
    parser.add_argument('--api', choices=['em', 'vspc', 'vbr'], action='append')
    options = parser.parse_args()
    if not shutil.which('ansible'):
        raise SystemExit('ansible is not on PATH (run through make bench)')
    apis = options.api or ['em', 'vspc', 'vbr']
    lines = []
    folder = tempfile.mkdtemp(prefix='bench-scale-')
    try:
        for scale in options.scale or SCALES:
            lines += one_scale(scale, apis, options.rounds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = ['## Every job with one ad-hoc command, 5 000 to 50 000 jobs (%s)' % datetime.date.today().isoformat(), '',
           'Command: `bench/bench_scale.py --rounds %d%s --write`; medians of wall time, the largest peak RSS; simulator '
           'on loopback (answers not validated); %s; ansible-core %s.' % (
               options.rounds, ''.join(' --scale %d' % scale for scale in options.scale or []), machine(), ansible_version()),
           '', 'Targets: the whole process under 10 s and 250 MB at 50 000 jobs, growing linearly from 5 000.', '',
           '| api | jobs | whole process, s | MB | module alone, s | MB | Ansible with a stub module, s | MB |',
           '|---|---|---|---|---|---|---|---|'] + lines + ['']
    report('\n'.join(out), options.write)


def ansible_version():
    from ansible.release import __version__
    return __version__


if __name__ == '__main__':
    started = time.monotonic()
    main()
    sys.stderr.write('took %.0f s, peak %.0f MB\n' % (time.monotonic() - started,
                                                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
