# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Service Provider Console's answers mean: its JSON items turned into the collection's job, session and
machine dicts (INTERFACE.md section 2), and its error envelopes. No requests here: talking to the Service Provider
Console is ``_vspc.py``. Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.backupops.veeam.plugins.module_utils._normalize import RESULTS, known_word, malware_word
from ansible_collections.backupops.veeam.plugins.module_utils._parse import message_text, to_bool, to_text, utc_time


# jobs of these types are agent jobs: veeam_agent_job_info lists them, veeam_job_info does not
AGENT_JOB_TYPES = frozenset(('AgentBackupJob', 'AgentPolicy'))
# the job type words of VSPC's backup server jobs (VEEAM_API.md B.6), agent ones aside
JOB_TYPES = frozenset((
    'AhvStorageSnapshotJob', 'AwsBackupJob', 'AzureBackupJob', 'BackupCopy', 'BackupFile', 'BackupFileCopy',
    'BackupToTape', 'BackupVm', 'CdpReplicationVM', 'CopyFile', 'CopyVm', 'FileToTape', 'GoogleBackupJob',
    'ObjectStorageBackup', 'ObjectStorageBackupCopy', 'OracleLogBackup', 'PostgreSqlLogBackup', 'ReplicationVM',
    'SimpleBackupCopy', 'SobrMaintenance', 'SqlLogBackup', 'SureBackup', 'Unknown'))


def vspc_error_text(body, fallback):
    """The messages of a VSPC ``errors[]`` body (or an OAuth ``error_description``), else ``fallback``."""
    if isinstance(body, dict):
        messages = [str(error.get('message')) for error in body.get('errors') or []
                    if isinstance(error, dict) and error.get('message')]
        if messages:
            return '; '.join(messages)
        if body.get('error_description') or body.get('error'):
            return str(body.get('error_description') or body.get('error'))
    return fallback


def vspc_point_time(point):
    """When a restore point was created (``fileCreationTime``; ``backupCreationTime`` when that is missing), in UTC."""
    return utc_time(point.get('fileCreationTime')) or utc_time(point.get('backupCreationTime')) or ''


def vspc_malware_status(point, machine=None):
    """The malware status of a VSPC restore point: its ``malwareState`` (named on VM backup restore points), else,
    given ``machine`` (for the newest point only), the protected machine's ``malwareState`` (named on protected VMs
    and computers; Veeam marks the point where malware was found and every later one until the machine is marked
    clean, so the machine's state is its newest point's). The words VSPC writes are not in its documents as we have
    them (UNCONFIRMED): Veeam's own (Clean, Suspicious, Infected, Informative) are written in Veeam's case, any other
    word passes through, nothing is null."""
    for item in (point, machine):
        word = malware_word(item.get('malwareState')) if isinstance(item, dict) else None
        if word is not None:
            return word
    return None


def vspc_vm_result(objects, vm):
    """``(result, message, platform)`` of the VM's latest session among the job objects of that name: those of its
    job, or with its instance UID or hierarchy reference (another VM of that name on another server is not)."""
    mine = [item for item in objects
            if (vm.get('jobUid') and item.get('jobUid') == vm.get('jobUid'))
            or (vm.get('instanceUid') and item.get('instanceUid') == vm.get('instanceUid'))
            or (vm.get('hierarchyRef') and item.get('hierarchyRef') == vm.get('hierarchyRef'))]
    mine.sort(key=lambda item: utc_time((item.get('lastSession') or {}).get('startTime')) or '', reverse=True)
    platform = mine[0].get('platform') if mine else None
    for item in mine:
        session = item.get('lastSession') or {}
        status = known_word(to_text(session.get('backupStatus')), RESULTS)
        if status in RESULTS:
            messages = [message_text(text) for text in session.get('messages') or [] if message_text(text)]
            return status, ('; '.join(messages) or None) if status in ('Warning', 'Failed') else None, platform
    return None, None, platform


def vspc_agent_result(objects, computer):
    """``(result, message)`` of the computer's latest agent job run on its backup server."""
    server = (computer.get('backupServerUid') or '').lower()
    mine = [item for item in objects if not server or (item.get('backupServerUid') or '').lower() in (server, '')]
    mine.sort(key=lambda item: utc_time(item.get('lastRun')) or '', reverse=True)
    for item in mine:
        status = known_word(to_text(item.get('backupStatus')), RESULTS)
        if status in RESULTS:
            return status, message_text(item.get('failureMessage')) if status in ('Warning', 'Failed') else None
    return None, None


