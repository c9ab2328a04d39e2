# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a waiting module: an action plugin base that runs the module in rounds and prints a
progress line per run between them. Internal to this collection, may change without notice.

Ansible prints a task when it ends; a module cannot print while it runs. So a waiting task runs its module in
rounds of ``progress_interval`` seconds (``plugins/module_utils/_progress.py`` is the module's half): after each
round the plugin prints, through Ansible's display at the default verbosity, one line per run still going (and
one per run that ended since the last look), and calls the module again to follow the same runs. The last round
returns the module's usual result, which the plugin hands on with the warnings of the earlier rounds added.

Nothing is written to disk between the rounds and no secret leaves the module's process: each round logs on
and off by itself, and what goes from one round to the next is the jobs, the runs and the results so far.
A task that does not wait, runs in check mode, or has its own ``async`` runs the module once, exactly as the
``normal`` action plugin would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.validation import check_type_bool, check_type_int
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.backupops.veeam.plugins.module_utils._progress import PROGRESS_OPTION
from ansible_collections.backupops.veeam.plugins.module_utils._wait import PROGRESS_INTERVAL

display = Display()

# the shortest round the plugin asks for, whatever the module's start-up costs
MIN_ROUND = 1.0


def format_elapsed(seconds):
    """``45s``, ``2m 05s``, ``1h 02m 05s``."""
    seconds = int(max(0, seconds))
    if seconds < 60:
        return '%ds' % seconds
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return '%dm %02ds' % (minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return '%dh %02dm %02ds' % (hours, minutes, seconds)


def progress_line(host, look, elapsed, noun='job'):
    """One line for one entry of the module's ``watch``, for example
    ``[localhost] job 'SQL Nightly': Working, 45% done, 1m 20s elapsed``."""
    head = '[%s] %s %r' % (host, noun, str(look['name']))
    since = '%s elapsed' % format_elapsed(elapsed)
    if look['status'] == 'queued':
        return '%s: not started yet, waits for a free slot (parallel), %s' % (head, since)
    if look['status'] == 'running':
        if look['state'] is None:
            return '%s: started, its run is not visible on the server yet, %s' % (head, since)
        done = '' if look['progress'] is None else ', %s%% done' % look['progress']
        return '%s: %s%s, %s' % (head, look['state'], done, since)
    if look['result'] in ('Success', 'Warning', 'Failed'):
        return '%s: ended %s, %s' % (head, look['result'], since)
    return '[%s] %s, %s' % (host, look['msg'] or '%s %r ended' % (noun, str(look['name'])), since)


def progress_lines(host, watch, elapsed, announced, noun='job'):
    """The lines of one look: one per run going on or waiting for a slot, and one per run that ended since the
    last look (``announced`` holds the positions of those already shown, and is updated)."""
    lines = []
    for position, look in enumerate(watch):
        if look['status'] == 'ended':
            if position in announced:
                continue
            announced.add(position)
        lines.append(progress_line(host, look, elapsed, noun))
    return lines


def hidden_line(host, watch, elapsed):
    """The one line of a look for a task with ``no_log``: how many runs go on, nothing about them."""
    going = sum(1 for look in watch if look['status'] != 'ended')
    return '[%s] %d of %d still going, %s elapsed (details hidden by no_log)' % (
        host, going, len(watch), format_elapsed(elapsed))


def next_round(interval, took, asked):
    """How long to ask the next round to wait, so that a line comes about every ``interval`` seconds: the
    interval less what the last round took beyond what it was asked (start-up, logon, last look), capped."""
    overhead = min(max(0.0, took - asked), interval / 2.0)
    return max(MIN_ROUND, interval - overhead)


def final_result(result, warnings, deprecations, changed):
    """The last round's result, with the warnings and deprecations of the earlier rounds before its own, and
    changed when an earlier round changed something (a round that failed does not know that)."""
    if warnings:
        result['warnings'] = list(warnings) + list(result.get('warnings') or [])
    if deprecations:
        result['deprecations'] = list(deprecations) + list(result.get('deprecations') or [])
    if changed and not result.get('changed'):
        result['changed'] = True
    return result


class WaitingAction(ActionBase):
    """Base of the action plugins of waiting modules. The module takes the internal option ``_veeam_progress``
    and has the wait options (``module_utils/_wait.py``); a subclass gives the module's default of ``wait``
    (``WAIT_DEFAULT``), and says when a task waits where that is more than ``wait`` being true (``waits``)."""

    _supports_check_mode = True
    _supports_async = True

    # what the lines call one entry of the module's ``watch``
    NOUN = 'job'
    # the module's default of wait (its wait_default)
    WAIT_DEFAULT = False

    def waits(self, args):
        """Whether a task with these (templated) arguments waits for runs: when its ``wait`` is true."""
        return self.wait_option(args)

    def wait_option(self, args):
        """The task's ``wait``, or the module's default; TypeError or ValueError when it is not a boolean."""
        return check_type_bool(args.get('wait', self.WAIT_DEFAULT))

    def run(self, tmp=None, task_vars=None):
        result = super(WaitingAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        if PROGRESS_OPTION in self._task.args:
            raise AnsibleActionFail('%s is internal to the collection (its action plugins set it); do not set it'
                                    % PROGRESS_OPTION)
        interval = None
        if not self._task.async_val and not self._task.check_mode:
            interval = self._progress_interval(self._task.args)
        if interval is None:
            # not waiting, check mode, or the task's own async: what the normal action plugin does
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        result = merge_hash(result, self._rounds(task_vars, interval))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _progress_interval(self, args):
        """The seconds between two progress lines when the task waits, else None. An argument that is not valid
        gives None too: the module, run once, then refuses it with its usual message."""
        try:
            if not self.waits(args):
                return None
            interval = args.get('progress_interval')
            interval = PROGRESS_INTERVAL if interval is None else check_type_int(interval)
        except (TypeError, ValueError):
            return None
        return interval if interval > 0 else None

    def _rounds(self, task_vars, interval):
        host = task_vars.get('inventory_hostname', 'localhost')
        began = time.monotonic()
        state, asked, announced = None, float(interval), set()
        warnings, deprecations, changed = [], [], False
        while True:
            args = dict(self._task.args)
            args[PROGRESS_OPTION] = {'interval': asked, 'state': state}
            started = time.monotonic()
            result = self._execute_module(module_args=args, task_vars=task_vars)
            took = time.monotonic() - started
            progress = result.pop(PROGRESS_OPTION, None)
            if progress is None or result.get('failed'):
                if state is not None and result.get('failed'):
                    result['msg'] = '%s (while following the runs started or found %s ago; they go on on the server)' % (
                        result.get('msg', 'the module failed'), format_elapsed(time.monotonic() - began))
                return final_result(result, warnings, deprecations, changed)
            warnings.extend(result.get('warnings') or [])
            deprecations.extend(result.get('deprecations') or [])
            changed = changed or bool(result.get('changed'))
            if self._task.no_log:
                lines = [hidden_line(host, progress['watch'], time.monotonic() - began)]
            else:
                lines = progress_lines(host, progress['watch'], time.monotonic() - began, announced, self.NOUN)
            for line in lines:
                display.display(line)
            state = progress['state']
            asked = next_round(interval, took, asked)
