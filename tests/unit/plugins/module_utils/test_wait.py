# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wait options: one argument spec, one doc fragment, one checked value, and the action plugins' defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import MagicMock

import pytest
import yaml

from ansible_collections.backupops.veeam.plugins.action.veeam_job_action import ActionModule as JobActionPlugin
from ansible_collections.backupops.veeam.plugins.action.veeam_quick_backup import ActionModule as QuickBackupPlugin
from ansible_collections.backupops.veeam.plugins.doc_fragments.wait import ModuleDocFragment
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._wait import WAIT_OPTIONS, WaitSettings, wait_argument_spec


def test_the_doc_fragment_documents_the_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = wait_argument_spec(wait_default=False)
    assert sorted(documented) == sorted(spec) == sorted(WAIT_OPTIONS)
    for option, entry in spec.items():
        assert documented[option]['type'] == entry['type']
        assert documented[option]['default'] == entry['default']


@pytest.mark.parametrize('wait_default', [False, True])
def test_the_argument_spec_takes_the_default_of_wait(wait_default):
    spec = wait_argument_spec(wait_default)
    assert spec['wait'] == {'type': 'bool', 'default': wait_default}
    assert (spec['wait_timeout']['default'], spec['poll_interval']['default'], spec['progress_interval']['default'],
            spec['fail_on_warning']['default']) == (3600, 5, 60, False)


def test_settings_from_params():
    params = dict(wait=True, wait_timeout=600, poll_interval=2, fail_on_warning=True, progress_interval=30,
                  name='not a wait option')
    waiting = WaitSettings.from_params(params)
    assert [getattr(waiting, option) for option in WAIT_OPTIONS] == [True, 600, 2, True, 30]


@pytest.mark.parametrize('option', ['wait_timeout', 'poll_interval', 'progress_interval'])
@pytest.mark.parametrize('value', [0, -5])
def test_a_number_that_is_not_positive_is_refused_naming_the_option(option, value):
    with pytest.raises(VeeamOptionError) as caught:
        WaitSettings(**{option: value})
    assert caught.value.message == '%s: must be a positive number, got %s' % (option, value)


def plugin(cls, args):
    task = MagicMock()
    task.args = args
    return cls(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())


@pytest.mark.parametrize('cls, args, waits', [
    (JobActionPlugin, {'action': 'start'}, False),  # the module's default: wait false
    (JobActionPlugin, {'action': 'start', 'wait': True}, True),
    (JobActionPlugin, {'action': 'enable', 'wait': True}, False),
    (QuickBackupPlugin, {'name': 'web01'}, True),  # the module's default: wait true
    (QuickBackupPlugin, {'name': 'web01', 'wait': 'no'}, False),
])
def test_the_action_plugins_know_the_modules_default_of_wait(cls, args, waits):
    assert plugin(cls, args).waits(args) is waits
