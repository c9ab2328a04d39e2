# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Veeam Backup & Replication REST API (`/api/v1`, `/api/oauth2`): the backup server vbr-prod-01 of the world.

A request goes through, in this order: the x-api-version check (the revisions the configured VBR version
serves), the check against the revision's document (vbrdoc), authentication, the handler. Every JSON answer is
then validated against the response of its status in the revision's document; a misfit is counted and
recorded (the answer is still sent). See README.md, "The VBR flavour".
"""

from __future__ import annotations

import datetime
import json
import uuid
from urllib.parse import parse_qsl

from . import data, machines, malware, sessionlog, state, vbrdoc, vbrmodels
from .responses import Response, json_response

# VBR version -> (the newest revision it serves, serverInfo.buildVersion)
VERSIONS = {
    "12.3": ("1.2-rev1", "12.3.1.1139"),
    "13.0.1": ("1.3-rev1", "13.0.1.1071"),
    "13.1": ("1.3-rev2", "13.1.0.2034"),
}
LAST_LEGACY = "1.2-rev1"    # revisions up to this one show only VMware backup jobs and replicas
# times are written as a server in a UTC+01:00 zone writes them, so clients must normalise to UTC
ZONE = datetime.timezone(datetime.timedelta(hours=1))
TIME_ZONE_NAME = "(UTC+01:00) West Central Africa"
IANA_TIME_ZONE = "Africa/Lagos"     # UTC+01:00 all year
ACTIVE_STATUS = {"Starting": "Starting", "Working": "Running", "Stopping": "Stopping"}
SESSION_TYPES = {"Backup": "BackupJob", "Replica": "ReplicaJob", "BackupCopy": "BackupCopyJob",
                 "AgentBackup": "AgentBackup"}
PLATFORM_NAMES = {"VMware": "VMware", "HyperV": "HyperV", "AgentForWindows": "WindowsPhysical",
                  "AgentForLinux": "LinuxPhysical"}
ERROR_CODES = {400: "UnexpectedContent", 401: "InvalidToken", 403: "AccessDenied", 404: "NotFound",
               405: "MethodNotAllowed", 500: "UnknownError", 501: "NotImplemented", 502: "ServiceUnavailable",
               503: "ServiceUnavailable", 504: "ServiceUnavailable"}


def served_revisions(version):
    newest = VERSIONS[version][0]
    return list(vbrdoc.REVISIONS[:vbrdoc.REVISIONS.index(newest) + 1])


def fmt_time(epoch):
    if epoch is None:
        return None
    stamp = datetime.datetime.fromtimestamp(epoch, ZONE)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+01:00" % (stamp.microsecond // 1000)


def error(status, code, message, resource_id=None, headers=None):
    body = {"errorCode": code, "message": message}
    if resource_id is not None:
        body["resourceId"] = str(resource_id)
    return json_response(status, body, headers)


def repository_id(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "veeamsim-repository:" + name))


def name_matches(pattern, name):
    """VBR's nameFilter: `*` at the start and/or the end is a wildcard, every other character (an inner `*` too)
    is itself; case-insensitive."""
    pattern = pattern.lower()
    name = name.lower()
    head = pattern.startswith("*")
    tail = pattern.endswith("*") and len(pattern) > 1
    core = pattern[1 if head else 0:len(pattern) - 1 if tail else len(pattern)]
    if head and tail:
        return core in name
    if head:
        return name.endswith(core)
    if tail:
        return name.startswith(core)
    return name == core


class Checked(object):
    """What prepare() learnt about a request: its revision, document and operation."""

    __slots__ = ("revision", "doc", "call")

    def __init__(self, revision, doc, call):
        self.revision = revision
        self.doc = doc
        self.call = call


class Ctx(object):
    """One request being handled (under the model lock)."""

    def __init__(self, model, req):
        self.model = model
        self.req = req
        self.now = state.now()
        self.revision = req.vbr.revision
        self.doc = req.vbr.doc
        self.call = req.vbr.call
        self.query = req.vbr.call.query
        self.legacy = vbrdoc.REVISIONS.index(self.revision) <= vbrdoc.REVISIONS.index(LAST_LEGACY)
        self.user = None
        self.chain = None

    def word(self, value):
        """Status and workload words are lower case up to 1.2-rev1 (`running`, `vm`), capitalised from 1.3."""
        return value.lower() if self.legacy else value

    def job_type(self, job):
        """The job's type word in this revision, or None when this server does not show the job."""
        if job.server_id != self.model.vbr_server.id:
            return None
        word = job.vbr_type
        if self.legacy:
            word = data.VBR_TYPE_12.get(word)
        return word

    def visible_jobs(self):
        return self.model.listing(("vbr", self.legacy), lambda: [job for job in self.model.jobs.values()
                                                                 if self.job_type(job) is not None])

    def listed_jobs(self, filters, column=None, ascending=True):
        """The visible jobs that pass the cheap filters (idFilter, nameFilter, typeFilter), sorted by a column
        of the job's own (Name, Type, Description) when given; kept by the model, as they change only when
        the jobs do."""
        query = self.query
        key = ("vbr", self.legacy) + tuple((name, query.get(name)) for name in filters) + (column, ascending)

        def build():
            jobs = self.visible_jobs()
            if "idFilter" in filters and "idFilter" in query:
                jobs = [job for job in jobs if job.id == str(query["idFilter"])]
            if "nameFilter" in filters and "nameFilter" in query:
                jobs = [job for job in jobs if name_matches(query["nameFilter"], job.name)]
            if "typeFilter" in filters and "typeFilter" in query:
                jobs = [job for job in jobs if self.job_type(job) == query["typeFilter"]]
            if column is not None:
                order = {"Name": lambda job: job.name, "Type": self.job_type,
                         "Description": lambda job: job.description}[column]
                jobs = _sort(jobs, order, ascending)
            return jobs
        return self.model.listing(key, build)

    def job(self, job_id):
        job = self.model.jobs.get(str(job_id))
        if job is None or self.job_type(job) is None:
            return None
        return job

    def only_defined(self, schema_name, obj):
        """The properties of obj that the revision's schema defines (progressPercent is not in 1.2, ...)."""
        allowed = self.doc.properties(schema_name)
        return dict((key, value) for key, value in obj.items() if key in allowed)


