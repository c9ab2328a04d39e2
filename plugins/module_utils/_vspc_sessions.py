# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Service Provider Console's answer to the session step of ``_sessions``: VSPC keeps no run history, so each
matching job's latest run is its one session, and the job's objects are that run's tasks. Only
``veeam_session_info`` ships this file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamNotFoundError
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import select_sessions
from ansible_collections.backupops.veeam.plugins.module_utils._parse import format_time, guid_of
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import SessionClient, newest_first, ordered_tasks, task
from ansible_collections.backupops.veeam.plugins.module_utils._vspc import AGENT_JOBS_PATH, JOBS_PATH, VSPCClient, in_condition
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import (
    AGENT_JOB_TYPES,
    JOB_TYPES,
    vspc_object_start,
    vspc_object_task,
    vspc_session,
    vspc_summary_task,
)

# the job objects of the jobs of each type, in one listing filtered on the jobs' uids
OBJECT_PATHS = {'BackupVm': JOBS_PATH + '/backupVmJobs/objects', 'AgentBackupJob': AGENT_JOBS_PATH + '/objects',
                'AgentPolicy': AGENT_JOBS_PATH + '/objects'}
# jobs per objects request (``jobUid in [...]``): 40 uids keep the URL near 2 KB
OBJECT_BATCH = 40


class VSPCSessionClient(SessionClient, VSPCClient):
    """A VSPC connection that also answers ``find_sessions``."""

    def find_sessions(self, job_id=None, job_name=None, types=None, states=None, results=None, since=None,
                      limit=100, include_tasks=False, include_log=False, include_raw=False):
        """One session per matching job of every kind: its latest run (``/infrastructure/backupServers/jobs``, the name
        and types filtered by the server), newest first; with ``include_tasks``, the objects of those jobs (VM and
        agent jobs: one filtered listing per OBJECT_BATCH jobs; other kinds: the job's ``lastSessionTasks``)."""
        self.warn_unknown_types(types, JOB_TYPES | AGENT_JOB_TYPES)
        if job_id:
            items = self._one_job(job_id)
        else:
            filters = []
            if job_name:
                filters.append(in_condition('name', [job_name]))
            if types:
                filters.append(in_condition('type', types))
            items = self.paged(JOBS_PATH, {'filter': json.dumps(filters)} if filters else None)
        listed, by_job = [], {}
        for item in items:
            session = vspc_session(item, include_raw)
            if session['creation_time'] is None:
                continue  # never ran: no session to report
            if (job_name and session['job_name'] != job_name) or (types and session['job_type'] not in types):
                continue
            listed.append(session)
            by_job[(session['job_id'] or '').lower()] = item
        sessions = newest_first(select_sessions(listed, states, results, format_time(since), limit), limit)
        if include_tasks:
            objects = self._objects([session for session in sessions if session['job_type'] in OBJECT_PATHS])
            for session in sessions:
                key = (session['job_id'] or '').lower()
                if session['job_type'] in OBJECT_PATHS:
                    mine = [vspc_object_task(item, session['running'], include_raw) for item in objects.get(key, [])
                            if not item.get('isExcluded')
                            and (vspc_object_start(item) or '') >= (session['creation_time'] or '')]
                else:
                    mine = [vspc_summary_task(summary, session['running'], include_raw)
                            for summary in by_job[key].get('lastSessionTasks') or [] if isinstance(summary, dict)]
                session['tasks'] = ordered_tasks([task(**fields) for fields in mine])
        return sessions

    def _one_job(self, job_id):
        try:
            return [self.get('%s/%s' % (JOBS_PATH, guid_of(job_id) or job_id))]
        except VeeamNotFoundError:
            return []

    def _objects(self, sessions):
        """{lower-case job uid: [job object]} of the sessions' jobs: a listing per kind and OBJECT_BATCH jobs, side by
        side."""
        asks = []
        for job_type in sorted(set(session['job_type'] for session in sessions)):
            uids = sorted(set(session['job_id'] for session in sessions if session['job_type'] == job_type))
            path = OBJECT_PATHS[job_type]
            asks.extend((path, uids[start:start + OBJECT_BATCH]) for start in range(0, len(uids), OBJECT_BATCH))
        asks = sorted(set((path, tuple(uids)) for path, uids in asks))

        def ask(pair):
            path, uids = pair
            return self.paged(path, {'filter': json.dumps([in_condition('jobUid', list(uids))])})
        found = {}
        for items in self.side_by_side(ask, asks):
            for item in items:
                found.setdefault((item.get('jobUid') or '').lower(), []).append(item)
        return found
