# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of veeam_job_action: prints a progress line per run every progress_interval seconds while the
task waits (plugins/plugin_utils/_waiting.py); any other task runs the module once, as usual."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.plugin_utils._waiting import WaitingAction, task_waits


class ActionModule(WaitingAction):

    def waits(self, args):
        return task_waits(args, ('start', 'retry', 'stop'))
