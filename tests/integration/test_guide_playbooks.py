# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guides' commands and playbooks, taken from the markdown and run as written against the simulator.

The connection comes from the VEEAM_* environment, as each guide says (its `export` lines name a real server and
are left out). Files a guide names (`group_vars/all.yml`, `inventory/veeam.yml`, ...) are written from its blocks;
an inventory of the user's own hosts (backup proxies, sites) is replaced by the simulator's, and plays that patch
those hosts run on an empty group. Everything else, job names included, is the guide's own text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess

import yaml

from ansible_run import ACCOUNTS, ansible_environment, veeam_env

GUIDES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'docs', 'guides')
SQL = 'SQL Server; Nightly, Full'


def blocks(guide, language):
    """The fenced blocks of one language in a guide, in order."""
    with open(os.path.join(GUIDES, guide)) as handle:
        return re.findall(r'^```%s\n(.*?)^```' % language, handle.read(), re.S | re.M)


def commands(block):
    """The ansible and ansible-playbook commands of an sh block, continuation lines joined."""
    joined = re.sub(r'\\\n\s*', ' ', block)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith('ansible')]


def shell(command, env, cwd):
    completed = subprocess.run(['bash', '-e', '-c', command], cwd=str(cwd), env=ansible_environment(env),
                               capture_output=True, text=True, timeout=600, check=False)
    return completed.returncode, completed.stdout + completed.stderr


def schedules(simulator, names, server='vbr-prod-01.corp.example'):
    return dict((name, simulator.job(name, server=server)['schedule_enabled']) for name in names)


def test_ad_hoc_guide_commands_run_as_written(simulator, api, tmp_path):
    found = [command for block in blocks('ad-hoc.md', 'sh') for command in commands(block)]
    assert len(found) >= 6, found
    env = veeam_env(simulator, api)
    for command in found:
        if 'type=Backup,BackupCopy' in command and api != 'em':
            continue  # the guide says these are Enterprise Manager's words; the other APIs warn about them
        rc, output = shell(command, env, tmp_path)
        assert rc == 0, '%s\n%s' % (command, output[-3000:])
        assert 'SUCCESS' in output or 'CHANGED' in output, '%s\n%s' % (command, output[-3000:])
        assert 'Traceback' not in output


def test_maintenance_window_commands_switch_the_schedules_off_and_on(simulator, api, tmp_path):
    window = ['Offsite Backup Copy', SQL]
    check, off, on = commands(blocks('maintenance-window.md', 'sh')[0])
    env = veeam_env(simulator, api)
    assert schedules(simulator, window) == {name: True for name in window}
    rc, output = shell(check, env, tmp_path)
    assert rc == 0 and schedules(simulator, window) == {name: True for name in window}, output[-3000:]
    assert '"schedule_enabled": false' in output, output[-3000:]
    rc, output = shell(off, env, tmp_path)
    assert rc == 0 and schedules(simulator, window) == {name: False for name in window}, output[-3000:]
    rc, output = shell(on, env, tmp_path)
    assert rc == 0 and schedules(simulator, window) == {name: True for name in window}, output[-3000:]
    again = check.replace('--check --diff', '').replace('"schedule_toggle_enabled": false',
                                                        '"schedule_toggle_enabled": true')
    rc, output = shell(again, env, tmp_path)
    assert rc == 0 and 'changed=0' in output, output[-3000:]


def test_maintenance_window_playbook_leaves_the_schedules_as_it_found_them(simulator, api, tmp_path):
    variables, playbook, group_vars = blocks('maintenance-window.md', 'yaml')
    assert yaml.safe_load(variables)['schedule_toggle_jobs'] == [SQL, 'Offsite Backup Copy']
    window = yaml.safe_load(group_vars)['window_jobs']
    # one job of the window is off before it: the playbook must leave it off
    simulator.configure_job(simulator.job('DC Replication', server='vbr-prod-01.corp.example')['id'],
                            schedule_enabled=False)
    os.makedirs(str(tmp_path / 'group_vars'))
    (tmp_path / 'group_vars' / 'all.yml').write_text(group_vars)
    (tmp_path / 'window.yml').write_text(playbook)
    (tmp_path / 'hosts.ini').write_text('[veeam_proxies]\n')   # the proxies to patch are the user's
    rc, output = shell('ansible-playbook -i hosts.ini window.yml', veeam_env(simulator, api), tmp_path)
    assert rc == 0, output[-3000:]
    assert schedules(simulator, window) == {SQL: True, 'Offsite Backup Copy': True, 'DC Replication': False}
    actions = simulator.counters()['actions']
    # two jobs switched off and on again (em toggles, vspc patches, vbr enables and disables)
    assert sum(actions[name] for name in ('toggle', 'patch', 'enable', 'disable')) == 4, actions


