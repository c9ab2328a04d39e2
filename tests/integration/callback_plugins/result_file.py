# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: result_file
type: aggregate
short_description: Write every task result as a JSON line to the file named by E(BACKUPOPS_RESULT_FILE)
description:
  - Test helper of backupops.veeam. The integration tests read task results from this file,
    next to the normal output of the default callback.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'result_file'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._task_started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[task._uuid] = time.monotonic()

    def _write(self, status, result):
        path = os.environ.get('BACKUPOPS_RESULT_FILE')
        if not path:
            return
        started = self._task_started.get(result._task._uuid)
        line = {'task': result._task.get_name(), 'host': result._host.get_name(), 'status': status,
                'seconds': None if started is None else round(time.monotonic() - started, 4),
                'result': json.loads(self._dump_results(result._result, indent=None))}
        with open(path, 'a') as handle:
            handle.write(json.dumps(line) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)
