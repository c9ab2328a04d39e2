# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Event-Driven Ansible source backupops.veeam.veeam_events (INTERFACE.md section 6): its ``main(queue, args)``
driven with a real asyncio.Queue against the simulator, on every API."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import os

import pytest

from ansible_run import ACCOUNTS, REPO, assert_logged_off, ensure_collection_link, secrets_seen, wait_for

ensure_collection_link()
SOURCE_PATH = os.path.join(REPO, 'extensions', 'eda', 'plugins', 'event_source', 'veeam_events.py')
_SPEC = importlib.util.spec_from_file_location('veeam_events', SOURCE_PATH)
veeam_events = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(veeam_events)

JOB = 'File Server Backup'
MACHINE = 'fs01'
INTERVAL = 0.5
QUIET = 3.0  # seconds (six polls) in which nothing more may arrive


def source_args(simulator, api, **extra):
    args = {'api': api, 'server': simulator.host, 'port': simulator.port(api), 'username': 'admin',
            'password': ACCOUNTS['admin'], 'ca_path': simulator.ca_path, 'interval': INTERVAL}
    args.update(extra)
    return args


class Running:
    """The source running on its own loop task, with its queue."""

    def __init__(self, args):
        self.queue = asyncio.Queue()
        self.task = asyncio.ensure_future(veeam_events.main(self.queue, args))

    async def events(self, count, timeout=40.0):
        got = []
        for dummy in range(count):
            got.append(await asyncio.wait_for(self.queue.get(), timeout))
        return got

    async def nothing_more(self, timeout=QUIET):
        try:
            extra = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            assert not self.task.done(), self.task
            return
        raise AssertionError('an event more: %r' % extra)

    async def stop(self):
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


def fail_run(simulator, machine=MACHINE, job_id=None, outcome='Failed'):
    """Make ``machine`` fail (or succeed) in the next run of its job, and start a run of one second."""
    record = simulator._call('POST', '/machines/%s' % machine, {'outcome': outcome, 'failure_message': 'Error: disk full'}
                             if outcome != 'Success' else {'outcome': 'Success'})
    job_id = job_id or record['job_ids'][0]
    simulator.configure_job(job_id, duration=1, running=True)
    return job_id


def logged_off(simulator, api=None):
    """Nothing left open after the source stopped; with ``api``, also a logon (or token) per poll: more than a few
    were taken, and every EM session and VBR token of them ended before the next poll (the counters match)."""
    if api is not None:
        counters = simulator.counters()
        taken = {'em': counters['em']['logons'], 'vspc': counters['vspc']['tokens_issued'],
                 'vbr': counters['vbr']['tokens_issued']}[api]
        assert taken >= 4, counters
    wait_for(simulator.counters, lambda counters: counters['em']['open_sessions'] == 0
             and counters['vbr']['live_tokens'] == 0, timeout=20)
    assert_logged_off(simulator)


def test_a_failed_run_gives_one_session_and_one_task_event_and_a_success_run_none(simulator, api, caplog):
    caplog.set_level(logging.DEBUG, logger='backupops.veeam.veeam_events')
    sent = []

    async def scenario():
        source = Running(source_args(simulator, api))
        try:
            await source.nothing_more(2 * INTERVAL + 1)  # history is not replayed: since defaults to now
            fail_run(simulator)
            events = await source.events(2)
            sent.extend(events)
            await source.nothing_more()
            by_type = dict((event['veeam']['type'], event) for event in events)
            assert set(by_type) == {'session_ended', 'task_failed'}, events
            ended, failed = by_type['session_ended'], by_type['task_failed']
            assert ended['veeam']['session']['job_name'] == JOB and ended['veeam']['session']['result'] == 'Failed'
            assert ended['veeam']['task'] is None and ended['veeam']['malware'] is None
            assert failed['meta'] == {'hosts': MACHINE}
            assert failed['veeam']['task']['name'] == MACHINE and failed['veeam']['task']['result'] == 'Failed'
            assert failed['veeam']['session']['job_name'] == JOB
            assert {event['veeam']['api'] for event in events} == {api}
            assert {event['veeam']['server'] for event in events} == {simulator.host}
            assert simulator.host != 'x' and ACCOUNTS['admin'] not in json.dumps(events)
            # a run that succeeds: nothing, with the default results
            fail_run(simulator, outcome='Success')
            wait_for(lambda: simulator.job(JOB), lambda job: job['last_result'] == 'Success', timeout=30)
            await source.nothing_more()
        finally:
            await source.stop()
    asyncio.run(scenario())
    logged_off(simulator, api)
    # no password, token or session id in the events or the source's log
    written = json.dumps(sent) + '\n'.join(record.getMessage() for record in caplog.records)
    assert not [secret for secret in secrets_seen(simulator) if len(secret) > 3 and secret in written]


def test_malware_on_vbr_gives_one_event_for_the_machine(simulator):
    async def scenario():
        source = Running(source_args(simulator, 'vbr', events=['malware_detected']))
        try:
            await source.nothing_more(2 * INTERVAL + 1)
            record = simulator.flag_malware('web01')
            [event] = await source.events(1)
            await source.nothing_more()
            assert event['meta'] == {'hosts': 'web01'}
            assert event['veeam']['type'] == 'malware_detected' and event['veeam']['session'] is None
            assert event['veeam']['malware']['machine']['displayName'] == 'web01'
            assert event['veeam']['malware']['id'] == record['event_id']
        finally:
            await source.stop()
    asyncio.run(scenario())
    logged_off(simulator)


