# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the VBR REST API's answers mean: its revisions and their enum words (``Revision``), and its JSON models turned
into the collection's job, session and machine dicts (INTERFACE.md section 2). No requests here: talking to the VBR
REST API is ``_vbr.py``. Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError, VeeamUnsupportedError
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    SESSION_RESULTS,
    STATE_WORDS,
    known_word,
    malware_word,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import message_text, to_bool, to_int, to_text, utc_time

# "Unsupported RESTAPI version. The following versions are supported: v1.0-rev1, v1.0-rev2, ..."
_REVISION = re.compile(r'\bv?(\d+)\.(\d+)-rev(\d+)\b', re.IGNORECASE)


# the documents' "Available to": a Veeam Backup Operator may start, stop and retry jobs, not enable or disable them
ACTION_ROLES = dict(dict.fromkeys(('start', 'stop', 'retry'), 'Veeam Backup Administrator or Veeam Backup Operator'),
                    enable='Veeam Backup Administrator', disable='Veeam Backup Administrator')


class Revision:
    """One revision of the VBR REST API (``1.3-rev1``): what it has, in one place.

    The collection supports the revisions whose OpenAPI documents it was built and tested against:
    1.2-rev1 (VBR 12.3) and the 1.3 revisions of VBR 13.x.
    """

    VBR_VERSIONS = {(1, 2, 1): '12.3', (1, 3, 0): '13.0', (1, 3, 1): '13.0.1', (1, 3, 2): '13.1'}

    # EJobType of each document: a word the revision lacks is never sent as a filter (the server refuses it)
    _JOB_TYPES_12 = frozenset(('Backup', 'VSphereReplica', 'CloudDirectorBackup', 'EntraIDTenantBackup',
                               'EntraIDAuditLogBackup', 'FileBackupCopy'))
    _JOB_TYPES_13 = frozenset(('Unknown', 'VSphereBackup', 'HyperVBackup', 'VSphereReplica', 'CloudDirectorBackup',
                               'EntraIDTenantBackup', 'EntraIDAuditLogBackup', 'FileBackupCopy', 'LegacyBackupCopy',
                               'BackupCopy', 'WindowsAgentBackup', 'LinuxAgentBackup', 'FileBackup',
                               'ObjectStorageBackup', 'EntraIDTenantBackupCopy', 'SureBackupContentScan',
                               'CloudBackupAzure', 'CloudBackupAWS', 'CloudBackupGoogle'))
    _POLICY_TYPES = frozenset(('WindowsAgentBackupWorkstationPolicy', 'LinuxAgentBackupWorkstationPolicy',
                               'WindowsAgentBackupServerPolicy', 'LinuxAgentBackupServerPolicy'))
    _JOB_TYPES_13_REV2 = frozenset(('NutanixAHVBackupJob', 'ProxmoxBackupJob', 'IrisBackup',
                                    'WindowsAgentBackupFailoverCluster'))
    # 1.3 renamed the VMware backup job type
    _RENAMED = {'Backup': 'VSphereBackup'}

    def __init__(self, text):
        match = _REVISION.fullmatch((text or '').strip())
        if not match:
            raise ValueError('%r is not a VBR REST API revision such as 1.3-rev1' % text)
        self.key = tuple(int(part) for part in match.groups())

    def __str__(self):
        return '%d.%d-rev%d' % self.key

    def __eq__(self, other):
        return isinstance(other, Revision) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    @property
    def vbr_version(self):
        return self.VBR_VERSIONS.get(self.key)

    def describe(self):
        """``1.2-rev1 (VBR 12.3)``"""
        return '%s (VBR %s)' % (self, self.vbr_version) if self.vbr_version else str(self)

    @property
    def has_agent_jobs(self):
        return self.key >= (1, 3, 0)

    def job_types(self):
        if self.key < (1, 3, 0):
            return self._JOB_TYPES_12
        types = self._JOB_TYPES_13
        if self.key >= (1, 3, 1):
            types = types | self._POLICY_TYPES
        if self.key >= (1, 3, 2):
            types = types | self._JOB_TYPES_13_REV2
        return types

    def type_words(self, agent=False):
        """The job type words a ``type`` filter may use with this revision, of agent jobs or of the others (the
        renamed VMware backup word is taken in either revision's form)."""
        words = set(word for word in self.job_types() if ('Agent' in word) == agent and word != 'Unknown')
        if not agent:
            words |= set(self._RENAMED) | set(self._RENAMED.values())
        return words

    def type_filter(self, types):
        """The revision's words for the wanted types, and the one word to send as ``typeFilter`` (or None)."""
        words = set(self.job_type_word(word) for word in types)
        known = words & self.job_types()
        return words, (next(iter(known)) if len(words) == 1 and known else None)

    def job_type_word(self, word):
        """The revision's word for a job type given in either revision's words (``Backup`` <-> ``VSphereBackup``)."""
        if self.key < (1, 3, 0):
            for old, new in self._RENAMED.items():
                if word == new:
                    return old
            return word
        return self._RENAMED.get(word, word)

    # Quick Backup of one machine (POST /api/v1/jobs/quickBackup/{endpoint}) per machine family: the endpoint and
    # the first revision that has it. 1.2-rev1 and 1.3-rev1 have vSphere only; Hyper-V and agents come with 1.3-rev2.
    _QUICK_BACKUP = {'vsphere': ('vSphere', (1, 2, 1)), 'hyperv': ('hyperV', (1, 3, 2)), 'agent': ('agent', (1, 3, 2))}

    def quick_backup_endpoint(self, family):
        """``(path, first Revision that has it)`` of the quick backup of a ``vsphere``, ``hyperv`` or ``agent`` machine."""
        endpoint, since = self._QUICK_BACKUP[family]
        return '/api/v1/jobs/quickBackup/%s' % endpoint, Revision('%d.%d-rev%d' % since)

    def inventory_platform(self, family):
        """The ``platform`` of the quick backup body (the InventoryObjectModel discriminator): its EPlatformType word
        ``VMware`` through 1.2, the EInventoryPlatformType word ``VSphere`` from 1.3 on."""
        if family == 'vsphere':
            return 'VMware' if self.key < (1, 3, 0) else 'VSphere'
        return {'hyperv': 'HyperV', 'agent': 'Agent'}[family]

    def require(self, feature, since, pinned=False):
        """Raise VeeamUnsupportedError unless this revision is ``since`` (a Revision) or later.

        ``feature`` reads as the subject of "... from revision X on", e.g. "Veeam Agent jobs are available".
        """
        if self.key < since.key:
            raise VeeamUnsupportedError(
                '%s from VBR REST API revision %s (VBR %s) on; %s' % (
                    feature, since, since.vbr_version,
                    'the revision in use is %s, set by api_version' % self.describe() if pinned
                    else 'this server serves revision %s at most' % self.describe()))


