# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's EM filter parser and data set, in process (no server needed)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from veeamsim import data, emquery  # noqa: E402  (needs the path above)

ROWS = [
    {"name": 'Exchange "Mail" Backup', "type": "Backup", "result": "Warning", "when": "2026-11-20T10:00:00Z", "on": True},
    {"name": "SQL Server; Nightly, Full", "type": "Backup", "result": "Success", "when": "2026-11-21T10:00:00Z", "on": False},
    {"name": "DC Replication", "type": "Replica", "result": "Failed", "when": "2026-11-22T10:00:00Z", "on": True},
    {"name": "Running", "type": "Backup", "result": "None", "when": None, "on": True},
]
FIELDS = {
    "name": ("str", lambda r: r["name"]),
    "jobtype": ("enum", lambda r: r["type"]),
    "result": ("result", lambda r: r["result"]),
    "endtime": ("date", lambda r: emquery.parse_date(r["when"]) if r["when"] else None),
    "scheduleenabled": ("bool", lambda r: r["on"]),
}


def names(text):
    pred = emquery.compile_filter(text, FIELDS)
    return [r["name"] for r in ROWS if pred(r)]


@pytest.mark.parametrize("text, expected", [
    ('Name=="Exchange ""Mail"" Backup"', ['Exchange "Mail" Backup']),
    ('name=="SQL Server; Nightly, Full"', ["SQL Server; Nightly, Full"]),
    ("JobType==replica", ["DC Replication"]),
    ("Result>=Warning", ['Exchange "Mail" Backup', "DC Replication"]),
    ("Result<Warning", ["SQL Server; Nightly, Full", "Running"]),
    ("JobType==Backup;Result==Success,JobType==Replica", ["SQL Server; Nightly, Full", "DC Replication"]),
    ("JobType==Backup;(Result==Success,Result==Warning)", ['Exchange "Mail" Backup', "SQL Server; Nightly, Full"]),
    ("EndTime>=2026-11-21T00:00:00Z", ["SQL Server; Nightly, Full", "DC Replication"]),
    ('EndTime<"2026-11-21T13:00:00+02:00"', ['Exchange "Mail" Backup', "SQL Server; Nightly, Full"]),
    ("EndTime!=2026-11-20T10:00:00Z", ["SQL Server; Nightly, Full", "DC Replication", "Running"]),
    ("ScheduleEnabled==False", ["SQL Server; Nightly, Full"]),
    ("", [r["name"] for r in ROWS]),
])
def test_filter_semantics(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text", ['Name=="open', "Name", "Name=", "Name==a;", "(Name==a", "Name==a)", "Nope==1",
                                  "Result==Maybe", "ScheduleEnabled==yes", "ScheduleEnabled>true", "EndTime>=yesterday",
                                  'Name==a"b'])
def test_filter_errors(text):
    with pytest.raises(emquery.FilterError):
        emquery.compile_filter(text, FIELDS)


def test_data_set_is_deterministic_and_complete():
    first = data.build(seed=7, scale=3)
    second = data.build(seed=7, scale=3)
    assert list(first.jobs) == list(second.jobs)
    assert [s.id for s in first.sessions] == [s.id for s in second.sessions]
    assert len(first.jobs) == len(data.BACKUP_JOBS) + len(data.AGENT_JOBS) + 6
    assert list(data.build(seed=8).jobs) != list(first.jobs)
    oldest = min(s.start for s in first.sessions)
    assert max(s.start for s in first.sessions) - oldest >= 42 * data.DAY
    assert len(first.running_ids) == 2
    assert {s.outcome for s in first.sessions} == {"Success", "Warning", "Failed"}
    assert any(s.is_retry for s in first.sessions)
