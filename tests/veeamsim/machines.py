# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The machines' part of the job runs: task sessions and restore points, derived from the job sessions.

Nothing is stored beyond the sessions: a job session's tasks (one per machine it processed) are derived from
the history on first use and kept on the session (or fixed when a run is started through an API), and a
machine's restore points are read off the tasks of its jobs' sessions whenever they are asked for. So a run
that ends makes its points by itself, and `--scale 5000` costs nothing at start-up.

Rules (README, "Data set"): a historical run processes the machines its job held when it started; a Success
run is Success for every machine, a Warning or Failed run gives its result and message to one machine (the
job's culprit, else one chosen by the session id) and Success to the others; a retry processes only the
machines the run before it did not back up cleanly. A machine's task that ended Success or Warning made one
restore point at the end of the run: Full for the first point of the job's chain and on Sundays (UTC), else
Increment; a quick backup always makes an Increment.
"""

from __future__ import annotations

import datetime

from . import standins

RESULT_RANK = {"None": -1, "Success": 0, "Warning": 1, "Failed": 2}
POINT_SALT = 0x5eed_0fa1_1901_7e57_0000_0000_0000_0001
_VERSION_MASK = ((1 << 128) - 1) & ~((0xF << 76) | (0x3 << 62))
_VERSION_BITS = (0x4 << 76) | (0x2 << 62)


def derived_id(base, salt):
    """A GUID derived from a GUID and a number: cheap (no hashing), stable, a valid version-4 form."""
    value = ((int(base.replace("-", ""), 16) ^ salt) & _VERSION_MASK) | _VERSION_BITS
    text = "%032x" % value
    return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


SUNDAY = 6
EM_TASK_STATES = {"Starting": "Pending", "Working": "InProgress", "Stopping": "InProgress", "Stopped": "Completed"}


class Task(object):
    """One machine's part of a job session (EM BackupTaskSession, VBR BackupTaskSessionModel)."""

    __slots__ = ("id", "session", "machine", "seq", "outcome", "message")

    def __init__(self, session, machine, seq, outcome, message):
        self.id = derived_id(session.id, int(machine.id.replace("-", ""), 16))
        self.session = session
        self.machine = machine
        self.seq = seq
        self.outcome = outcome
        self.message = message

    @property
    def start(self):
        """Tasks start one after the other, early in the run."""
        sess = self.session
        return sess.start + min(1.0 + 7.0 * self.seq, 0.3 * max(sess.end - sess.start, 0.0))


class TaskView(object):
    """A task's state at one instant (from its session's SessionView)."""

    __slots__ = ("task", "state", "result", "message", "end", "running")

    def __init__(self, task, view):
        self.task = task
        self.running = view.running
        self.state = view.state
        if view.running:
            self.result = "None"
            self.message = None
            self.end = None
        else:
            self.end = view.end
            if view.stopped:
                self.result, self.message = "Failed", view.failure_message
            else:
                self.result, self.message = task.outcome, task.message

    @property
    def em_state(self):
        return EM_TASK_STATES.get(self.state, "InProgress")


class Point(object):
    """A machine's restore point: the end of a task that ended Success or Warning."""

    __slots__ = ("task", "time", "type")

    def __init__(self, task, time, type_):
        self.task = task
        self.time = time
        self.type = type_

    @property
    def id(self):
        """Derived from its task's id (and back: derived_id(point id, POINT_SALT) is the task id)."""
        return derived_id(self.task.id, POINT_SALT)

    @property
    def machine(self):
        return self.task.machine

    @property
    def session(self):
        return self.task.session

    @property
    def job(self):
        return self.task.session.job

    @property
    def algorithm(self):
        """EM's Algorithm word: Full for a full, Incremental for an increment."""
        return "Full" if self.type == "Full" else "Incremental"


RESTORE_POINT_SALT = 0x0e57_0e90_1000_0000_0000_0000_0000_0002    # the job run's RestorePoint (EM /restorePoints)
BACKUP_FILE_SALT = 0x0bac_f11e_0000_0000_0000_0000_0000_0003
BACKUP_SALT = 0x0bac_0000_0000_0000_0000_0000_0000_0004       # a job's backup (VBR /backups, EM Backup)


def backup_id(job):
    return derived_id(job.id, BACKUP_SALT)


def em_ref(machine):
    """The VM's EM HierarchyObjRef: urn:VMware:Vm:<root>.<mo-ref> or urn:Hyperv:Vm:<root>.<GUID> (EM docs,
    "Constructing HierarchyObjRefType"); None for computers."""
    if machine.kind != "vm":
        return None
    return "urn:%s:Vm:%s.%s" % ("VMware" if machine.platform == "VMware" else "Hyperv", machine.root_id,
                                machine.object_ref)


def vsphere_path(machine):
    """The VM's inventory path as VBR writes it in a backup object (vCenter\\datacenter\\host\\VM)."""
    if machine.platform == "VMware":
        return "\\".join((machine.host, "Datacenter", "esx%02d.corp.example" % (1 + machine.index % 4), machine.name))
    return "\\".join((machine.host, machine.name))


def worst(results):
    return max(results, key=lambda result: RESULT_RANK.get(result, -1))


def members(model, job, at):
    """The machines `job` processes in a run started at `at` (not yet added, or excluded, ones left out)."""
    return [machine for machine in model.machines_by_job.get(job.id, ()) if machine.member(job, at)]


def session_tasks(model, sess):
    """The session's tasks (derived from the history on first use)."""
    if sess.tasks is None:
        sess.tasks = _history_tasks(model, sess)
        sess.derived = True
        for task in sess.tasks:
            model.task_index[task.id] = task
    return sess.tasks


def _history_tasks(model, sess):
    job = sess.job
    processed = members(model, job, sess.start) or standins.stand_ins(model, job)
    if not processed:
        return []
    if sess.is_retry:
        runs = model.sessions_by_job.get(job.id, [])
        position = runs.index(sess)
        if position > 0:
            failed = [task.machine for task in session_tasks(model, runs[position - 1]) if task.outcome != "Success"]
            processed = failed or processed
        return [Task(sess, machine, seq, sess.outcome, sess.failure_message) for seq, machine in enumerate(processed)]
    if sess.outcome == "Success":
        return [Task(sess, machine, seq, "Success", None) for seq, machine in enumerate(processed)]
    flagged = [machine for machine in processed if machine.culprit]
    eligible = [machine for machine in processed if not machine.added] or processed   # added ones keep the
    culprit = flagged[0] if flagged else eligible[int(sess.id[:8], 16) % len(eligible)]   # others' history as it was
    return [Task(sess, machine, seq, sess.outcome if machine is culprit else "Success",
                 sess.failure_message if machine is culprit else None) for seq, machine in enumerate(processed)]


def forget_history(model, job):
    """Let the job's past runs derive their tasks again (a machine was added to the job)."""
    for sess in model.sessions_by_job.get(job.id, ()):
        if sess.derived:
            sess.tasks = None
            sess.derived = False


def run_tasks(sess, machines, job_outcome, job_message, default_messages):
    """Fix the tasks of a run started now: each machine ends with its own configured outcome, else the job's.
    Returns (outcome, message) of the run: the worst task's."""
    tasks = []
    for seq, machine in enumerate(machines):
        if machine.outcome is not None:
            outcome = machine.outcome
            message = None if outcome == "Success" else (machine.failure_message or default_messages.get(outcome))
        else:
            outcome, message = job_outcome, job_message
        tasks.append(Task(sess, machine, seq, outcome, message))
    sess.tasks = tasks
    if not tasks:
        return job_outcome, job_message
    bad = worst([task.outcome for task in tasks])
    return bad, next(task.message for task in tasks if task.outcome == bad)


def task_of(model, sess, machine):
    for task in session_tasks(model, sess):
        if task.machine is machine:
            return task
    return None


def machine_tasks(model, machine):
    """The machine's tasks in every run of its jobs, oldest first."""
    found = []
    for job in machine.jobs:
        for sess in model.sessions_by_job.get(job.id, ()):
            task = task_of(model, sess, machine)
            if task is not None:
                found.append(task)
    found.sort(key=lambda task: task.session.start)
    return found


def machine_points(model, machine, at, view_of):
    """The machine's restore points at `at`, oldest first. `view_of(session)` gives a session's SessionView."""
    points = []
    for job in machine.jobs:
        chain = False
        for sess in model.sessions_by_job.get(job.id, ()):
            task = task_of(model, sess, machine)
            if task is None:
                continue
            tview = TaskView(task, view_of(sess))
            if tview.running or tview.result not in ("Success", "Warning"):
                continue
            sunday = datetime.datetime.fromtimestamp(tview.end, datetime.timezone.utc).weekday() == SUNDAY
            full = not chain or (sunday and not sess.quick)
            chain = True
            points.append(Point(task, tview.end, "Full" if full else "Increment"))
    if len(machine.jobs) > 1:
        points.sort(key=lambda point: point.time)
    return points


def every_task(model, sessions):
    for sess in sessions:
        yield from session_tasks(model, sess)


def find_task(model, task_id):
    task = model.task_index.get(task_id)
    if task is None:
        for dummy in every_task(model, model.sessions):
            pass
        task = model.task_index.get(task_id)
    return task


def find_point(model, point_id, at, view_of):
    """(machine, point) of a restore point id, or (None, None)."""
    task = find_task(model, derived_id(point_id, POINT_SALT))
    if task is None:
        return None, None
    for point in machine_points(model, task.machine, at, view_of):
        if point.id == point_id:
            return task.machine, point
    return None, None
