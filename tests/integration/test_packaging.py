# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users install it: documentation renders, the build ships what it should, and
ansible-builder can read the execution environment requirements."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import tarfile

import pytest
import yaml

from ansible_run import BIN, REPO, ensure_collection_link

MODULES = ['veeam_job_info', 'veeam_agent_job_info', 'veeam_agent_session_info', 'veeam_job_action',
           'veeam_restore_point_info', 'veeam_quick_backup', 'veeam_session_info']
# each role and a variable its documentation must show
ROLES = {'run_and_wait': 'run_and_wait_jobs', 'schedule_toggle': 'schedule_toggle_jobs',
         'fresh_backup': 'fresh_backup_max_age'}


def command(*args, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), PATH=BIN + os.pathsep + os.environ['PATH'])
    return subprocess.run(list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False, **kwargs)


@pytest.mark.compat
@pytest.mark.parametrize('module', MODULES)
def test_ansible_doc_renders_every_module(module):
    done = command(os.path.join(BIN, 'ansible-doc'), '--json', 'backupops.veeam.' + module)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)['backupops.veeam.' + module]
    assert doc['doc']['short_description'] and doc['examples'].strip() and doc['return']
    assert {'api', 'server', 'username', 'password', 'api_key', 'validate_certs', 'ca_path', 'timeout'} <= set(doc['doc']['options'])
    assert doc['doc']['options']['password'].get('no_log', True)


@pytest.mark.compat
def test_ansible_doc_renders_the_inventory_plugin():
    done = command(os.path.join(BIN, 'ansible-doc'), '-t', 'inventory', '--json', 'backupops.veeam.machines')
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)['backupops.veeam.machines']
    assert doc['doc']['short_description'] and doc['examples'].strip()
    options = doc['doc']['options']
    # the connection options with their VEEAM_* variables, the plugin's own, constructed and cacheable
    for option in ('api', 'server', 'port', 'username', 'password', 'api_key', 'validate_certs', 'ca_path',
                   'timeout', 'api_version'):
        assert options[option]['env'] == [{'name': 'VEEAM_' + option.upper()}], option
    assert {'kind', 'backup_server', 'max_age', 'compose', 'groups', 'keyed_groups', 'strict', 'cache',
            'cache_plugin', 'cache_timeout', 'cache_connection'} <= set(options)
    assert options['max_age']['default'] == '24h'


@pytest.mark.compat
@pytest.mark.parametrize('role', sorted(ROLES))
def test_ansible_doc_renders_every_role(role):
    done = command(os.path.join(BIN, 'ansible-doc'), '-t', 'role', 'backupops.veeam.' + role)
    assert done.returncode == 0, done.stderr
    assert ROLES[role] in done.stdout


def test_the_action_group_holds_every_module():
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle)
    assert sorted(runtime['action_groups']['veeam']) == sorted(MODULES)
    assert runtime['requires_ansible'] == '>=2.16.0'


@pytest.mark.compat
def test_galaxy_build_ships_the_collection_without_local_clutter(tmp_path):
    done = command(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path), REPO)
    assert done.returncode == 0, done.stderr
    [archive] = [name for name in os.listdir(str(tmp_path)) if name.endswith('.tar.gz')]
    with tarfile.open(os.path.join(str(tmp_path), archive)) as tar:
        names = tar.getnames()
    for wanted in ['plugins/modules/veeam_job_action.py', 'plugins/module_utils/_em.py',
                   'plugins/action/veeam_job_action.py', 'plugins/plugin_utils/_waiting.py',
                   'roles/run_and_wait/meta/argument_specs.yml',
                   'playbooks/run_and_wait.yml', 'meta/runtime.yml', 'COPYING', 'README.md',
                   'plugins/modules/veeam_quick_backup.py', 'plugins/action/veeam_quick_backup.py',
                   'plugins/module_utils/_machines.py', 'roles/fresh_backup/tasks/backup.yml',
                   'playbooks/fresh_backup.yml', 'plugins/inventory/machines.py',
                   'extensions/eda/plugins/event_source/veeam_events.py', 'extensions/eda/rulebooks/veeam_events.yml',
                   'playbooks/malware_notify.yml', 'plugins/module_utils/_sessions.py',
                   'plugins/module_utils/_vbr_sessions.py']:
        assert wanted in names, wanted
    assert not [name for name in names if name.startswith(('.venv', 'build/', 'tests/output', '.pytest_cache'))]
    assert not [name for name in names if '__pycache__' in name]


def test_ansible_builder_introspect_accepts_the_requirements():
    # introspect reads every collection below a collections root (ansible_collections/<ns>/<name>)
    done = command(os.path.join(BIN, 'ansible-builder'), 'introspect', '--sanitize', ensure_collection_link())
    assert done.returncode == 0, done.stderr
    assert 'requests' in done.stdout and 'xmltodict' in done.stdout, done.stdout
