# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enterprise Manager's machine steps (``MachineClient``): machines found by their restore points in the query service,
their task sessions, and Quick Backup of one VM. Only the modules that think in machines ship this file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import OrderedDict
from itertools import islice
from xml.sax.saxutils import escape as xml_escape

from ansible_collections.backupops.veeam.plugins.module_utils._em import EMClient, quote, relative, server_condition
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import (
    TASK_STATES,
    em_link,
    em_machine_key,
    em_machine_name,
    em_platform,
    em_session,
    task_result,
)
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamNotFoundError, VeeamUnsupportedError
from ansible_collections.backupops.veeam.plugins.module_utils._machines import MachineClient, day_before, listed, newest_of_each
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    candidate,
    known_word,
    machine_state,
    restore_point,
    uid_id,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import ci_get, guid_of, message_text, to_text, utc_time

# a machine's lookup reads its newest restore points, this many: all of them for most machines, which tells that no
# other machine of that name is hiding behind them
POINT_PAGE = 100
# the latest task sessions of a machine read to find its last result and the run that made its newest point
TASK_PAGE = 10
# the page size of the inventory's listings (restore points, task sessions, job sessions)
LIST_PAGE = 5000
POINT_QUERIES = {'vm': ('VmRestorePoint', 'VmDisplayName'), 'computer': ('AgentRestorePoint', 'ComputerName')}