# newest first: without api_version, the first of these that the server serves is used
SUPPORTED_REVISIONS = tuple(Revision('%d.%d-rev%d' % key) for key in sorted(Revision.VBR_VERSIONS, reverse=True))

AGENT_JOBS = ('Veeam Agent jobs are available', Revision('1.3-rev0'))

RETRY = ('Retrying a job (POST /api/v1/jobs/{id}/retry) is available', Revision('1.3-rev0'))

QUICK_BACKUP_WORDS = {
    'vsphere': 'Quick backup of a vSphere VM (POST /api/v1/jobs/quickBackup/vSphere) is available',
    'hyperv': 'Quick backup of a Hyper-V VM (POST /api/v1/jobs/quickBackup/hyperV) is available',
    'agent': 'Quick backup of a Veeam Agent computer (POST /api/v1/jobs/quickBackup/agent) is available',
}

AGENT_PLATFORMS = frozenset(('windowsphysical', 'linuxphysical', 'linuxphysicalppc'))


def is_agent_type(job_type):
    """VBR agent job types: WindowsAgentBackup, LinuxAgentBackup, the *Policy types, WindowsAgentBackupFailoverCluster."""
    return 'AgentBackup' in (job_type or '')


def schedule_of(model):
    """What a job dict needs of a (large) job model: its id, whether it is disabled and its schedule flag."""
    schedule = model.get('schedule')
    kept = {'id': model.get('id'), 'isDisabled': model.get('isDisabled')}
    if isinstance(schedule, dict):
        kept['schedule'] = {'runAutomatically': schedule.get('runAutomatically')}
    return kept


def served_revisions(message):
    """The revisions listed in a refusal of an unserved ``x-api-version`` (``v1.0-rev1, v1.0-rev2, ...``)."""
    return [Revision('%s.%s-rev%s' % match.groups()) for match in _REVISION.finditer(message or '')]


def vbr_error_text(body, fallback):
    """The ``message`` of a VBR Error model (``{"errorCode", "message", "resourceId"}``), else ``fallback``."""
    if isinstance(body, dict) and body.get('message'):
        return str(body['message'])
    return fallback


def unserved_revisions(body):
    """The revisions a server serves, when its 400 answer ``body`` refused the revision asked for; else None."""
    message = vbr_error_text(body, '')
    revisions = served_revisions(message)
    if revisions and ((body or {}).get('errorCode') == 'NotImplemented' or 'version' in message.lower()):
        return revisions
    return None


