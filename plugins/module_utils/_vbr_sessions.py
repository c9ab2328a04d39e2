# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VBR REST API's answer to the session step of ``_sessions``: ``/api/v1/sessions`` newest first with the
server's filters, and each listed run's task sessions and log side by side. Only ``veeam_session_info`` ships
this file (``VBRClient`` itself stays as the job modules use it).

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._normalize import RESULTS, select_sessions
from ansible_collections.backupops.veeam.plugins.module_utils._parse import format_time, guid_of, is_guid
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import (
    SessionClient,
    log_records,
    newest_first,
    ordered_tasks,
    task,
)
from ansible_collections.backupops.veeam.plugins.module_utils._vbr import PAGE_LIMIT, SESSIONS, STATES, VBRClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import vbr_job, vbr_log_record, vbr_session, vbr_task

# the session type (ESessionType) of a job type's runs, for the server's typeFilter; a job type missing here is
# filtered on the module's side only
SESSION_TYPE_OF = {
    'Backup': 'BackupJob', 'VSphereBackup': 'BackupJob', 'HyperVBackup': 'BackupJob', 'VSphereReplica': 'ReplicaJob',
    'BackupCopy': 'BackupCopyJob', 'WindowsAgentBackup': 'AgentBackup', 'LinuxAgentBackup': 'AgentBackup',
    'WindowsAgentBackupWorkstationPolicy': 'AgentPolicy', 'LinuxAgentBackupWorkstationPolicy': 'AgentPolicy',
    'WindowsAgentBackupServerPolicy': 'AgentPolicy', 'LinuxAgentBackupServerPolicy': 'AgentPolicy',
}
# the session types each revision's ESessionType has of those
REVISION_SESSION_TYPES = {False: frozenset(('BackupJob', 'ReplicaJob')),
                          True: frozenset(('BackupJob', 'ReplicaJob', 'BackupCopyJob', 'AgentBackup', 'AgentPolicy'))}
# VBR's Malware Detection events (SuspiciousActivityEventsResult), in every revision the collection supports
MALWARE_EVENTS = '/api/v1/malwareDetection/events'
# the task sessions and logs of this many runs are read at once
DETAIL_WORKERS = 8


