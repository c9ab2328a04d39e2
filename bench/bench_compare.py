# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection against what users do today, side by side, against the simulator on loopback.

1. One job looked up by name: veeam_job_info vs the ansible.builtin.uri playbook users write today
   (EM: logon, query, logoff; VBR: token, GET jobs, logout) vs one bare uri GET of the same server (the
   floor). Task times from the play, each case in its own ansible-playbook run (so each pays its
   module's first-use cost, as a user's play does).
2. Listing every job and every agent job at --scale 5000: the module process's wall time, requests
   sent and peak resident memory (the module's main() run in a process of its own).
3. schedule_toggle over 200 jobs vs a loop of single-job veeam_job_action calls.
4. run_and_wait over 10 jobs vs starting and awaiting them one after another.

Run with `make bench` (or .venv/bin/python bench/bench_compare.py --rounds 5 --write).
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _results import machine, report  # also puts the test helpers on sys.path

from ansible_run import ensure_collection_link, run_playbook, veeam_env  # noqa: E402
from conftest import start_simulator  # noqa: E402

NAME = 'SQL Server; Nightly, Full'
QUOTED_FILTER = 'Name%3D%3D%22SQL%20Server%3B%20Nightly%2C%20Full%22'
NAME_PARAMETER = 'SQL%20Server%3B%20Nightly%2C%20Full'


def task_seconds(sim, tasks, api='em'):
    """Run tasks in one ansible-playbook run; return {task name: seconds}."""
    sim.reset()
    with tempfile.TemporaryDirectory() as folder:
        run = run_playbook(folder, tasks, veeam_env(sim, api))
    if run.rc != 0:
        raise SystemExit(run.output[-3000:])
    return dict((entry['task'], entry['seconds']) for entry in run.results)


def em_cases(sim):
    """veeam_job_info by name, the three uri tasks of EM (logon, query, logoff), one bare GET of /api."""
    base = 'https://%s:%s/api' % (sim.host, sim.em_port)
    tls = {'ca_path': sim.ca_path}
    session = {'X-RestSvcSessionId': '{{ logon.x_restsvcsessionid }}', 'Accept': 'application/json'}
    return [
        ('module', [{'name': 'module', 'backupops.veeam.veeam_job_info': {'name': NAME}}]),
        ('three', [
            {'name': 'logon', 'register': 'logon', 'ansible.builtin.uri': dict(
                tls, url=base + '/sessionMngr/?v=latest', method='POST', user='admin', password='Simulator-Pass1',
                force_basic_auth=True, status_code=201, headers={'Accept': 'application/json'})},
            {'name': 'query', 'ansible.builtin.uri': dict(
                tls, url=base + '/query?type=Job&format=Entities&pageSize=100&filter=' + QUOTED_FILTER, headers=session)},
            {'name': 'logoff', 'ansible.builtin.uri': dict(
                tls, url=base + '/logonSessions/{{ logon.json.SessionId }}', method='DELETE', status_code=204, headers=session)},
        ]),
        ('bare', [{'name': 'bare', 'ansible.builtin.uri': dict(tls, url=base + '/')}]),
    ]


# the revision each VBR version serves last, which a user's uri playbook for that server sends
REVISIONS = {'12.3': '1.2-rev1', '13.0.1': '1.3-rev1', '13.1': '1.3-rev2'}


def vbr_cases(sim, vbr_version='13.1'):
    """veeam_job_info by name, the uri playbook users write for VBR today (token, GET jobs, logout), and one
    bare GET of the same server (/api/v1/serverTime, which needs no token)."""
    base = 'https://%s:%s/api' % (sim.host, sim.vbr_port)
    tls = {'ca_path': sim.ca_path}
    version = {'x-api-version': REVISIONS[vbr_version]}
    bearer = dict(version, Authorization='Bearer {{ token.json.access_token }}')
    return [
        ('module', [{'name': 'module', 'backupops.veeam.veeam_job_info': {'name': NAME}}]),
        ('three', [
            {'name': 'token', 'register': 'token', 'no_log': True, 'ansible.builtin.uri': dict(
                tls, url=base + '/oauth2/token', method='POST', body_format='form-urlencoded', headers=version,
                body={'grant_type': 'password', 'username': 'admin', 'password': 'Simulator-Pass1'})},
            {'name': 'jobs', 'ansible.builtin.uri': dict(
                tls, url=base + '/v1/jobs?nameFilter=' + NAME_PARAMETER, headers=bearer)},
            {'name': 'logout', 'ansible.builtin.uri': dict(tls, url=base + '/oauth2/logout', method='POST', headers=bearer)},
        ]),
        ('bare', [{'name': 'bare', 'ansible.builtin.uri': dict(tls, url=base + '/v1/serverTime', headers=version)}]),
    ]


def single_lookup(sim, rounds, api, vbr_version=None):
    """Each round runs the three cases one after another (rotating who goes first), so a slower
    stretch of the machine weighs on all three alike; each case is its own ansible-playbook run."""
    cases = em_cases(sim) if api == 'em' else vbr_cases(sim, vbr_version)
    seconds = dict((name, []) for name, dummy in cases)
    for number in range(rounds):
        for name, tasks in cases[number % 3:] + cases[:number % 3]:
            seconds[name].append(sum(task_seconds(sim, tasks, api).values()))
    module, three, bare = (statistics.median(seconds[name]) for name in ('module', 'three', 'bare'))
    three_words = 'logon, query, logoff' if api == 'em' else 'token, GET jobs, logout'
    server = api if api == 'em' else 'vbr %s' % vbr_version
    return [
        '| %s | veeam_job_info by name | %.3f | %.2f | %.2f |' % (server, module, module / bare, module / three),
        '| %s | three uri tasks: %s | %.3f | %.2f | 1.00 |' % (server, three_words, three, three / bare),
        '| %s | one bare uri GET (the floor) | %.3f | 1.00 | %.2f |' % (server, bare, bare / three),
    ]


MODULE_RUNNER = r'''
import json, resource, sys, time
started = time.monotonic()
sys.path.insert(0, sys.argv[1])
from ansible.module_utils.testing import patch_module_args
module = __import__('ansible_collections.backupops.veeam.plugins.modules.' + sys.argv[2], fromlist=['main'])
with patch_module_args(json.loads(sys.argv[3])):
    try:
        module.main()
    except SystemExit:
        pass
sys.stderr.write(json.dumps({'seconds': time.monotonic() - started, 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
'''


def listing(sim, rounds, apis=None):
    lines = []
    for api in [api for api in ('em', 'vspc', 'vbr') if not apis or api in apis]:
        for module in ('veeam_job_info', 'veeam_agent_job_info'):
            walls, peaks, requests, count = [], [], [], 0
            for dummy in range(rounds):
                sim.reset()
                env = dict(os.environ, **veeam_env(sim, api))
                started = time.monotonic()
                done = subprocess.run([sys.executable, '-c', MODULE_RUNNER, ensure_collection_link(), module, '{}'], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
                walls.append(time.monotonic() - started)
                stats = json.loads(done.stderr.strip().splitlines()[-1])
                peaks.append(stats['peak_mb'])
                count = len(json.loads(done.stdout)['jobs'])
                requests.append(sim.counters()['requests_total'])
            lines.append('| %s | %s | %d | %d | %.2f | %.0f |' % (module, api, count, max(requests), statistics.median(walls), max(peaks)))
    return lines


def toggle_200(sim, rounds):
    names = ['Scale Job %05d' % (n + 1) for n in range(200)]
    role, loop = [], []
    for dummy in range(rounds):
        sim.reset()
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            toggle = {'name': 'toggle', 'ansible.builtin.include_role': {'name': 'backupops.veeam.schedule_toggle'},
                      'vars': {'schedule_toggle_jobs': names, 'schedule_toggle_enabled': False}}
            run = run_playbook(folder, [toggle], veeam_env(sim, 'em'))
        role.append(time.monotonic() - started)
        assert run.rc == 0, run.output[-3000:]
    for dummy in range(1):  # the loop takes minutes: one round
        sim.reset()
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            one = {'name': 'one by one', 'backupops.veeam.veeam_job_action': {'name': '{{ item }}', 'action': 'disable'}, 'loop': names}
            run = run_playbook(folder, [one], veeam_env(sim, 'em'))
        loop.append(time.monotonic() - started)
        assert run.rc == 0, run.output[-3000:]
    role_time, loop_time = statistics.median(role), statistics.median(loop)
    return ['| schedule_toggle role, 200 jobs (one module call) | %.1f | %.1fx |' % (role_time, loop_time / role_time),
            '| loop of 200 single-job veeam_job_action calls | %.1f | 1.0x |' % loop_time]


def run_10(sim, rounds, poll):
    names = ['Scale Job %05d' % (n + 1) for n in range(10)]
    durations = [4 + n for n in range(10)]  # 4 .. 13 s

    def configure():
        sim.reset()
        by_name = dict((job['name'], job['id']) for job in sim.data()['jobs'])
        for name, seconds in zip(names, durations):
            sim.configure_job(by_name[name], duration=seconds)
    together, one_by_one = [], []
    for dummy in range(rounds):
        configure()
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            run = run_playbook(folder, [{'name': 'rw', 'ansible.builtin.include_role': {'name': 'backupops.veeam.run_and_wait'},
                                         'vars': {'run_and_wait_jobs': names, 'run_and_wait_poll_interval': poll}}], veeam_env(sim, 'em'))
        together.append(time.monotonic() - started)
        assert run.rc == 0, run.output[-3000:]
    configure()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        run = run_playbook(folder, [{'name': 'one by one', 'backupops.veeam.veeam_job_action': {
            'name': '{{ item }}', 'action': 'start', 'wait': True, 'poll_interval': poll}, 'loop': names}], veeam_env(sim, 'em'))
    one_by_one.append(time.monotonic() - started)
    assert run.rc == 0, run.output[-3000:]
    return ['| run_and_wait role, 10 jobs (longest run %d s, poll_interval %d s) | %.1f |' % (max(durations), poll, statistics.median(together)),
            '| one after another (veeam_job_action start + wait in a loop) | %.1f |' % statistics.median(one_by_one)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--write', action='store_true', help='append the tables to bench/RESULTS.md')
    parser.add_argument('--only', choices=['lookup', 'listing', 'toggle', 'run'], action='append')
    parser.add_argument('--api', choices=['em', 'vspc', 'vbr'], action='append',
                        help='the APIs of the lookup and listing parts (default: all they cover)')
    parser.add_argument('--vbr-version', choices=sorted(REVISIONS), action='append',
                        help='the VBR versions the simulator plays for the vbr lookup (default: each of them)')
    options = parser.parse_args()
    parts = options.only or ['lookup', 'listing', 'toggle', 'run']
    out = ['## Side by side with what users do today (%s)' % datetime.date.today().isoformat(), '',
           'Command: `bench/bench_compare.py --rounds %d%s --write`; medians; simulator on loopback; %s.'
           % (options.rounds, ''.join(' --only ' + part for part in options.only or []), machine()), '']
    if 'lookup' in parts:
        # requests are still checked against Veeam's documents; the simulator's own check of its answers is off
        lines = []
        for api in [api for api in ('em', 'vbr') if not options.api or api in options.api]:
            for vbr_version in (options.vbr_version or sorted(REVISIONS)) if api == 'vbr' else [None]:
                sim = start_simulator('--vbr-validate', 'off', '--vbr-version', vbr_version or '13.1')
                try:
                    lines += single_lookup(sim, options.rounds, api, vbr_version)
                finally:
                    sim.stop()
        out += ['One job by name, task time in the play (each case in its own ansible-playbook run). Targets: the module '
                'at most 1.2x the bare GET of the same server, and at most 0.7x the three tasks on em, 0.6x on vbr.', '',
                '| server | case | task time, s | x bare GET | x three tasks |', '|---|---|---|---|---|'] + lines + ['']
    if 'listing' in parts:
        # the VBR answers' schema validation is the simulator's own work: off, so the module's is measured
        sim = start_simulator('--scale', '5000', '--vbr-validate', 'off')
        try:
            out += ['Every job at --scale 5000: the module process alone (its main() in a process of its own). Targets: under '
                    '2 s and under 200 MB.', '', '| module | api | jobs | requests | module time, s | peak RSS, MB |',
                    '|---|---|---|---|---|---|'] + listing(sim, options.rounds, options.api) + ['']
        finally:
            sim.stop()
    if 'toggle' in parts or 'run' in parts:
        sim = start_simulator('--scale', '200')
        try:
            if 'toggle' in parts:
                out += ['Switching 200 schedules off (whole ansible-playbook run). Target: at least 10x faster than the loop.', '',
                        '| case | wall time, s | speed-up |', '|---|---|---|'] + toggle_200(sim, max(1, options.rounds // 2)) + ['']
            if 'run' in parts:
                out += ['Ten jobs run and awaited (whole ansible-playbook run). Target: within one poll interval of the longest '
                        'job, plus the play\'s own start-up.', '', '| case | wall time, s |', '|---|---|'] + run_10(sim, max(1, options.rounds // 2), 2) + ['']
        finally:
            sim.stop()
    text = '\n'.join(out)
    report(text, options.write)


if __name__ == '__main__':
    main()
