# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quirks of real servers' answers that the simulator serves in its default world (tests/veeamsim/quirks.py,
README "Real servers' quirks"), so that every integration test meets them: EM time fractions of 1-3 and 6 digits,
VSPC times with 7 digits and a local offset, VSPC messages that end in a blank line, SqlInfo on a SQL Server VM's
restore points (and EM XML that still validates against the XSD)."""

from __future__ import annotations

import re

from test_simulator_contract import Em, Vspc
# a fixture, used by its name
from test_simulator_machines import amended_xsd  # noqa: F401  pylint: disable=unused-import


def test_em_times_have_fractions_of_varying_length_in_utc(simulator):
    em = Em(simulator, json_mode=True)
    sessions = em.query("BackupJobSession", pageSize=500).json()["Entities"]["BackupJobSessions"]["BackupJobSessions"]
    times = [session[key] for session in sessions for key in ("CreationTimeUTC", "EndTimeUTC") if session[key]]
    assert len(times) > 20
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}Z$", text) for text in times), times
    lengths = set(len(text.split(".")[1]) - 1 for text in times)
    assert 6 in lengths and lengths & {1, 2, 3} and len(lengths) >= 3, lengths


def test_vspc_times_have_seven_digits_and_a_local_offset_and_messages_end_in_a_blank_line(simulator):
    vs = Vspc(simulator)
    jobs = vs.get("/infrastructure/backupServers/jobs", limit=500).json()["data"]
    runs = [job["lastRun"] for job in jobs if job["lastRun"]]
    assert runs and all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+01:00$", text) for text in runs), runs
    messages = [job["failureMessage"] for job in jobs if job["failureMessage"]]
    assert messages and all(text.endswith("\n\n") and text.strip() for text in messages), messages


def test_em_sql_server_vm_points_carry_sql_info_and_validate(simulator, amended_xsd):  # pylint: disable=redefined-outer-name
    schema = amended_xsd
    em = Em(simulator)
    resp = em.query("VmRestorePoint", 'VmDisplayName=="sql01"')
    assert "<SqlInfo><Databases /></SqlInfo>" in resp.text
    schema.validate(resp.text)
    other = em.query("VmRestorePoint", 'VmDisplayName=="web01"')
    assert "<VmRestorePoint " in other.text and "SqlInfo" not in other.text
