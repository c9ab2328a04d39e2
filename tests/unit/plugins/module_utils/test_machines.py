# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared machine logic: name matching, the machine dict, age and since, and Quick Backup's flow, against a
scripted client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAmbiguousError,
    VeeamHTTPError,
    VeeamNotFoundError,
    VeeamUnsupportedError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._machines import (
    MACHINE_KEYS,
    Machines,
    name_variants,
    public,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import candidate, machine_state, restore_point
from ansible_collections.backupops.veeam.plugins.module_utils._quick_backup import QuickBackup, final_result
from ansible_collections.backupops.veeam.plugins.module_utils._wait import WaitSettings

NOW = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=datetime.timezone.utc)
JOB = {'id': 'j-1', 'uid': 'j-1', 'name': 'Daily Backup', 'type': 'Backup'}


def point(time_text, point_id='p'):
    return restore_point(point_id + time_text, time_text, 'Increment', 'j-1', 'Daily Backup', 'b-1')


def session(sid, state='Stopped', result='Success', message=None):
    return {'id': sid, 'state': state, 'result': result, 'running': state != 'Stopped', 'progress': None,
            'creation_time': '2026-11-23T11:00:00Z', 'failure_message': message, 'job_name': 'Daily Backup'}


class FakeClient:
    """Machines by name; ``states`` (per machine name) are returned in turn by machine_state (the last one
    repeats); ``sessions`` likewise by latest_session and read_session."""

    page_workers = 4
    side_by_side = VeeamClient.side_by_side  # the base's own: names looked up / jobs worked on at once

    def __init__(self, machines, states=None, sessions=None, refuse=None, unsupported=None, outcome=None):
        self.machines = machines
        self.states = dict((name, list(found)) for name, found in (states or {}).items())
        self.sessions = list(sessions or [])
        self.refuse = list(refuse or [])
        self.unsupported = unsupported
        self.outcome = outcome
        self.asked = []
        self.started = []

    def find_machines(self, name, kind='any', backup_server=None):
        self.asked.append(name)
        return [dict(found) for found in self.machines
                if found['name'].lower() == name.lower() and kind in ('any', found['kind'])
                and backup_server in (None, found['backup_server_name'])]

    def machine_state(self, found, limit=1, include_raw=False):
        states = self.states[found['name']]
        return states.pop(0) if len(states) > 1 else states[0]

    def latest_session(self, job):
        return self.sessions.pop(0) if len(self.sessions) > 1 else (self.sessions[0] if self.sessions else None)

    def read_session(self, job, current):
        return self.latest_session(job)

    def check_quick_backup(self, machine):
        if self.unsupported:
            raise VeeamUnsupportedError(self.unsupported)

    def quick_backup(self, machine):
        self.started.append(machine['name'])
        if self.refuse:
            raise self.refuse.pop(0)
        return self.outcome or {'task': None, 'session': session('qb', state='Working', result='None'), 'job': JOB}


def vm(name, server='vbr-prod-01', kind='vm', platform='VMware'):
    return candidate(name, kind, platform, 'srv-' + server, server)


def fresh(*times, **kwargs):
    return machine_state([point(each) for each in times], job_id='j-1', job_name='Daily Backup', job=JOB,
                         last_result=kwargs.get('result', 'Success'), last_message=kwargs.get('message'))


def lookup(client, **kwargs):
    return Machines(client, now=lambda: NOW, **kwargs)


@pytest.mark.parametrize('item, names', [
    ('web01', ['web01']),
    ('web01.corp.example', ['web01.corp.example', 'web01']),
    (' WEB01.Corp.Example ', ['WEB01.Corp.Example', 'WEB01']),
    ('10.1.2.3', ['10.1.2.3']),
    ('.hidden', ['.hidden']),
])
def test_a_dotted_host_name_is_tried_again_with_its_first_label(item, names):
    assert name_variants(item) == names


def test_names_match_in_any_case_and_fqdn_falls_back_to_the_short_name():
    client = FakeClient([vm('web01'), vm('dc01.corp.example')],
                        states={'web01': [fresh('2026-11-23T02:00:00Z')], 'dc01.corp.example': [fresh('2026-11-23T03:00:00Z')]})
    machines = lookup(client).lookup_all(['WEB01.corp.example', 'DC01.CORP.EXAMPLE', 'dc01'])
    assert [m['name'] for m in machines] == ['web01', 'dc01.corp.example', None]
    assert [m['item'] for m in machines] == ['WEB01.corp.example', 'DC01.CORP.EXAMPLE', 'dc01']
    assert machines[0]['age'] == 10 * 3600 and machines[0]['protected'] is True
    assert client.asked.count('dc01') == 1, 'a name without dots is looked up once'


