# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Service Provider Console's machine steps (``MachineClient``): protected VMs and computers, their restore points
and job objects. Only the modules that think in machines ship this file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from functools import partial

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamNotFoundError, VeeamUnsupportedError
from ansible_collections.backupops.veeam.plugins.module_utils._machines import MachineClient, listed
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import candidate, machine_state, restore_point
from ansible_collections.backupops.veeam.plugins.module_utils._parse import utc_time
from ansible_collections.backupops.veeam.plugins.module_utils._vspc import AGENT_JOBS_PATH, JOBS_PATH, VSPCClient
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import (
    vspc_agent_result,
    vspc_malware_status,
    vspc_point_time,
    vspc_vm_result,
)

MACHINE_PATHS = {'vm': '/protectedWorkloads/virtualMachines', 'computer': '/protectedWorkloads/computersManagedByBackupServer'}
POINTS = {'vm': 'backupRestorePoints', 'computer': 'restorePoints'}
VM_OBJECTS_PATH = JOBS_PATH + '/backupVmJobs/objects'
AGENT_OBJECTS_PATH = AGENT_JOBS_PATH + '/objects'


def name_condition(prop, value):
    """``prop`` equals ``value`` in any case (the ``ignorecase`` collation of a VSPC filter)."""
    return {'property': prop, 'operation': 'equals', 'collation': 'ignorecase', 'value': value}


