# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of veeam_quick_backup: prints a progress line every progress_interval seconds while the task
waits for the quick backup (plugins/plugin_utils/_waiting.py, the same mechanism as veeam_job_action's); a task
that does not wait runs the module once, as usual."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.plugin_utils._waiting import WaitingAction


class ActionModule(WaitingAction):

    NOUN = 'quick backup of'
    WAIT_DEFAULT = True  # as the module's (wait_default=True)
