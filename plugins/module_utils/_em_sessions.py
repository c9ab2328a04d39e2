# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enterprise Manager's answer to the session step of ``_sessions``: job sessions of every kind through the query
service, and their task sessions several sessions per query. Only ``veeam_session_info`` ships this file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._em import (
    PAGE_SIZE,
    EMClient,
    any_of,
    enum_word,
    job_urn,
    quote,
)
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import EM_AGENT_JOB_TYPES, EM_JOB_TYPES, em_session, em_task
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import RESULTS, select_sessions
from ansible_collections.backupops.veeam.plugins.module_utils._parse import ci_get, format_time, to_text
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import SessionClient, newest_first, ordered_tasks, task

# the task sessions of this many job sessions are asked for in one query (``JobSessionUid==a,JobSessionUid==b``, OR in
# the query language): 25 UIDs of 66 characters make a URL of about 2.4 KB once encoded, well under the 4 KB a
# proxy or HTTP.sys in front of EM may allow, and 25 runs of 20 machines fill one page of 500
TASK_BATCH = 25
# EM's documents list replication runs apart from the others (ReplicaJobSession)
SESSION_TYPES = ('BackupJobSession', 'ReplicaJobSession')


class EMSessionClient(SessionClient, EMClient):
    """An Enterprise Manager logon session that also answers ``find_sessions``."""

    def find_sessions(self, job_id=None, job_name=None, types=None, states=None, results=None, since=None,
                      limit=100, include_tasks=False, include_log=False, include_raw=False):
        """``BackupJobSession`` and ``ReplicaJobSession`` (only the ones the wanted types can be), newest first, every
        filter applied by the server, each read no further than ``limit`` sessions; then the task sessions of the
        listed runs, TASK_BATCH runs per query."""
        self.warn_unknown_types(types, EM_JOB_TYPES | EM_AGENT_JOB_TYPES)
        conditions = []
        if job_id:
            if job_id.lower().startswith('urn:'):
                conditions.append('JobUid==' + quote(job_id))
            else:
                conditions.append('(JobUid==%s,JobUid==%s)' % (quote(job_urn(job_id)), quote(job_urn(job_id, agent=True))))
        if job_name:
            conditions.append('JobName==' + quote(job_name))
        if types:
            conditions.append(any_of('JobType', [enum_word(word, 'type') for word in types]))
        if states:
            conditions.append(any_of('State', states))
        if results and all(result in RESULTS for result in results):
            conditions.append(any_of('Result', results))
        if since:
            conditions.append('CreationTime>=' + quote(format_time(since)))
        # replication runs are ReplicaJobSession; every other type's runs BackupJobSession
        wanted = (set(types or ()) - set(['Replica']), 'Replica' in (types or ()))
        query_types = [query_type for query_type, asked in zip(SESSION_TYPES, wanted) if asked or not types]
        page_size = min(limit, PAGE_SIZE) if limit else PAGE_SIZE

        def listing(query_type):
            found = []
            for entity in self.query(query_type, conditions, sort_desc='CreationTime', page_size=page_size):
                session = em_session(entity, include_raw)
                if job_name and session['job_name'] != job_name:
                    continue  # the server may compare strings without regard to case
                found.append((session, to_text(ci_get(entity, 'UID'))))
                if limit and len(found) >= limit:
                    break
            return found
        listed = [pair for pairs in self.side_by_side(listing, query_types) for pair in pairs]
        uids = dict((session['id'], uid) for session, uid in listed)
        sessions = newest_first(select_sessions([session for session, dummy in listed], states, results,
                                                format_time(since), limit), limit)
        if include_tasks:
            tasks = self.tasks_of([uids[session['id']] for session in sessions if uids.get(session['id'])], include_raw)
            for session in sessions:
                session['tasks'] = ordered_tasks(tasks.get((session['id'] or '').lower(), []))
        return sessions

    def tasks_of(self, session_uids, include_raw=False):
        """{lower-case session id: [task dict]} of the runs ``session_uids`` (EM UIDs): ``BackupTaskSession`` filtered on
        TASK_BATCH of them at once, the batches side by side, every page of each."""
        batches = [session_uids[start:start + TASK_BATCH] for start in range(0, len(session_uids), TASK_BATCH)]

        def batch(uids):
            condition = '(%s)' % ','.join('JobSessionUid==' + quote(uid) for uid in uids)
            return [task(**em_task(entity, include_raw)) for entity in self.query('BackupTaskSession', [condition])]
        found = {}
        for tasks in self.side_by_side(batch, batches):
            for each in tasks:
                found.setdefault((each['session_id'] or '').lower(), []).append(each)
        return found