class VSPCMachineClient(MachineClient, VSPCClient):
    """A Service Provider Console connection that also answers the machine steps of ``_machines``."""

    def find_machines(self, name, kind='any', backup_server=None):
        """The protected VMs (``/protectedWorkloads/virtualMachines``) and computers managed by a backup server
        (``/protectedWorkloads/computersManagedByBackupServer``) whose name equals ``name`` in any case (the
        server's ``equals`` filter with ``ignorecase`` collation); one request per kind, both at once."""
        server_uid = None
        if backup_server:
            server_uid = self.resolve_server(backup_server)
            if server_uid is None:
                return []
        kinds = ['vm', 'computer'] if kind == 'any' else [kind]
        query = {'filter': json.dumps([name_condition('name', name)])}
        asks = [self.server_names] + [partial(lambda path: list(self.paged(path, query)), MACHINE_PATHS[each])
                                      for each in kinds]
        answers = self.side_by_side(lambda read: read(), asks, workers=len(asks))
        names, lists = answers[0], answers[1:]
        found = []
        for each, items in zip(kinds, lists):
            for item in items:
                server = (item.get('backupServerUid') or '').lower()
                if server_uid and server != server_uid.lower():
                    continue
                found.append(candidate(
                    item.get('name'), each, item.get('platformType') if each == 'computer' else None,
                    item.get('backupServerUid'), names.get(server), ref={'item': item}))
        return found

    def machine_state(self, found, limit=1, include_raw=False):
        """Its restore points (``/{uid}/backupRestorePoints`` for a VM, ``/{uid}/restorePoints`` for a computer; the
        API sorts them in no documented way, so they are sorted here), its own last result (the job objects of VM
        jobs, ``lastSession.backupStatus``, or of agent jobs, ``backupStatus``, filtered by name), and the name of
        the job of its newest point (``/infrastructure/backupServers/jobs/{jobUid}``). Three or four requests."""
        item, kind = found['_ref']['item'], found['kind']
        uid = item.get('instanceUid')
        objects_path, field = (VM_OBJECTS_PATH, 'name') if kind == 'vm' else (AGENT_OBJECTS_PATH, 'computer')
        asks = [lambda: list(self.paged('%s/%s/%s' % (MACHINE_PATHS[kind], uid, POINTS[kind]))),
                lambda: list(self.paged(objects_path, {'filter': json.dumps([name_condition(field, found['name'])])}))]
        if kind == 'vm':  # a VM names its job: its name is read at the same time
            asks.append(lambda: self._job_name(item.get('jobUid')))
        answers = self.side_by_side(lambda read: read(), asks, workers=len(asks))
        points, objects = sorted(answers[0], key=vspc_point_time, reverse=True), answers[1]
        job_id = item.get('jobUid') if kind == 'vm' else (points[0].get('jobUid') if points else None)
        job_name = answers[2] if kind == 'vm' else self._job_name(job_id)
        restore_points = [restore_point(
            point.get('instanceUid'), vspc_point_time(point) or None, None, point.get('jobUid'),
            job_name if job_id and point.get('jobUid') == job_id else None, point.get('backupUid'),
            raw=point if include_raw else None, malware_status=vspc_malware_status(point, item if index == 0 else None))
            for index, point in enumerate(points[:max(limit, 1)])]
        latest = utc_time(item.get('latestRestorePointDate')) or (restore_points[0]['creation_time'] if points else None)
        if kind == 'vm':
            last_result, last_message, platform = vspc_vm_result(objects, item)
        else:
            last_result, last_message = vspc_agent_result(objects, item)
            platform = None
        return machine_state(restore_points, latest=latest, job_id=job_id, job_name=job_name if job_id else None,
                             last_result=last_result, last_message=last_message, platform=platform,
                             job={'id': job_id, 'uid': job_id, 'name': job_name, 'type': None} if job_id else None,
                             raw={'machine': item, 'job_objects': objects} if include_raw else None)

    def _job_name(self, job_uid):
        if not job_uid:
            return None
        try:
            return (self.get('%s/%s' % (JOBS_PATH, job_uid)) or {}).get('name')
        except VeeamNotFoundError:
            return None

    def check_quick_backup(self, machine):
        """VSPC has no per-machine backup: its REST API starts whole jobs only."""
        raise VeeamUnsupportedError(
            'the Service Provider Console has no per-machine backup (its REST API starts whole jobs only; api: em or '
            'vbr can back up one machine)')

    def quick_backup(self, machine):
        self.check_quick_backup(machine)

    # -- every machine at once (the inventory plugin) ---------------------------------------------
    def list_machines(self, kind='any', backup_server=None):
        """Every protected VM and computer managed by a backup server: per kind the machines and each one's newest
        restore point (``.../backupRestorePoints/latest``, ``.../restorePoints/latest``) and the job objects (their
        own last results), the jobs (names) and backup servers: eight paged listings, read side by side."""
        server_uid = None
        if backup_server:
            server_uid = self.resolve_server(backup_server)
            if server_uid is None:
                return []
        kinds = ['vm', 'computer'] if kind == 'any' else [kind]
        objects_of = {'vm': VM_OBJECTS_PATH, 'computer': AGENT_OBJECTS_PATH}
        paths = [JOBS_PATH]
        for each in kinds:
            paths += [MACHINE_PATHS[each], '%s/%s/latest' % (MACHINE_PATHS[each], POINTS[each]), objects_of[each]]
        answers = self.side_by_side(lambda path: list(self.paged(path)), paths, workers=len(paths))
        names = self.server_names()
        job_names = dict(((job.get('instanceUid') or '').lower(), job.get('name')) for job in answers[0])
        rows = []
        for index, each in enumerate(kinds):
            machines, latest, objects = answers[1 + 3 * index:4 + 3 * index]
            point_of = dict(((point.get('virtualMachineUid' if each == 'vm' else 'backupAgentUid') or '').lower(), point)
                            for point in latest)
            objects_by_name = {}
            for item in objects:
                objects_by_name.setdefault((item.get('name' if each == 'vm' else 'computer') or '').lower(), []).append(item)
            for item in machines:
                server = (item.get('backupServerUid') or '').lower()
                if server_uid and server != server_uid.lower():
                    continue
                rows.append(self._listed(each, item, point_of.get((item.get('instanceUid') or '').lower()),
                                         objects_by_name.get((item.get('name') or '').lower(), []), job_names,
                                         names.get(server)))
        return rows

    @staticmethod
    def _listed(kind, item, point, objects, job_names, server_name):
        job_id = item.get('jobUid') or (point or {}).get('jobUid')
        job_name = job_names.get((job_id or '').lower())
        if kind == 'vm':
            last_result, last_message, platform = vspc_vm_result(objects, item)
        else:
            last_result, last_message = vspc_agent_result(objects, item)
            platform = item.get('platformType')
        time = (vspc_point_time(point) if point else None) or utc_time(item.get('latestRestorePointDate'))
        newest = restore_point((point or {}).get('instanceUid'), time, None, job_id, job_name if job_id else None,
                               (point or {}).get('backupUid')) if time else None
        return listed(item.get('name'), kind, platform, item.get('backupServerUid'), server_name, newest,
                      job_id, job_name if job_id else None, last_result, last_message,
                      vspc_malware_status(point or {}, item))
