# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machines (VMs and computers) and their restore points, on any of the three APIs: matching the names
inventories write, the machine and restore point dicts of INTERFACE.md section 2, and their age (Quick Backup of
one machine is in ``_quick_backup``). Internal to this collection, may change without notice.

The API-specific steps are ``MachineClient``'s, with the same names on EM, VBR and VSPC: each API answers them in
its own file beside its client (``_em_machines.py``, ``_vbr_machines.py``, ``_vspc_machines.py``), and a module that
looks machines up opens its client with ``VeeamModule.run(work, clients=machine_client_class)``. The job modules
open the plain clients, and so do not ship the machine files (AnsiballZ packs the module_utils files that import
statements name).

Name matching is done here, once: without regard to case; a dotted name that matches nothing is tried again
with its first label (``web01.corp.example`` finds the VM ``web01``); several matches fail, listing them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import abc
import datetime
import re

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamAmbiguousError
from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC, format_time, parse_time

KINDS = ('vm', 'computer', 'any')
MACHINE_KEYS = ('item', 'name', 'protected', 'kind', 'platform', 'backup_server_id', 'backup_server_name',
                'restore_points', 'latest_restore_point_time', 'age', 'job_id', 'job_name', 'last_result',
                'last_message')
RESTORE_POINT_KEYS = ('id', 'creation_time', 'type', 'job_id', 'job_name', 'backup_id')
# names looked up at once when the module is given several
LOOKUP_WORKERS = 8
_IPV4 = re.compile(r'^\d{1,3}(?:\.\d{1,3}){3}$')


def unknown_machine(item):
    """The answer for a name that matches no machine: not a failure, an unprotected machine."""
    machine = dict((key, None) for key in MACHINE_KEYS)
    machine.update(item=item, protected=False, restore_points=[])
    return machine


def public(machine):
    """The machine dict without the private keys the module keeps while it works (``_candidate``, ``_job``)."""
    return dict((key, value) for key, value in machine.items() if not key.startswith('_'))


def describe(found):
    """``db01 (vm, VMware) on vbr-prod-01.corp.example``"""
    kind = ', '.join(word for word in (found['kind'], found['platform']) if word)
    server = found['backup_server_name'] or found['backup_server_id'] or 'an unknown backup server'
    return '%s (%s) on %s' % (found['name'], kind, server)


def name_variants(item):
    """The names to look for, in turn: the name as given, then, for a dotted host name (not an address), its first
    label."""
    text = (item or '').strip()
    names = [text]
    if '.' in text.strip('.') and not _IPV4.match(text):
        short = text.split('.', 1)[0]
        if short:
            names.append(short)
    return names


def age_of(time_text, now):
    """Whole seconds from ``time_text`` (UTC ISO) to ``now``; 0 for a time ahead of this clock, None without a time."""
    moment = parse_time(time_text)
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds()))


# -- what a client answers about machines ----------------------------------------------------------
class MachineClient(abc.ABC):
    """The machine steps a client answers, besides the job protocol of ``VeeamClient``: an abstract mixin, first
    among the bases of each API's machine client (``EMMachineClient(MachineClient, EMClient)``), so that the
    job modules, which never call these, ship none of that code."""

    @abc.abstractmethod
    def find_machines(self, name, kind='any', backup_server=None):
        """The machines the server's own name filter finds for ``name``, one ``candidate()`` per machine (a machine
        that is in several backups is still one candidate), with the client's data about it under ``_ref``."""

    @abc.abstractmethod
    def machine_state(self, found, limit=1, include_raw=False):
        """The ``machine_state()`` of a candidate: its newest restore points (at most ``limit``, newest first), the
        time of its newest point, the job of that point, the machine's own last result and message, and ``job``
        (a job dict for ``latest_session`` / ``read_session``, or None)."""

    @abc.abstractmethod
    def list_machines(self, kind='any', backup_server=None):
        """Every machine the server holds restore points of, for an inventory: ``listed()`` rows, each with the
        machine's newest restore point only, its job and its own last result. A bounded number of paged listings
        joined in memory, never a request per machine."""

    @abc.abstractmethod
    def check_quick_backup(self, machine):
        """Raise VeeamUnsupportedError, before any request, when the API or the server's version cannot back up
        this machine alone."""

    @abc.abstractmethod
    def quick_backup(self, machine):
        """Start a quick backup of the machine alone: ``{'task', 'session', 'job'}`` (``session`` None where the
        API answers with the job only: the run is then looked for)."""


def machine_client_class(api):
    """The client class of ``api`` with the machine steps (for ``VeeamModule.run(clients=...)``). Imported here,
    only the one in use, as ``_module.client_class`` does for the job clients."""
    if api == 'em':
        from ansible_collections.backupops.veeam.plugins.module_utils._em_machines import EMMachineClient
        return EMMachineClient
    if api == 'vbr':
        from ansible_collections.backupops.veeam.plugins.module_utils._vbr_machines import VBRMachineClient
        return VBRMachineClient
    from ansible_collections.backupops.veeam.plugins.module_utils._vspc_machines import VSPCMachineClient
    return VSPCMachineClient


