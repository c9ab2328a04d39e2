# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VBR REST API's machine steps (``MachineClient``): machines found as backup objects (or, where the revision
has no model of them, by their restore points), their restore points, task sessions and backups, and Quick Backup of
one machine. Only the modules that think in machines ship this file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import OrderedDict
from functools import partial

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamNotFoundError, VeeamUnsupportedError
from ansible_collections.backupops.veeam.plugins.module_utils._machines import MachineClient, day_before, listed, newest_of_each
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    SESSION_RESULTS,
    candidate,
    known_word,
    machine_state,
    restore_point,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import message_text, to_text, utc_time
from ansible_collections.backupops.veeam.plugins.module_utils._vbr import VBRClient
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import (
    AGENT_PLATFORMS,
    QUICK_BACKUP_WORDS,
    vbr_family,
    vbr_last_task,
    vbr_machine_key,
    vbr_malware_status,
    vbr_object_kind,
    vbr_point_machine,
    vbr_session,
)

# the latest task sessions of a machine read to find its own last result (the newest may still run)
TASK_PAGE = 4
# the newest restore points read to find a machine the revision shows no backup object of
POINT_PAGE = 100
# the page size of the inventory's listings (backup objects, restore points, backups, task sessions)
LIST_PAGE = 5000


class VBRMachineClient(MachineClient, VBRClient):
    """A VBR REST API logon that also answers the machine steps of ``_machines``."""

    def __init__(self, *args, **kwargs):
        super(VBRMachineClient, self).__init__(*args, **kwargs)
        self._tasks_by_name = {}  # machine name -> a future of its newest task sessions, asked for with its lookup

    def find_machines(self, name, kind='any', backup_server=None):
        """The machines ``/api/v1/backupObjects?nameFilter=`` finds (VMs and computers with backups; containers,
        templates and other objects are left out), one candidate per machine: a machine in several backups has a
        backup object in each, told apart from other machines by its platform and its objectId (VMs) or computerId.

        A revision shows only the backup objects its document has a model for (1.2-rev1 VMware VMs; 1.3-rev1 no
        Hyper-V VM and no Windows computer), while it lists every machine's restore points. When no backup object
        answers, the newest restore points named after ``name`` (a VM's point bears its name, a computer's
        ``<computer> <job>``) tell whether such a machine has backups all the same: one more request."""
        if backup_server and not self._server_matches(backup_server):
            return []
        server = self.in_advance(self.server_info)
        # the machine's task sessions only need its name: asked for now and read by machine_state (when the
        # name found is the same), so the restore points need not wait for them
        self._tasks_by_name[name] = self.in_advance(self._tasks_named, name)
        objects = self.paged('/api/v1/backupObjects', {'nameFilter': name})
        server = server.result() or {}
        groups = OrderedDict()
        for item in objects:
            found_kind = vbr_object_kind(item)
            if found_kind is not None and kind in ('any', found_kind):
                groups.setdefault(vbr_machine_key(item), []).append(item)
        if groups:
            return [candidate(items[0].get('name'), vbr_object_kind(items[0]), items[0].get('platformName'),
                              server.get('vbrId'), server.get('name'), ref={'objects': items})
                    for items in groups.values()]
        points = OrderedDict()
        for point in self._points_named(name):
            machine_name, machine_kind = vbr_point_machine(point, name)
            if machine_name and kind in ('any', machine_kind):
                points.setdefault(((point.get('platformName') or '').lower(), machine_name.lower()), []).append(point)
        return [candidate(vbr_point_machine(found[0], name)[0], vbr_point_machine(found[0], name)[1],
                          found[0].get('platformName'), server.get('vbrId'), server.get('name'),
                          ref={'objects': [], 'points': found, 'name': name})
                for found in points.values()]

    def _points_named(self, name, limit=POINT_PAGE):
        """The newest restore points whose name is ``name`` or begins with it (``*`` ends the pattern)."""
        params = {'nameFilter': name + '*', 'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0,
                  'limit': limit}
        return (self.get('/api/v1/restorePoints', params) or {}).get('data') or []

    def machine_state(self, found, limit=1, include_raw=False):
        """Its newest points (``/api/v1/restorePoints?backupObjectIdFilter=`` newest first, one request per backup
        object), its own latest task session (``/api/v1/taskSessions?nameFilter=``), then the job of its newest
        point (``/api/v1/backups/{backupId}``: ``jobId``, ``name``). Three requests for a machine in one backup."""
        ref = found['_ref']
        objects = ref['objects']
        newest_first = {'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0, 'limit': max(limit, 1)}
        # every request at once: the points of each backup object, the backups that 1.3-rev2 names on the backup
        # objects (their jobs), and the machine's task sessions when its lookup has not asked for them already
        asks = [partial(self.get, '/api/v1/restorePoints', dict(newest_first, backupObjectIdFilter=item['id']))
                for item in objects]
        if not objects:  # a machine known by its restore points only (the revision shows no backup object of it)
            named = ref.pop('points', None)
            asks.append(lambda: {'data': [
                point for point in (named if named is not None else self._points_named(ref['name']))
                if vbr_point_machine(point, ref['name'])[0] == found['name']]})
        prefetched = [item['backupId'] for item in objects if item.get('backupId')]
        asks.extend(partial(self._backup, backup_id) for backup_id in prefetched)
        tasks = self._tasks_by_name.pop(found['name'], None)  # once: a later read (after a backup) asks again
        if tasks is None:
            tasks = self.in_advance(self._tasks_named, found['name'])
        answers = self.side_by_side(lambda read: read(), asks, workers=len(asks))
        pages, backups = answers[:len(asks) - len(prefetched)], dict(zip(prefetched, answers[len(asks) - len(prefetched):]))
        points = [point for page in pages for point in (page or {}).get('data') or []]
        points.sort(key=lambda point: utc_time(point.get('creationTime')) or '', reverse=True)
        points = points[:max(limit, 1)]
        backup_ids = list(OrderedDict.fromkeys(point['backupId'] for point in points if point.get('backupId')))
        missing = [backup_id for backup_id in backup_ids if backup_id not in backups]
        backups.update(zip(missing, self.side_by_side(self._backup, missing, workers=max(1, len(missing)))))
        restore_points = []
        for point in points:
            backup = backups.get(point.get('backupId')) or {}
            restore_points.append(restore_point(
                point.get('id'), utc_time(point.get('creationTime')), point.get('type'), backup.get('jobId'),
                backup.get('name') if backup.get('jobId') else None, point.get('backupId'),
                raw=point if include_raw else None, malware_status=vbr_malware_status(point)))
        newest = backups.get(points[0].get('backupId')) if points else None
        job = None
        if newest and newest.get('jobId'):
            job = {'id': newest['jobId'], 'uid': newest['jobId'], 'name': newest.get('name'), 'type': newest.get('jobType')}
        last = vbr_last_task(tasks.result(), found['name'])
        outcome = (last or {}).get('result') or {}
        last_result = known_word(to_text(outcome.get('result')), RESULTS)
        last_result = last_result if last_result in RESULTS else None
        return machine_state(
            restore_points, job_id=job['id'] if job else None, job_name=job['name'] if job else None,
            last_result=last_result,
            last_message=message_text(outcome.get('message')) if last_result in ('Warning', 'Failed') else None,
            job=job, raw={'backup_objects': objects, 'task_session': last} if include_raw else None)

    def _tasks_named(self, name):
        """The newest backup task sessions of objects named ``name`` (the filter is a pattern: compared exactly later)."""
        return (self.get('/api/v1/taskSessions', {'nameFilter': name, 'typeFilter': 'Backup', 'orderColumn': 'CreationTime',
                                                  'orderAsc': 'false', 'skip': 0, 'limit': TASK_PAGE}) or {}).get('data') or []

    def _backup(self, backup_id):
        try:
            return self.get('/api/v1/backups/%s' % backup_id)
        except VeeamNotFoundError:
            return None

    def check_quick_backup(self, machine):
        """Refuse, before any request, what the revision in use cannot back up alone: vSphere VMs from 1.2-rev1,
        Hyper-V VMs and Veeam Agent computers from 1.3-rev2 only; and a machine whose request body cannot be built."""
        family = vbr_family(machine['platform'])
        if family is None:
            raise VeeamUnsupportedError(
                'the VBR REST API has no quick backup for %s machines (it has one for vSphere VMs, and from revision '
                '1.3-rev2 on for Hyper-V VMs and Veeam Agent computers)' % (machine['platform'] or 'these'))
        dummy, since = self.revision.quick_backup_endpoint(family)
        self.revision.require(QUICK_BACKUP_WORDS[family], since, pinned=self._pinned is not None)
        self._quick_backup_body(machine, family)

    def _quick_backup_body(self, machine, family):
        """The machine as the endpoint takes it, built from its backup object: a vSphere or Hyper-V VM's name,
        ``objectId`` and ``hostName`` (the first segment of its ``path``), or an agent computer's ``computerId`` and
        protection group. No inventory browsing: the inventory is refused to Backup Operators, who may run a
        quick backup."""
        objects = machine['_candidate']['_ref']['objects']
        platform = self.revision.inventory_platform(family)
        if family in ('vsphere', 'hyperv'):
            item = next((item for item in objects if item.get('objectId') and item.get('path')), None)
            if item is None:
                raise VeeamUnsupportedError(
                    "the server's backup object of %r has no objectId and path, from which the VM of a quick backup is "
                    "named (objectId, hostName)" % machine['name'])
            return {'platform': platform, 'type': 'VirtualMachine', 'name': item.get('name') or machine['name'],
                    'hostName': re.split(r'[\\/]', item['path'])[0], 'objectId': item['objectId']}
        item = next((item for item in objects if item.get('computerId') and item.get('protectionGroupIds')), None)
        if item is None:
            raise VeeamUnsupportedError(
                "the server's backup object of %r has no computerId and protection group, which a quick backup of a "
                "Veeam Agent computer needs" % machine['name'])
        windows = (item.get('platformName') or '').lower().startswith('windows')
        return {'platform': platform, 'id': item['computerId'], 'name': item.get('name') or machine['name'],
                'type': 'WindowsComputer' if windows else 'LinuxComputer',
                'protectionGroupId': item['protectionGroupIds'][0]}

    def quick_backup(self, machine):
        """``POST /api/v1/jobs/quickBackup/vSphere|hyperV`` answers 201 with the session of the job run it started;
        ``/agent`` answers with the job only (``{"jobId"}``), whose new session is then looked for."""
        family = vbr_family(machine['platform'])
        path, dummy = self.revision.quick_backup_endpoint(family)
        body = self.request('POST', path, json_body=self._quick_backup_body(machine, family), idempotent=False,
                            expect=(200, 201))
        body = body if isinstance(body, dict) else {}
        job = machine['_job']
        job_id = body.get('jobId')
        if job_id and (job is None or (job['id'] or '').lower() != job_id.lower()):
            job = {'id': job_id, 'uid': job_id, 'name': body.get('name') if body.get('id') else None, 'type': None}
        session = vbr_session(body, job) if body.get('id') else None
        return {'task': None, 'session': session, 'job': job}

    # -- every machine at once (the inventory plugin) ---------------------------------------------
    def list_machines(self, kind='any', backup_server=None):
        """Every machine with restore points: the backup objects and the backups (their jobs) listed once, the
        restore points newest first page by page until every machine has its newest one, and the backup task
        sessions since the oldest of those (each machine's own last result), joined in memory by platform and
        name. A machine the revision has no backup object model for is listed from its restore points alone."""
        if backup_server and not self._server_matches(backup_server):
            return []
        server = self.in_advance(self.server_info)
        backups = self.in_advance(self.paged, '/api/v1/backups', page_size=LIST_PAGE)
        machines = OrderedDict()
        for item in self.paged('/api/v1/backupObjects', page_size=LIST_PAGE):
            found = vbr_object_kind(item)
            if found is not None:
                key = ((item.get('platformName') or '').lower(), (item.get('name') or '').lower())
                machines.setdefault(key, {'name': item.get('name'), 'kind': found,
                                          'platform': item.get('platformName'), 'point': None})
        backups = dict((backup.get('id'), backup) for backup in backups.result())
        self._newest_points(machines, backups)
        machines = OrderedDict((key, machine) for key, machine in machines.items()
                               if machine['point'] is not None and kind in ('any', machine['kind']))
        tasks = self._last_tasks(machines.values()) if machines else {}
        server = server.result() or {}
        rows = []
        for machine in machines.values():
            point = machine['point']
            backup = backups.get(point.get('backupId')) or {}
            job_id, job_name = backup.get('jobId'), backup.get('name') if backup.get('jobId') else None
            outcome = (tasks.get((machine['name'] or '').lower()) or {}).get('result') or {}
            result = known_word(outcome.get('result'), SESSION_RESULTS)
            rows.append(listed(
                machine['name'], machine['kind'], machine['platform'], server.get('vbrId'), server.get('name'),
                restore_point(point.get('id'), utc_time(point.get('creationTime')), point.get('type'), job_id, job_name,
                              point.get('backupId')),
                job_id, job_name, result, message_text(outcome.get('message')) if result in ('Warning', 'Failed') else None,
                vbr_malware_status(point)))
        return rows

    def _newest_points(self, machines, backups):
        """Each machine's newest restore point, from the points listed newest first: page after page until every
        backup object has its point. Points of machines without a backup object (platforms the revision has no model
        for: 1.2-rev1 shows VMware VMs only, 1.3-rev1 no Windows computer) add those machines, and then every point
        is read, since nothing tells when the last of those machines has been seen."""
        waiting, objectless = set(machines), False
        for point in self._one_page_at_a_time('/api/v1/restorePoints', {'orderColumn': 'CreationTime', 'orderAsc': 'false'}):
            platform = (point.get('platformName') or '').lower()
            computer = platform in AGENT_PLATFORMS
            name = point.get('name') or ''
            if computer:
                job = ' ' + ((backups.get(point.get('backupId')) or {}).get('name') or '')
                name = name[:-len(job)] if len(job) > 1 and name.endswith(job) else name.split(' ', 1)[0]
            key = (platform, name.lower())
            if key not in machines:  # a platform the revision has no backup object model for: read every point
                objectless = True
            machine = machines.setdefault(key, {'name': name, 'kind': 'computer' if computer else 'vm',
                                                'platform': point.get('platformName'), 'point': None})
            if machine['point'] is None:
                machine['point'] = point
                waiting.discard(key)
            if not waiting and not objectless:
                return

    def _one_page_at_a_time(self, path, params):
        """The items of a listing, one page (LIST_PAGE) at a time as they are consumed."""
        start = 0
        while True:
            page = self.get(path, dict(params, skip=start, limit=LIST_PAGE)) or {}
            items = page.get('data') or []
            yield from items
            start += len(items)
            total = (page.get('pagination') or {}).get('total')
            if not items or (total is not None and start >= total):
                return

    def _last_tasks(self, machines):
        """{machine name in lower case: its newest ended backup task session}: the task sessions newest first,
        since a day before the oldest newest point, and no further back than the machines not yet found need (the
        run that made a machine's newest point ended after that point's day before)."""
        wanted = dict(((machine['name'] or '').lower(), day_before(utc_time(machine['point'].get('creationTime'))))
                      for machine in machines)
        params = {'typeFilter': 'Backup', 'orderColumn': 'CreationTime', 'orderAsc': 'false'}
        oldest = min(wanted.values())
        if oldest:
            params['createdAfterFilter'] = oldest
        ended = (task for task in self._one_page_at_a_time('/api/v1/taskSessions', params)
                 if (task.get('state') or '').lower() == 'stopped')
        return newest_of_each(ended, lambda task: (task.get('name') or '').lower(),
                              lambda task: utc_time(task.get('creationTime')), wanted)