# --------------------------------------------------------------------------- entry points (server.py)
def prepare(model, req):
    """Outside the model lock: the x-api-version and document checks. A refusal answer, or None to go on."""
    served = served_revisions(model.vbr_version)
    revision = (req.header("x-api-version") or "").strip()
    req.vbr = None
    if revision not in served:
        with model.lock:
            model.counters["vbr"]["unsupported_version"] += 1
        return error(400, "NotImplemented", "Unsupported RESTAPI version. The following versions are supported: %s."
                     % ", ".join("v" + rev for rev in served))
    doc = vbrdoc.document(revision)
    try:
        call = doc.check_request(req)
    except vbrdoc.Refused as exc:
        with model.lock:
            model.counters["vbr"]["refused_requests"] += 1
        req.vbr = Checked(revision, doc, None)
        return error(400, exc.error_code, exc.message)
    req.vbr = Checked(revision, doc, call)
    return None


def handle(model, req):
    """Under the model lock: authentication and the operation."""
    ctx = Ctx(model, req)
    operation = ctx.doc.operation(ctx.call.template, req.method)
    if operation.get("security", ctx.doc.spec.get("security")):
        denied = authenticate(ctx)
        if denied is not None:
            return denied
    handler = ROUTES.get((req.method, ctx.call.template))
    if handler is None:
        return error(501, "NotImplemented", "The simulator does not implement %s %s (it is part of revision %s)."
                     % (req.method, ctx.call.template, ctx.revision))
    return handler(ctx)


def finish(model, req, resp):
    """Outside the model lock: validate the answer against the revision's document (when validation is on)."""
    if not model.vbr_validate:
        return resp
    checked = getattr(req, "vbr", None)
    revision = checked.revision if checked is not None else VERSIONS[model.vbr_version][0]
    doc = checked.doc if checked is not None else vbrdoc.document(revision)
    content_type = dict((name.lower(), value) for name, value in resp.headers).get("content-type")
    problem = doc.response_problem(req, resp.status, content_type, resp.body, resp.headers)
    if problem:
        with model.lock:
            model.counters["vbr"]["schema_violations"] += 1
            model.vbr_violations.append({"method": req.method, "path": req.path, "status": resp.status,
                                         "revision": revision, "error": problem})
    return resp


def fault_response(req, fault):
    status = int(fault["status"])
    headers = []
    if fault.get("retry_after") is not None:
        headers.append(("Retry-After", str(fault["retry_after"])))
    return error(status, ERROR_CODES.get(status, "UnknownError"),
                 fault.get("message") or "Simulated fault %d" % status, headers=headers)


def internal_error(req):
    return error(500, "UnknownError", "Internal server error")


