# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The options of plugins/module_utils/_wait.py (wait_argument_spec). A module whose default of wait is not false
    # sets just that default in its own options (wait: {default: true}).
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until the run has ended. M(backupops.veeam.veeam_job_action) waits for the runs of
        O(backupops.veeam.veeam_job_action#module:action=start), V(retry) and V(stop);
        M(backupops.veeam.veeam_quick_backup) waits for the quick backup, then reads the machine's restore points again.
      - A run that ends C(Failed) fails the module (the session is still returned); C(Warning) adds a warning, or
        fails the module with O(fail_on_warning). Running out of O(wait_timeout) fails with the last known session.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the run, counted for each job (or machine) from the start of its handling; a run of the
        machine's job that M(backupops.veeam.veeam_quick_backup) waits for before it starts counts too.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two looks at a running session.
    type: int
    default: 5
  fail_on_warning:
    description:
      - With O(wait), fail when the run ends with C(Warning).
    type: bool
    default: false
  progress_interval:
    description:
      - "While the task waits for runs, print a progress line for each run still going every this many seconds,
        with the host, the job or machine, the run's state, how far it is (where the API tells it, as Enterprise
        Manager does and Service Provider Console does not) and the time the task has waited so far, for example
        C([localhost] job 'SQL Nightly': Working, 45% done, 20m 00s elapsed) or
        C([localhost] quick backup of 'web01': Working, 45% done, 2m 00s elapsed)."
      - The lines come from the module's action plugin, which runs the module in rounds of this length. The
        first round looks the jobs or the machine up and acts (a quick backup starts after a run of its job that
        was going on, if any); each later round only follows the runs the earlier ones started or found, so
        nothing is started twice. The task's result is the one a single run would return.
        Each round logs on anew (Enterprise Manager logs off again at its end).
      - Ignored when the task does not wait, in check mode, and when the task has its own C(async)
        (Ansible then does its usual asynchronous handling and prints no progress lines). A task with C(no_log)
        gets one line per look that says only how many runs go on.
      - O(wait_timeout) counts the time spent waiting in the rounds; the moments between two rounds (well under
        a second each) are not counted.
    type: int
    default: 60
'''
