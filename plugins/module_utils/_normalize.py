# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The normalized job and session dicts (INTERFACE.md section 2), built from any of the three APIs.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    ci_get,
    dig,
    em_link,
    guid_of,
    to_bool,
    to_int,
    to_text,
    utc_time,
)

JOB_KEYS = ('id', 'uid', 'name', 'type', 'platform', 'description', 'backup_server_id', 'backup_server_name',
            'schedule_configured', 'schedule_enabled', 'next_run', 'last_run', 'last_result', 'running')
SESSION_KEYS = ('id', 'name', 'job_id', 'job_name', 'job_type', 'state', 'result', 'running', 'progress',
                'creation_time', 'end_time', 'failure_message', 'is_retry')

RESULTS = ('Success', 'Warning', 'Failed')
# VSPC job statuses that mean a run is under way, and the session state each stands for
VSPC_RUNNING_STATES = {
    'Running': 'Working',
    'WaitingRepository': 'Working',
    'WaitingTape': 'Working',
    'Starting': 'Starting',
    'Stopping': 'Stopping',
}


def uid_id(uid):
    """The id part of an EM UID: the GUID, or whatever follows the last colon."""
    if not uid:
        return None
    return guid_of(uid) or uid.rsplit(':', 1)[-1]


def apply_last_session(job, session):
    """Fill a job's last_run / last_result / running from its latest session dict (or None)."""
    if session is None:
        return job
    job['last_run'] = session['creation_time']
    job['running'] = session['running']
    job['last_result'] = session['result'] if session['result'] in RESULTS else None
    return job


def em_job(entity, include_raw=False):
    """A job dict from an EM ``Job`` or ``AgentBackupJob`` entity (XML or JSON form)."""
    uid = to_text(ci_get(entity, 'UID'))
    server = em_link(entity, 'Up', 'BackupServerReference') or {}
    job = {
        'id': uid_id(uid),
        'uid': uid,
        'name': to_text(ci_get(entity, 'Name')),
        'type': to_text(ci_get(entity, 'JobType')),
        'platform': to_text(ci_get(entity, 'Platform')),
        'description': to_text(ci_get(entity, 'Description')),
        'backup_server_id': guid_of(ci_get(server, 'Href')),
        'backup_server_name': to_text(ci_get(server, 'Name')),
        'schedule_configured': to_bool(ci_get(entity, 'ScheduleConfigured')),
        'schedule_enabled': to_bool(ci_get(entity, 'ScheduleEnabled')),
        'next_run': utc_time(ci_get(entity, 'NextRun')),
        'last_run': None,
        'last_result': None,
        'running': None,
    }
    if include_raw:
        job['raw'] = entity
    return job


def em_session(entity, include_raw=False):
    """A session dict from an EM ``BackupJobSession`` (or ``ReplicaJobSession``) entity."""
    state = to_text(ci_get(entity, 'State'))
    session = {
        'id': uid_id(to_text(ci_get(entity, 'UID'))),
        'name': to_text(ci_get(entity, 'Name')),
        'job_id': uid_id(to_text(ci_get(entity, 'JobUid'))),
        'job_name': to_text(ci_get(entity, 'JobName')),
        'job_type': to_text(ci_get(entity, 'JobType')),
        'state': state,
        'result': to_text(ci_get(entity, 'Result')),
        'running': None if state is None else state != 'Stopped',
        'progress': to_int(ci_get(entity, 'Progress')),
        'creation_time': utc_time(ci_get(entity, 'CreationTimeUTC')),
        'end_time': utc_time(ci_get(entity, 'EndTimeUTC')),
        'failure_message': to_text(ci_get(entity, 'FailureMessage')) or None,
        'is_retry': to_bool(ci_get(entity, 'IsRetry')),
    }
    if include_raw:
        session['raw'] = entity
    return session


def vspc_job(item, server_names=None, include_raw=False):
    """A job dict from a VSPC ``BackupServerJob``, or a ``BackupServerAgentJob`` with its embedded job."""
    embedded = dig(item, '_embedded', 'backupServerJob')
    agent = embedded is not None or 'osType' in item
    base = embedded if embedded is not None else item
    status = to_text(base.get('status'))
    server_id = to_text(base.get('backupServerUid'))
    schedule_type = to_text(base.get('scheduleType'))
    job = {
        'id': to_text(item.get('instanceUid') or base.get('instanceUid')),
        'uid': to_text(item.get('instanceUid') or base.get('instanceUid')),
        'name': to_text(base.get('name')),
        'type': to_text(base.get('type')),
        'platform': to_text(item.get('osType')) if agent else None,
        'description': to_text(base.get('description')),
        'backup_server_id': server_id,
        'backup_server_name': (server_names or {}).get((server_id or '').lower()),
        'schedule_configured': None if schedule_type is None else schedule_type != 'NotScheduled',
        'schedule_enabled': to_bool(base.get('isEnabled')),
        'next_run': None,
        'last_run': utc_time(base.get('lastRun')),
        'last_result': status if status in RESULTS else None,
        'running': None if status is None else status in VSPC_RUNNING_STATES,
    }
    if include_raw:
        job['raw'] = item
    return job


