# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quick Backup of one machine with its wait, on any of the three APIs, on top of ``_machines`` (the lookup) and
``_actions`` (the waiting). Apart from ``_machines`` so that a module that only looks machines up does not ship
the waiting code: AnsiballZ packs every module_utils file an import names. Internal to this collection, may change
without notice."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.backupops.veeam.plugins.module_utils._actions import JobActions, Pending, run_verdict
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamError,
    VeeamHTTPError,
    VeeamNotFoundError,
    VeeamTaskError,
    VeeamUnsupportedError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._machines import public

# after a run that ended well, how long to look for its restore point (EM shows it after its next collection)
NEW_POINT_GRACE = 120


def is_newer(after, before):
    """Whether the machine ``after`` has a newer restore point than the machine ``before``."""
    return (after['latest_restore_point_time'] or '') > (before['latest_restore_point_time'] or '')


def whole_job_advice(machine):
    """What to use instead of a quick backup: the whole job, named when known."""
    job = ("its job %r" % machine['job_name']) if machine.get('job_name') else 'the job that protects it'
    return ('to back up %r now, start %s with backupops.veeam.veeam_job_action (action: start%s), which backs up '
            'every machine of that job' % (machine['name'], job, ', agent: true' if machine['kind'] == 'computer' else ''))


