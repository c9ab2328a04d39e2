# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What veeam_job_action does, on any of the three APIs: pick the jobs, read their state, act only on a
difference, find and wait for the run. Internal to this collection, may change without notice.

The clients supply the API-specific steps: ``find_jobs``, ``read_job``, ``latest_session``,
``read_session`` and ``act``. ``act`` returns ``{'task': ..., 'session': ...}``: the EM task that
carried the action (else None), and the session the action started or acts on when the API says
which (VBR answers a start with its session; EM and VSPC do not, so the run is looked for).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAmbiguousError,
    VeeamError,
    VeeamNotFoundError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import apply_last_session
from ansible_collections.backupops.veeam.plugins.module_utils._parse import close_words, guid_of, is_guid

RUN_ACTIONS = ('start', 'retry', 'stop')
SCHEDULE_ACTIONS = ('enable', 'disable')
# how long to look for the session a start created when not waiting (EM shows it after a collection lag)
FIND_SESSION_TIMEOUT = 120
FIND_SESSION_INTERVAL = 1.0
# more targets than this are resolved from one listing instead of one query each
RESOLVE_ONE_BY_ONE = 3


def _is_id(value):
    return is_guid(value) or str(value).lower().startswith('urn:veeam:')


def _describe(job):
    return '%s on %s' % (job['id'], job['backup_server_name'] or job['backup_server_id'] or 'an unknown server')


def resolve_targets(client, targets, agent=False, backup_server=None):
    """The one job each target (a name or an id) names. Raises before any change when a target
    matches no job or several, or when two targets name the same job, listing every such problem."""
    everything = None
    if len(targets) > RESOLVE_ONE_BY_ONE:
        everything = client.find_jobs(agent=agent, backup_server=backup_server)

        def lookup(target):
            if _is_id(target):
                wanted = (guid_of(target) or target).lower()
                return [job for job in everything if (job['id'] or '').lower() == wanted]
            return [job for job in everything if job['name'] == target]
    else:
        def lookup(target):
            if _is_id(target):
                return client.find_jobs(agent=agent, job_id=target, backup_server=backup_server)
            return client.find_jobs(agent=agent, name=target, backup_server=backup_server)

    kind = 'agent job' if agent else 'job'
    where = ' on backup server %r' % backup_server if backup_server else ''
    jobs, missing, ambiguous, seen = [], [], [], {}
    for target in targets:
        found = lookup(target)
        if not found:
            missing.append('%r matches no %s%s%s' % (target, kind, where, close_names(target, everything)))
        elif len(found) > 1:
            ambiguous.append('%r matches %d %ss (%s); give backup_server or the id'
                             % (target, len(found), kind, '; '.join(_describe(job) for job in found)))
        else:
            job = found[0]
            if job['id'] in seen:
                ambiguous.append('%r and %r are the same %s (%s)' % (seen[job['id']], target, kind, job['id']))
            seen[job['id']] = target
            jobs.append(job)
    if missing or ambiguous:
        error = VeeamAmbiguousError if ambiguous else VeeamNotFoundError
        raise error('nothing was changed: ' + '; '.join(missing + ambiguous))
    return jobs


def close_names(target, jobs):
    """`` (did you mean 'A', 'B'?)`` for up to three names of ``jobs`` close to ``target``; '' when none is, or when
    no listing was read (a lookup by name reads only what matches it, and a miss costs no extra request)."""
    if not jobs or _is_id(target):
        return ''
    found = close_words(target, sorted(set(job['name'] for job in jobs)), cutoff=0.6)
    return ' (did you mean %s?)' % ', '.join(repr(name) for name in found) if found else ''


class Pending(Exception):
    """A round's time is up (``JobActions.until``) while a run goes on or is not visible yet: the job's result is
    handed back pending (``JobActions.mark_pending``), to be followed by ``JobActions.follow`` in the module's next
    round."""

    def __init__(self, deadline, previous=None):
        super(Pending, self).__init__('pending')
        self.deadline = deadline
        self.previous = previous


def _is_new(session, previous):
    """Whether ``session`` is a run that started after ``previous`` (the latest run before the action)."""
    if session is None:
        return False
    if previous is None:
        return True
    if session['id'] and previous['id']:
        return session['id'] != previous['id']
    return session['creation_time'] != previous['creation_time'] or (session['running'] and not previous['running'])


def run_verdict(session, fail_on_warning=False):
    """How an ended run is judged: ``failed`` (it ended Failed, or Warning with ``fail_on_warning``), ``warning``
    or ``ok``."""
    ended = session['result']
    if ended == 'Failed' or (ended == 'Warning' and fail_on_warning):
        return 'failed'
    return 'warning' if ended == 'Warning' else 'ok'


