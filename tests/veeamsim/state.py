# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One stateful model behind the three APIs (em, vspc, vbr).

Nothing runs in the background: a session's state is computed from its timestamps whenever it is read,
so a started job "runs" for its configured duration and ends with its configured outcome by itself.
"""

from __future__ import annotations

import base64
import bisect
import collections
import datetime
import os
import threading
import time
import uuid

from . import data, machines, malware

STARTING_PHASE = 1.0   # seconds a new session reports State Starting
STOP_DELAY = 1.0       # seconds between a stop request and the session being Stopped
SESSION_WINDOW = 30 * data.DAY   # EM returns only sessions of the last 30 days
STOPPED_BY_USER = "Job has been stopped by user"
DEFAULT_MESSAGES = {"Warning": "Warning: simulated warning", "Failed": "Error: simulated failure"}

LOG_LIMIT = 100000     # /_sim/log keeps the newest requests only beyond this many
VIOLATION_LIMIT = 1000  # /_sim/vbr/violations keeps the newest ones only beyond this many
VBR_VERSIONS = ("12.3", "13.0.1", "13.1")
LISTING_LIMIT = 256    # job listings kept (filtered and sorted, without paging) before the oldest is dropped


def now():
    return time.time()


def next_run(job, at):
    """When a scheduled, enabled job runs next (its time of day, UTC), or None."""
    if not job.schedule_configured or not job.schedule_enabled:
        return None
    day = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    day = day.replace(hour=job.hour, minute=job.minute, second=0, microsecond=0)
    when = day.timestamp()
    if when <= at:
        when += data.DAY
    return when


class User(object):
    __slots__ = ("name", "password", "role", "uid")

    def __init__(self, name, password, role):
        self.name = name
        self.password = password
        self.role = role
        self.uid = str(uuid.uuid5(uuid.NAMESPACE_URL, "veeamsim-user:" + name))

    @property
    def admin(self):
        return self.role == "admin"

    @property
    def operator(self):
        """VBR's Backup Operator: may start, stop and retry jobs; EM and VSPC treat the role as read-only."""
        return self.role == "operator"


ROLES = ("admin", "operator", "readonly")
DEFAULT_USERS = [
    ("admin", "Simulator-Pass1", "admin"),
    ("viewer", "Viewer-Pass1", "readonly"),
    ("operator", "Operator-Pass1", "operator"),
    ("CORP\\tricky", "p:a&s%s+ w\u00f6rd", "admin"),
]
API_KEY = "sim-api-key-0123456789abcdef"


class SessionView(object):
    """A session's state at one instant."""

    __slots__ = ("session", "state", "result", "progress", "end", "failure_message", "stopped")

    def __init__(self, session, at):
        self.session = session
        end = session.end
        stopped = session.stopped_at is not None and session.stopped_at + STOP_DELAY < end
        self.stopped = False
        if stopped:
            end = session.stopped_at + STOP_DELAY
        if at >= end:
            self.state = "Stopped"
            self.result = "Failed" if stopped else session.outcome
            self.stopped = stopped
            self.progress = 100
            self.end = end
            self.failure_message = STOPPED_BY_USER if stopped else session.failure_message
        else:
            if session.stopped_at is not None:
                self.state = "Stopping"
            elif at < session.start + STARTING_PHASE:
                self.state = "Starting"
            else:
                self.state = "Working"
            self.result = "None"
            span = max(session.end - session.start, 0.001)
            self.progress = max(0, min(99, int(100 * (at - session.start) / span)))
            self.end = None
            self.failure_message = None

    @property
    def running(self):
        return self.state != "Stopped"


class Task(object):
    """An EM task (the answer to an action); `related` is the job session a quick backup started."""

    __slots__ = ("id", "owner", "operation", "created", "finish_at", "success", "message", "related")

    def __init__(self, tid, owner, operation, created, finish_at, success, message, related=None):
        self.id = tid
        self.owner = owner
        self.operation = operation
        self.created = created
        self.finish_at = finish_at
        self.success = success
        self.message = message
        self.related = related

    def state(self, at):
        return "Finished" if at >= self.finish_at else "Running"