def test_an_unknown_machine_is_an_answer_with_every_key():
    [machine] = lookup(FakeClient([])).lookup_all(['ghost.corp.example'])
    assert set(machine) == set(MACHINE_KEYS)
    assert machine['protected'] is False and machine['restore_points'] == [] and machine['age'] is None
    assert machine['name'] is None and machine['item'] == 'ghost.corp.example'


def test_several_matches_fail_listing_every_candidate_and_every_ambiguous_name():
    client = FakeClient([vm('db01'), vm('DB01', 'vbr-dr-01', platform='HyperV'), vm('app01'), vm('APP01', 'vbr-dr-01')])
    with pytest.raises(VeeamAmbiguousError) as caught:
        lookup(client).lookup_all(['db01', 'app01'])
    message = caught.value.message
    assert "'db01' matches 2 machines: db01 (vm, VMware) on vbr-prod-01; DB01 (vm, HyperV) on vbr-dr-01" in message
    assert "'app01' matches 2 machines" in message and 'backup_server' in message


def test_backup_server_and_kind_choose_one():
    client = FakeClient([vm('db01'), vm('DB01', 'vbr-dr-01'), vm('db01', kind='computer')],
                        states={'db01': [fresh('2026-11-23T02:00:00Z')], 'DB01': [fresh('2026-11-22T02:00:00Z')]})
    [machine] = lookup(client, backup_server='vbr-dr-01').lookup_all(['db01'])
    assert machine['name'] == 'DB01' and machine['backup_server_name'] == 'vbr-dr-01'
    with pytest.raises(VeeamAmbiguousError):
        lookup(client, backup_server='vbr-prod-01').lookup_all(['db01'])
    assert lookup(client, backup_server='vbr-prod-01', kind='vm').lookup_all(['db01'])[0]['kind'] == 'vm'


def test_since_keeps_the_newest_time_but_drops_older_points():
    client = FakeClient([vm('legacy01')], states={'legacy01': [fresh('2026-11-13T12:00:00Z', '2026-11-06T12:00:00Z')]})
    [stale] = lookup(client, since='2026-11-22T12:00:00Z', limit=5).lookup_all(['legacy01'])
    assert stale['protected'] is False and stale['restore_points'] == []
    assert stale['latest_restore_point_time'] == '2026-11-13T12:00:00Z' and stale['age'] == 10 * 86400
    [old] = lookup(client, since=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc), limit=1).lookup_all(['legacy01'])
    assert old['protected'] is True and [p['creation_time'] for p in old['restore_points']] == ['2026-11-13T12:00:00Z']


def quick(client, check_mode=False, **wait):
    wait.setdefault('wait', True)
    wait.setdefault('poll_interval', 1)
    return QuickBackup(client, lookup(client), WaitSettings(**wait), check_mode=check_mode, sleep=lambda seconds: None)


def test_quick_backup_waits_and_reads_the_machine_again():
    client = FakeClient([vm('web01')], states={'web01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:58:00Z')]},
                        sessions=[session('old'), session('qb', 'Working', 'None'), session('qb')])
    result = quick(client).run('web01.corp.example')
    assert client.started == ['web01']
    assert result['changed'] is True and result['failed'] is False
    assert result['session']['id'] == 'qb' and result['session']['result'] == 'Success'
    assert result['machine']['latest_restore_point_time'] == '2026-11-23T11:58:00Z'
    assert not any(key.startswith('_') for key in result['machine'])
    assert result['msg'] == ("quick backup of 'web01' through job 'Daily Backup' ended Success; newest restore point "
                             "2026-11-23T11:58:00Z")


def test_a_failed_run_fails_with_the_machines_own_message():
    client = FakeClient([vm('fs01')], states={'fs01': [fresh('2026-11-21T02:00:00Z'),
                                                       fresh('2026-11-21T02:00:00Z', result='Failed', message='VSS timeout')]},
                        sessions=[session('old'), session('qb', result='Failed', message='1 of 1 VMs failed')])
    result = quick(client).run('fs01')
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'] == "quick backup of 'fs01' through job 'Daily Backup' ended Failed: VSS timeout"