class JobActions:
    """Runs one action on jobs, each job from reading its state to the end of its run; ``waiting`` (a
    ``WaitSettings``) says whether and how a run is waited for (only for start, retry and stop).

    ``until`` (a time on ``clock``, None by default) ends the wait early for a round of the progress action
    plugin: a run still going then is returned pending (``result['pending']``: the seconds left of its
    wait_timeout, and the run before the action while the new one is not visible yet), and a later module
    call goes on with ``follow``, which only reads.
    """

    def __init__(self, client, action, waiting, check_mode=False, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.action = action
        self.waiting = waiting
        self.wait = waiting.wait and action in RUN_ACTIONS
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.until = None

    def run_all(self, jobs, parallel=1):
        """One result per job, in the order given; up to ``parallel`` jobs are worked on at once."""
        return self.client.side_by_side(self.run, jobs, workers=max(1, parallel))

    def run(self, job):
        """The result dict for one job: changed, failed, msg, job, session, task (and diff, warnings)."""
        result = {'changed': False, 'failed': False, 'msg': '', 'job': job, 'session': None, 'task': None,
                  'warnings': []}
        try:
            if self.action in SCHEDULE_ACTIONS:
                self._schedule(job, result)
            else:
                self._run_action(job, result)
        except Pending as pending:
            self.mark_pending(result, pending)
        except VeeamError as error:
            self._fail(job, result, error)
        return result

    def follow(self, result):
        """Go on with a run that an earlier round started or found and returned pending: look for it while it is
        not visible yet, wait for it, judge it. Never acts: nothing is started, stopped or retried again."""
        pending = result.pop('pending')
        job = result['job']
        deadline = self.clock() + pending['remaining']
        try:
            if result['session'] is None:
                result['session'] = self._find_new_session(job, pending['previous'], deadline, result)
            self._finish(job, result, deadline)
        except Pending as again:
            self.mark_pending(result, again)
        except VeeamError as error:
            self._fail(job, result, error)
        return result

    def mark_pending(self, result, pending):
        """Hand ``result`` on to the next round: its run goes on (``pending``, a ``Pending``)."""
        result['pending'] = {'remaining': max(0.0, pending.deadline - self.clock()), 'previous': pending.previous}

    def _fail(self, job, result, error):
        message = error.message
        roles = self.client.roles_for(self.action) if error.status == 403 else None
        if roles:
            message = '%s. To %s a job, the account needs the role %s' % (message.rstrip().rstrip('.'), self.action, roles)
        result.update(failed=True, msg='job %r: %s' % (job['name'], message))
        for key, value in error.result().items():
            if result.get(key) is None:
                result[key] = value

    # -- enable / disable -------------------------------------------------------------------------
    def _schedule(self, job, result):
        wanted = self.action == 'enable'
        before = job['schedule_enabled']
        if job['schedule_configured'] is False:  # both directions alike, so a maintenance window's "on" step passes
            wanted = before
            result['msg'] = 'job %r has no schedule configured: nothing to %s' % (job['name'], self.action)
            result['warnings'].append(result['msg'])
        result['diff'] = {'before': {'schedule_enabled': before}, 'after': {'schedule_enabled': wanted},
                          'before_header': job['name'], 'after_header': job['name']}
        if before == wanted:
            result['msg'] = result['msg'] or 'job %r: schedule already %s' % (job['name'],
                                                                              'enabled' if wanted else 'disabled')
            return
        result['changed'] = True
        if self.check_mode:
            result['msg'] = 'job %r: schedule would be %s' % (job['name'], 'enabled' if wanted else 'disabled')
            return
        result['task'] = self.client.act(job, self.action)['task']
        after = self.client.read_job(job)
        result['job'] = after
        if after['schedule_enabled'] != wanted:
            raise VeeamError('the schedule is still %s after the change was accepted'
                             % ('enabled' if after['schedule_enabled'] else 'disabled'))
        result['msg'] = 'job %r: schedule %s' % (job['name'], 'enabled' if wanted else 'disabled')

    # -- start / retry / stop ---------------------------------------------------------------------
    def _run_action(self, job, result):
        deadline = self.clock() + self.waiting.wait_timeout
        latest = self.client.latest_session(job)
        running = bool(latest and latest['running'])
        name = job['name']
        if self.action == 'start' and running:
            result['session'] = latest
            result['msg'] = 'job %r is already running; its current run was not started again' % name
        elif self.action == 'retry' and (running or not latest or latest['result'] not in ('Failed', 'Warning')):
            result['session'] = latest
            result['msg'] = 'job %r: nothing to retry, the latest run %s' % (
                name, 'is still running' if running else 'ended %s' % latest['result'] if latest else 'does not exist')
        elif self.action == 'stop' and not running:
            result['session'] = latest
            result['msg'] = 'job %r is not running' % name
        elif self.check_mode:
            result['changed'] = True
            result['session'] = latest if self.action == 'stop' else None
            result['msg'] = 'job %r would be %s' % (name, {'start': 'started', 'retry': 'retried', 'stop': 'stopped'}[self.action])
            return
        else:
            result['changed'] = True  # from here on a change was sent, whatever happens next
            outcome = self.client.act(job, self.action)
            result['task'] = outcome['task']
            result['msg'] = 'job %r %s' % (name, {'start': 'started', 'retry': 'retried', 'stop': 'stopped'}[self.action])
            if outcome['session'] is not None:
                result['session'] = outcome['session']
            elif self.action == 'stop':
                result['session'] = latest
            else:
                result['session'] = self._find_new_session(job, latest, deadline, result)
        self._finish(job, result, deadline)

    def _finish(self, job, result, deadline):
        """Wait for the run (with ``wait``), then put it on the job and judge it."""
        if self.wait and result['session'] is not None and result['session']['running'] and not self.check_mode:
            result['session'] = self._await(job, result['session'], deadline, result)
        if result['session'] is not None:
            result['job'] = apply_last_session(dict(job), result['session'])
        if self.wait and self.action != 'stop' and result['session'] is not None:
            self._judge(result)

    def _find_new_session(self, job, previous, deadline, result):
        """The run the action created; EM shows it only after collecting it from the backup server."""
        limit = deadline if self.wait else min(deadline, self.clock() + FIND_SESSION_TIMEOUT)
        while True:
            session = self.client.latest_session(job)
            if _is_new(session, previous):
                return session
            if self.clock() >= limit:
                if self.wait:
                    raise VeeamError('was %s, but its run did not appear within %s seconds (wait_timeout)'
                                     % ('retried' if self.action == 'retry' else 'started', self.waiting.wait_timeout))
                result['warnings'].append('job %r was %s, but the server did not show its run within %s seconds'
                                          % (job['name'], self.action == 'retry' and 'retried' or 'started',
                                             FIND_SESSION_TIMEOUT))
                return None
            if self._round_over():
                raise Pending(deadline, previous)
            self.sleep(self._pause(min(FIND_SESSION_INTERVAL, self.waiting.poll_interval)))

    def _await(self, job, session, deadline, result):
        while session['running']:
            if self.clock() >= deadline:
                result['session'] = session
                raise VeeamError('still %s after %s seconds (wait_timeout); last state %s, %s%% done'
                                 % ('running' if self.action != 'stop' else 'stopping', self.waiting.wait_timeout,
                                    session['state'], session['progress'] if session['progress'] is not None else '?'))
            if self._round_over():
                result['session'] = session
                raise Pending(deadline)
            self.sleep(self._pause(self.waiting.poll_interval))
            session = self.client.read_session(job, session) or session
        return session

    def _round_over(self):
        return self.until is not None and self.clock() >= self.until

    def _pause(self, seconds):
        """``seconds``, or less when the round ends sooner: its last look is then taken right at its end."""
        if self.until is None:
            return seconds
        return max(0, min(seconds, self.until - self.clock()))

    def _judge(self, result):
        session, name = result['session'], result['job']['name']
        ended = session['result']
        detail = ': %s' % session['failure_message'] if session['failure_message'] else ''
        verdict = run_verdict(session, self.waiting.fail_on_warning)
        if verdict == 'failed':
            result['failed'] = True
            result['msg'] = 'job %r: the run ended %s%s' % (name, ended, detail)
        elif verdict == 'warning':
            result['warnings'].append('job %r: the run ended with a warning%s' % (name, detail))
            result['msg'] += '; the run ended Warning'
        else:
            result['msg'] += '; the run ended %s' % ended

    # -- for other actions that start a job's run (veeam_quick_backup) -------------------------------
    def find_run(self, job, previous, deadline, result):
        """The run of ``job`` that began after ``previous``: what was started, where the API does not say."""
        return self._find_new_session(job, previous, deadline, result)

    def await_run(self, job, session, deadline, result):
        """``session`` of ``job`` once it has ended; fails when ``deadline`` passes first."""
        return self._await(job, session, deadline, result)