def test_backup_before_patching_runs_the_jobs_and_waits(simulator, api, tmp_path):
    (command,) = commands(blocks('backup-before-patching.md', 'sh')[0])
    for name in (SQL, 'File Server Backup'):
        simulator.configure_job(simulator.job(name, server='vbr-prod-01.corp.example')['id'], duration=2)
    rc, output = shell(command, veeam_env(simulator, api), tmp_path)
    assert rc == 0, output[-3000:]
    assert 'ok     %s: Success' % SQL in output and 'ok     File Server Backup: Success' in output, output[-3000:]

    host_vars, playbook, module = blocks('backup-before-patching.md', 'yaml')
    plays = yaml.safe_load(playbook)
    veeam_plays = [play for play in plays if play['hosts'] == 'localhost']
    assert len(veeam_plays) == 1 and len(plays) == 2    # the second play patches the user's servers
    os.makedirs(str(tmp_path / 'host_vars'))
    (tmp_path / 'host_vars' / 'db01.corp.example.yml').write_text(host_vars)
    (tmp_path / 'backup.yml').write_text(yaml.safe_dump(veeam_plays, allow_unicode=True, sort_keys=False))
    (tmp_path / 'hosts.ini').write_text('[db_servers]\ndb01.corp.example\n')
    rc, output = shell('ansible-playbook -i hosts.ini backup.yml', veeam_env(simulator, api), tmp_path)
    assert rc == 0 and '%s: Success' % SQL in output, output[-3000:]

    (tmp_path / 'module.yml').write_text(yaml.safe_dump(
        [{'name': 'guide', 'hosts': 'localhost', 'gather_facts': False, 'tasks': yaml.safe_load(module)}],
        allow_unicode=True, sort_keys=False))
    rc, output = shell('ansible-playbook module.yml', veeam_env(simulator, api), tmp_path)
    assert rc == 0 and '%s ended Success at' % SQL in output, output[-3000:]


def test_many_vbr_servers_report_and_retry(simulator, tmp_path):
    inventory_text, playbook = blocks('many-vbr-servers.md', 'yaml')
    report, retry = commands(blocks('many-vbr-servers.md', 'sh')[0])
    inventory = yaml.safe_load(inventory_text)
    # the sites are the user's: one site here, the simulator's VBR server
    inventory['backup_servers']['hosts'] = {simulator.host: {'veeam_port': simulator.port('vbr')}}
    inventory['backup_servers']['vars'].update(veeam_username='admin', veeam_ca_path=simulator.ca_path)
    os.makedirs(str(tmp_path / 'inventory'))
    (tmp_path / 'inventory' / 'veeam.yml').write_text(yaml.safe_dump(inventory))
    (tmp_path / 'failed_jobs_report.yml').write_text(playbook)
    (tmp_path / 'vault.yml').write_text(yaml.safe_dump({'vault_veeam_password': ACCOUNTS['admin']}))
    env = {'ANSIBLE_HOST_KEY_CHECKING': 'False'}
    rc, output = shell(report + ' -e @vault.yml', env, tmp_path)
    assert rc == 0, output[-3000:]
    assert '%s: File Server Backup' % simulator.host in output, output[-3000:]
    assert simulator.counters()['actions']['retry'] == 0
    rc, output = shell(retry.replace("'vbr-ams-*'", simulator.host) + ' -e @vault.yml', env, tmp_path)
    assert rc == 0, output[-3000:]
    assert simulator.counters()['actions']['retry'] == 1


def test_patching_with_fresh_backup_first_play_and_inventory(simulator, api, tmp_path):
    """The guide's first play and its inventory, as written; `patch_and_reboot` is the user's role: a stand-in that
    says which host it patched. The role never contacts the hosts, so facts are not gathered here."""
    play, dummy, inventory = blocks('patching-with-fresh-backup.md', 'yaml')[:3]
    assert yaml.safe_load(inventory)['web_servers']['hosts']['printsrv2.corp.example'] == {
        'fresh_backup_name': 'Print Server 2'}
    os.makedirs(str(tmp_path / 'roles' / 'patch_and_reboot' / 'tasks'))
    (tmp_path / 'roles' / 'patch_and_reboot' / 'tasks' / 'main.yml').write_text(
        '- name: Patch\n  ansible.builtin.debug:\n    msg: "patched {{ inventory_hostname }}"\n')
    (tmp_path / 'inventory.yml').write_text(inventory)
    (tmp_path / 'patch.yml').write_text(play)
    env = veeam_env(simulator, api, ANSIBLE_GATHERING='explicit')
    rc, output = shell('ansible-playbook -i inventory.yml patch.yml', env, tmp_path)
    assert rc == 0, output[-3000:]
    patched = sorted(re.findall(r'"msg": "patched (\S+)"', output))
    assert patched == ['printsrv2.corp.example', 'web01.corp.example', 'web02.corp.example'], output[-3000:]
    assert simulator.counters()['actions']['quick_backup'] == 0     # all three were fresh
