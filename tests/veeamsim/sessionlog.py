# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A job run's log as VBR writes it (`GET /api/v1/sessions/{id}/logs`, `SessionLogResult`), and the narrowing of
EM's `BackupTaskSession` query by the session UIDs of an OR filter (`JobSessionUid==a,JobSessionUid==b`).

The log is derived from the run's tasks (machines.py), as the rest of a run is: a record that the job started, one
that it built the list of machines, one per machine processed (Succeeded, or Warning / Failed with the machine's
reason), and, once the run has ended, one with the run's result. Statuses are ETaskLogRecordStatus words (None,
Succeeded, Warning, Failed); a record still under way is None. Descriptions of Warning and Failed records end with a
blank line, as a real server writes some, so that clients trim them.
"""

from __future__ import annotations

import json

from . import machines, state

LOG_STATUS = {"Success": "Succeeded", "Warning": "Warning", "Failed": "Failed", "None": "None"}
ENDED = {"Success": "Job finished with success", "Warning": "Job finished with warning",
         "Failed": "Job finished with error"}


def log_records(model, sess, now, fmt_time):
    """The SessionLogRecordModel dicts of a run at `now`, oldest first."""
    view = state.SessionView(sess, now)
    records = []

    def add(status, start, update, title, description=None):
        record = {"id": len(records) + 1, "status": status, "startTime": fmt_time(start),
                  "updateTime": fmt_time(update), "title": title}
        if description:
            record["description"] = description
        records.append(record)
    add("Succeeded", sess.start, sess.start, "Job started at %s" % fmt_time(sess.start))
    add("Succeeded", sess.start, sess.start + 1.0, "Building list of machines to process")
    for task in machines.session_tasks(model, sess):
        if task.start > now:
            continue
        tview = machines.TaskView(task, view)
        name = task.machine.name
        if tview.running:
            add("None", task.start, now, "Processing %s" % name)
        elif tview.result in ("Warning", "Failed"):
            add(LOG_STATUS[tview.result], task.start, tview.end, "Processing %s" % name,
                "%s: %s\r\n\r\n" % (name, tview.message or tview.result))
        else:
            add("Succeeded", task.start, tview.end, "Processing %s" % name)
    if not view.running:
        add(LOG_STATUS.get(view.result, "None"), view.end, view.end, ENDED.get(view.result, "Job finished"),
            ("%s\r\n\r\n" % view.failure_message) if view.result in ("Warning", "Failed") and view.failure_message
            else None)
    return records


def session_logs(ctx):
    """GET /api/v1/sessions/{id}/logs (1.3-rev2 documents a statusFilter too)."""
    from . import vbr  # vbr routes here: imported when answering, not when loading
    session_id = str(ctx.call.path_params["id"])
    sess = ctx.model.sessions_by_id.get(session_id)
    if sess is None or ctx.job_type(sess.job) is None:
        return vbr.error(404, "NotFound", "Session %s was not found." % session_id, resource_id=session_id)
    records = log_records(ctx.model, sess, ctx.now, vbr.fmt_time)
    wanted = ctx.query.get("statusFilter")
    if wanted is not None:
        records = [record for record in records if record["status"] == wanted]
    return vbr.json_response(200, {"totalRecords": len(records), "records": records})


def session_uids(tree):
    """The session UIDs an EM filter's top level pins `JobSessionUid` to (one `==`, or a group of `==` joined by
    `,`), else None: the candidates of a BackupTaskSession query are then the tasks of those sessions only."""
    if tree is None:
        return None
    terms = tree[1] if tree[0] == "and" else [tree]
    for term in terms:
        if term[0] == "cmp" and term[1].lower() == "jobsessionuid" and term[2] == "==":
            return [term[3]]
        if term[0] == "or" and all(node[0] == "cmp" and node[1].lower() == "jobsessionuid" and node[2] == "=="
                                   for node in term[1]):
            return [node[3] for node in term[1]]
    return None


def tasks_of_sessions(model, uids):
    """The tasks of the sessions whose EM UIDs are `uids` (unknown ones ignored)."""
    found = []
    for uid in uids:
        sess = model.sessions_by_id.get(uid.rsplit(":", 1)[-1].lower())
        if sess is not None:
            found.extend(machines.session_tasks(model, sess))
    return found


def jobs_in_filter(req, jobs):
    """The jobs a VSPC job-objects filter can match, narrowed by a top-level `jobUid` `in` (or `equals`) condition:
    a server reading the objects of those jobs by index, not every job's. The filter itself is still applied."""
    raw = req.arg("filter")
    if not raw:
        return jobs
    try:
        spec = json.loads(raw)
    except ValueError:
        return jobs
    for item in spec if isinstance(spec, list) else [spec]:
        if not isinstance(item, dict) or item.get("property") != "jobUid":
            continue
        operation, value = str(item.get("operation", "")).lower(), item.get("value")
        if operation == "in" and isinstance(value, list):
            wanted = set(str(uid).lower() for uid in value)
        elif operation == "equals" and isinstance(value, str):
            wanted = {value.lower()}
        else:
            continue
        return [job for job in jobs if job.id.lower() in wanted]
    return jobs