# VSPC job statuses that mean a run is under way, and the session state each stands for
VSPC_RUNNING_STATES = {
    'Running': 'Working',
    'WaitingRepository': 'Working',
    'WaitingTape': 'Working',
    'Starting': 'Starting',
    'Stopping': 'Stopping',
}
# the job status words of the documents (VEEAM_API.md B.6) that the dicts tell apart; real servers write them in
# PascalCase, the documents' examples in camelCase: read in any case, given in this spelling
STATUS_WORDS = RESULTS + tuple(VSPC_RUNNING_STATES) + ('Disabling', 'Enabling', 'Idle', 'None', 'Unknown')
TYPE_WORDS = JOB_TYPES | AGENT_JOB_TYPES


def vspc_status(base):
    return known_word(to_text(base.get('status')), STATUS_WORDS)


def vspc_embedded_job(item):
    """The ``BackupServerJob`` an agent job item embeds (``expand=BackupServerJob``), else None. VSPC writes its
    keys as documented, so the lookup is exact: a listing of 100 000 items asks this of every one."""
    embedded = item.get('_embedded')
    return embedded.get('backupServerJob') if isinstance(embedded, dict) else None


def vspc_job_type(item):
    """The type word of a listed item, before it is made a job dict."""
    embedded = vspc_embedded_job(item)
    return known_word(to_text((embedded if embedded is not None else item).get('type')), TYPE_WORDS)


def vspc_job(item, server_names=None, include_raw=False):
    """A job dict from a VSPC ``BackupServerJob``, or a ``BackupServerAgentJob`` with its embedded job."""
    embedded = vspc_embedded_job(item)
    agent = embedded is not None or 'osType' in item
    base = embedded if embedded is not None else item
    status = vspc_status(base)
    server_id = to_text(base.get('backupServerUid'))
    schedule_type = to_text(base.get('scheduleType'))
    job = {
        'id': to_text(item.get('instanceUid') or base.get('instanceUid')),
        'uid': to_text(item.get('instanceUid') or base.get('instanceUid')),
        'name': to_text(base.get('name')),
        'type': known_word(to_text(base.get('type')), TYPE_WORDS),
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


def vspc_object_task(item, running, include_raw=False):
    """The task fields of a job object (``BackupServerVmJobObject`` with its ``lastSession``, or
    ``BackupServerAgentJobObject``) in the job's latest run; ``running``: whether that run goes on."""
    last = item.get('lastSession') if isinstance(item.get('lastSession'), dict) else None
    status = to_text(last.get('backupStatus') if last is not None else item.get('backupStatus'))
    if last is not None:
        message = '; '.join(str(text) for text in last.get('messages') or [] if text)
    else:
        message = to_text(item.get('failureMessage'))
    fields = {'name': to_text(item.get('name') or item.get('computer')), 'state': 'Working' if running else 'Stopped',
              'result': status if status in RESULTS else 'None',
              'message': message if status in ('Warning', 'Failed') else None}
    if include_raw:
        fields['raw'] = item
    return fields


def vspc_object_start(item):
    """When the object's part of its latest run started (UTC), or None."""
    last = item.get('lastSession') if isinstance(item.get('lastSession'), dict) else None
    return utc_time(last.get('startTime') if last is not None else item.get('lastRun'))


def vspc_summary_task(summary, running, include_raw=False):
    """The task fields of an item of a job's ``lastSessionTasks`` (a job kind with no objects endpoint)."""
    status = to_text(summary.get('status'))
    fields = {'name': to_text(summary.get('objectName')), 'state': 'Working' if running else 'Stopped',
              'result': status if status in RESULTS else 'None',
              'message': '; '.join(str(text) for text in summary.get('failureMessages') or [] if text)
              if status in ('Warning', 'Failed') else None}
    if include_raw:
        fields['raw'] = summary
    return fields


def vspc_session(item, include_raw=False):
    """The session dict of a VSPC job's latest run (VSPC lists no sessions), from the job as the API gives it."""
    job = vspc_job(item)
    base = vspc_embedded_job(item) or item
    status = vspc_status(base)
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
        'failure_message': message_text(base.get('failureMessage')),
        'is_retry': None,
    }
    if include_raw:
        session['raw'] = item
    return session
