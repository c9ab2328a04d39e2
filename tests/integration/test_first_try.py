# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a new user with a real server meets on the first try (INTERFACE.md section 1): a wrong `api` or
`port` is named as the wrong door (which API answered, and the `api`/`port` to use), never as a refused
password; a refused password or API key still says so, naming the user or the option."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

from ansible_run import assert_logged_off, run_playbook, veeam_env
from conftest import TESTS_DIR

JOB_INFO = 'backupops.veeam.veeam_job_info'
NAMES = {'em': 'Veeam Backup Enterprise Manager', 'vspc': 'Veeam Service Provider Console',
         'vbr': 'the VBR REST API'}
DEFAULT_PORTS = {'em': 9398, 'vspc': 1280, 'vbr': 9419}


def failed(run, title):
    return [entry['status'] for entry in run.results if entry['task'] == title][-1] == 'failed'


def test_a_wrong_api_or_port_names_the_api_that_answered(simulator, tmp_path):
    tasks = []
    for api in ('em', 'vspc', 'vbr'):
        for door in ('em', 'vspc', 'vbr'):
            if door != api:
                tasks.append({'name': '%s at %s' % (api, door), 'ignore_errors': True,
                              JOB_INFO: {'api': api, 'port': simulator.port(door), 'name': 'Nightly'}})
        tasks.append({'name': '%s wrong password' % api, 'ignore_errors': True,
                      JOB_INFO: {'api': api, 'port': simulator.port(api), 'password': 'Not-The-Pass1'}})
    for door in ('em', 'vbr'):
        tasks.append({'name': 'vspc key at %s' % door, 'ignore_errors': True,
                      JOB_INFO: {'api': 'vspc', 'port': simulator.port(door), 'api_key': 'some-key',
                                 'username': None, 'password': None}})
    tasks.append({'name': 'vspc wrong key', 'ignore_errors': True,
                  JOB_INFO: {'api': 'vspc', 'port': simulator.port('vspc'), 'api_key': 'not-a-key',
                             'username': None, 'password': None}})
    env = veeam_env(simulator, 'em')
    env.pop('VEEAM_PORT')
    run = run_playbook(tmp_path, tasks, env)
    assert 'Traceback' not in run.output, run.output[-3000:]

    problems = []
    for api in ('em', 'vspc', 'vbr'):
        for door in ('em', 'vspc', 'vbr'):
            if door == api:
                continue
            for title in ['%s at %s' % (api, door)] + (['vspc key at %s' % door] if api == 'vspc' else []):
                message = run.task(title).get('msg', '')
                wanted = ['%s is %s, not %s' % (simulator.port(door), NAMES[door], NAMES[api]),
                          'set api: %s (VEEAM_API)' % door, 'port (VEEAM_PORT)', '%d by default' % DEFAULT_PORTS[api]]
                missing = [word for word in wanted if word not in message]
                if failed(run, title) is not True or missing or 'refused' in message:
                    problems.append('%s: %s lacks %s' % (title, message, missing))
        message = run.task('%s wrong password' % api).get('msg', '')
        if 'refused the logon of user \'admin\'' not in message:
            problems.append('%s wrong password: %s' % (api, message))
    message = run.task('vspc wrong key').get('msg', '')
    if 'refused the API key (api_key, VEEAM_API_KEY)' not in message:
        problems.append('vspc wrong key: %s' % message)
    assert not problems, '\n'.join(problems)
    assert_logged_off(simulator)


def test_a_second_simulator_on_the_same_ports_fails_clearly_and_leaves_the_first_working(simulator, tmp_path):
    files = {name: open(os.path.join(simulator.state_dir, name), 'rb').read() for name in ('ca.pem', 'ready.json')}
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    second = subprocess.run(
        [sys.executable, '-m', 'veeamsim', '--host', '127.0.0.1', '--em-port', str(simulator.port('em')),
         '--vspc-port', str(simulator.port('vspc')), '--vbr-port', str(simulator.port('vbr')),
         '--state-dir', simulator.state_dir, '--ready-file', os.path.join(simulator.state_dir, 'ready.json')],
        env=env, cwd=TESTS_DIR, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 2, (second.returncode, second.stdout, second.stderr)
    assert 'Traceback' not in second.stderr and 'Is a simulator already running?' in second.stderr, second.stderr
    for name, content in files.items():
        assert open(os.path.join(simulator.state_dir, name), 'rb').read() == content, '%s was changed' % name
    assert [entry for entry in os.listdir(simulator.state_dir) if entry.startswith('.new-')] == []
    run = run_playbook(tmp_path, [{'name': 'still there', JOB_INFO: {'name': 'Daily Backup'}}],
                       veeam_env(simulator, 'vbr'))
    assert run.rc == 0 and run.task('still there')['jobs'], run.output[-3000:]


def test_a_backup_server_that_names_no_server_warns_with_the_close_name(simulator, api, tmp_path):
    tasks = [{'name': 'short', JOB_INFO: {'backup_server': 'vbr-prod-01'}},
             {'name': 'full', JOB_INFO: {'backup_server': 'vbr-prod-01.corp.example'}}]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    assert run.task('short')['jobs'] == [] and run.task('full')['jobs'], run.output[-3000:]
    output = ' '.join(run.output.split())
    assert ("backup_server 'vbr-prod-01' names no backup server of" in output
            and "did you mean 'vbr-prod-01.corp.example'?" in output), run.output[-3000:]
    assert output.count('names no backup server') == 1, run.output[-3000:]


def test_a_machine_lookup_on_a_backup_server_that_is_not_there_warns_too(simulator, api, tmp_path):
    point_info = 'backupops.veeam.veeam_restore_point_info'
    tasks = [{'name': 'short', point_info: {'name': 'web01', 'backup_server': 'vbr-prod-01'}},
             {'name': 'full', point_info: {'name': 'web01', 'backup_server': 'vbr-prod-01.corp.example'}}]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    assert run.task('short')['machines'][0]['protected'] is False, run.output[-3000:]
    assert run.task('full')['machines'][0]['protected'] is True, run.output[-3000:]
    output = ' '.join(run.output.split())
    assert ("backup_server 'vbr-prod-01' names no backup server of" in output
            and "did you mean 'vbr-prod-01.corp.example'?" in output), run.output[-3000:]


def test_a_type_word_of_another_api_warns_with_this_apis_words(simulator, api, tmp_path):
    own = {'em': 'Backup', 'vspc': 'BackupVm', 'vbr': 'VSphereBackup'}[api]
    other = {'em': 'BackupVm', 'vspc': 'Backup', 'vbr': 'BackupVm'}[api]
    tasks = [{'name': 'own', JOB_INFO: {'type': [own]}}, {'name': 'other', JOB_INFO: {'type': [other]}}]
    run = run_playbook(tmp_path, tasks, veeam_env(simulator, api))
    assert run.rc == 0, run.output[-3000:]
    assert run.task('own')['jobs'] and run.task('other')['jobs'] == [], run.output[-3000:]
    output = ' '.join(run.output.split())
    assert "type: %r is not among the job type words of" % other in output and own in output, run.output[-3000:]
    assert output.count('not among the job type words') == 1, run.output[-3000:]
