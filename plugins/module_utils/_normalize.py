# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The normalized job and session dicts (INTERFACE.md section 2), built from any of the three APIs.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._parse import guid_of

JOB_KEYS = ('id', 'uid', 'name', 'type', 'platform', 'description', 'backup_server_id', 'backup_server_name',
            'schedule_configured', 'schedule_enabled', 'next_run', 'last_run', 'last_result', 'running')
SESSION_KEYS = ('id', 'name', 'job_id', 'job_name', 'job_type', 'state', 'result', 'running', 'progress',
                'creation_time', 'end_time', 'failure_message', 'is_retry')

RESULTS = ('Success', 'Warning', 'Failed')
# What Veeam's malware detection says of a restore point (VBR ESuspiciousActivitySeverity; Informative from 1.3), and
# the words of it that make a point unfit to count on (the fresh_backup role refuses them)
MALWARE_STATUSES = ('Clean', 'Suspicious', 'Infected', 'Informative')
SUSPECT_MALWARE_STATUSES = ('Suspicious', 'Infected')


def malware_word(value):
    """A malware status word as Veeam writes it: a known word in its own case, any other word as it is (passed
    through, never refused), null for nothing."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    if not text:
        return None
    return next((word for word in MALWARE_STATUSES if word.lower() == text.lower()), text)


def known_word(value, words):
    """An enumerated value in the documented spelling when it is one of ``words`` written in another case
    (``failed``, ``RUNNING``), else as the server wrote it: unknown words pass through (docs/dev/ARCHITECTURE.md,
    "Enumerated words")."""
    if not value or value in words:
        return value
    folded = value.casefold()
    for word in words:
        if word.casefold() == folded:
            return word
    return value


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


SESSION_STATES = ('Starting', 'Working', 'Stopping', 'Pausing', 'Resuming', 'Stopped')
# every session state word of the documents (VBR's ESessionState has the most), for known_word
STATE_WORDS = SESSION_STATES + ('WaitingTape', 'Idle', 'Postprocessing', 'WaitingRepository', 'WaitingSlot',
                                'ActionRequired')
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


# -- the dicts ---------------------------------------------------------------------------------
def candidate(name, kind, platform=None, backup_server_id=None, backup_server_name=None, ref=None):
    """A machine a client found: what every API tells at once, and ``_ref``, the client's own data about it."""
    return {'name': name, 'kind': kind, 'platform': platform, 'backup_server_id': backup_server_id,
            'backup_server_name': backup_server_name, '_ref': ref if ref is not None else {}}


def restore_point(point_id, creation_time, point_type=None, job_id=None, job_name=None, backup_id=None, raw=None,
                  malware_status=None):
    """A restore point dict; ``raw`` (the server's representation) is kept only when it is given. ``malware_status``
    is the API's word as its shapes file reads it (null where the API does not say)."""
    point = {'id': point_id, 'creation_time': creation_time, 'type': point_type, 'job_id': job_id,
             'job_name': job_name, 'backup_id': backup_id, 'malware_status': malware_status}
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
