# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the EDA source backupops.veeam.veeam_events: arguments and their VEEAM_* fallbacks, what is
remembered and how it is written, the events' keys. No request is sent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import importlib.util
import json
import os

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'extensions', 'eda', 'plugins',
                    'event_source', 'veeam_events.py')
_SPEC = importlib.util.spec_from_file_location('veeam_events_unit', PATH)
veeam_events = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(veeam_events)

NOW = datetime.datetime(2026, 12, 6, 3, 0, 0, tzinfo=UTC)
ARGS = {'api': 'vbr', 'server': 'vbr.corp.example', 'username': 'backup', 'password': 's3cret!'}


def source(args=None, environ=None, **extra):
    return veeam_events.Source(dict(args if args is not None else ARGS, **extra), environ=environ or {}, now=NOW)


def test_the_environment_fills_what_is_not_given_and_an_empty_variable_is_unset():
    params = veeam_events.connection_params({'server': 'em01'}, {
        'VEEAM_API': 'vspc', 'VEEAM_API_KEY': 'key', 'VEEAM_PORT': '1281', 'VEEAM_VALIDATE_CERTS': 'false',
        'VEEAM_USERNAME': '', 'VEEAM_TIMEOUT': '', 'VEEAM_SERVER': 'ignored'})
    assert params['api'] == 'vspc' and params['server'] == 'em01' and params['api_key'] == 'key'
    assert params['port'] == 1281 and params['validate_certs'] is False and params['username'] is None
    assert params['timeout'] == 30


def test_defaults():
    made = source()
    assert made.events == ['session_ended', 'task_failed', 'malware_detected']
    assert made.results == ['Warning', 'Failed'] and made.interval == 60 and made.floor == NOW == made.cursors['sessions'] == made.cursors['malware']
    assert source(dict(ARGS, api='em')).events == ['session_ended', 'task_failed']


@pytest.mark.parametrize('extra, named', [
    ({'interval': -1}, 'interval:'), ({'interval': True}, 'interval:'), ({'interval': float('nan')}, 'interval:'),
    ({'events': []}, 'events:'), ({'events': ['session_ended', 'boom']}, 'events:'),
    ({'results': ['None']}, 'results:'), ({'since': '2999-01-01T00:00:00Z'}, 'since:'), ({'since': ' '}, 'since:'),
    ({'timeout': 0}, 'timeout (VEEAM_TIMEOUT)'), ({'server': 'http://vbr'}, 'server (VEEAM_SERVER)'),
    ({'api_version': 'x'}, 'api_version (VEEAM_API_VERSION)'), ({'password': None}, 'password (VEEAM_PASSWORD)'),
    ({'unknown': 1}, 'unknown:'),
])
def test_a_bad_argument_is_named_in_one_line(extra, named):
    args = dict(ARGS, **extra)
    args = dict((key, value) for key, value in args.items() if value is not None)
    with pytest.raises(VeeamOptionError) as raised:
        source(args)
    assert raised.value.message.startswith(named) or named in raised.value.message, raised.value.message
    assert '\n' not in raised.value.message and 's3cret!' not in raised.value.message


def test_the_state_is_written_atomically_without_secrets_and_read_back(tmp_path):
    state_file = str(tmp_path / 'state.json')
    made = source(state_file=state_file, since='2026-12-06T01:00:00Z')
    made.commit({'session:abc': '2026-12-06T02:30:00Z', 'session:old': '2026-12-06T00:30:00Z'}, NOW, ['sessions'])
    assert os.listdir(str(tmp_path)) == ['state.json']
    with open(state_file) as handle:
        text = handle.read()
    assert 's3cret!' not in text and 'backup' not in text
    state = json.loads(text)
    # the cursor of the step read is the poll's start (the other's stays at the start, since: 2 h back); what is
    # older than every window is forgotten
    assert state['cursors'] == {'sessions': '2026-12-06T03:00:00Z', 'malware': '2026-12-06T01:00:00Z'}
    assert state['seen'] == {'session:abc': '2026-12-06T02:30:00Z'}
    made.commit({}, NOW)
    assert made.seen == {'session:abc': '2026-12-06T02:30:00Z'}
    again = source(state_file=state_file)
    assert again.cursors == {'sessions': NOW, 'malware': NOW} and again.seen == {'session:abc': '2026-12-06T02:30:00Z'}
    assert again.window('malware') == NOW - datetime.timedelta(hours=1)
    # another server's state is not used
    other = source(dict(ARGS, server='vbr2.corp.example'), state_file=state_file)
    assert other.seen == {} and other.cursors['sessions'] == NOW


def test_a_state_file_that_is_not_ours_ends_the_source_at_start(tmp_path):
    state_file = tmp_path / 'state.json'
    state_file.write_text('{"hello": 1}')
    with pytest.raises(VeeamOptionError) as raised:
        source(state_file=str(state_file))
    assert raised.value.message.startswith('state_file:')


def test_session_keys():
    assert veeam_events.session_key({'id': 'ABC'}) == 'abc'
    assert veeam_events.session_key({'id': None, 'job_id': 'J1', 'end_time': '2026-12-06T02:00:00Z'}) == \
        'j1@2026-12-06T02:00:00Z'