# --------------------------------------------------------------------------- authentication
def authenticate(ctx):
    scheme, _sep, token = (ctx.req.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error(401, "InvalidToken", "The request has no bearer access token (Authorization: Bearer <token>).")
    entry, expired = ctx.model.vbr_lookup(token.strip(), ctx.now)
    if entry is None:
        return error(401, "InvalidToken", "The access token is not valid.")
    if expired:
        return error(401, "ExpiredToken", "The access token has expired.")
    ctx.user = entry["user"]
    ctx.chain = entry["chain"]
    return None


def token_model(ctx, access, refresh):
    lifetime = ctx.model.vbr_token_lifetime
    return {"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": int(lifetime),
            ".issued": fmt_time(ctx.now), ".expires": fmt_time(ctx.now + lifetime)}


def token(ctx):
    model = ctx.model
    counters = model.counters["vbr"]
    form = dict(parse_qsl(ctx.req.body.decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type", "").lower()
    if grant == "password":
        user = model.check_user(form.get("username", ""), form.get("password", ""))
        if user is None:
            counters["failed_logons"] += 1
            return error(401, "AccessDenied", "Authentication failed: wrong user name or password.")
        counters["tokens_issued"] += 1
        access, refresh = model.vbr_issue(user, ctx.now)
    elif grant == "refresh_token":
        sent = form.get("refresh_token", "")
        if sent in model.vbr_spent:
            counters["refresh_reuse"] += 1
            return error(401, "InvalidToken", "The refresh token has been used already: a refresh token works once.")
        chain = model.vbr_use_refresh(sent)
        if chain is None:
            counters["failed_logons"] += 1
            return error(401, "InvalidToken", "The refresh token is not valid.")
        counters["tokens_refreshed"] += 1
        access, refresh = model.vbr_issue(model.vbr_chains[chain]["user"], ctx.now, chain)
    else:
        return error(400, "UnexpectedContent", "The simulator supports grant_type password and refresh_token, not %s."
                     % form.get("grant_type"))
    return json_response(200, token_model(ctx, access, refresh), [("Cache-Control", "no-store")])


def logout(ctx):
    ctx.model.vbr_logout(ctx.chain)
    ctx.model.counters["vbr"]["logouts"] += 1
    return json_response(200, {})


# --------------------------------------------------------------------------- representations
def job_model(ctx, job):
    """A complete JobModel of the job's type: the revision's template with the job's own facts."""
    word = ctx.job_type(job)
    model = dict(vbrmodels.job_template(ctx.doc, word).value)
    model.update(id=job.id, name=job.name, type=word, description=job.description,
                 isDisabled=not job.schedule_enabled)
    schedule = model.get("schedule")
    if isinstance(schedule, dict) and "runAutomatically" in schedule:
        model["schedule"] = dict(schedule, runAutomatically=job.schedule_configured)
    storage = model.get("storage")
    if isinstance(storage, dict) and "backupRepositoryId" in storage:
        model["storage"] = dict(storage, backupRepositoryId=repository_id(job.destination))
    return model


def _latest(ctx, job):
    """(latest session, its view, the latest finished session's view)."""
    sessions = ctx.model.sessions_by_job.get(job.id) or []
    latest = view = finished = None
    for sess in reversed(sessions):
        current = state.SessionView(sess, ctx.now)
        if latest is None:
            latest, view = sess, current
        if not current.running:
            finished = current
            break
    return latest, view, finished


def next_run_policy(job, when):
    if not job.schedule_configured:
        return "Not scheduled"
    if not job.schedule_enabled:
        return "Disabled"
    return datetime.datetime.fromtimestamp(when, ZONE).strftime("%m/%d/%Y %I:%M %p")


def job_state(ctx, job):
    """The job's JobStateModel (the console's Jobs view)."""
    latest, view, finished = _latest(ctx, job)
    if view is not None and view.running:
        status = ACTIVE_STATUS[view.state]
    else:
        status = "Inactive" if job.schedule_enabled else "Disabled"
    if job.kind == "agent":
        workload = "Server" if job.license_type == "Server" else "Workstation"
    else:
        workload = "Vm"
    when = state.next_run(job, ctx.now)
    obj = {
        "id": job.id,
        "name": job.name,
        "type": ctx.job_type(job),
        "description": job.description,
        "status": ctx.word(status),
        "lastResult": finished.result if finished is not None else "None",
        "workload": ctx.word(workload),
        "objectsCount": 1 + job.index % 7,
        "highPriority": False,
        "progressPercent": view.progress if view is not None else 0,
        "nextRunPolicy": next_run_policy(job, when),
    }
    if latest is not None:
        obj["lastRun"] = fmt_time(latest.start)
        obj["sessionId"] = latest.id
    if when is not None:
        obj["nextRun"] = fmt_time(when)
    if job.em_type != "Replica":
        obj["repositoryId"] = repository_id(job.destination)
        obj["repositoryName"] = job.destination
    return ctx.only_defined("JobStateModel", obj)


def session_model(ctx, sess, view=None):
    view = view or state.SessionView(sess, ctx.now)
    job = sess.job
    result = {"result": view.result, "isCanceled": sess.stopped_at is not None and not view.running}
    if view.result in ("Warning", "Failed") and view.failure_message:
        result["message"] = view.failure_message
    obj = {
        "id": sess.id,
        "name": job.name,
        "jobId": job.id,
        "sessionType": SESSION_TYPES[job.em_type],
        "creationTime": fmt_time(sess.start),
        "state": view.state,
        "progressPercent": view.progress,
        "result": result,
        "usn": int((view.end or sess.start) * 1000),
        "platformName": PLATFORM_NAMES[job.platform],
    }
    if view.end is not None:
        obj["endTime"] = fmt_time(view.end)
    return obj


def page(ctx, items):
    """(page, pagination) after skip and limit; ValueError for values VBR refuses."""
    skip = ctx.query.get("skip", 0)
    limit = ctx.query.get("limit", 200)
    if skip < 0:
        raise ValueError("skip must not be negative")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chunk = items[skip:skip + limit]
    return chunk, {"total": len(items), "count": len(chunk), "skip": skip, "limit": limit}


def _sort(items, key, ascending):
    """Sort by key (case-insensitive strings); items without a value go last whatever the direction."""
    def sort_key(item):
        value = key(item)
        if isinstance(value, str):
            value = value.lower()
        return value
    present = [item for item in items if key(item) is not None]
    absent = [item for item in items if key(item) is None]
    present.sort(key=sort_key, reverse=not ascending)
    return present + absent


# --------------------------------------------------------------------------- handlers
def server_info(ctx):
    if not ctx.user.admin:
        return error(403, "AccessDenied", "Only the Veeam Backup Administrator role may read the server information.")
    srv = ctx.model.vbr_server
    info = dict(vbrmodels.server_info_template(ctx.doc).value)
    info.update(vbrId=srv.id, name=srv.name, buildVersion=VERSIONS[ctx.model.vbr_version][1], patches=[])
    if "platform" in info:
        info["platform"] = "Windows"
    return json_response(200, info)


def server_time(ctx):
    return json_response(200, ctx.only_defined("ServerTimeModel", {
        "serverTime": fmt_time(ctx.now), "timeZone": TIME_ZONE_NAME, "ianaTimeZoneId": IANA_TIME_ZONE}))


def list_jobs(ctx):
    query = ctx.query
    jobs = ctx.listed_jobs(("nameFilter", "typeFilter"), query.get("orderColumn"), query.get("orderAsc", True))
    try:
        chunk, pagination = page(ctx, jobs)
    except ValueError as exc:
        return error(400, "InvalidURI", str(exc))
    return json_response(200, {"data": [job_model(ctx, job) for job in chunk], "pagination": pagination})


def get_job(ctx):
    job = ctx.job(ctx.call.path_params["id"])
    if job is None:
        return not_found_job(ctx)
    return json_response(200, job_model(ctx, job))


def not_found_job(ctx):
    job_id = ctx.call.path_params["id"]
    return error(404, "NotFound", "Job %s was not found." % job_id, resource_id=job_id)


# JobStatesFilters: query parameter -> test of a JobStateModel
STATE_FILTERS = {
    "nameFilter": lambda st, value: name_matches(value, st["name"]),
    "typeFilter": lambda st, value: st["type"] == value,
    "lastResultFilter": lambda st, value: st["lastResult"] == value,
    "statusFilter": lambda st, value: st["status"] == value,
    "workloadFilter": lambda st, value: st["workload"] == value,
    "lastRunAfterFilter": lambda st, value: "lastRun" in st and _epoch(st["lastRun"]) > value.timestamp(),
    "lastRunBeforeFilter": lambda st, value: "lastRun" in st and _epoch(st["lastRun"]) < value.timestamp(),
    "isHighPriorityJobFilter": lambda st, value: st.get("highPriority", False) == value,
    "repositoryIdFilter": lambda st, value: st.get("repositoryId") == str(value),
    "objectsCountFilter": lambda st, value: st["objectsCount"] == value,
    # no job of the world runs after another job
    "afterJobIdFilter": lambda st, value: False,
    "afterJobNameFilter": lambda st, value: False,
}
STATE_ORDER = {"Name": "name", "Type": "type", "Status": "status", "LastRun": "lastRun", "LastResult": "lastResult",
               "NextRun": "nextRun", "Description": "description", "RepositoryId": "repositoryId",
               "ObjectsCount": "objectsCount", "RepositoryName": "repositoryName", "AfterJobName": "afterJobName"}
# filters and orders a job's own fields answer, without rendering its state
CHEAP_FILTERS = ("idFilter", "nameFilter", "typeFilter")
CHEAP_ORDERS = ("Name", "Type", "Description")


def _epoch(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def job_states(ctx):
    query = ctx.query
    filters = [(name, value) for name, value in query.items() if name in STATE_FILTERS and name not in CHEAP_FILTERS]
    column = query.get("orderColumn")
    ascending = query.get("orderAsc", True)
    try:
        if not filters and column in (None,) + CHEAP_ORDERS:
            # only the page is rendered: paging through 10 000 jobs must not render every job on every page
            chunk, pagination = page(ctx, ctx.listed_jobs(CHEAP_FILTERS, column, ascending))
            return json_response(200, {"data": [job_state(ctx, job) for job in chunk], "pagination": pagination})
        states = [job_state(ctx, job) for job in ctx.listed_jobs(CHEAP_FILTERS)]
        for name, value in filters:
            states = [st for st in states if STATE_FILTERS[name](st, value)]
        if column is not None:
            field = STATE_ORDER[column]
            states = _sort(states, lambda st: _epoch(st[field]) if field in ("lastRun", "nextRun") and st.get(field)
                           else st.get(field), ascending)
        chunk, pagination = page(ctx, states)
    except ValueError as exc:
        return error(400, "InvalidURI", str(exc))
    return json_response(200, {"data": chunk, "pagination": pagination})


def job_action(action):
    def handler(ctx):
        job = ctx.job(ctx.call.path_params["id"])
        if job is None:
            return not_found_job(ctx)
        if not (ctx.user.admin or ctx.user.operator):
            return error(403, "AccessDenied", "Access denied: starting, stopping and retrying jobs needs the Veeam "
                                              "Backup Administrator or Veeam Backup Operator role.")
        ctx.model.counters["actions"][action] += 1
        try:
            _message, sess = ctx.model.act(job, action, ctx.now, "vbr")
        except state.ActionError as exc:
            return error(400, "UnexpectedContent", exc.message, resource_id=job.id)
        return json_response(201, session_model(ctx, sess))
    return handler


def job_toggle(action):
    def handler(ctx):
        job = ctx.job(ctx.call.path_params["id"])
        if job is None:
            return not_found_job(ctx)
        if not ctx.user.admin:
            return error(403, "AccessDenied", "Access denied: enabling and disabling jobs needs the Veeam Backup "
                                              "Administrator role.")
        ctx.model.counters["actions"][action] += 1
        ctx.model.act(job, action, ctx.now, "vbr")     # enabling an enabled job is no error
        # 1.3 documents answer 204; the 1.2-rev1 document answers 200 with an EmptySuccessResponse
        if "204" in ctx.doc.operation(ctx.call.template, "POST")["responses"]:
            return Response(204)
        return json_response(200, {})
    return handler


# SessionsFilters: query parameter -> test of (session, view); the view is computed only when a test needs it
SESSION_FILTERS = {
    "nameFilter": lambda sess, view, value: name_matches(value, sess.job.name),
    "createdAfterFilter": lambda sess, view, value: sess.start > value.timestamp(),
    "createdBeforeFilter": lambda sess, view, value: sess.start < value.timestamp(),
    "endedAfterFilter": lambda sess, view, value: view().end is not None and view().end > value.timestamp(),
    "endedBeforeFilter": lambda sess, view, value: view().end is not None and view().end < value.timestamp(),
    "typeFilter": lambda sess, view, value: SESSION_TYPES[sess.job.em_type] in value,
    "stateFilter": lambda sess, view, value: view().state == value,
    "resultFilter": lambda sess, view, value: view().result in value,
}
SESSION_ORDER = {
    "Name": lambda sess, view: sess.job.name,
    "SessionType": lambda sess, view: SESSION_TYPES[sess.job.em_type],
    "CreationTime": lambda sess, view: sess.start,
    "EndTime": lambda sess, view: view().end,
    "State": lambda sess, view: view().state,
    "Result": lambda sess, view: view().result,
    "InitiatedBy": lambda sess, view: "",
}


def list_sessions(ctx):
    query = ctx.query
    model = ctx.model
    if "jobIdFilter" in query:
        job = ctx.job(query["jobIdFilter"])
        sessions = list(model.sessions_by_job.get(job.id, [])) if job is not None else []
    else:
        visible = set(job.id for job in ctx.visible_jobs())
        sessions = [sess for sess in model.sessions if sess.job.id in visible]
    views = {}

    def view_of(sess):
        def view():
            found = views.get(sess.id)
            if found is None:
                found = views[sess.id] = state.SessionView(sess, ctx.now)
            return found
        return view
    for name, value in query.items():
        test = SESSION_FILTERS.get(name)
        if test is not None:
            sessions = [sess for sess in sessions if test(sess, view_of(sess), value)]
    if "orderColumn" in query:
        order = SESSION_ORDER[query["orderColumn"]]
        sessions = _sort(sessions, lambda sess: order(sess, view_of(sess)), query.get("orderAsc", True))
    try:
        chunk, pagination = page(ctx, sessions)
    except ValueError as exc:
        return error(400, "InvalidURI", str(exc))
    return json_response(200, {"data": [session_model(ctx, sess, views.get(sess.id)) for sess in chunk],
                               "pagination": pagination})


def get_session(ctx):
    session_id = str(ctx.call.path_params["id"])
    sess = ctx.model.sessions_by_id.get(session_id)
    if sess is None or ctx.job_type(sess.job) is None:
        return error(404, "NotFound", "Session %s was not found." % session_id, resource_id=session_id)
    return json_response(200, session_model(ctx, sess))


# --------------------------------------------------------------------------- machines
ZERO_ID = "00000000-0000-0000-0000-000000000000"
OPERATIONS = {   # allowedOperations of a restore point by platform (only the words a revision's enum has are sent)
    "VMware": ["StartViVMInstantRecovery", "StartEntireVmRestore", "StartFCDInstantRecovery", "StartFlrRestore"],
    "HyperV": ["StartHvVMInstantRecovery", "StartEntireVmRestoreHyperV", "StartFlrRestore"],
    "WindowsPhysical": ["StartFlrRestore"],
    "LinuxPhysical": ["StartFlrRestore"],
}
GUEST_OS = {"VMware": "Windows", "HyperV": "Windows", "WindowsPhysical": "Windows", "LinuxPhysical": "Linux"}


def object_platforms(ctx):
    """The platformName words the revision's BackupObjectModel maps to a model (1.2: VMware; 1.3-rev1: VMware and
    LinuxPhysical; 1.3-rev2: VMware, HyperV, WindowsPhysical, LinuxPhysical ...). A backup object of another
    platform cannot be written so that it fits the document, so the revision does not show it."""
    schema = ctx.doc.schemas["BackupObjectModel"]
    return set(schema.get("discriminator", {}).get("mapping", {}))


def server_machines(ctx):
    """The machines of the VBR listener's backup server."""
    srv = ctx.model.vbr_server.id
    return [machine for machine in ctx.model.machines.values() if machine.server_id == srv]


def pattern_machines(ctx, pattern):
    """The server's machines a nameFilter may match: through the name index unless the pattern has a wildcard."""
    if pattern is None or "*" in pattern:
        found = server_machines(ctx)
    else:
        srv = ctx.model.vbr_server.id
        found = [machine for machine in ctx.model.machine_named(pattern) if machine.server_id == srv]
    return [machine for machine in found if pattern is None or name_matches(pattern, machine.name)]


class Views(object):
    """Session views and restore points of one request (each computed once)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.view = ctx.model.view_of(ctx.now)
        self._points = {}

    def points(self, machine):
        found = self._points.get(machine.id)
        if found is None:
            found = self._points[machine.id] = self.ctx.model.points(machine, self.ctx.now, self.view)
        return found


def backup_object(ctx, views, machine):
    """The machine's BackupObjectModel of the revision's subtype, or None when the revision does not show it (its
    platform has no model there, or it has no restore point: backup objects are what backups hold)."""
    if machine.platform not in object_platforms(ctx):
        return None
    points = views.points(machine)
    if not points:
        return None
    tasks = machines.machine_tasks(ctx.model, machine)
    finished = [machines.TaskView(task, views.view(task.session)) for task in tasks]
    finished = [tview for tview in finished if not tview.running]
    obj = ctx.only_defined("BackupObjectModel", {
        "id": machine.id, "name": machine.name,
        "type": "VM" if machine.kind == "vm" else machine.operation_mode,
        "platformName": machine.platform, "platformId": ZERO_ID, "restorePointsCount": len(points),
        "lastRunFailed": bool(finished) and finished[-1].result == "Failed",
        "backupId": machines.backup_id(points[-1].job), "size": machine.size,
    })
    if machine.platform == "VMware":
        obj.update(objectId=machine.object_ref, viType="VirtualMachine", path=machines.vsphere_path(machine))
    elif machine.platform == "HyperV":
        obj.update(objectId=machine.object_ref, hvType="VirtualMachine", path=machines.vsphere_path(machine))
    else:
        obj.update(biosUuid=machine.bios_uuid, protectionGroupIds=[machine.protection_group_id],
                   computerId=machine.computer_id)
    return obj


def restore_point_model(ctx, point):
    machine = point.machine
    allowed = set(ctx.doc.enum("EObjectRestorePointOperation"))
    return ctx.only_defined("ObjectRestorePointModel", {
        "id": point.id,
        # the documents' example names an agent point "<computer> <job>" (linbase02 AgentBackupJob)
        "name": machine.name if machine.kind == "vm" else "%s %s" % (machine.name, point.job.name),
        "platformName": machine.platform, "platformId": ZERO_ID, "creationTime": fmt_time(point.time),
        "backupId": machines.backup_id(point.job), "type": point.type,
        "allowedOperations": [word for word in OPERATIONS[machine.platform] if word in allowed],
        "malwareStatus": _malware_word(ctx, malware.status_of(ctx.model, point, ctx.now)),
        "backupFileId": machines.derived_id(point.id, machines.BACKUP_FILE_SALT),
        "guestOsFamily": GUEST_OS[machine.platform], "originalSize": machine.size,
    })


def _malware_word(ctx, word):
    """A malware status in the revision's ESuspiciousActivitySeverity (1.2 has no Informative: Clean there)."""
    return word if word in ctx.doc.enum("ESuspiciousActivitySeverity") else "Clean"


def not_found(what, ident):
    return error(404, "NotFound", "%s %s was not found." % (what, ident), resource_id=ident)


def _shown_object(ctx, views, object_id):
    machine = ctx.model.machines.get(str(object_id))
    if machine is None or machine.server_id != ctx.model.vbr_server.id:
        return None, None
    obj = backup_object(ctx, views, machine)
    return (machine, obj) if obj is not None else (None, None)


def list_backup_objects(ctx):
    query = ctx.query
    views = Views(ctx)
    found = pattern_machines(ctx, query.get("nameFilter"))
    objects = [obj for obj in (backup_object(ctx, views, machine) for machine in found) if obj is not None]
    tests = {
        "platformNameFilter": lambda obj, value: obj["platformName"] == value,
        "platformIdFilter": lambda obj, value: obj["platformId"] == str(value),
        "typeFilter": lambda obj, value: obj["type"].lower() == value.lower(),
        "viTypeFilter": lambda obj, value: obj.get("viType", "").lower() == value.lower(),
    }
    for name, test in tests.items():
        if name in query:
            objects = [obj for obj in objects if test(obj, query[name])]
    if "orderColumn" in query:
        key = {"Name": "name", "ObjectId": "objectId", "PlatformId": "platformId", "Type": "type"}[query["orderColumn"]]
        objects = _sort(objects, lambda obj: obj.get(key), query.get("orderAsc", True))
    try:
        chunk, pagination = page(ctx, objects)
    except ValueError as exc:
        return error(400, "InvalidURI", str(exc))
    return json_response(200, {"data": chunk, "pagination": pagination})


def get_backup_object(ctx):
    object_id = str(ctx.call.path_params["id"])
    _machine, obj = _shown_object(ctx, Views(ctx), object_id)
    if obj is None:
        return not_found("Backup object", object_id)
    return json_response(200, obj)


# ObjectRestorePointsFilters: query parameter -> test of a point
POINT_FILTERS = {
    "createdAfterFilter": lambda point, value: point.time > value.timestamp(),
    "createdBeforeFilter": lambda point, value: point.time < value.timestamp(),
    "platformNameFilter": lambda point, value: point.machine.platform == value,
    "platformIdFilter": lambda point, value: str(value) == ZERO_ID,
    "backupIdFilter": lambda point, value: machines.backup_id(point.job) == str(value),
    "backupObjectIdFilter": lambda point, value: point.machine.id == str(value),
    "typeFilter": lambda point, value: point.type in value,
    "excludeSnapshotTypeFilter": lambda point, value: True,     # no point of the world is a snapshot
}
POINT_ORDER = {"CreationTime": lambda point: point.time, "PlatformId": lambda point: ZERO_ID,
               "BackupId": lambda point: machines.backup_id(point.job)}


def filtered_page(ctx, items, filters, orders, render, name_of=None):
    """A list endpoint's answer: ``nameFilter`` (a pattern on ``name_of(item)``), the other filters the query has
    (``filters``: query name -> test(item, value)), ``orderColumn`` / ``orderAsc`` (``orders``: column -> key),
    then one page (skip, limit), each item of it rendered."""
    query = ctx.query
    if name_of is not None and "nameFilter" in query:
        items = [item for item in items if name_matches(query["nameFilter"], name_of(item))]
    for name, test in filters.items():
        if name in query:
            items = [item for item in items if test(item, query[name])]
    if "orderColumn" in query:
        items = _sort(items, orders[query["orderColumn"]], query.get("orderAsc", True))
    try:
        chunk, pagination = page(ctx, items)
    except ValueError as exc:
        return error(400, "InvalidURI", str(exc))
    return json_response(200, {"data": [render(item) for item in chunk], "pagination": pagination})


def _points_answer(ctx, views, candidates):
    points = [point for machine in candidates for point in views.points(machine)]
    filters = dict(POINT_FILTERS, malwareStatusFilter=lambda point, value: malware.status_of(
        ctx.model, point, ctx.now) in (value if isinstance(value, list) else [value]))
    return filtered_page(ctx, points, filters, POINT_ORDER, lambda point: restore_point_model(ctx, point),
                         name_of=lambda point: restore_point_model(ctx, point)["name"])


def list_restore_points(ctx):
    """Every restore point of the server's machines (a platform without a backup object model in the revision
    still has its points listed: EPlatformType knows it)."""
    query = ctx.query
    views = Views(ctx)
    if "backupObjectIdFilter" in query:
        machine = ctx.model.machines.get(str(query["backupObjectIdFilter"]))
        candidates = [machine] if machine is not None and machine.server_id == ctx.model.vbr_server.id else []
    elif "backupIdFilter" in query:
        wanted = str(query["backupIdFilter"])
        candidates = [machine for machine in server_machines(ctx)
                      if any(machines.backup_id(job) == wanted for job in machine.jobs)]
    elif "nameFilter" in query and "*" not in query["nameFilter"]:
        # a point's name is its VM's name, or for a computer "<computer> <job>"
        first = query["nameFilter"].split(" ")[0]
        candidates = [machine for machine in pattern_machines(ctx, None) if machine.name.lower() == first.lower()
                      or machine.name.lower() == query["nameFilter"].lower()]
    else:
        candidates = server_machines(ctx)
    return _points_answer(ctx, views, candidates)


def object_restore_points(ctx):
    object_id = str(ctx.call.path_params["id"])
    views = Views(ctx)
    machine, _obj = _shown_object(ctx, views, object_id)
    if machine is None:
        return not_found("Backup object", object_id)
    return _points_answer(ctx, views, [machine])


def get_restore_point(ctx):
    point_id = str(ctx.call.path_params["id"])
    views = Views(ctx)
    machine, point = machines.find_point(ctx.model, point_id, ctx.now, views.view)
    if point is None or machine.server_id != ctx.model.vbr_server.id:
        return not_found("Restore point", point_id)
    return json_response(200, restore_point_model(ctx, point))


def backup_created(views, job):
    """When the job's backup was created (its oldest restore point), or None when the job has none."""
    times = [point.time for machine in views.ctx.model.machines_by_job.get(job.id, ()) for point in views.points(machine)
             if point.job is job]
    return min(times) if times else None


def server_backups(ctx, views):
    """(job, its creation time) of every job of the server whose machines have restore points: a backup per job."""
    found = []
    for job in ctx.model.jobs.values():
        if job.server_id == ctx.model.vbr_server.id:
            created = backup_created(views, job)
            if created is not None:
                found.append((job, created))
    return found


def backup_model(ctx, job, created):
    obj = {"id": machines.backup_id(job), "jobId": job.id, "policyUniqueId": "", "name": job.name,
           "platformName": PLATFORM_NAMES[job.platform], "platformId": ZERO_ID, "creationTime": fmt_time(created),
           "repositoryId": repository_id(job.destination), "repositoryName": job.destination}
    if job.vbr_type is not None and not ctx.legacy:
        obj["jobType"] = job.vbr_type
    return ctx.only_defined("BackupModel", obj)


BACKUP_FILTERS = {
    "nameFilter": lambda job, created, value: name_matches(value, job.name),
    "createdAfterFilter": lambda job, created, value: created > value.timestamp(),
    "createdBeforeFilter": lambda job, created, value: created < value.timestamp(),
    "platformIdFilter": lambda job, created, value: str(value) == ZERO_ID,
    "jobIdFilter": lambda job, created, value: job.id == str(value),
    "policyTagFilter": lambda job, created, value: False,        # no backup of the world has a policy tag
    "policyUniqueIdFilter": lambda job, created, value: False,
    "jobTypeFilter": lambda job, created, value: job.vbr_type == value,
}
BACKUP_ORDER = {"Name": lambda item: item[0].name, "CreationTime": lambda item: item[1],
                "PlatformId": lambda item: ZERO_ID, "JobId": lambda item: item[0].id, "PolicyTag": lambda item: ""}


def list_backups(ctx):
    filters = dict((name, lambda item, value, test=test: test(item[0], item[1], value))
                   for name, test in BACKUP_FILTERS.items())
    return filtered_page(ctx, server_backups(ctx, Views(ctx)), filters, BACKUP_ORDER,
                         lambda item: backup_model(ctx, item[0], item[1]))


def get_backup(ctx):
    backup_id = str(ctx.call.path_params["id"])
    for job in ctx.model.jobs.values():
        if job.server_id == ctx.model.vbr_server.id and machines.backup_id(job) == backup_id:
            created = backup_created(Views(ctx), job)
            if created is not None:
                return json_response(200, backup_model(ctx, job, created))
    return not_found("Backup", backup_id)


def duration_text(seconds):
    seconds = int(max(seconds, 0))
    return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def task_session_model(ctx, tview):
    task = tview.task
    sess = task.session
    job = sess.job
    machine = task.machine
    result = {"result": tview.result, "isCanceled": bool(tview.end is not None and sess.stopped_at is not None)}
    if tview.result in ("Warning", "Failed") and tview.message:
        result["message"] = tview.message
    made_point = tview.end is not None and tview.result in ("Success", "Warning")
    span = (tview.end if tview.end is not None else ctx.now) - task.start
    processed = 0 if tview.result == "Failed" else machine.size
    obj = {
        "id": task.id, "type": "Backup", "sessionId": sess.id, "sessionType": SESSION_TYPES[job.em_type],
        "creationTime": fmt_time(task.start), "name": machine.name,
        "usn": int((tview.end or task.start) * 1000), "state": tview.state, "result": result,
        "algorithm": "None", "repositoryId": repository_id(job.destination),
        "progress": ctx.only_defined("SessionProgress", {
            "duration": duration_text(span), "processingRate": "%d MB" % (40 + machine.index % 60),
            "bottleneck": "Source", "processedSize": processed, "readSize": processed // 24,
            "transferredSize": processed // 60,
            "progressPercent": 100 if tview.end is not None else state.SessionView(sess, ctx.now).progress}),
        "platformType": machine.platform, "platformId": ZERO_ID,
    }
    if tview.end is not None:
        obj["endTime"] = fmt_time(tview.end)
    if made_point:
        point_id = machines.derived_id(task.id, machines.POINT_SALT)
        kind = [point.type for point in ctx.model.points(machine, ctx.now) if point.id == point_id]
        obj["algorithm"] = kind[0] if kind else "Increment"
        obj["restorePointId"] = point_id
        obj["restorePointReference"] = "/api/v1/restorePoints/%s" % point_id
    return _task_fields(ctx, obj)


def _task_fields(ctx, obj):
    allowed = ctx.doc.properties("TaskSessionModel")
    for part in ctx.doc.schemas["BackupTaskSessionModel"].get("allOf", []):
        allowed |= set(part.get("properties", {}))
    return dict((key, value) for key, value in obj.items() if key in allowed)


TASK_FILTERS = {
    "typeFilter": lambda tview, value: value == "Backup",
    "sessionTypeFilter": lambda tview, value: SESSION_TYPES[tview.task.session.job.em_type] == value,
    "createdAfterFilter": lambda tview, value: tview.task.start > value.timestamp(),
    "createdBeforeFilter": lambda tview, value: tview.task.start < value.timestamp(),
    "endedAfterFilter": lambda tview, value: tview.end is not None and tview.end > value.timestamp(),
    "endedBeforeFilter": lambda tview, value: tview.end is not None and tview.end < value.timestamp(),
    "stateFilter": lambda tview, value: tview.state == value,
    "resultFilter": lambda tview, value: tview.result in (value if isinstance(value, list) else [value]),
    # backup tasks have no antivirus scan
    "scanTypeFilter": lambda tview, value: False,
    "scanResultFilter": lambda tview, value: False,
    "scanStateFilter": lambda tview, value: False,
    "sessionIdFilter": lambda tview, value: tview.task.session.id == str(value),
}
TASK_ORDER = {
    "Name": lambda tview: tview.task.machine.name, "Type": lambda tview: "Backup",
    "SessionType": lambda tview: SESSION_TYPES[tview.task.session.job.em_type],
    "CreationTime": lambda tview: tview.task.start, "EndTime": lambda tview: tview.end,
    "State": lambda tview: tview.state, "Result": lambda tview: tview.result,
    "ScanState": lambda tview: None, "ScanResult": lambda tview: None,
}


def _tasks_answer(ctx, tasks):
    view = ctx.model.view_of(ctx.now)
    tviews = [machines.TaskView(task, view(task.session)) for task in tasks if ctx.job_type(task.session.job)]
    return filtered_page(ctx, tviews, TASK_FILTERS, TASK_ORDER, lambda tview: task_session_model(ctx, tview),
                         name_of=lambda tview: tview.task.machine.name)


def list_task_sessions(ctx):
    query = ctx.query
    model = ctx.model
    if "sessionIdFilter" in query:
        sess = model.sessions_by_id.get(str(query["sessionIdFilter"]))
        tasks = machines.session_tasks(model, sess) if sess is not None else []
    elif "nameFilter" in query and "*" not in query["nameFilter"]:
        tasks = [task for machine in pattern_machines(ctx, query["nameFilter"])
                 for task in machines.machine_tasks(model, machine)]
    else:
        visible = set(job.id for job in ctx.visible_jobs())
        tasks = list(machines.every_task(model, [sess for sess in model.sessions if sess.job.id in visible]))
    return _tasks_answer(ctx, tasks)


def session_task_sessions(ctx):
    session_id = str(ctx.call.path_params["id"])
    sess = ctx.model.sessions_by_id.get(session_id)
    if sess is None or ctx.job_type(sess.job) is None:
        return error(404, "NotFound", "Session %s was not found." % session_id, resource_id=session_id)
    return _tasks_answer(ctx, machines.session_tasks(ctx.model, sess))


def get_task_session(ctx):
    task_id = str(ctx.call.path_params["id"])
    task = machines.find_task(ctx.model, task_id)
    if task is None or ctx.job_type(task.session.job) is None:
        return not_found("Task session", task_id)
    view = state.SessionView(task.session, ctx.now)
    return json_response(200, task_session_model(ctx, machines.TaskView(task, view)))


# --------------------------------------------------------------------------- quick backup
QUICK_PLATFORMS = {"vSphere": "VMware", "hyperV": "HyperV", "agent": None}


def quick_backup(kind):
    def handler(ctx):
        if not (ctx.user.admin or ctx.user.operator):
            return error(403, "AccessDenied", "Access denied: quick backup needs the Veeam Backup Administrator or "
                                              "Veeam Backup Operator role.")
        model = ctx.model
        model.counters["actions"]["quick_backup"] += 1
        try:
            body = json.loads(ctx.req.body.decode("utf-8"))
        except ValueError:
            return error(400, "UnexpectedContent", "The request body is not valid JSON.")
        machine, problem = quick_backup_target(ctx, kind, body)
        if problem is not None:
            return error(400, "UnexpectedContent", problem)
        try:
            sess = model.quick_backup(machine, ctx.now, "vbr")
        except state.ActionError as exc:
            return error(400, "UnexpectedContent", exc.message, resource_id=machine.id)
        if kind == "agent":
            return json_response(201, {"jobId": sess.job.id})
        return json_response(201, session_model(ctx, sess))
    return handler


def quick_backup_target(ctx, kind, body):
    """(machine, None) for the inventory object of a quick backup request, or (None, what is wrong)."""
    srv = ctx.model.vbr_server
    candidates = [machine for machine in ctx.model.machines.values() if machine.server_id == srv.id]
    if kind == "agent":
        if body.get("type") not in ("WindowsComputer", "LinuxComputer"):
            return None, "Quick backup backs up one computer: type must be WindowsComputer or LinuxComputer, not %s." \
                % body.get("type")
        wanted = str(body.get("id", "")).lower()
        found = [machine for machine in candidates if machine.kind == "computer"
                 and wanted in (machine.computer_id, machine.id)]
        if not found:
            return None, "Computer %s (%s) was not found in any backup of %s." % (body.get("name"), wanted, srv.name)
        machine = found[0]
        if str(body.get("protectionGroupId", "")).lower() != machine.protection_group_id:
            return None, "Computer %s is not in protection group %s." % (machine.name, body.get("protectionGroupId"))
        return machine, None
    platform = QUICK_PLATFORMS[kind]
    if body.get("type") != "VirtualMachine":
        return None, "Quick backup backs up one VM: type must be VirtualMachine, not %s." % body.get("type")
    host = str(body.get("hostName", "")).lower()
    object_id = body.get("objectId")
    found = [machine for machine in candidates if machine.kind == "vm" and machine.platform == platform
             and (machine.object_ref.lower() == str(object_id).lower() if object_id
                  else machine.name.lower() == str(body.get("name", "")).lower())]
    if not found:
        return None, "VM %s (%s) was not found in any backup of %s." % (body.get("name"), object_id, srv.name)
    if found[0].host.lower() != host:
        return None, "VM %s is not on host %s (its host is %s)." % (found[0].name, body.get("hostName"),
                                                                    found[0].host)
    return found[0], None


ROUTES = {
    ("POST", "/api/oauth2/token"): token,
    ("POST", "/api/oauth2/logout"): logout,
    ("GET", "/api/v1/serverInfo"): server_info,
    ("GET", "/api/v1/serverTime"): server_time,
    ("GET", "/api/v1/jobs"): list_jobs,
    ("GET", "/api/v1/jobs/{id}"): get_job,
    ("GET", "/api/v1/jobs/states"): job_states,
    ("POST", "/api/v1/jobs/{id}/start"): job_action("start"),
    ("POST", "/api/v1/jobs/{id}/stop"): job_action("stop"),
    ("POST", "/api/v1/jobs/{id}/retry"): job_action("retry"),
    ("POST", "/api/v1/jobs/{id}/enable"): job_toggle("enable"),
    ("POST", "/api/v1/jobs/{id}/disable"): job_toggle("disable"),
    ("GET", "/api/v1/sessions"): list_sessions,
    ("GET", "/api/v1/sessions/{id}"): get_session,
    ("GET", "/api/v1/sessions/{id}/taskSessions"): session_task_sessions,
    ("GET", "/api/v1/sessions/{id}/logs"): sessionlog.session_logs,
    ("GET", "/api/v1/taskSessions"): list_task_sessions,
    ("GET", "/api/v1/taskSessions/{id}"): get_task_session,
    ("GET", "/api/v1/backupObjects"): list_backup_objects,
    ("GET", "/api/v1/backupObjects/{id}"): get_backup_object,
    ("GET", "/api/v1/backupObjects/{id}/restorePoints"): object_restore_points,
    ("GET", "/api/v1/restorePoints"): list_restore_points,
    ("GET", "/api/v1/restorePoints/{id}"): get_restore_point,
    ("GET", "/api/v1/backups"): list_backups,
    ("GET", "/api/v1/backups/{id}"): get_backup,
    ("POST", "/api/v1/jobs/quickBackup/vSphere"): quick_backup("vSphere"),
    ("POST", "/api/v1/jobs/quickBackup/hyperV"): quick_backup("hyperV"),
    ("POST", "/api/v1/jobs/quickBackup/agent"): quick_backup("agent"),
}

from . import vbrmalware  # noqa: E402  (its handlers use this module)

ROUTES.update(vbrmalware.ROUTES)
