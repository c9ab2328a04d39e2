# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What real servers write where the documents are tidier: the quirks of the answers captured from real Veeam
servers (../shared/reference/captures/, copied to tests/unit/plugins/module_utils/fixtures/captures/), served in the
default world so that every integration test meets them. README.md, "Real servers' quirks", lists them.

- EM times: the fraction with its trailing zeros trimmed, 1 to 3 digits (v11 and v12 on SQL Server:
  ``...:22.7Z``, ``...:11.94Z``), or 6 digits (v12 on PostgreSQL: ``...:35.920773Z``); always UTC with ``Z``.
- VSPC times: 7 digits (.NET ticks) and the server's local offset, ``2023-01-19T04:35:05.4970000+01:00``.
- VSPC messages (a job's ``failureMessage``, a job object's ``messages``) end in a blank line, as alarm messages do.
- EM's VmRestorePoint of a VM with SQL Server carries ``SqlInfo`` (v12, CloudStack issue #10478), an element the
  XSD has and clients that map the documents' examples do not expect.
"""

from __future__ import annotations

import datetime

from .render import REQ, Node

# the local offset of the VSPC server (the capture's +01:00)
VSPC_OFFSET = datetime.timezone(datetime.timedelta(hours=1))
# VMs whose restore points carry SqlInfo
SQL_VMS = frozenset(("sql01",))


def em_time(epoch):
    """An EM time as real servers write it. Which form, is decided by the instant itself: the same time is written
    the same way in every answer (an entity and its query row, XML and JSON)."""
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    head = stamp.strftime("%Y-%m-%dT%H:%M:%S.")
    if int(epoch) % 4 == 0:
        return head + "%06dZ" % stamp.microsecond
    return head + (("%03d" % (stamp.microsecond // 1000)).rstrip("0") or "0") + "Z"


def vspc_time(epoch):
    stamp = datetime.datetime.fromtimestamp(epoch, VSPC_OFFSET)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (stamp.microsecond * 10) + stamp.isoformat()[-6:]


def vspc_message(text):
    """A message as VSPC writes it: ending in a blank line (``...\\n\\n``)."""
    return text + "\n\n" if text else text


def sql_info(machine_name):
    """A VmRestorePoint's ``SqlInfo`` for a SQL Server VM (the XSD's VmRestorePointSqlInfoType: its list of
    databases, empty here), else None (the element is left out)."""
    if machine_name not in SQL_VMS:
        return None
    return Node("SqlInfo", [([], [("Databases", Node("Databases", [([], [])]), REQ)])])