def listed(name, kind, platform, backup_server_id, backup_server_name, point, job_id=None, job_name=None,
           last_result=None, last_message=None, malware_status=None):
    """A row of ``list_machines``: the machine dict's facts, ``point`` its newest restore point dict (or None) and
    ``malware_status`` what the server says of that point."""
    return {'name': name, 'kind': kind, 'platform': platform, 'backup_server_id': backup_server_id,
            'backup_server_name': backup_server_name, 'point': point, 'job_id': job_id, 'job_name': job_name,
            'last_result': last_result if last_result in ('Success', 'Warning', 'Failed') else None,
            'last_message': last_message, 'malware_status': malware_status}


def newest_of_each(items, key_of, time_of, wanted):
    """``{key: the first item of that key}`` of ``items`` listed newest first (an iterator that reads pages as it is
    consumed). ``wanted`` is ``{key: ISO time}``: no item of that key is older than its time. The reading stops as
    soon as every wanted key is found or the items are older than the times of those not found, so a listing is
    read only as far back as it must."""
    order = sorted(wanted.items(), key=lambda pair: pair[1] or '', reverse=True)
    found, index, missing = {}, 0, set(wanted)
    for item in items:
        key = key_of(item)
        if key is not None and key not in found:
            found[key] = item
            missing.discard(key)
        when = time_of(item) or ''
        while index < len(order) and (order[index][1] or '') > when:
            missing.discard(order[index][0])
            index += 1
        if not missing:
            break
    return found


def day_before(time_text):
    """The ISO time a day before ``time_text`` ('' when there is none)."""
    moment = parse_time(time_text)
    return format_time(moment - datetime.timedelta(days=1)) if moment is not None else ''


def inventory_machine(row, since, now):
    """The **machine** dict of a ``list_machines`` row (newest restore point only) plus ``stale``: no restore point
    at or after ``since`` (an ISO time)."""
    point = row['point']
    if point is not None:
        point = dict(point)
        point['malware_status'] = point.get('malware_status') or row['malware_status']
    latest = point['creation_time'] if point else None
    machine = {
        'item': row['name'], 'name': row['name'], 'protected': bool(latest and latest >= since), 'kind': row['kind'],
        'platform': row['platform'], 'backup_server_id': row['backup_server_id'],
        'backup_server_name': row['backup_server_name'], 'restore_points': [point] if point else [],
        'latest_restore_point_time': latest, 'age': age_of(latest, now), 'job_id': row['job_id'],
        'job_name': row['job_name'], 'last_result': row['last_result'], 'last_message': row['last_message'],
    }
    machine['stale'] = not machine['protected']
    return machine


# -- looking machines up -----------------------------------------------------------------------
class Machines:
    """Finds the one machine each name means, and reads its state, on a logged-on client."""

    def __init__(self, client, kind='any', backup_server=None, since=None, limit=1, include_raw=False, now=None):
        self.client = client
        self.kind = kind
        self.backup_server = backup_server
        self.since = format_time(since) if isinstance(since, datetime.datetime) else since
        self.limit = limit
        self.include_raw = include_raw
        self.now = now or (lambda: datetime.datetime.now(UTC))

    def find(self, item):
        """The candidate ``item`` names, or None when it names no machine; several fail, listing them."""
        for name in name_variants(item):
            wanted = name.lower()
            found = [found for found in self.client.find_machines(name, self.kind, self.backup_server)
                     if (found['name'] or '').lower() == wanted]
            if len(found) > 1:
                raise VeeamAmbiguousError('%r matches %d machines: %s; give backup_server (or kind) to choose one'
                                          % (item, len(found), '; '.join(describe(each) for each in found)))
            if found:
                return found[0]
        return None

    def read(self, item, found):
        """The machine dict of a candidate, as the server has it now."""
        state = self.client.machine_state(found, self.limit, self.include_raw)
        latest = state['latest']
        points = [point for point in state['restore_points']
                  if not self.since or (point['creation_time'] or '') >= self.since][:self.limit]
        machine = {
            'item': item,
            'name': found['name'],
            'protected': latest is not None and (not self.since or latest >= self.since),
            'kind': found['kind'],
            'platform': state['platform'] or found['platform'],
            'backup_server_id': found['backup_server_id'],
            'backup_server_name': found['backup_server_name'],
            'restore_points': points,
            'latest_restore_point_time': latest,
            'age': age_of(latest, self.now()),
            'job_id': state['job_id'],
            'job_name': state['job_name'],
            'last_result': state['last_result'],
            'last_message': state['last_message'],
            '_candidate': found,
            '_job': state['job'],
        }
        if self.include_raw:
            machine['raw'] = state['raw']
        return machine

    def refresh(self, machine):
        """The same machine read again."""
        return self.read(machine['item'], machine['_candidate'])

    def lookup(self, item):
        found = self.find(item)
        return unknown_machine(item) if found is None else self.read(item, found)

    def lookup_all(self, items):
        """One machine dict per name, in the order given, the names looked up at once. Names that match several
        machines fail together, after every name was looked up."""
        def one(item):
            try:
                return self.lookup(item), None
            except VeeamAmbiguousError as error:
                return None, error
        outcomes = self.client.side_by_side(one, items, workers=LOOKUP_WORKERS)
        errors = [error.message for dummy, error in outcomes if error is not None]
        if errors:
            raise VeeamAmbiguousError('; '.join(errors))
        return [machine for machine, dummy in outcomes]
