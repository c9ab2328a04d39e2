# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/backupops.veeam.veeam) in C(module_defaults) to set the connection options once for every module of the collection.
    support: full
    membership:
      - backupops.veeam.veeam
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    description: The module only reads, so it runs the same in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so it has no diff to show.
    support: N/A
'''

    ACTIONS = r'''
options: {}
attributes:
  check_mode:
    description: Reads the current state and reports what would change; sends no request that changes the server.
    support: full
  diff_mode:
    description: Shows the schedule state before and after for O(action=enable) and O(action=disable).
    support: full
'''

    QUICK_BACKUP = r'''
options: {}
attributes:
  check_mode:
    description: Finds the machine and checks that it can be backed up alone, then reports C(changed=true) (it would
      be backed up) without starting anything.
    support: full
  diff_mode:
    description: A backup has no before and after to show.
    support: none
'''