class VBRSessionClient(SessionClient, VBRClient):
    """A VBR REST API logon that also answers ``find_sessions``."""

    def find_sessions(self, job_id=None, job_name=None, types=None, states=None, results=None, since=None,
                      limit=100, include_tasks=False, include_log=False, include_raw=False):
        """The jobs' names and types (``/jobs/states``, read while the first page of sessions is asked for), then
        ``/api/v1/sessions`` newest first with ``jobIdFilter``, ``typeFilter``, ``stateFilter``, ``resultFilter`` and
        ``createdAfterFilter`` where they apply, one request a page and no page after ``limit`` sessions of jobs are
        in; then each listed run's ``taskSessions`` and ``logs``, DETAIL_WORKERS runs at a time."""
        self.warn_unknown_types(types, self.revision.type_words(False) | self.revision.type_words(True))
        if job_id:
            job_id = guid_of(job_id) or job_id
            if not is_guid(job_id):
                return []
        jobs = self.in_advance(self._job_index, job_id, job_name)
        wanted = set(self.revision.job_type_word(word) for word in types or ())
        params = self._filters(job_id, types, states, results, since)
        if job_name and not job_id:
            named = jobs.result()
            if not named:
                return []
            if len(named) == 1:
                params['jobIdFilter'] = next(iter(named.values()))['id']
        page_size = min(limit, PAGE_LIMIT) if limit else PAGE_LIMIT
        sessions, skip = [], 0
        while True:
            page = self.get(SESSIONS, dict(params, skip=skip, limit=page_size)) or {}
            items = page.get('data') or []
            index = jobs.result()
            for item in items:
                job = index.get((item.get('jobId') or '').lower())
                if job is None or (wanted and job['type'] not in wanted):
                    continue  # not a job's run (a restore, a rescan), or a job of another type
                sessions.append(vbr_session(item, job, include_raw))
            skip += len(items)
            total = (page.get('pagination') or {}).get('total')
            if not items or (limit and len(select_sessions(sessions, states, results)) >= limit) \
                    or (total is not None and skip >= int(total)):
                break
        sessions = newest_first(select_sessions(sessions, states, results, format_time(since), limit), limit)
        if include_tasks or include_log:
            def details(session):
                return (self._tasks(session['id'], include_raw) if include_tasks else None,
                        self._log(session['id']) if include_log else None)
            for session, (tasks, log) in zip(sessions, self.side_by_side(details, sessions, workers=DETAIL_WORKERS)):
                session['tasks'], session['log'] = tasks, log
        return sessions

    serves_malware_events = True

    def find_malware_events(self, since=None):
        """The malware detection events detected after ``since`` (``detectedAfterTimeUtcFilter``), oldest detection
        first, every page, as the server gives them."""
        params = {'orderColumn': 'DetectionTimeUtc', 'orderAsc': 'true'}
        if since is not None:
            params['detectedAfterTimeUtcFilter'] = format_time(since)
        return [event for event in self.paged(MALWARE_EVENTS, params) if isinstance(event, dict)]

    def _filters(self, job_id, types, states, results, since):
        """The server-side filters of ``/api/v1/sessions`` that these options allow on this revision."""
        many = self.revision.has_agent_jobs  # the 1.3 documents take lists for typeFilter and resultFilter
        params = {'orderColumn': 'CreationTime', 'orderAsc': 'false'}
        if job_id:
            params['jobIdFilter'] = job_id
        session_types = set(SESSION_TYPE_OF.get(self.revision.job_type_word(word)) for word in types or ())
        if session_types and None not in session_types and session_types <= REVISION_SESSION_TYPES[many]:
            if many:
                params['typeFilter'] = sorted(session_types)
            elif len(session_types) == 1:
                params['typeFilter'] = session_types.pop()
        if states and len(states) == 1:
            params['stateFilter'] = states[0]
        if results and all(result in RESULTS + ('None',) for result in results):
            if many:
                params['resultFilter'] = list(results)
            elif len(results) == 1:
                params['resultFilter'] = results[0]
        if since:
            params['createdAfterFilter'] = format_time(since)
        return params

    def _job_index(self, job_id=None, job_name=None):
        """{lower-case id: job dict} of the server's jobs of every kind (their states: names and types suffice)."""
        params = {}
        if job_id:
            params['idFilter'] = job_id
        elif job_name:
            params['nameFilter'] = job_name  # a pattern: compared exactly below
        return dict(((job['id'] or '').lower(), job) for job in (vbr_job(state) for state in self.paged(STATES, params))
                    if not job_name or job['name'] == job_name)

    def _tasks(self, session_id, include_raw=False):
        """The run's task sessions (``/api/v1/sessions/{id}/taskSessions``; a 1.3 server may page them)."""
        path = '%s/%s/taskSessions' % (SESSIONS, session_id)
        page = self.get(path) or {}
        items = list(page.get('data') or [])
        total = (page.get('pagination') or {}).get('total')
        while self.revision.has_agent_jobs and total is not None and len(items) < int(total):
            more = (self.get(path, {'skip': len(items), 'limit': PAGE_LIMIT}) or {}).get('data') or []
            if not more:
                break
            items.extend(more)
        return ordered_tasks([task(**vbr_task(item, include_raw)) for item in items])

    def _log(self, session_id):
        """The run's Warning and Failed log records, oldest first (``/api/v1/sessions/{id}/logs``)."""
        answer = self.get('%s/%s/logs' % (SESSIONS, session_id)) or {}
        return log_records(vbr_log_record(record) for record in answer.get('records') or [] if isinstance(record, dict))
