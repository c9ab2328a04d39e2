# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.backupops.veeam.plugins.module_utils._em import any_of
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._module import check_since, choose_words
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    SESSION_RESULTS,
    SESSION_STATES,
    select_sessions,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import format_time, since_time

NOW = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('value, expected', [
    ('90m', '2026-11-23T10:30:00Z'),
    ('24h', '2026-11-22T12:00:00Z'),
    ('7d', '2026-11-16T12:00:00Z'),
    ('2w', '2026-11-09T12:00:00Z'),
    ('30s', '2026-11-23T11:59:30Z'),
    (' 24H ', '2026-11-22T12:00:00Z'),
    ('2026-11-22T06:00:00Z', '2026-11-22T06:00:00Z'),
    ('2026-11-22T07:00:00+01:00', '2026-11-22T06:00:00Z'),
    ('2026-11-22T06:00:00', '2026-11-22T06:00:00Z'),
])
def test_since_accepts_iso_times_and_durations(value, expected):
    assert format_time(since_time(value, NOW)) == expected


@pytest.mark.parametrize('value, words', [
    ('yesterday', ['neither an ISO 8601 time', '90m, 24h, 7d']),
    ('24', ['neither']),
    ('-5h', ['neither']),
    ('2026-11-24T00:00:00Z', ['in the future']),
])
def test_since_refuses_other_forms_with_the_accepted_ones(value, words):
    with pytest.raises(ValueError) as caught:
        since_time(value, NOW)
    for word in words:
        assert word in str(caught.value)


def test_since_option_error_names_the_option():
    with pytest.raises(VeeamOptionError) as caught:
        check_since('last week', 'since')
    assert caught.value.message.startswith('since: ')
    assert check_since(None, 'since') is None


def test_choose_words_canonicalizes_and_names_the_option():
    assert choose_words(['failed', 'WARNING'], SESSION_RESULTS, 'result') == ['Failed', 'Warning']
    assert choose_words(None, SESSION_STATES, 'state') is None
    with pytest.raises(VeeamOptionError) as caught:
        choose_words(['Broken'], SESSION_RESULTS, 'result')
    assert caught.value.message == "result: 'Broken' is not one of Success, Warning, Failed, None"


def session(creation_time, state='Stopped', result='Success'):
    return {'creation_time': creation_time, 'state': state, 'result': result}


def test_select_sessions_filters_sorts_newest_first_and_limits():
    sessions = [session('2026-11-20T10:00:00Z'), session('2026-11-22T10:00:00Z', result='Failed'),
                session('2026-11-23T10:00:00Z', state='Working', result='None'), session(None)]
    assert [s['creation_time'] for s in select_sessions(sessions, limit=2)] == ['2026-11-23T10:00:00Z', '2026-11-22T10:00:00Z']
    assert [s['result'] for s in select_sessions(sessions, results=['Failed'])] == ['Failed']
    assert [s['state'] for s in select_sessions(sessions, states=['Working'])] == ['Working']
    assert len(select_sessions(sessions, since='2026-11-21T00:00:00Z')) == 2


def test_any_of_groups_or_conditions_and_refuses_injection():
    assert any_of('State', ['Working', 'Starting']) == '(State==Working,State==Starting)'
    with pytest.raises(VeeamOptionError):
        any_of('State', ['Working);Name==(x'])
