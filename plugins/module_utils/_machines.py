# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machines (VMs and computers) and their restore points, on any of the three APIs: matching the names
inventories write, the machine and restore point dicts of INTERFACE.md section 2, their age, and Quick Backup
of one machine with its wait. Internal to this collection, may change without notice.

The clients supply the API-specific steps, with the same names on EM, VBR and VSPC:

- ``find_machines(name, kind, backup_server)``: the machines the server's own name filter finds for ``name``,
  one ``candidate()`` per machine (a machine that is in several backups is still one candidate);
- ``machine_state(candidate, limit, include_raw)``: its newest restore points (at most ``limit``, newest first),
  the time of its newest point, the job of that point, the machine's own last result and message, and
  ``job`` (a job dict for ``latest_session`` / ``read_session``, or None);
- ``check_quick_backup(machine)``: raise VeeamUnsupportedError, before any request, when the API or the
  server's version cannot back up this machine alone;
- ``quick_backup(machine)``: start it; ``{'task', 'session', 'job'}`` (``session`` None where the API answers
  with the job only: the run is then looked for).

Name matching is done here, once: without regard to case; a dotted name that matches nothing is tried again
with its first label (``web01.corp.example`` finds the VM ``web01``); several matches fail, listing them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAmbiguousError,
    VeeamError,
    VeeamHTTPError,
    VeeamNotFoundError,
    VeeamTaskError,
    VeeamUnsupportedError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC, format_time, parse_time

KINDS = ('vm', 'computer', 'any')
MACHINE_KEYS = ('item', 'name', 'protected', 'kind', 'platform', 'backup_server_id', 'backup_server_name',
                'restore_points', 'latest_restore_point_time', 'age', 'job_id', 'job_name', 'last_result',
                'last_message')
RESTORE_POINT_KEYS = ('id', 'creation_time', 'type', 'job_id', 'job_name', 'backup_id')
# names looked up at once when the module is given several
LOOKUP_WORKERS = 8
# after a run that ended well, how long to look for its restore point (EM shows it after its next collection)
NEW_POINT_GRACE = 120
_IPV4 = re.compile(r'^\d{1,3}(?:\.\d{1,3}){3}$')


# -- the dicts ---------------------------------------------------------------------------------
def candidate(name, kind, platform=None, backup_server_id=None, backup_server_name=None, ref=None):
    """A machine a client found: what every API tells at once, and ``_ref``, the client's own data about it."""
    return {'name': name, 'kind': kind, 'platform': platform, 'backup_server_id': backup_server_id,
            'backup_server_name': backup_server_name, '_ref': ref if ref is not None else {}}


def restore_point(point_id, creation_time, point_type=None, job_id=None, job_name=None, backup_id=None, raw=None):
    """A restore point dict; ``raw`` (the server's representation) is kept only when it is given."""
    point = {'id': point_id, 'creation_time': creation_time, 'type': point_type, 'job_id': job_id,
             'job_name': job_name, 'backup_id': backup_id}
    if raw is not None:
        point['raw'] = raw
    return point


def machine_state(restore_points=None, latest=None, job_id=None, job_name=None, last_result=None, last_message=None,
                  job=None, platform=None, raw=None):
    """What a client's ``machine_state`` returns. ``latest`` defaults to the newest of ``restore_points``."""
    points = sorted(restore_points or [], key=lambda point: point['creation_time'] or '', reverse=True)
    return {'restore_points': points, 'latest': latest or (points[0]['creation_time'] if points else None),
            'job_id': job_id, 'job_name': job_name, 'last_result': last_result, 'last_message': last_message,
            'job': job, 'platform': platform, 'raw': raw}


def unknown_machine(item):
    """The answer for a name that matches no machine: not a failure, an unprotected machine."""
    machine = dict((key, None) for key in MACHINE_KEYS)
    machine.update(item=item, protected=False, restore_points=[])
    return machine


def public(machine):
    """The machine dict without the private keys the module keeps while it works (``_candidate``, ``_job``)."""
    return dict((key, value) for key, value in machine.items() if not key.startswith('_'))


def describe(found):
    """``db01 (vm, VMware) on vbr-prod-01.corp.example``"""
    kind = ', '.join(word for word in (found['kind'], found['platform']) if word)
    server = found['backup_server_name'] or found['backup_server_id'] or 'an unknown backup server'
    return '%s (%s) on %s' % (found['name'], kind, server)


def name_variants(item):
    """The names to look for, in turn: the name as given, then, for a dotted host name (not an address), its first
    label."""
    text = (item or '').strip()
    names = [text]
    if '.' in text.strip('.') and not _IPV4.match(text):
        short = text.split('.', 1)[0]
        if short:
            names.append(short)
    return names


def age_of(time_text, now):
    """Whole seconds from ``time_text`` (UTC ISO) to ``now``; 0 for a time ahead of this clock, None without a time."""
    moment = parse_time(time_text)
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds()))


def is_newer(after, before):
    """Whether the machine ``after`` has a newer restore point than the machine ``before``."""
    return (after['latest_restore_point_time'] or '') > (before['latest_restore_point_time'] or '')