def test_a_warning_warns_or_fails_with_fail_on_warning():
    states = {'mail01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:59:00Z', result='Warning', message='CBT off')]}
    runs = [session('old'), session('qb', result='Warning')]
    result = quick(FakeClient([vm('mail01')], states=states, sessions=runs)).run('mail01')
    assert result['failed'] is False and result['warnings'] == ["the quick backup of 'mail01' ended with a warning: CBT off"]
    states = {'mail01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:59:00Z', result='Warning', message='CBT off')]}
    result = quick(FakeClient([vm('mail01')], states=states, sessions=runs), fail_on_warning=True).run('mail01')
    assert result['failed'] is True and result['msg'].endswith('ended Warning: CBT off')


def test_check_mode_starts_nothing_and_says_it_would():
    client = FakeClient([vm('web01')], states={'web01': [fresh('2026-11-22T02:00:00Z')]})
    result = quick(client, check_mode=True).run('web01')
    assert result['changed'] is True and client.started == [] and result['session'] is None
    assert result['msg'] == "'web01' would be backed up now (quick backup through job 'Daily Backup')"


@pytest.mark.parametrize('machines, states, words', [
    ([], {}, ["no machine named 'ghost' has backups", 'existing backup chain']),
    ([vm('ghost')], {'ghost': [machine_state([], job_id='j-1', job_name='Manual Test Backup', job=JOB)]},
     ["'ghost' has no restore point yet", "its job 'Manual Test Backup'", 'veeam_job_action']),
])
def test_no_machine_or_no_restore_point_fails_before_anything_is_started(machines, states, words):
    client = FakeClient(machines, states=states)
    with pytest.raises(VeeamNotFoundError) as caught:
        quick(client).run('ghost')
    assert caught.value.message.startswith('nothing was started: ')
    for word in words:
        assert word in caught.value.message
    assert client.started == []


def test_what_the_api_cannot_do_fails_before_anything_naming_the_job_to_use_instead():
    client = FakeClient([vm('lnx01', kind='computer', platform=None)], states={'lnx01': [fresh('2026-11-21T02:00:00Z')]},
                        unsupported='Enterprise Manager has no quick backup for Veeam Agent computers')
    with pytest.raises(VeeamUnsupportedError) as caught:
        quick(client).run('lnx01')
    assert caught.value.message == (
        "nothing was started: Enterprise Manager has no quick backup for Veeam Agent computers; to back up 'lnx01' now, "
        "start its job 'Daily Backup' with backupops.veeam.veeam_job_action (action: start, agent: true), which backs up "
        "every machine of that job")
    assert caught.value.details['machine']['name'] == 'lnx01' and client.started == []


def test_a_running_job_is_waited_for_and_when_it_backed_the_machine_up_nothing_is_started():
    client = FakeClient([vm('bigdata01')], states={'bigdata01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:50:00Z')]},
                        sessions=[session('run', 'Working', 'None'), session('run')])
    result = quick(client).run('bigdata01')
    assert client.started == [] and result['changed'] is False and result['failed'] is False
    assert result['session']['id'] == 'run'
    assert result['msg'] == ("'bigdata01' was backed up by the run of its job 'Daily Backup' that was going on; no quick "
                             "backup was started")


def test_without_wait_a_running_job_fails_and_nothing_is_started():
    client = FakeClient([vm('bigdata01')], states={'bigdata01': [fresh('2026-11-22T02:00:00Z')]},
                        sessions=[session('run', 'Working', 'None')])
    result = quick(client, wait=False).run('bigdata01')
    assert result['failed'] is True and 'is running' in result['msg'] and client.started == []


def test_a_refusal_while_another_run_of_the_job_began_is_waited_out_and_asked_again():
    refused = VeeamHTTPError('POST /api/v1/jobs/quickBackup/vSphere failed: HTTP 400: the job is running', status=400)
    client = FakeClient([vm('web02')], states={'web02': [fresh('2026-11-22T02:00:00Z')] * 2 + [fresh('2026-11-23T11:59:00Z')]},
                        refuse=[refused],
                        sessions=[session('old'), session('other', 'Working', 'None'), session('other', 'Working', 'None'),
                                  session('other'), session('other'), session('qb')])
    result = quick(client).run('web02')
    assert client.started == ['web02', 'web02']
    assert result['failed'] is False and result['changed'] is True, result['msg']