def test_a_restart_with_state_file_neither_repeats_nor_misses(simulator, tmp_path):
    state_file = str(tmp_path / 'veeam_events.json')
    args = source_args(simulator, 'vbr', state_file=state_file, events=['task_failed', 'malware_detected'])

    async def first():
        source = Running(args)
        try:
            await source.nothing_more(2 * INTERVAL + 1)
            fail_run(simulator)
            [event] = await source.events(1)
            assert event['veeam']['type'] == 'task_failed'
            await source.nothing_more(2 * INTERVAL + 1)
        finally:
            await source.stop()

    async def second():
        source = Running(args)
        try:
            events = await source.events(2)
            await source.nothing_more()
            assert sorted((event['veeam']['type'], event['meta']['hosts']) for event in events) == [
                ('malware_detected', 'web01'), ('task_failed', 'mail01')], events
        finally:
            await source.stop()
    asyncio.run(first())
    with open(state_file) as handle:
        state = handle.read()
    assert ACCOUNTS['admin'] not in state and 'password' not in state and json.loads(state)['api'] == 'vbr'
    assert [name for name in os.listdir(str(tmp_path)) if name != 'veeam_events.json'] == []
    # while the source is down: another machine fails, a point is flagged
    job_id = fail_run(simulator, machine='mail01')
    wait_for(lambda: simulator.configure_job(job_id), lambda job: job['last_result'] == 'Failed', timeout=30)
    simulator.flag_malware('web01')
    asyncio.run(second())
    logged_off(simulator)


@pytest.mark.parametrize('fault', ['status', 'drop', 'expire'])
def test_faults_for_a_few_polls_lose_nothing_and_end_nothing(simulator, fault, caplog):
    caplog.set_level(logging.WARNING, logger='backupops.veeam.veeam_events')

    async def scenario():
        source = Running(source_args(simulator, 'vbr', events=['session_ended']))
        try:
            await source.nothing_more(2 * INTERVAL + 1)
            if fault == 'status':
                simulator.fault(api='vbr', method='GET', status=503, count=12)
            elif fault == 'drop':
                simulator.fault(api='vbr', method='GET', drop=True, count=12)
            fail_run(simulator)
            if fault == 'expire':
                simulator.expire('vbr')
            [event] = await source.events(1, timeout=60)
            assert event['veeam']['type'] == 'session_ended'
            await source.nothing_more()
        finally:
            await source.stop()
            simulator.clear_faults()
    asyncio.run(scenario())
    failed = [record.getMessage() for record in caplog.records if 'poll failed' in record.getMessage()]
    if fault != 'expire':
        assert failed, 'no poll failed: the fault did not reach the source'
    assert not [message for message in failed if ACCOUNTS['admin'] in message], failed
    logged_off(simulator)


def test_a_failing_malware_listing_holds_back_neither_the_runs_nor_its_own_events(simulator, caplog):
    """Each step reads from its own cursor: while the malware listing fails, runs still arrive; once it answers again,
    the detection made meanwhile arrives too."""
    caplog.set_level(logging.WARNING, logger='backupops.veeam.veeam_events')

    async def scenario():
        source = Running(source_args(simulator, 'vbr', events=['session_ended', 'malware_detected']))
        try:
            await source.nothing_more(2 * INTERVAL + 1)
            simulator.fault(api='vbr', method='GET', path_prefix='/api/v1/malwareDetection', status=500, count=1000)
            simulator.flag_malware('web01')
            fail_run(simulator)
            [ended] = await source.events(1)
            assert ended['veeam']['type'] == 'session_ended'
            simulator.clear_faults()
            [found] = await source.events(1)
            assert found['veeam']['type'] == 'malware_detected' and found['meta'] == {'hosts': 'web01'}
            await source.nothing_more()
        finally:
            await source.stop()
            simulator.clear_faults()
    asyncio.run(scenario())
    assert [record for record in caplog.records if 'malware not read' in record.getMessage()]
    logged_off(simulator)


@pytest.mark.parametrize('args, named', [
    ({'interval': 0}, 'interval'),
    ({'interval': 'often'}, 'interval'),
    ({'events': ['backup_done']}, 'events'),
    ({'events': ['malware_detected'], 'api': 'em'}, 'events'),
    ({'results': ['Broken']}, 'results'),
    ({'since': 'yesterday'}, 'since'),
    ({'state_file': '/no/such/folder/state.json'}, 'state_file'),
    ({'port': 'http'}, 'port'),
    ({'api': 'nbu'}, 'api'),
    ({'password': None, 'username': None}, 'username'),
    ({'validate_certs': 'maybe'}, 'validate_certs'),
    ({'intervall': 5}, 'intervall'),
])
def test_bad_arguments_fail_at_start_naming_the_argument(simulator, args, named):
    merged = dict(source_args(simulator, 'vbr'), **args)
    merged = dict((key, value) for key, value in merged.items() if value is not None)
    before = simulator.counters()

    async def scenario():
        await asyncio.wait_for(veeam_events.main(asyncio.Queue(), merged), 10)
    with pytest.raises(ValueError) as raised:
        asyncio.run(scenario())
    message = str(raised.value)
    assert '\n' not in message and named in message, message
    assert ACCOUNTS['admin'] not in message
    after = simulator.counters()
    assert after['vbr']['tokens_issued'] == before['vbr']['tokens_issued']