# -- looking machines up -----------------------------------------------------------------------
class Machines:
    """Finds the one machine each name means, and reads its state, on a logged-on client."""

    def __init__(self, client, kind='any', backup_server=None, since=None, limit=1, include_raw=False, now=None):
        self.client = client
        self.kind = kind
        self.backup_server = backup_server
        self.since = format_time(since) if isinstance(since, datetime.datetime) else since
        self.limit = limit
        self.include_raw = include_raw
        self.now = now or (lambda: datetime.datetime.now(UTC))

    def find(self, item):
        """The candidate ``item`` names, or None when it names no machine; several fail, listing them."""
        for name in name_variants(item):
            wanted = name.lower()
            found = [found for found in self.client.find_machines(name, self.kind, self.backup_server)
                     if (found['name'] or '').lower() == wanted]
            if len(found) > 1:
                raise VeeamAmbiguousError('%r matches %d machines: %s; give backup_server (or kind) to choose one'
                                          % (item, len(found), '; '.join(describe(each) for each in found)))
            if found:
                return found[0]
        return None

    def read(self, item, found):
        """The machine dict of a candidate, as the server has it now."""
        state = self.client.machine_state(found, self.limit, self.include_raw)
        latest = state['latest']
        points = [point for point in state['restore_points']
                  if not self.since or (point['creation_time'] or '') >= self.since][:self.limit]
        machine = {
            'item': item,
            'name': found['name'],
            'protected': latest is not None and (not self.since or latest >= self.since),
            'kind': found['kind'],
            'platform': state['platform'] or found['platform'],
            'backup_server_id': found['backup_server_id'],
            'backup_server_name': found['backup_server_name'],
            'restore_points': points,
            'latest_restore_point_time': latest,
            'age': age_of(latest, self.now()),
            'job_id': state['job_id'],
            'job_name': state['job_name'],
            'last_result': state['last_result'],
            'last_message': state['last_message'],
            '_candidate': found,
            '_job': state['job'],
        }
        if self.include_raw:
            machine['raw'] = state['raw']
        return machine

    def refresh(self, machine):
        """The same machine read again."""
        return self.read(machine['item'], machine['_candidate'])

    def lookup(self, item):
        found = self.find(item)
        return unknown_machine(item) if found is None else self.read(item, found)

    def lookup_all(self, items):
        """One machine dict per name, in the order given, the names looked up at once. Names that match several
        machines fail together, after every name was looked up."""
        def one(item):
            try:
                return self.lookup(item), None
            except VeeamAmbiguousError as error:
                return None, error
        if len(items) > 1:
            with ThreadPoolExecutor(max_workers=min(LOOKUP_WORKERS, len(items))) as pool:
                outcomes = list(pool.map(one, items))
        else:
            outcomes = [one(item) for item in items]
        errors = [error.message for dummy, error in outcomes if error is not None]
        if errors:
            raise VeeamAmbiguousError('; '.join(errors))
        return [machine for machine, dummy in outcomes]


# -- Quick Backup ------------------------------------------------------------------------------
def whole_job_advice(machine):
    """What to use instead of a quick backup: the whole job, named when known."""
    job = ("its job %r" % machine['job_name']) if machine.get('job_name') else 'the job that protects it'
    return ('to back up %r now, start %s with backupops.veeam.veeam_job_action (action: start%s), which backs up '
            'every machine of that job' % (machine['name'], job, ', agent: true' if machine['kind'] == 'computer' else ''))


class QuickBackup:
    """Backs up one machine now through Veeam's Quick Backup, waits for the run, and reads the machine again.

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

    def __init__(self, client, machines, wait=True, wait_timeout=3600, poll_interval=5, fail_on_warning=False,
                 check_mode=False, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.machines = machines
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.fail_on_warning = fail_on_warning
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        # imported here: a lookup alone does not need them (AnsiballZ ships sources, each import is a compile)
        from ansible_collections.backupops.veeam.plugins.module_utils._actions import JobActions, _Pending
        self.runs = JobActions(client, 'start', wait=wait, wait_timeout=wait_timeout, poll_interval=poll_interval,
                               fail_on_warning=fail_on_warning, check_mode=check_mode, sleep=sleep, clock=clock)
        self._round_over = _Pending

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
        return self._go(result, self.clock() + self.wait_timeout, None)

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
            if result['session'] is None and self.wait and job is not None:
                # the API answered with the job only: its new run is the one that began after the run before
                result['session'] = self.runs.find_run(job, previous, deadline, result)
            if not self.wait or result['session'] is None:
                result['msg'] = 'quick backup of %r started%s' % (name, via)
                return result
            if result['session']['running']:
                result['session'] = self.runs.await_run(job, result['session'], deadline, result)
            after = self._after_run(machine, result['session'], deadline, result)
        except self._round_over as pending:
            self.runs._pending(result, pending)
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
                if not self.wait:
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
            now = self.client.latest_session(job) if job and self.wait else None
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
            self.sleep(min(self.poll_interval, 5))

    def _judge(self, result, after, session, via):
        from ansible_collections.backupops.veeam.plugins.module_utils._actions import run_verdict
        message = after['last_message'] or session['failure_message']
        verdict = run_verdict(session, self.fail_on_warning)
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
