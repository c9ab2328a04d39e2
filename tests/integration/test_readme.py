# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's "Running the simulator by hand" commands, run as written from the checkout: `make simulator`
(and a second one while it runs, which must fail clearly and leave the first one working), the variant with
ports of the simulator's choosing, and the commands of the other shell."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY = os.path.join(ROOT, 'build', 'simulator', 'ready.json')
START_TIMEOUT = 120


def recipe():
    """The sh blocks of the README section: (start with make, start with free ports, use it)."""
    with open(os.path.join(ROOT, 'README.md')) as handle:
        text = handle.read()
    start = text.index('### Running the simulator by hand')
    section = text[start:text.index('\n## ', start)]
    blocks = re.findall(r'```sh\n(.*?)```', section, re.S)
    assert len(blocks) == 3, blocks
    return blocks


def shell(script, timeout=300):
    return subprocess.run(['bash', '-e', '-c', script], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


class Background(object):
    """A README command that runs in the foreground of its own shell, started in a process group of its own."""

    def __init__(self, script):
        if os.path.exists(READY):
            os.unlink(READY)
        self.proc = subprocess.Popen(['bash', '-e', '-c', script], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(READY):
            if self.proc.poll() is not None:
                pytest.fail('the simulator stopped before it was ready:\n%s' % self.proc.stdout.read())
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail('the simulator was not ready within %s s' % START_TIMEOUT)
            time.sleep(0.1)  # polling the ready file, with a deadline

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def assert_job_found(use):
    run = shell(use)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'SUCCESS' in run.stdout and '"name": "File Server Backup"' in run.stdout, run.stdout + run.stderr


def test_make_simulator_then_the_other_shell_and_a_second_make_simulator_fails_clearly():
    make, dummy, use = recipe()
    first = Background(make)
    try:
        assert_job_found(use)
        with open(os.path.join(ROOT, 'build', 'simulator', 'ca.pem'), 'rb') as handle:
            ca = handle.read()
        second = shell(make, timeout=120)
        assert second.returncode != 0, second.stdout + second.stderr
        assert 'Is a simulator already running?' in second.stderr and 'Traceback' not in second.stderr, second.stderr
        with open(os.path.join(ROOT, 'build', 'simulator', 'ca.pem'), 'rb') as handle:
            assert handle.read() == ca, 'the second make simulator replaced the CA of the running one'
        assert os.path.exists(READY)
        assert_job_found(use)
    finally:
        first.stop()
    assert not os.path.exists(READY), 'the simulator left its ready file behind'


def test_the_simulator_on_ports_of_its_choosing_then_the_other_shell():
    dummy, free_ports, use = recipe()
    simulator = Background(free_ports)
    try:
        assert_job_found(use)
    finally:
        simulator.stop()
