# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job sessions of every kind of job with what each machine of the run did (``veeam_session_info``), on any of the
three APIs. Internal to this collection, may change without notice.

The API-specific step is ``SessionClient.find_sessions``, answered by each API in its own file beside its client
(``_em_sessions.py``, ``_vbr_sessions.py``, ``_vspc_sessions.py``); the module opens its client with
``VeeamModule.run(work, clients=session_client_class)``, so that the other modules ship none of those files
(AnsiballZ packs the module_utils files that import statements name). What the three share is here, once: the
task and log record dicts (INTERFACE.md section 2), messages trimmed of trailing white space, and the final order
(newest first, each run once, at most ``limit``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import abc

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import SESSION_RESULTS, STATE_WORDS, known_word
from ansible_collections.backupops.veeam.plugins.module_utils._parse import message_text

TASK_KEYS = ('id', 'session_id', 'name', 'state', 'result', 'message', 'creation_time', 'end_time',
             'restore_point_id')
LOG_KEYS = ('time', 'status', 'title', 'description')
# the log records a session's ``log`` keeps (ETaskLogRecordStatus: None, Succeeded, Warning, Failed)
LOG_STATUSES = ('Warning', 'Failed')
LOG_STATUS_WORDS = ('None', 'Succeeded') + LOG_STATUSES


def task(task_id=None, session_id=None, name=None, state=None, result=None, message=None, creation_time=None,
         end_time=None, restore_point_id=None, raw=None):
    """A task dict: one machine's part in a job run; ``raw`` is kept only when it is given."""
    made = {'id': task_id, 'session_id': session_id, 'name': name, 'state': known_word(state, STATE_WORDS),
            'result': known_word(result, SESSION_RESULTS), 'message': message_text(message), 'creation_time': creation_time, 'end_time': end_time,
            'restore_point_id': restore_point_id}
    if raw is not None:
        made['raw'] = raw
    return made


def ordered_tasks(tasks):
    """Tasks in the order the run processed them (creation time, then name)."""
    return sorted(tasks, key=lambda each: (each['creation_time'] or '', (each['name'] or '').lower()))


def log_records(records):
    """The log records worth a morning report (Warning and Failed), oldest first, as ``{time, status, title,
    description}``; ``records`` are ``(time, status, title, description)`` tuples."""
    kept = [dict(zip(LOG_KEYS, (time, known_word(status, LOG_STATUS_WORDS), message_text(title),
                                message_text(description))))
            for time, status, title, description in records if known_word(status, LOG_STATUS_WORDS) in LOG_STATUSES]
    return sorted(kept, key=lambda record: record['time'] or '')


def newest_first(sessions, limit=None):
    """Sessions newest first, each run once (an id seen twice, as when two of EM's session types show the same
    run, is kept once), at most ``limit``; every session gets ``tasks`` and ``log`` (None until filled) and its
    message trimmed."""
    seen = set()
    unique = []
    for session in sessions:
        key = (session['id'] or '').lower() or (session['job_id'], session['creation_time'])
        if key in seen:
            continue
        seen.add(key)
        session['failure_message'] = message_text(session['failure_message'])
        session.setdefault('tasks', None)
        session.setdefault('log', None)
        unique.append(session)
    unique.sort(key=lambda session: session['creation_time'] or '', reverse=True)
    return unique[:limit] if limit else unique


def check_include_log(api, include_log):
    """``include_log`` is for api=vbr only: refused before any request on the others."""
    if include_log and api != 'vbr':
        raise VeeamOptionError('include_log: only the VBR REST API (api=vbr) serves the log of a session; %s has none '
                               '(leave include_log out, or use api: vbr)' % api)


class SessionClient(abc.ABC):
    """The session step a client answers for ``veeam_session_info``: an abstract mixin, first among the bases of
    each API's session client (``EMSessionClient(SessionClient, EMClient)``)."""

    @abc.abstractmethod
    def find_sessions(self, job_id=None, job_name=None, types=None, states=None, results=None, since=None,
                      limit=100, include_tasks=False, include_log=False, include_raw=False):
        """The session dicts of every kind of job that match every filter, newest first, at most ``limit``, each
        with ``tasks`` (with ``include_tasks``, else None) and ``log`` (with ``include_log``, else None), as
        ``newest_first`` leaves them."""

    # whether the API lists malware detections (``find_malware_events``): the VBR REST API only
    serves_malware_events = False

    def find_malware_events(self, since=None):
        """The API's malware detection events detected after ``since`` (a UTC datetime), oldest first, as the API
        gives them. Only the VBR REST API lists them: the others refuse (the EDA source checks
        ``serves_malware_events`` first)."""
        raise VeeamOptionError('events: malware_detected needs the VBR REST API (api=vbr); api=%s lists no malware '
                               'detections' % getattr(self, 'api', None))


def session_client_class(api):
    """The client class of ``api`` with the session step (for ``VeeamModule.run(clients=...)``). Imported here,
    only the one in use, as ``_machines.machine_client_class`` does for the machine clients."""
    if api == 'em':
        from ansible_collections.backupops.veeam.plugins.module_utils._em_sessions import EMSessionClient
        return EMSessionClient
    if api == 'vbr':
        from ansible_collections.backupops.veeam.plugins.module_utils._vbr_sessions import VBRSessionClient
        return VBRSessionClient
    from ansible_collections.backupops.veeam.plugins.module_utils._vspc_sessions import VSPCSessionClient
    return VSPCSessionClient
