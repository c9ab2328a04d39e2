# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-centric layer against its floors, side by side in one run, against the simulator on loopback.

1. The fresh_backup role over 50 fresh hosts with forks 10, against a play that runs one
   ansible.builtin.ping per host delegated to localhost (the floor of any per-host task). Wall time of
   the whole ansible-playbook run. Target: at most 1.5x.
2. veeam_restore_point_info for one name, against one bare ansible.builtin.uri GET (the floor of any
   task that talks to the server). Task time in the play, each case in its own ansible-playbook run.
   Target: at most 1.2x.

Each round runs the cases of a comparison one after another, rotating which goes first, so a slower
stretch of the shared machine weighs on all of them alike; the figures are medians over the rounds.
Run with `make bench-machines` (or .venv/bin/python bench/bench_machines.py --rounds 5 --write).
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import os
import statistics
import tempfile
import time

import yaml

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import BIN, _run, run_playbook, veeam_env  # noqa: E402
from conftest import start_simulator  # noqa: E402

HOSTS = 50
FORKS = 10
# the scaled VMs have weekly restore points, and a failed last weekly run leaves the newest up to two weeks old:
# fifteen days is fresh for every one of them
MAX_AGE = '15d'
NAME = 'web01'


def rotated(cases, number):
    return cases[number % len(cases):] + cases[:number % len(cases)]


def playbook_seconds(folder, sim, api, hosts, play):
    """Wall time of one ansible-playbook run of ``play`` on the inventory ``hosts``."""
    inventory = os.path.join(folder, 'inventory.yml')
    playbook = os.path.join(folder, 'play.yml')
    with open(inventory, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': dict((host, None) for host in hosts)}}, handle)
    with open(playbook, 'w') as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    sim.reset()
    started = time.monotonic()
    run = _run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook, '-f', str(FORKS)],
               veeam_env(sim, api), timeout=900)
    seconds = time.monotonic() - started
    if run.rc != 0:
        raise SystemExit(run.output[-3000:])
    return seconds, run


def many_hosts(sim, api, rounds):
    hosts = ['scale-vm-%05d' % (number + 1) for number in range(HOSTS)]
    cases = [
        ('fresh_backup', {'name': 'fresh_backup', 'hosts': 'all', 'gather_facts': False,
                          'roles': [{'role': 'backupops.veeam.fresh_backup', 'vars': {'fresh_backup_max_age': MAX_AGE}}]}),
        ('ping', {'name': 'ping', 'hosts': 'all', 'gather_facts': False,
                  'tasks': [{'name': 'ping', 'ansible.builtin.ping': None, 'delegate_to': 'localhost'}]}),
    ]
    seconds = dict((name, []) for name, dummy in cases)
    for number in range(rounds):
        for name, play in rotated(cases, number):
            with tempfile.TemporaryDirectory() as folder:
                wall, run = playbook_seconds(folder, sim, api, hosts, play)
            if name == 'fresh_backup':
                started = sim.counters()['actions']['quick_backup']
                checked = [entry for entry in run.results if entry['task'].endswith('Set fresh_backup_machine')]
                if started or len(checked) != HOSTS:
                    raise SystemExit('the hosts were not all fresh: %d quick backups, %d hosts checked' % (started, len(checked)))
            seconds[name].append(wall)
    role, ping = statistics.median(seconds['fresh_backup']), statistics.median(seconds['ping'])
    return [
        '| fresh_backup role, %d fresh hosts, forks %d (%s) | %.1f | %.2f |' % (HOSTS, FORKS, api, role, role / ping),
        '| one ansible.builtin.ping per host, delegated to localhost (the floor) | %.1f | 1.00 |' % ping,
    ]


def task_seconds(sim, api, tasks):
    sim.reset()
    with tempfile.TemporaryDirectory() as folder:
        run = run_playbook(folder, tasks, veeam_env(sim, api))
    if run.rc != 0:
        raise SystemExit(run.output[-3000:])
    return sum(entry['seconds'] for entry in run.results)


def one_name(sim, api, rounds):
    base = 'https://%s:%s' % (sim.host, sim.port(api))
    # a GET the server answers at once without a logon (EM's /api/ says which versions it serves; VBR's serverTime
    # needs no token, only the revision header)
    bare = {'em': base + '/api/', 'vspc': base + '/api/v3/', 'vbr': base + '/api/v1/serverTime'}[api]
    uri = {'url': bare, 'ca_path': sim.ca_path, 'status_code': [200, 401, 404]}
    if api == 'vbr':
        uri['headers'] = {'x-api-version': '1.3-rev2'}
    cases = [
        ('module', [{'name': 'module', 'backupops.veeam.veeam_restore_point_info': {'name': [NAME]}}]),
        ('bare', [{'name': 'bare', 'ansible.builtin.uri': uri}]),
    ]
    seconds = dict((name, []) for name, dummy in cases)
    for number in range(rounds):
        for name, tasks in rotated(cases, number):
            seconds[name].append(task_seconds(sim, api, tasks))
    module, floor = statistics.median(seconds['module']), statistics.median(seconds['bare'])
    return ['| veeam_restore_point_info, one name (%s) | %.3f | %.2f |' % (api, module, module / floor),
            '| one bare uri GET (the floor, %s) | %.3f | 1.00 |' % (api, floor)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--api', action='append', choices=['em', 'vspc', 'vbr'],
                        help='the APIs to measure (default: em and vbr)')
    parser.add_argument('--write', action='store_true', help='append the tables to bench/RESULTS.md')
    options = parser.parse_args()
    apis = options.api or ['em', 'vbr']
    # the simulator checks every VBR answer against Veeam's document, a cost no real server has: off here (the
    # request checks stay), as bench_compare does for its VBR listings
    sim = start_simulator('--scale', str(HOSTS), '--vbr-validate', 'off')
    try:
        hosts, names = [], []
        for api in apis:
            hosts += many_hosts(sim, api, options.rounds)
            names += one_name(sim, api, options.rounds)
    finally:
        sim.stop()
    out = ['## Machines: fresh_backup and veeam_restore_point_info against their floors (%s)'
           % datetime.date.today().isoformat(), '',
           'Command: `bench/bench_machines.py --rounds %d%s --write` (`make bench-machines`); medians of %d rounds, the '
           'cases of a comparison taking turns within each round; simulator (`--scale %d --vbr-validate off`) on '
           'loopback; %s.'
           % (options.rounds, ''.join(' --api ' + api for api in options.api or []), options.rounds, HOSTS, machine()),
           '',
           '%d fresh hosts (the scaled VMs, maximum age %s), forks %d: wall time of the whole ansible-playbook run. '
           'Target: the role at most 1.5x the ping play.' % (HOSTS, MAX_AGE, FORKS), '',
           '| case | wall time, s | x floor |', '|---|---|---|']
    out += hosts
    out += ['', 'One name (%s), task time in the play, each case in its own ansible-playbook run. Target: the module '
            'at most 1.2x the bare GET.' % NAME, '', '| case | task time, s | x floor |', '|---|---|---|']
    out += names + ['']
    report('\n'.join(out), options.write)


if __name__ == '__main__':
    main()
