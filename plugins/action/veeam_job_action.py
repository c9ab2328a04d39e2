# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of veeam_job_action: prints a progress line per run every progress_interval seconds while the
task waits (plugins/plugin_utils/_waiting.py); any other task runs the module once, as usual."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._actions import RUN_ACTIONS
from ansible_collections.backupops.veeam.plugins.plugin_utils._waiting import WaitingAction


class ActionModule(WaitingAction):

    WAIT_DEFAULT = False

    def waits(self, args):
        # only the actions that start or end a run wait for it
        return self.wait_option(args) and args.get('action') in RUN_ACTIONS