class EMMachineClient(MachineClient, EMClient):
    """An Enterprise Manager logon session that also answers the machine steps of ``_machines``."""

    def __init__(self, *args, **kwargs):
        super(EMMachineClient, self).__init__(*args, **kwargs)
        self._tasks_by_name = {}  # machine name -> a future of its newest task sessions, asked for with its lookup

    def find_machines(self, name, kind='any', backup_server=None):
        """The VMs (``VmRestorePoint`` by ``VmDisplayName``) and computers (``AgentRestorePoint`` by ``ComputerName``)
        whose restore points the query service finds for ``name``, one candidate per machine and backup server.

        One request per kind: the newest POINT_PAGE points, which also serve as the machine's restore points. A
        machine with more points than that could hide another of the same name on another server behind them: then
        one more request (``BackupServerUid!=``) asks for one point of any other. The machine's task sessions are
        asked for at the same time (``_tasks_of``).
        """
        kinds = ['vm', 'computer'] if kind == 'any' else [kind]
        # the machine's task sessions only need its name: asked for now, on every server, and read by
        # machine_state when the name found is the same
        self._tasks_by_name[name] = self.in_advance(self._task_query, name, server=backup_server)
        found = self.side_by_side(lambda each: self._machines_of_kind(each, name, backup_server), kinds)
        machines = [machine for machines in found for machine in machines]
        if not machines and backup_server:
            self.check_server_name(backup_server)
        return machines

    def _task_query(self, name, server=None, server_uid=None):
        conditions = ['VmDisplayName==' + quote(name)]
        if server:
            conditions.append(server_condition(server))
        if server_uid:
            conditions.append('BackupServerUid==' + quote(server_uid))
        return list(islice(self.query('BackupTaskSession', conditions, sort_desc='CreationTime', page_size=TASK_PAGE),
                           TASK_PAGE))

    def _tasks_of(self, found, ref):
        """The machine's newest task sessions on its server: those asked for with its lookup when they are all of
        its server, or were all there are of its name (each says its server in its Up link); else asked for again,
        of its server only."""
        asked = self._tasks_by_name.pop(found['name'], None)  # once: a later read (after a backup) asks again
        if asked is not None:
            tasks = asked.result()
            server_id = found['backup_server_id']
            if not server_id:  # a machine whose server is not known: its tasks on every server, as asked
                return tasks
            servers = [guid_of(ci_get(em_link(task, 'Up', 'BackupServerReference') or {}, 'Href')) for task in tasks]
            if all(servers) and (len(tasks) < TASK_PAGE or set(servers) == set([server_id])):
                return [task for task, server in zip(tasks, servers) if server == server_id]
        return self._task_query(found['name'], server_uid=ref['server_uid'])

    def _point_query(self, kind, name, backup_server=None, server_uid=None, page_size=POINT_PAGE, other_than=None):
        query_type, field = POINT_QUERIES[kind]
        conditions = ['%s==%s' % (field, quote(name))]
        if backup_server:
            conditions.append(server_condition(backup_server))
        if server_uid:
            conditions.append('BackupServerUid==' + quote(server_uid))
        if other_than:
            conditions.append('BackupServerUid!=' + quote(other_than))
        return list(islice(self.query(query_type, conditions, sort_desc='CreationTime', page_size=page_size), page_size))

    def _machines_of_kind(self, kind, name, backup_server):
        entities = self._point_query(kind, name, backup_server)
        complete = len(entities) < POINT_PAGE
        groups = OrderedDict()
        for entity in entities:
            groups.setdefault(em_machine_key(kind, entity), []).append(entity)
        found = [self._candidate(kind, points, complete) for points in groups.values()]
        if len(found) == 1 and not complete:
            others = self._point_query(kind, name, backup_server, page_size=1,
                                       other_than=found[0]['_ref']['server_uid'])
            found.extend(self._candidate(kind, others, False) for dummy in others[:1])
        return found

    @staticmethod
    def _candidate(kind, points, complete):
        newest = points[0]
        server = em_link(newest, 'Up', 'BackupServerReference') or {}
        server_id = guid_of(ci_get(server, 'Href'))
        vm_ref = to_text(ci_get(newest, 'HierarchyObjRef')) if kind == 'vm' else None
        return candidate(
            em_machine_name(kind, newest), kind, platform=em_platform(vm_ref),
            backup_server_id=server_id, backup_server_name=to_text(ci_get(server, 'Name')),
            ref={'points': points, 'complete': complete, 'key': em_machine_key(kind, newest), 'vm_ref': vm_ref,
                 'server_uid': 'urn:veeam:BackupServer:%s' % server_id if server_id else None})

    def machine_state(self, found, limit=1, include_raw=False):
        """The machine's newest points (those its lookup read, the first time), its own latest task session
        (``BackupTaskSession`` by ``VmDisplayName`` on its server: State, Result, Reason), and the job of its newest
        point: the task session that made that point (its Related VmRestorePoint link), else the latest one that
        ended well, whose job session (``/backupSessions/{id}``) names the job. One request after the lookup when
        the task sessions asked for with it tell, two or three otherwise."""
        ref, kind = found['_ref'], found['kind']
        points = ref.pop('points', None)  # read again when the machine is read again (after a quick backup)
        if points is None or (len(points) < limit and not ref['complete']):
            points = [point for point in self._point_query(kind, found['name'], server_uid=ref['server_uid'],
                                                           page_size=max(limit, 1))
                      if list(em_machine_key(kind, point)) == list(ref['key'])]  # a list after a JSON round trip
        tasks = []
        if found['name']:
            tasks = [task for task in self._tasks_of(found, ref)
                     if (to_text(ci_get(task, 'VmDisplayName')) or found['name']).lower() == found['name'].lower()]
        ended = [task for task in tasks if task_result(task) in RESULTS
                 and known_word(to_text(ci_get(task, 'State')) or 'Completed', TASK_STATES) not in TASK_STATES[1:]]
        last = ended[0] if ended else None
        newest_id = uid_id(to_text(ci_get(points[0], 'UID'))) if points else None
        maker = next((task for task in ended if newest_id and newest_id == guid_of(
            ci_get(em_link(task, 'Related', 'VmRestorePoint') or {}, 'Href'))), None)
        if maker is None:
            maker = next((task for task in ended if task_result(task) in ('Success', 'Warning')), None)
        job = self._job_of_task(maker) if maker is not None and points else None
        last_result = task_result(last) if last is not None else None
        # malware_status stays null: Enterprise Manager's documents (RestAPI.xsd, VmRestorePoint, AgentRestorePoint)
        # name no malware status; VBR's REST API tells it (VBR 12.1 and later)
        restore_points = [restore_point(
            uid_id(to_text(ci_get(point, 'UID'))), utc_time(ci_get(point, 'CreationTimeUTC')),
            to_text(ci_get(point, 'PointType')),
            job['id'] if job and index == 0 else None, job['name'] if job and index == 0 else None, None,
            raw=point if include_raw else None) for index, point in enumerate(points[:max(limit, 1)])]
        return machine_state(
            restore_points, latest=restore_points[0]['creation_time'] if restore_points else None,
            job_id=job['id'] if job else None, job_name=job['name'] if job else None, last_result=last_result,
            last_message=message_text(ci_get(last, 'Reason')) if last_result in ('Warning', 'Failed') else None,
            job=job, raw={'restore_point': points[0] if points else None, 'task_session': last} if include_raw else None)

    def _job_of_task(self, task):
        """The job dict (id, uid, name, type) of a task session's job session, or None when it cannot be read."""
        session_id = guid_of(to_text(ci_get(task, 'JobSessionUid')))
        if not session_id:
            return None
        try:
            entity = self.request('GET', '/backupSessions/%s' % session_id, params={'format': 'Entity'})
        except VeeamNotFoundError:
            return None
        uid = to_text(ci_get(entity, 'JobUid'))
        if not uid:
            return None
        return {'id': uid_id(uid), 'uid': uid, 'name': to_text(ci_get(entity, 'JobName')),
                'type': to_text(ci_get(entity, 'JobType')) or 'Backup'}

    def check_quick_backup(self, machine):
        """Enterprise Manager backs up one VM (``?action=quickbackup``), not one Veeam Agent computer."""
        if machine['kind'] != 'vm':
            raise VeeamUnsupportedError(
                'Enterprise Manager has no quick backup for Veeam Agent computers (its quickbackup action takes a VM; '
                'an agent job can only be started whole); api: vbr has one from VBR 13.1 on')
        if not machine['_candidate']['_ref'].get('vm_ref') or not machine['backup_server_id']:
            raise VeeamUnsupportedError('Enterprise Manager did not give the VM reference (HierarchyObjRef) or the backup '
                                        'server of %r, which a quick backup needs' % machine['name'])

    def quick_backup(self, machine, task_timeout=600):
        """``POST /backupServers/{id}?action=quickbackup`` with the VM's reference (the HierarchyObjRef of its restore
        point); follow the Task; its Related link names the job session it started."""
        ref = machine['_candidate']['_ref']
        spec = ('<?xml version="1.0" encoding="utf-8"?><QuickBackupStartupSpec xmlns="http://www.veeam.com/ent/v1.0">'
                '<VmRef>%s</VmRef></QuickBackupStartupSpec>' % xml_escape(ref['vm_ref']))
        task = self.request_xml('POST', '/backupServers/%s' % machine['backup_server_id'], spec,
                                params={'action': 'quickbackup'}, expect=(200, 201, 202))
        summary, finished = self.wait_task_entity(task, timeout=task_timeout, poll_interval=0.5)
        job, session = machine['_job'], None
        link = em_link(finished, 'Related', 'BackupJobSession') or em_link(finished, 'Related')
        if link and ci_get(link, 'Href'):
            entity = self.request('GET', relative(ci_get(link, 'Href')))
            session = em_session(entity)
            if session['job_id']:
                job = dict(job or {}, id=session['job_id'], uid=to_text(ci_get(entity, 'JobUid')),
                           name=session['job_name'] or (job or {}).get('name'), type=session['job_type'] or 'Backup')
        return {'task': summary, 'session': session, 'job': job}

    # -- every machine at once (the inventory plugin) ---------------------------------------------
    def list_machines(self, kind='any', backup_server=None):
        """Every VM and computer with restore points: ``VmRestorePoint`` and ``AgentRestorePoint`` listed once newest
        first (the first point of each machine is its newest), then the ``BackupTaskSession``s and
        ``BackupJobSession``s created since a day before the oldest of those points (each machine's own last result,
        and the job of the run that made its newest point), each query paged, joined in memory."""
        kinds = ['vm', 'computer'] if kind == 'any' else [kind]
        conditions = [server_condition(backup_server)] if backup_server else []
        newest = OrderedDict()
        for each in kinds:
            for entity in self.query(POINT_QUERIES[each][0], conditions, sort_desc='CreationTime',
                                     page_size=LIST_PAGE, everything=True):
                newest.setdefault(em_machine_key(each, entity), (each, entity))
        if not newest:
            return []
        # each machine's newest ended task sessions: newest first, no further back than a day before its point
        wanted = dict(((key[1], (em_machine_name(each, entity) or '').lower()), day_before(utc_time(ci_get(entity, 'CreationTimeUTC'))))
                      for key, (each, entity) in newest.items())
        since = ['CreationTime>=' + quote(min(wanted.values()))] if min(wanted.values()) else []
        tasks = self.query('BackupTaskSession', conditions + since, sort_desc='CreationTime', page_size=LIST_PAGE)
        ended = (task for task in tasks if task_result(task) in RESULTS
                 and (to_text(ci_get(task, 'State')) or 'Completed').lower() not in ('inprogress', 'pending'))
        tasks_of = newest_of_each(ended, self._task_key, lambda task: utc_time(ci_get(task, 'CreationTimeUTC')), wanted)
        # the job sessions of those tasks (their job), newest first, no further back than the oldest of the tasks
        runs = dict((guid_of(to_text(ci_get(task, 'JobSessionUid'))), utc_time(ci_get(task, 'CreationTimeUTC')))
                    for task in tasks_of.values() if ci_get(task, 'JobSessionUid'))
        jobs = {}
        if runs:
            since = ['CreationTime>=' + quote(min(day_before(when) for when in runs.values()))]
            sessions = self.query('BackupJobSession', conditions + since, sort_desc='CreationTime', page_size=LIST_PAGE)
            jobs = newest_of_each(sessions, lambda session: uid_id(to_text(ci_get(session, 'UID'))),
                                  lambda session: utc_time(ci_get(session, 'CreationTimeUTC')),
                                  dict((run, day_before(when)) for run, when in runs.items()))
        return [self._listed(each, entity, tasks_of, jobs) for each, entity in newest.values()]

    @staticmethod
    def _task_key(task):
        server = guid_of(ci_get(em_link(task, 'Up', 'BackupServerReference') or {}, 'Href')) or ''
        return (server.lower(), (to_text(ci_get(task, 'VmDisplayName')) or '').lower())

    @staticmethod
    def _listed(kind, entity, tasks_of, jobs):
        found = EMMachineClient._candidate(kind, [entity], True)
        name = found['name'] or ''
        last = tasks_of.get(((found['backup_server_id'] or '').lower(), name.lower()))
        point_id = uid_id(to_text(ci_get(entity, 'UID')))
        session = jobs.get(guid_of(to_text(ci_get(last, 'JobSessionUid')))) if last is not None else None
        job_id = uid_id(to_text(ci_get(session, 'JobUid'))) if session is not None else None
        job_name = to_text(ci_get(session, 'JobName')) if job_id else None
        result = task_result(last) if last is not None else None
        point = restore_point(point_id, utc_time(ci_get(entity, 'CreationTimeUTC')), to_text(ci_get(entity, 'PointType')),
                              job_id, job_name, None)
        return listed(found['name'], kind, found['platform'], found['backup_server_id'], found['backup_server_name'],
                      point, job_id, job_name, result,
                      message_text(ci_get(last, 'Reason')) if result in ('Warning', 'Failed') else None)
