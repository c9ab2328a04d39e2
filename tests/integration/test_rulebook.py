# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end with ansible-rulebook itself (INTERFACE.md section 6): the example rulebook
extensions/eda/rulebooks/veeam_events.yml, its source backupops.veeam.veeam_events polling the simulator's VBR REST
API; a machine fails in a run, and fresh_backup runs on exactly that host, with exactly one quick backup of it; a
restore point of another machine is flagged, and the notification playbook runs on that one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
import yaml

from ansible_run import BIN, REPO, ansible_environment, assert_logged_off, veeam_env, wait_for

RULEBOOK = os.path.join(REPO, 'extensions', 'eda', 'rulebooks', 'veeam_events.yml')
MACHINE = 'fs01'


def rulebook_command():
    """ansible-rulebook from $ANSIBLE_RULEBOOK, beside this Python (make venv installs it) or on PATH."""
    found = os.environ.get('ANSIBLE_RULEBOOK') or shutil.which('ansible-rulebook', path=BIN) \
        or shutil.which('ansible-rulebook')
    if not found:
        pytest.fail('ansible-rulebook is not installed: `make venv` installs it (requirements-dev.txt) and a Java '
                    'runtime when none is found', pytrace=False)
    if not shutil.which('java') and not os.environ.get('JAVA_HOME'):
        pytest.fail('ansible-rulebook needs a Java 17+ runtime: `make venv` installs default-jre-headless',
                    pytrace=False)
    return found


class Rulebook:
    """ansible-rulebook running in the background, its output collected line by line."""

    def __init__(self, command, env):
        self.lines = []
        self.times = []
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     universal_newlines=True, cwd=tempfile.mkdtemp(prefix='rulebook-'))
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.times.append(time.monotonic())
            self.lines.append(line.rstrip('\n'))

    def first(self, prefix):
        """When the first line starting with ``prefix`` was printed (monotonic), or None."""
        for when, line in zip(list(self.times), list(self.lines)):
            if line.startswith(prefix):
                return when
        return None

    @property
    def output(self):
        return '\n'.join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.reader.join(timeout=20)


def recap_hosts(output):
    """The hosts of the PLAY RECAP lines of the playbooks that ran."""
    hosts = []
    in_recap = False
    for line in output.splitlines():
        if line.startswith('PLAY RECAP'):
            in_recap = True
            continue
        if in_recap and ' : ok=' in line:
            hosts.append(line.split(' : ok=')[0].strip())
        elif in_recap and line.strip():
            in_recap = False
    return hosts


def test_the_example_rulebook_backs_up_exactly_the_failed_machine(simulator, tmp_path):
    command = rulebook_command()
    inventory = str(tmp_path / 'inventory.yml')
    with open(inventory, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': dict((name, {'ansible_connection': 'local'})
                                              for name in (MACHINE, 'web01', 'mail01'))}}, handle)
    env = ansible_environment(veeam_env(simulator, 'vbr', VEEAM_EVENTS_INTERVAL='1'))
    env['PATH'] = BIN + os.pathsep + os.path.dirname(command) + os.pathsep + env['PATH']
    env['PYTHONPATH'] = ''
    for key in ('ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_PLUGINS'):
        env.pop(key, None)
    record = simulator._call('GET', '/machines/%s' % MACHINE)
    job_id = record['job_ids'][0]
    before = simulator.counters()
    rulebook = Rulebook([command, '--rulebook', RULEBOOK, '-i', inventory, '--env-vars', 'VEEAM_EVENTS_INTERVAL'],
                        env)
    try:
        _steps(simulator, rulebook, job_id, before)
    except AssertionError as error:
        raise AssertionError('%s\nansible-rulebook said:\n%s' % (error, rulebook.output[-6000:]))
    finally:
        rulebook.stop()
    assert recap_hosts(rulebook.output) == [MACHINE, 'web01'], rulebook.output[-5000:]
    assert 'fresh Veeam restore point' in rulebook.output, rulebook.output[-5000:]
    assert 'Veeam (%s): Infected' % simulator.host in rulebook.output and 'on web01' in rulebook.output, \
        rulebook.output[-5000:]
    assert simulator.counters()['actions'].get('quick_backup', 0) - before['actions'].get('quick_backup', 0) == 1
    quick = [entry for entry in simulator.log() if entry['method'] == 'POST' and 'quickBackup' in entry['path']]
    assert len(quick) == 1, quick
    wait_for(simulator.counters, lambda counters: counters['vbr']['live_tokens'] == 0, timeout=20)
    assert_logged_off(simulator)


def _steps(simulator, rulebook, job_id, before):
    """Wait for the source to poll, make the machine fail in a run, wait for the playbook, then a few polls more."""
    if rulebook.proc.poll() is None:
        # the source polls: tokens are taken and logged out
        wait_for(simulator.counters, lambda counters: counters['vbr']['logouts'] >= before['vbr']['logouts'] + 2,
                 timeout=40)
        simulator._call('POST', '/machines/%s' % MACHINE, {'outcome': 'Failed', 'failure_message': 'Error: disk full'})
        simulator.configure_job(job_id, duration=1, running=True)
        wait_for(lambda: simulator.configure_job(job_id), lambda job: job['last_result'] == 'Failed', timeout=30)
        ended = time.monotonic()
        simulator._call('POST', '/machines/%s' % MACHINE, {'outcome': 'Success'})
        wait_for(lambda: recap_hosts(rulebook.output), lambda hosts: hosts, timeout=120)
        # issue 19: from the run's end to the playbook's start, within one interval (1 s) plus 5 s
        started = rulebook.first('PLAY [')
        assert started is not None and started - ended < 1 + 5, (started and started - ended)
        # a few more polls after the playbook: nothing else runs
        seen = simulator.counters()['vbr']['logouts']
        wait_for(simulator.counters, lambda counters: counters['vbr']['logouts'] >= seen + 3, timeout=60)
        assert recap_hosts(rulebook.output) == [MACHINE]
        # Veeam flags a restore point of web01: the notification playbook runs on web01
        simulator.flag_malware('web01')
        wait_for(lambda: recap_hosts(rulebook.output), lambda hosts: len(hosts) > 1, timeout=60)