def choose_revision(served, pinned=None):
    """The revision to use among those a server serves: the newest one the collection supports. A pinned revision
    (``api_version``) the server does not serve, or none that the collection supports, is refused."""
    if pinned is not None:
        raise VeeamOptionError('api_version: the server does not serve VBR REST API revision %s; it serves %s'
                               % (pinned, ', '.join(str(revision) for revision in served)))
    for revision in SUPPORTED_REVISIONS:
        if revision in served:
            return revision
    raise VeeamUnsupportedError(
        'the server serves VBR REST API revisions %s; this collection needs %s or later (VBR %s and later). '
        'Upgrade the server, or set api_version to one of its revisions at your own risk'
        % (', '.join(str(revision) for revision in served), SUPPORTED_REVISIONS[-1],
           SUPPORTED_REVISIONS[-1].vbr_version))


def vbr_object_kind(item):
    """``vm``, ``computer``, or None for a backup object that is no machine (a container, a template, a tenant...)."""
    if (item.get('platformName') or '').lower() in AGENT_PLATFORMS:
        return 'computer'
    word = (item.get('type') or '').lower()
    if word == 'vm':
        return 'vm'
    subtype = item.get('viType') or item.get('hvType') or item.get('cloudDirectorType')
    return 'vm' if subtype == 'VirtualMachine' and word != 'template' else None


def vbr_machine_key(item):
    """What tells machines of one name apart: the platform, and the VM's objectId or the computer's id."""
    identity = item.get('objectId') or item.get('computerId') or item.get('biosUuid') or (item.get('name') or '')
    return ((item.get('platformName') or '').lower(), str(identity).lower())


def vbr_point_machine(point, name):
    """``(machine name, kind)`` of a restore point found by the name ``name``: a VM's point bears the VM's name, a
    computer's ``<computer> <job>`` (the documents' example: ``linbase02 AgentBackupJob``); ``(None, None)`` for a
    point of a machine whose name only begins with ``name``."""
    text = point.get('name') or ''
    computer = (point.get('platformName') or '').lower() in AGENT_PLATFORMS
    if computer:
        text = text[:len(name)] if text[len(name):len(name) + 1] in ('', ' ') else ''
    if text.lower() != name.lower():
        return None, None
    return text, 'computer' if computer else 'vm'


def vbr_family(platform):
    """The quick backup endpoint family of a backup object's platformName (1.2 examples write ``VmWare``)."""
    word = (platform or '').lower()
    if word in ('vmware', 'vsphere'):
        return 'vsphere'
    if word == 'hyperv':
        return 'hyperv'
    return 'agent' if word in AGENT_PLATFORMS else None


def vbr_malware_status(point):
    """The malware status of an ``ObjectRestorePointModel``: its ``malwareStatus`` (ESuspiciousActivitySeverity:
    Clean, Suspicious, Infected; the 1.3 revisions also Informative; every supported revision has the field, which is
    optional), in the server's word; another word passes through; null when the point has none."""
    return malware_word(point.get('malwareStatus')) if isinstance(point, dict) else None


def vbr_last_task(tasks, name):
    """The newest ended task session of the machine called ``name`` (same name, else same name in another case)."""
    ended = [task for task in tasks if (task.get('state') or '').lower() == 'stopped']
    for same in (lambda text: text == name, lambda text: text.lower() == (name or '').lower()):
        for task in ended:
            if same(task.get('name') or ''):
                return task
    return None


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
    last_result = known_word(to_text(state.get('lastResult')), RESULTS)
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


def vbr_task(item, include_raw=False):
    """The task fields of a VBR ``BackupTaskSessionModel`` (one machine's part in a run), for ``_sessions.task``."""
    outcome = item.get('result') if isinstance(item.get('result'), dict) else {}
    state = to_text(item.get('state'))
    fields = {
        'task_id': to_text(item.get('id')),
        'session_id': to_text(item.get('sessionId')),
        'name': to_text(item.get('name')),
        'state': state,
        'result': to_text(outcome.get('result')) or ('None' if state not in (None, 'Stopped') else None),
        'message': to_text(outcome.get('message')),
        'creation_time': utc_time(item.get('creationTime')),
        'end_time': utc_time(item.get('endTime')),
        'restore_point_id': to_text(item.get('restorePointId')),
    }
    if include_raw:
        fields['raw'] = item
    return fields


def vbr_log_record(record):
    """``(time, status, title, description)`` of a ``SessionLogRecordModel``."""
    return (utc_time(record.get('startTime')), to_text(record.get('status')), to_text(record.get('title')),
            to_text(record.get('description')))


def vbr_session(item, job=None, include_raw=False):
    """A session dict from a VBR ``SessionModel``; ``job`` (a job dict) gives the job's name and type."""
    state = known_word(to_text(item.get('state')), STATE_WORDS)
    outcome = item.get('result') if isinstance(item.get('result'), dict) else {}
    result = known_word(to_text(outcome.get('result')), SESSION_RESULTS)
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
        'failure_message': message_text(outcome.get('message')) if result in ('Warning', 'Failed') else None,
        'is_retry': None,
    }
    if include_raw:
        session['raw'] = item
    return session
