# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the inventory plugin: reading a listing only as far back as needed, the machine dict of a
listed row and its staleness, host names of a name on two servers, and the groups of a machine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.backupops.veeam.plugins.inventory.machines import host_names, machine_groups
from ansible_collections.backupops.veeam.plugins.module_utils._machines import (
    day_before,
    inventory_machine,
    listed,
    newest_of_each,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import restore_point
from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)


def test_newest_of_each_takes_the_first_of_each_key_and_stops_when_all_are_found():
    read = []

    def items():
        for index, (key, when) in enumerate([('a', '2026-12-06T10:00:00Z'), ('b', '2026-12-06T09:00:00Z'),
                                             ('a', '2026-12-06T08:00:00Z'), ('c', '2026-12-06T07:00:00Z')]):
            read.append(index)
            yield {'key': key, 'when': when}
    found = newest_of_each(items(), lambda item: item['key'], lambda item: item['when'],
                           {'a': '2026-12-05T00:00:00Z', 'b': '2026-12-05T00:00:00Z'})
    assert found['a']['when'] == '2026-12-06T10:00:00Z' and found['b']['when'] == '2026-12-06T09:00:00Z'
    assert read == [0, 1]  # no item after both wanted keys were found


def test_newest_of_each_stops_past_the_time_of_a_key_it_cannot_find():
    read = []

    def items():
        for index, when in enumerate(['2026-12-06T10:00:00Z', '2026-12-05T10:00:00Z', '2026-12-04T10:00:00Z']):
            read.append(index)
            yield {'key': 'other%d' % index, 'when': when}
    found = newest_of_each(items(), lambda item: item['key'], lambda item: item['when'],
                           {'gone': '2026-12-05T12:00:00Z'})
    assert 'gone' not in found
    assert read == [0, 1]  # the second item is older than any item of 'gone' can be


def test_day_before():
    assert day_before('2026-12-06T10:00:00Z') == '2026-12-05T10:00:00Z'
    assert day_before(None) == ''


def row(name='web01', server='vbr-prod-01', time='2026-12-06T10:00:00Z', result='Success', job='Daily Backup',
        malware=None, kind='vm'):
    point = restore_point('p1', time, 'Increment', 'j1', job, 'b1') if time else None
    return listed(name, kind, 'VMware', 's-' + server, server, point, 'j1', job, result, None, malware)


def test_inventory_machine_is_the_machine_dict_with_one_point_and_stale():
    since = '2026-12-05T12:00:00Z'
    fresh = inventory_machine(row(), since, NOW)
    assert fresh['stale'] is False and fresh['protected'] is True and fresh['age'] == 7200
    assert fresh['name'] == fresh['item'] == 'web01' and len(fresh['restore_points']) == 1
    assert fresh['restore_points'][0]['malware_status'] is None
    stale = inventory_machine(row(time='2026-12-01T10:00:00Z', malware='Infected'), since, NOW)
    assert stale['stale'] is True and stale['restore_points'][0]['malware_status'] == 'Infected'
    none = inventory_machine(row(time=None), since, NOW)
    assert none['stale'] is True and none['restore_points'] == [] and none['age'] is None
    assert listed('x', 'vm', None, None, None, None, last_result='None')['last_result'] is None


def test_a_name_on_two_servers_is_one_host_per_server():
    since = '2026-12-05T12:00:00Z'
    machines = [inventory_machine(row('DB01', 'vbr-prod-01'), since, NOW),
                inventory_machine(row('db01', 'vbr-dr-01'), since, NOW),
                inventory_machine(row('web01'), since, NOW)]
    assert sorted(name for name, dummy in host_names(machines)) == ['DB01@vbr-prod-01', 'db01', 'web01']


def test_groups_of_a_machine():
    since = '2026-12-05T12:00:00Z'
    assert machine_groups(inventory_machine(row(), since, NOW)) == ['veeam_fresh', 'veeam_job_Daily_Backup']
    failed = inventory_machine(row(time='2026-12-01T10:00:00Z', result='Failed', job='SQL (Nightly)',
                                   malware='Suspicious'), since, NOW)
    assert machine_groups(failed) == ['veeam_stale', 'veeam_failed', 'veeam_malware', 'veeam_job_SQL__Nightly_']
    warned = inventory_machine(row(result='Warning', job=None, malware='Clean'), since, NOW)
    assert machine_groups(warned) == ['veeam_fresh', 'veeam_warning']