class ActionError(Exception):
    """An action that is not valid now (EM: a task ending Success="false"; VSPC: 400 logical)."""

    def __init__(self, message):
        super(ActionError, self).__init__(message)
        self.message = message


class Model(object):
    def __init__(self, seed=1, scale=0, em_idle=900.0, vspc_lifetime=3600.0, task_delay=0.5, em_lag=1.0,
                 vbr_version="13.1", vbr_validate=True, vbr_token_lifetime=900.0, scale_machines=1):
        self.seed = seed
        self.scale = scale
        self.scale_machines = scale_machines
        self.em_idle = float(em_idle)
        self.vspc_lifetime = float(vspc_lifetime)
        if vbr_version not in VBR_VERSIONS:
            raise ValueError("vbr_version must be one of %s" % ", ".join(VBR_VERSIONS))
        self.default_vbr_version = vbr_version
        self.default_vbr_validate = bool(vbr_validate)
        self.default_vbr_token_lifetime = float(vbr_token_lifetime)
        self.default_task_delay = float(task_delay)
        self.default_em_lag = float(em_lag)
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ reset / data
    def reset(self):
        ds = data.build(self.seed, self.scale, scale_machines=self.scale_machines)
        with self.lock:
            self.servers = ds.servers
            self.servers_by_id = dict((s.id, s) for s in ds.servers)
            self.vbr_server = [s for s in ds.servers if s.name == data.VBR_SERVER][0]
            self.added_jobs = 0
            self.added_machines = 0
            self.jobs = ds.jobs
            self.listings = {}          # (api, what, filters...) -> the jobs a listing shows, in its order
            self.sessions = ds.sessions
            self.session_starts = [s.start for s in ds.sessions]
            self.sessions_by_id = dict((s.id, s) for s in ds.sessions)
            self.sessions_by_job = {}
            for sess in ds.sessions:
                self.sessions_by_job.setdefault(sess.job.id, []).append(sess)
            self.machines = ds.machines
            self.machines_by_name = {}     # lower-case name -> [machines]
            self.machines_by_job = {}      # job id -> [machines]
            for machine in ds.machines.values():
                self.machines_by_name.setdefault(machine.name.lower(), []).append(machine)
                for job in machine.jobs:
                    self.machines_by_job.setdefault(job.id, []).append(machine)
            self.task_index = {}           # task id -> machines.Task (filled as tasks are derived)
            self.malware = malware.initial_flags(ds.machines)   # machine id -> malware.Flag
            self.machines_by_ref = None    # EM HierarchyObjRef (lower case) -> VM, made on first use
            self.users = dict((name, User(name, pw, role)) for name, pw, role in DEFAULT_USERS)
            self.em_sessions = {}       # token -> dict(id, user, last)
            self.vspc_access = {}       # token -> dict(user, expires)
            self.vspc_refresh = {}      # refresh token -> user name
            self.tasks = {}
            self.task_seq = 0
            self.async_actions = {}
            self.vspc_request_ids = {}  # (user, X-Request-id, method, path) -> (time, response)
            self.vspc_async = "alternate"   # alternate | always | never
            self.vspc_action_seq = 0
            self.task_delay = self.default_task_delay
            self.em_lag = self.default_em_lag
            self.vbr_version = self.default_vbr_version
            self.vbr_validate = self.default_vbr_validate
            self.vbr_token_lifetime = self.default_vbr_token_lifetime
            self.vbr_access = {}        # access token -> dict(user, chain, expires)
            self.vbr_refresh = {}       # unspent refresh token -> chain id
            self.vbr_spent = set()      # refresh tokens used once already
            self.vbr_chains = {}        # chain id (one per password grant) -> dict(user, tokens)
            self.vbr_violations = collections.deque(maxlen=VIOLATION_LIMIT)
            self.faults = []
            self.log = collections.deque(maxlen=LOG_LIMIT)
            self.counters = {
                "em": {"logons": 0, "failed_logons": 0, "logoffs": 0},
                "vspc": {"tokens_issued": 0, "tokens_refreshed": 0, "tokens_revoked": 0, "failed_logons": 0},
                "vbr": {"tokens_issued": 0, "tokens_refreshed": 0, "failed_logons": 0, "logouts": 0, "refresh_reuse": 0,
                        "unsupported_version": 0, "refused_requests": 0, "schema_violations": 0},
                "requests": {},
                "requests_total": 0,
                "actions": {"start": 0, "stop": 0, "retry": 0, "sync": 0, "toggle": 0, "patch": 0, "enable": 0,
                            "disable": 0, "quick_backup": 0},
            }

    def server_of(self, job):
        return self.servers_by_id[job.server_id]

    def last_session(self, job):
        """The job's newest session in the model (what VSPC reports; EM sees it after the collection lag)."""
        lst = self.sessions_by_job.get(job.id)
        return lst[-1] if lst else None

    def em_sessions_window(self, at):
        """Sessions EM shows: created in the last 30 days and already collected."""
        first = bisect.bisect_left(self.session_starts, at - SESSION_WINDOW)
        return [s for s in self.sessions[first:] if s.visible_at <= at]

    def listing(self, key, build):
        """The jobs of a listing (filtered and sorted, not paged) under `key`: built once by build() and kept
        until a job is added or changes a value a listing filters or sorts on (jobs_changed), so that serving
        one page costs the page, not the whole world."""
        found = self.listings.get(key)
        if found is None:
            if len(self.listings) >= LISTING_LIMIT:
                del self.listings[next(iter(self.listings))]
            found = self.listings[key] = build()
        return found

    def jobs_changed(self):
        self.listings.clear()

    def set_schedule_enabled(self, job, enabled):
        job.schedule_enabled = enabled
        self.jobs_changed()

    def add_job(self, job, history):
        """Add a job (and its past sessions) to the world."""
        self.jobs[job.id] = job
        self.jobs_changed()
        for sess in history:
            self.sessions_by_id[sess.id] = sess
            self.sessions_by_job.setdefault(job.id, []).append(sess)
        self.sessions.extend(history)
        self.sessions.sort(key=lambda s: s.start)     # EM's 30-day window bisects on start times
        self.session_starts = [s.start for s in self.sessions]

    def _add_session(self, job, start, is_retry, visible_at, processed=None, quick=False):
        """A run of `job` started now, processing `processed` (default: every machine the job holds now)."""
        sid = str(uuid.uuid4())
        message = None
        if job.run_outcome != "Success":
            message = job.run_failure_message or DEFAULT_MESSAGES[job.run_outcome]
        sess = data.Session(sid, job, start, start + job.run_duration, job.run_outcome, message,
                            is_retry=is_retry, visible_at=visible_at)
        sess.quick = quick
        if processed is None:
            processed = machines.members(self, job, start)
        sess.outcome, sess.failure_message = machines.run_tasks(sess, processed, job.run_outcome, message,
                                                                DEFAULT_MESSAGES)
        for task in sess.tasks:
            self.task_index[task.id] = task
        self.sessions.append(sess)
        self.session_starts.append(start)
        self.sessions_by_id[sid] = sess
        self.sessions_by_job.setdefault(job.id, []).append(sess)
        return sess

    def set_running(self, job, running, at):
        last = self.last_session(job)
        is_running = last is not None and SessionView(last, at).running
        if running and not is_running:
            self._add_session(job, at, False, at)
        elif not running and is_running:
            last.end = at
            last.stopped_at = None

    # ------------------------------------------------------------------ actions
    def act(self, job, action, at, api):
        """Apply an action; return (message, session or None); raise ActionError when not valid."""
        quoted = '"%s"' % job.name
        copy = job.em_type == "BackupCopy"
        last = self.last_session(job)
        view = SessionView(last, at) if last is not None else None
        running = view is not None and view.running
        visible = at + (self.task_delay + self.em_lag if api == "em" else self.em_lag)
        if action == "toggle":
            self.set_schedule_enabled(job, not job.schedule_enabled)
            return "Ok", None
        if action in ("enable", "disable"):
            self.set_schedule_enabled(job, action == "enable")
            return "Ok", None
        if api == "em" and copy and action in ("start", "retry"):
            # EM starts backup copy jobs with ?action=sync; its docs list no Start/Retry for them
            raise ActionError('Action "%s" is not available for backup copy job %s. Use the Sync action to start it.'
                              % (action, quoted))
        if api == "em" and action == "sync" and not copy:
            raise ActionError("Sync is available for backup copy jobs only: job %s is a %s job." % (quoted, job.em_type))
        if action in ("start", "sync"):
            if running:
                raise ActionError("Job %s is already running." % quoted)
            sess = self._add_session(job, at, False, visible)
            return "Job %s triggered to start." % quoted, sess
        if action == "stop":
            if not running:
                raise ActionError("Job %s is not running." % quoted)
            if last.stopped_at is None:
                last.stopped_at = at
            return "Job %s triggered to stop." % quoted, last
        if action == "retry":
            if running:
                raise ActionError("Job %s is already running." % quoted)
            if view is None or view.result not in ("Failed", "Warning"):
                raise ActionError("Cannot retry job %s: the last job run did not fail." % quoted)
            # a retry processes the machines the last run did not back up cleanly
            failed = [task.machine for task in machines.session_tasks(self, last) if task.outcome != "Success"]
            sess = self._add_session(job, at, True, visible, failed or None)
            return "Job %s triggered to retry." % quoted, sess
        raise ActionError("Unknown action %s." % action)

    # ------------------------------------------------------------------ machines
    def view_of(self, at):
        """A function giving each session's SessionView at `at` (computed once per session)."""
        views = {}

        def view(sess):
            found = views.get(sess.id)
            if found is None:
                found = views[sess.id] = SessionView(sess, at)
            return found
        return view

    def points(self, machine, at, view_of=None):
        """The machine's restore points at `at`, oldest first."""
        return machines.machine_points(self, machine, at, view_of or self.view_of(at))

    def machine_named(self, name):
        """The machines called `name`, compared case-insensitively (as EM's and VBR's filters do)."""
        return list(self.machines_by_name.get((name or "").lower(), ()))

    def add_machine(self, machine):
        """Add a machine (POST /_sim/machines) to the world and to its job's past runs."""
        self.machines[machine.id] = machine
        self.machines_by_name.setdefault(machine.name.lower(), []).append(machine)
        for job in machine.jobs:
            self.machines_by_job.setdefault(job.id, []).append(machine)
            machines.forget_history(self, job)
        self.machines_by_ref = None
        self.added_machines += 1

    def quick_backup(self, machine, at, api):
        """Run the machine's job for this machine only; return the new session. Raise ActionError when the
        machine has no restore point yet or its job is running."""
        points = self.points(machine, at)
        quoted = '"%s"' % machine.name
        if not points:
            raise ActionError("Quick backup of %s is not possible: the machine has no restore point yet. Quick backup "
                              "needs an existing full backup; run its job first." % quoted)
        job = points[-1].job     # the job that made the newest point
        last = self.last_session(job)
        if last is not None and SessionView(last, at).running:
            raise ActionError('Quick backup of %s is not possible now: its job "%s" is already running.'
                              % (quoted, job.name))
        visible = at + (self.task_delay if api == "em" else self.em_lag)
        return self._add_session(job, at, False, visible, [machine], quick=True)

    def new_task(self, owner, operation, success, message, at, related=None):
        self.task_seq += 1
        task = Task("task-%d" % self.task_seq, owner, operation, at, at + self.task_delay, success, message, related)
        self.tasks[task.id] = task
        return task

    # ------------------------------------------------------------------ auth
    def check_user(self, name, password):
        user = self.users.get(name)
        if user is None or user.password != password:
            return None
        return user

    def em_logon(self, user, at):
        token = base64.b64encode(os.urandom(16)).decode("ascii")
        sess = {"id": str(uuid.uuid4()), "user": user, "last": at, "created": at, "token": token}
        self.em_sessions[token] = sess
        self.counters["em"]["logons"] += 1
        return sess

    def em_lookup(self, token, at):
        sess = self.em_sessions.get(token)
        if sess is None:
            return None
        if at - sess["last"] > self.em_idle:
            del self.em_sessions[token]
            return None
        sess["last"] = at
        return sess

    def em_open_sessions(self, at):
        for token in [t for t, s in self.em_sessions.items() if at - s["last"] > self.em_idle]:
            del self.em_sessions[token]
        return len(self.em_sessions)

    def vspc_issue(self, user, at):
        access = base64.urlsafe_b64encode(os.urandom(30)).decode("ascii").rstrip("=")
        refresh = base64.urlsafe_b64encode(os.urandom(30)).decode("ascii").rstrip("=")
        self.vspc_access[access] = {"user": user, "expires": at + self.vspc_lifetime}
        self.vspc_refresh[refresh] = user.name
        return access, refresh

    def vspc_lookup(self, token, at):
        if token == API_KEY:
            return self.users.get("admin")
        entry = self.vspc_access.get(token)
        if entry is None:
            return None
        if at >= entry["expires"]:
            del self.vspc_access[token]
            return None
        return entry["user"]

    def vspc_revoke_user(self, user_name):
        for token in [t for t, e in self.vspc_access.items() if e["user"].name == user_name]:
            del self.vspc_access[token]
        for token in [t for t, n in self.vspc_refresh.items() if n == user_name]:
            del self.vspc_refresh[token]

    def vbr_issue(self, user, at, chain=None):
        """A new access and refresh token pair; a password grant (no chain) starts a logon chain."""
        if chain is None:
            chain = str(uuid.uuid4())
            self.vbr_chains[chain] = {"user": user, "tokens": set()}
        access = base64.urlsafe_b64encode(os.urandom(48)).decode("ascii").rstrip("=")
        refresh = base64.urlsafe_b64encode(os.urandom(48)).decode("ascii").rstrip("=")
        self.vbr_access[access] = {"user": user, "chain": chain, "expires": at + self.vbr_token_lifetime}
        self.vbr_refresh[refresh] = chain
        self.vbr_chains[chain]["tokens"].update((access, refresh))
        return access, refresh

    def vbr_use_refresh(self, token):
        """The logon chain of an unspent refresh token, which is spent by this; None if unknown or spent."""
        chain = self.vbr_refresh.pop(token, None)
        if chain is not None:
            self.vbr_spent.add(token)
        return chain

    def vbr_lookup(self, token, at):
        """(entry, expired): the access token's entry and whether it has expired; (None, False) if unknown."""
        entry = self.vbr_access.get(token)
        if entry is None:
            return None, False
        return entry, at >= entry["expires"]

    def vbr_logout(self, chain):
        """End a logon chain: every access and refresh token it issued becomes invalid."""
        for token in self.vbr_chains.pop(chain)["tokens"]:
            self.vbr_access.pop(token, None)
            self.vbr_refresh.pop(token, None)

    def expire(self, api):
        if api in ("em", "any"):
            self.em_sessions.clear()
        if api in ("vspc", "any"):
            self.vspc_access.clear()
        if api in ("vbr", "any"):
            at = now()
            for entry in self.vbr_access.values():
                entry["expires"] = min(entry["expires"], at)

    # ------------------------------------------------------------------ faults
    def take_fault(self, api, method, path):
        for fault in self.faults:
            if fault["api"] not in ("any", api):
                continue
            if fault.get("method") and fault["method"].upper() != method:
                continue
            if fault.get("path_prefix") and not path.startswith(fault["path_prefix"]):
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults.remove(fault)
            return fault
        return None