class QuickBackup:
    """Backs up one machine now through Veeam's Quick Backup, waits for the run, and reads the machine again;
    ``waiting`` (a ``WaitSettings``) says whether and how.

    The run is found, followed and judged with JobActions' own waiting, as a job's run is. A run of the machine's
    job that is already going on is waited for first (Veeam refuses a quick backup while its job runs): when that
    run gave the machine a new restore point, no quick backup is started.

    Waiting in rounds (the progress action plugin, ``_progress.run_round``): ``until`` ends a round; a backup still
    going on is then returned pending, and ``follow`` goes on with it in the next round. What the rounds hand on
    is the result dict, with ``job`` (``name``: the machine, for the progress lines) and ``quick`` (the machine as
    looked up, the job of the run, and whether the quick backup was started). A later round starts the quick backup
    only when no earlier round did (it was still waiting for a run of the job that was going on), so it is never
    started twice.
    """

    def __init__(self, client, machines, waiting, check_mode=False, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.machines = machines
        self.waiting = waiting
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.runs = JobActions(client, 'start', waiting, check_mode=check_mode, sleep=sleep, clock=clock)

    @property
    def until(self):
        return self.runs.until

    @until.setter
    def until(self, value):
        self.runs.until = value  # JobActions' waiting ends the round

    def check(self, machine):
        """Everything that can be known before anything is started: the machine exists, has a restore point to add
        to, and the API and server can back it up alone."""
        if machine['name'] is None:
            raise VeeamNotFoundError(
                'nothing was started: no machine named %r has backups on the server%s; a quick backup adds an '
                'increment to an existing backup chain, so the machine must have been backed up by its job before'
                % (machine['item'], ' (kind %s)' % self.machines.kind if self.machines.kind != 'any' else ''))
        if machine['latest_restore_point_time'] is None:
            raise VeeamNotFoundError(
                'nothing was started: %r has no restore point yet, and a quick backup needs an existing full backup '
                'to add to; %s' % (machine['name'], whole_job_advice(machine)))
        try:
            self.client.check_quick_backup(machine)
        except VeeamUnsupportedError as error:
            raise VeeamUnsupportedError('nothing was started: %s; %s' % (error.message, whole_job_advice(machine)))

    def run(self, target):
        """The result dict for a machine name (or ``{'name': ...}``): changed, failed, msg, machine (public keys),
        session, task, warnings; and ``pending`` while a round ended before the run did."""
        item = target['name'] if isinstance(target, dict) else target
        machine = self.machines.lookup(item)
        result = {'changed': False, 'failed': False, 'msg': '', 'machine': public(machine), 'session': None,
                  'task': None, 'warnings': [], 'job': {'name': machine['name'] or item}}
        try:
            self.check(machine)
        except VeeamError as error:
            error.details.setdefault('machine', public(machine))
            raise
        if self.check_mode:
            result.update(changed=True, msg='%r would be backed up now (quick backup%s)'
                          % (machine['name'], ' through job %r' % machine['job_name'] if machine['job_name'] else ''))
            return result
        result['quick'] = {'machine': machine, 'job': machine['_job'], 'started': False}
        return self._go(result, self.clock() + self.waiting.wait_timeout, None)

    def follow(self, result):
        """Go on with a quick backup an earlier round returned pending."""
        pending = result.pop('pending')
        return self._go(result, self.clock() + pending['remaining'], pending['previous'])

    def _go(self, result, deadline, previous):
        quick = result['quick']
        machine = quick['machine']
        name = machine['name']
        try:
            if not quick['started']:
                previous = self._start(result, deadline)
                if not quick['started']:
                    return result  # a run that was going on already gave it a new restore point
            job = quick['job']
            via = ' through job %r' % job['name'] if job and job.get('name') else ''
            if result['session'] is None and self.waiting.wait and job is not None:
                # the API answered with the job only: its new run is the one that began after the run before
                result['session'] = self.runs.find_run(job, previous, deadline, result)
            if not self.waiting.wait or result['session'] is None:
                result['msg'] = 'quick backup of %r started%s' % (name, via)
                return result
            if result['session']['running']:
                result['session'] = self.runs.await_run(job, result['session'], deadline, result)
            after = self._after_run(machine, result['session'], deadline, result)
        except Pending as pending:
            self.runs.mark_pending(result, pending)
            return result
        except VeeamError as error:
            result['failed'] = True
            result['msg'] = 'quick backup of %r: %s' % (name, error.message)
            for key, value in error.result().items():
                if result.get(key) is None:
                    result[key] = value
            return result
        result['machine'] = public(after)
        self._judge(result, after, result['session'], via)
        return result

    def _start(self, result, deadline):
        """Start the quick backup once no run of its job is going on, and return the run before it. When the run that
        was going on gave the machine a new restore point, nothing is started (``quick['started']`` stays false)."""
        quick = result['quick']
        machine, job = quick['machine'], quick['job']
        while True:
            previous = self.client.latest_session(job) if job else None
            if previous is not None and previous['running']:
                if not self.waiting.wait:
                    raise VeeamError('nothing was started: its job %r is running, and Veeam refuses a quick backup while '
                                     'the job runs; try again when it has ended, or with wait: true' % job['name'])
                result['msg'] = 'waiting for the run of its job %r that is going on' % job['name']
                quick['waited'] = True
                previous = self.runs.await_run(job, previous, deadline, result)
            if quick.pop('waited', False):
                after = self.machines.refresh(machine)
                if is_newer(after, quick['machine']):
                    result.update(machine=public(after), session=previous,
                                  msg='%r was backed up by the run of its job %r that was going on; no quick backup '
                                      'was started' % (machine['name'], job['name']))
                    return None
                result['session'] = None
                machine = after
            try:
                outcome = self.client.quick_backup(machine)
            except (VeeamHTTPError, VeeamTaskError) as error:
                refused = error
            else:
                quick.update(started=True, job=outcome['job'] or job)
                result.update(changed=True, task=outcome['task'], session=outcome['session'])
                return previous
            # a run of the job may have begun between the look and the request (another host's quick backup, say):
            # the refusal started nothing, so wait for that run and ask again
            now = self.client.latest_session(job) if job and self.waiting.wait else None
            if now is None or not now['running'] or self.clock() >= deadline:
                raise VeeamError('the server refused it, nothing was started: %s' % refused.message,
                                 status=refused.status, server_message=refused.server_message,
                                 details=refused.details)

    def _after_run(self, machine, session, deadline, result):
        """The machine after its run; after a run that ended well, until its new restore point shows (for a while)."""
        grace = min(deadline, self.clock() + NEW_POINT_GRACE)
        while True:
            after = self.machines.refresh(machine)
            if session['result'] not in ('Success', 'Warning') or is_newer(after, machine):
                return after
            if self.clock() >= grace:
                result['warnings'].append(
                    'the quick backup of %r ended %s, but no newer restore point is visible yet (newest: %s); '
                    'Enterprise Manager and VSPC show new points after their next collection'
                    % (machine['name'], session['result'], after['latest_restore_point_time']))
                return after
            self.sleep(min(self.waiting.poll_interval, 5))

    def _judge(self, result, after, session, via):
        message = after['last_message'] or session['failure_message']
        verdict = run_verdict(session, self.waiting.fail_on_warning)
        detail = ': %s' % message if message and session['result'] in ('Warning', 'Failed') else ''
        if verdict == 'failed':
            result['failed'] = True
            result['msg'] = 'quick backup of %r%s ended %s%s' % (after['name'], via, session['result'], detail)
            return
        if verdict == 'warning':
            result['warnings'].append('the quick backup of %r ended with a warning%s' % (after['name'], detail))
        result['msg'] = 'quick backup of %r%s ended %s; newest restore point %s' % (
            after['name'], via, session['result'], after['latest_restore_point_time'])


def final_result(result):
    """The quick backup's result as the module returns it: without what only the rounds need."""
    return dict((key, value) for key, value in result.items() if key not in ('job', 'quick', 'pending'))