def vspc_session(item, include_raw=False):
    """The session dict of a VSPC job's latest run (VSPC lists no sessions), from the job as the API gives it."""
    job = vspc_job(item)
    base = dig(item, '_embedded', 'backupServerJob') or item
    status = to_text(base.get('status'))
    state = VSPC_RUNNING_STATES.get(status, 'Stopped')
    running = state != 'Stopped'
    session = {
        'id': None,
        'name': None,
        'job_id': job['id'],
        'job_name': job['name'],
        'job_type': job['type'],
        'state': state,
        'result': status if status in RESULTS else 'None',
        'running': running,
        'progress': None,
        'creation_time': utc_time(base.get('lastRun')),
        # while a run is under way, lastEndTime still tells when the previous run ended
        'end_time': None if running else utc_time(base.get('lastEndTime')),
        'failure_message': to_text(base.get('failureMessage')) or None,
        'is_retry': None,
    }
    if include_raw:
        session['raw'] = item
    return session


# VBR job statuses (EJobStatus; 1.2 writes them in lower case) that mean a run is under way
VBR_RUNNING_STATUSES = frozenset(('running', 'starting', 'stopping'))


def vbr_agent_platform(job_type):
    """``Windows`` or ``Linux`` for a VBR agent job type word, else None."""
    word = job_type or ''
    if 'Agent' not in word:
        return None
    for platform in ('Windows', 'Linux'):
        if word.startswith(platform):
            return platform
    return None


def vbr_job(state, model=None, server=None, include_raw=False):
    """A job dict from a VBR ``JobStateModel`` (``/jobs/states``) and its ``JobModel`` (``/jobs``).

    ``server`` is ``/serverInfo`` (the backup server itself), or None when the account may not read it.
    """
    model = model or {}
    status = (to_text(state.get('status')) or '').lower()
    running = None if not status else status in VBR_RUNNING_STATUSES
    last_result = to_text(state.get('lastResult'))
    schedule = model.get('schedule')
    job_type = to_text(state.get('type') or model.get('type'))
    is_disabled = to_bool(model.get('isDisabled'))
    job = {
        'id': to_text(state.get('id') or model.get('id')),
        'uid': to_text(state.get('id') or model.get('id')),
        'name': to_text(state.get('name') or model.get('name')),
        'type': job_type,
        'platform': vbr_agent_platform(job_type),
        'description': to_text(state.get('description') if state.get('description') is not None
                               else model.get('description')),
        'backup_server_id': to_text((server or {}).get('vbrId')),
        'backup_server_name': to_text((server or {}).get('name')),
        'schedule_configured': to_bool(schedule.get('runAutomatically')) if isinstance(schedule, dict) else None,
        'schedule_enabled': None if is_disabled is None else not is_disabled,
        'next_run': utc_time(state.get('nextRun')),
        'last_run': utc_time(state.get('lastRun')),
        # while a run goes on, lastResult still tells how the one before it ended (null then, as on em and vspc)
        'last_result': last_result if last_result in RESULTS and not running else None,
        'running': running,
    }
    if include_raw:
        job['raw'] = {'state': state, 'job': model or None}
    return job


def vbr_session(item, job=None, include_raw=False):
    """A session dict from a VBR ``SessionModel``; ``job`` (a job dict) gives the job's name and type."""
    state = to_text(item.get('state'))
    outcome = item.get('result') if isinstance(item.get('result'), dict) else {}
    result = to_text(outcome.get('result'))
    running = None if state is None else state != 'Stopped'
    session = {
        'id': to_text(item.get('id')),
        'name': to_text(item.get('name')),
        'job_id': to_text(item.get('jobId')),
        'job_name': (job or {}).get('name') or to_text(item.get('name')),
        'job_type': (job or {}).get('type'),
        'state': state,
        'result': result or ('None' if running else None),
        'running': running,
        'progress': to_int(item.get('progressPercent')),
        'creation_time': utc_time(item.get('creationTime')),
        'end_time': None if running else utc_time(item.get('endTime')),
        'failure_message': (to_text(outcome.get('message')) or None) if result in ('Warning', 'Failed') else None,
        'is_retry': None,
    }
    if include_raw:
        session['raw'] = item
    return session


SESSION_STATES = ('Starting', 'Working', 'Stopping', 'Pausing', 'Resuming', 'Stopped')
SESSION_RESULTS = ('Success', 'Warning', 'Failed', 'None')


def select_sessions(sessions, states=None, results=None, since=None, limit=None):
    """Sessions that match every filter, newest first, at most ``limit``.

    ``since`` is a ``2026-11-22T10:15:00Z`` string; times in that form sort as text.
    """
    selected = [
        session for session in sessions
        if (not states or session['state'] in states)
        and (not results or session['result'] in results)
        and (not since or (session['creation_time'] or '') >= since)
    ]
    selected.sort(key=lambda session: session['creation_time'] or '', reverse=True)
    return selected[:limit] if limit else selected
