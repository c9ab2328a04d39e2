# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Enterprise Manager's answers mean: its XML entities (through xmltodict, attributes and elements alike) turned
into the collection's job, session, task and machine dicts (INTERFACE.md section 2). No requests here: talking to
Enterprise Manager is ``_em.py``. Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    SESSION_RESULTS,
    STATE_WORDS,
    known_word,
    uid_id,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    as_list,
    ci_get,
    guid_of,
    message_text,
    to_bool,
    to_int,
    to_text,
    utc_time,
)

# JobType of EM's Job entities (VEEAM_API.md A), and of its agent jobs
EM_JOB_TYPES = frozenset(('Backup', 'BackupCopy', 'ImmediateBackupCopy', 'Replica'))
EM_AGENT_JOB_TYPES = frozenset(('AgentBackup',))
_EM_TYPE_WORDS = EM_JOB_TYPES | EM_AGENT_JOB_TYPES


def em_items(container, bucket, item):
    """Items of an EM list wrapper: XML ``<Jobs><Job/>...</Jobs>`` or JSON ``{"Jobs": {"Jobs": [...]}}``."""
    wrapper = ci_get(container, bucket)
    if wrapper is None:
        # EM's JSON names some buckets after the item (Entities.AgentBackupJob.AgentBackupJobs)
        wrapper = ci_get(container, item)
    if wrapper is None:
        return []
    if isinstance(wrapper, list):
        return wrapper
    found = ci_get(wrapper, item)
    if found is None:
        found = ci_get(wrapper, bucket)
    return as_list(found)


def em_links(entity):
    """The ``Links`` of an EM entity as a list of dicts with Rel, Href, Name, Type."""
    links = ci_get(entity, 'Links')
    if isinstance(links, dict):
        links = ci_get(links, 'Link')
    return [link for link in as_list(links) if isinstance(link, dict)]


def em_link(entity, rel, link_type=None):
    """The first link with that Rel (and Type, when given), or None."""
    for link in em_links(entity):
        if (ci_get(link, 'Rel') or '').lower() != rel.lower():
            continue
        if link_type and (ci_get(link, 'Type') or '').lower() != link_type.lower():
            continue
        return link
    return None


def em_job(entity, include_raw=False):
    """A job dict from an EM ``Job`` or ``AgentBackupJob`` entity (XML or JSON form)."""
    uid = to_text(ci_get(entity, 'UID'))
    server = em_link(entity, 'Up', 'BackupServerReference') or {}
    job = {
        'id': uid_id(uid),
        'uid': uid,
        'name': to_text(ci_get(entity, 'Name')),
        'type': known_word(to_text(ci_get(entity, 'JobType')), _EM_TYPE_WORDS),
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
    state = known_word(to_text(ci_get(entity, 'State')), STATE_WORDS)
    session = {
        'id': uid_id(to_text(ci_get(entity, 'UID'))),
        'name': to_text(ci_get(entity, 'Name')),
        'job_id': uid_id(to_text(ci_get(entity, 'JobUid'))),
        'job_name': to_text(ci_get(entity, 'JobName')),
        'job_type': known_word(to_text(ci_get(entity, 'JobType')), _EM_TYPE_WORDS),
        'state': state,
        'result': known_word(to_text(ci_get(entity, 'Result')), SESSION_RESULTS),
        'running': None if state is None else state != 'Stopped',
        'progress': to_int(ci_get(entity, 'Progress')),
        'creation_time': utc_time(ci_get(entity, 'CreationTimeUTC')),
        'end_time': utc_time(ci_get(entity, 'EndTimeUTC')),
        'failure_message': message_text(ci_get(entity, 'FailureMessage')),
        'is_retry': to_bool(ci_get(entity, 'IsRetry')),
    }
    if include_raw:
        session['raw'] = entity
    return session


def em_task(entity, include_raw=False):
    """The task fields of an EM ``BackupTaskSession`` entity (one machine's part in a run), for ``_sessions.task``."""
    fields = {
        'task_id': uid_id(to_text(ci_get(entity, 'UID'))),
        'session_id': uid_id(to_text(ci_get(entity, 'JobSessionUid'))),
        'name': to_text(ci_get(entity, 'VmDisplayName')),
        'state': to_text(ci_get(entity, 'State')),
        'result': to_text(ci_get(entity, 'Result')),
        'message': to_text(ci_get(entity, 'Reason')),
        'creation_time': utc_time(ci_get(entity, 'CreationTimeUTC')),
        'end_time': utc_time(ci_get(entity, 'EndTimeUTC')),
    }
    if include_raw:
        fields['raw'] = entity
    return fields


def task_summary(task):
    result = ci_get(task, 'Result') or {}
    return {
        'id': to_text(ci_get(task, 'TaskId')),
        'state': to_text(ci_get(task, 'State')),
        'operation': to_text(ci_get(task, 'Operation')),
        'success': to_bool(ci_get(result, 'Success')),
        'message': message_text(ci_get(result, 'Message')),
    }


def em_machine_name(kind, point):
    """The machine's name on a restore point: a VM point's VmDisplayName; for a computer, its Name up to the ``@``
    (``rhel72@2025-12-17 02:01:05``)."""
    name = to_text(ci_get(point, 'Name')) or ''
    if kind == 'vm':
        return to_text(ci_get(point, 'VmDisplayName')) or name.rsplit('@', 1)[0] or None
    return name.rsplit('@', 1)[0] if '@' in name else (name or None)


def em_machine_key(kind, point):
    """What tells two machines of one name apart: the backup server, and the VM's reference (else its name)."""
    server = guid_of(ci_get(em_link(point, 'Up', 'BackupServerReference') or {}, 'Href')) or ''
    ref = to_text(ci_get(point, 'HierarchyObjRef')) if kind == 'vm' else None
    return (kind, server.lower(), (ref or em_machine_name(kind, point) or '').lower())


def em_platform(vm_ref):
    """The platform word of a HierarchyObjRef: ``urn:VMware:Vm:...`` gives VMware (HyperV, vCloud likewise)."""
    parts = (vm_ref or '').split(':')
    return parts[1] if len(parts) > 3 and parts[0].lower() == 'urn' else None


# BackupTaskSession State words (strings in the XSD; VEEAM_API.md A): a task that is not Completed has not ended
TASK_STATES = ('Completed', 'InProgress', 'Pending')


def task_result(task):
    """A BackupTaskSession's Result in the documented spelling of a known word (any case), else as written."""
    return known_word(to_text(ci_get(task, 'Result')), SESSION_RESULTS)