def test_a_refusal_without_a_running_job_fails_with_the_servers_words():
    refused = VeeamHTTPError('POST /api/v1/jobs/quickBackup/vSphere failed: HTTP 400: needs an existing full backup',
                             status=400, server_message='needs an existing full backup')
    client = FakeClient([vm('web02')], states={'web02': [fresh('2026-11-22T02:00:00Z')]}, refuse=[refused],
                        sessions=[session('old')])
    result = quick(client).run('web02')
    assert client.started == ['web02'] and result['failed'] is True and result['changed'] is False
    assert result['msg'] == ("quick backup of 'web02': the server refused it, nothing was started: POST "
                             "/api/v1/jobs/quickBackup/vSphere failed: HTTP 400: needs an existing full backup")
    assert result['status'] == 400


def test_the_run_of_an_api_that_answers_with_the_job_only_is_looked_for():
    client = FakeClient([vm('lnx01', kind='computer')], states={'lnx01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:59:00Z')]},
                        sessions=[session('old'), session('old'), session('qb', 'Working', 'None'), session('qb')],
                        outcome={'task': None, 'session': None, 'job': JOB})
    result = quick(client).run('lnx01')
    assert result['session']['id'] == 'qb' and result['session']['result'] == 'Success'
    assert result['machine']['latest_restore_point_time'] == '2026-11-23T11:59:00Z'


def test_a_run_that_ended_well_without_a_visible_new_point_warns():
    clock = iter(range(0, 100000, 30))
    client = FakeClient([vm('web01')], states={'web01': [fresh('2026-11-22T02:00:00Z')]},
                        sessions=[session('old'), session('qb')])
    backup = QuickBackup(client, lookup(client), WaitSettings(wait=True), sleep=lambda seconds: None,
                         clock=lambda: next(clock))
    result = backup.run('web01')
    assert result['failed'] is False
    assert result['warnings'] and 'no newer restore point is visible yet' in result['warnings'][0]


def test_public_drops_the_private_keys():
    assert public({'name': 'x', '_candidate': {}, '_job': None}) == {'name': 'x'}


class Clock:
    """A clock that a sleep moves on."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def rounds(client, interval, **wait):
    """Run the quick backup of web01 in rounds of ``interval`` seconds, as the action plugin does (each round's state
    through JSON); return the states after each round."""
    from ansible_collections.backupops.veeam.plugins.module_utils._progress import finished, first_state, run_round
    clock = Clock()
    backup = QuickBackup(client, lookup(client), WaitSettings(wait=True, poll_interval=1, **wait), sleep=clock.sleep,
                         clock=clock)
    state, seen = first_state([{'name': 'web01'}]), []
    while True:
        state = json.loads(json.dumps(run_round(backup, state, interval)))
        seen.append(json.loads(json.dumps(state)))  # a round changes the entries it is given
        if finished(state):
            return seen
        assert len(seen) < 50


def test_in_rounds_the_backup_is_started_once_and_followed_to_its_end():
    running = [session('qb', 'Working', 'None')] * 6
    client = FakeClient([vm('web01')], states={'web01': [fresh('2026-11-22T02:00:00Z'), fresh('2026-11-23T11:59:00Z')]},
                        sessions=[session('old')] + running + [session('qb')])
    seen = rounds(client, 2)
    assert client.started == ['web01'] and len(seen) > 2
    assert 'pending' in seen[0][0] and seen[0][0]['job'] == {'name': 'web01'} and seen[0][0]['changed'] is True
    final = seen[-1][0]
    assert final['session']['result'] == 'Success' and final['failed'] is False
    assert final['machine']['latest_restore_point_time'] == '2026-11-23T11:59:00Z'
    assert set(final_result(final)) == {'changed', 'failed', 'msg', 'machine', 'session', 'task', 'warnings'}


def test_in_rounds_a_run_of_the_job_going_on_is_waited_for_before_anything_is_started():
    going = [session('run', 'Working', 'None')] * 5
    client = FakeClient([vm('web01')], states={'web01': [fresh('2026-11-22T02:00:00Z')] * 2 + [fresh('2026-11-23T11:59:00Z')]},
                        sessions=going + [session('run'), session('run'), session('qb')])
    seen = rounds(client, 2)
    first_started = [index for index, state in enumerate(seen) if state[0]['changed']][0]
    assert first_started > 0, 'the first rounds only waited for the run that was going on'
    assert seen[0][0]['msg'] == "waiting for the run of its job 'Daily Backup' that is going on"
    assert client.started == ['web01'] and seen[-1][0]['failed'] is False
