# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Veeam Backup Enterprise Manager REST API (`/api`): handlers and representations."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from . import emquery, machines, quirks, sessionlog, state
from .render import JSON, OPT, REQ, Links, Node, Repeat, link, to_json, to_xml
from .responses import Response

SUPPORTED_VERSIONS = ["v1_7", "v1_6", "v1_5"]
DEFAULT_PAGE_SIZE = 100

STATUS_NAMES = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 429: "TooManyRequests", 500: "InternalServerError", 501: "NotImplemented",
    502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout",
}

# every entity bucket of QueryResult.Entities in JSON, in the order of the real capture
ENTITY_BUCKETS = [
    "Jobs", "FailoverPlans", "Backups", "Replicas", "Repositories", "RestorePoints", "VmRestorePoints",
    "VAppRestorePoints", "VmReplicaPoints", "BackupJobSessions", "ReplicaJobSessions", "ReplicaTaskSessions",
    "RestoreSessions", "HierarchyRoots", "BackupTaskSessions", "BackupServers", "ManagedServers", "EnterpiseRoles",
    "EnterpiseAccounts", "WanAccelerators", "CloudGateways", "CloudTenants", "CloudReplicas",
    "VCloudOrganizationConfigs", "BackupFiles", "VSphereSelfServiceConfigs", "CloudPublicIps", "CloudHardwarePlans",
    "CloudVmReplicaPoints", "AgentRestorePoints", "AgentBackupJob", "CloudGatewayPools", "CloudFailoverPlans",
    "ExternalRepositories", "VlanConfigurations", "CloudFailoverSessions", "AgentProtectionGroups",
    "DiscoveredComputers", "FileServers", "NASJobs", "CdpReplicas", "CdpReplicaVms", "CdpPolicies",
    "CdpReplicaSessions", "CdpReplicaTaskSessions", "VAppReplicaPoints", "VmCdpReplicas", "VAppCdpReplicas",
    "VAppCdpReplicaVms", "SystemSessions",
]


class Ctx(object):
    """Per-request helpers: base URL, chosen format, current time, logon session."""

    def __init__(self, model, req):
        self.model = model
        self.req = req
        self.api = req.base_url + "/api"
        self.now = state.now()
        accept = (req.header("Accept") or "").lower()
        self.json = "application/json" in accept or "text/json" in accept
        self.logon = None

    def render(self, status, node, headers=None):
        if self.json:
            return Response(status, to_json(node), "application/json; charset=utf-8", headers)
        return Response(status, to_xml(node), "application/xml; charset=utf-8", headers)


def fmt_time(epoch):
    if epoch is None:
        return None
    return quirks.em_time(epoch)


def error_node(status, message):
    return Node("Error", [([("Message", message), ("StatusCode", status),
                            ("Status", STATUS_NAMES.get(status, str(status)))],
                           [("FirstChanceExceptionMessage", None, OPT), ("StackTrace", None, OPT)])])


def error(ctx, status, message, headers=None):
    return ctx.render(status, error_node(status, message), headers)


# --------------------------------------------------------------------------- entry points (server.py)
def fault_response(req, fault):
    class _M(object):
        pass
    ctx = Ctx(_M(), req)
    status = int(fault["status"])
    headers = []
    if fault.get("retry_after") is not None:
        headers.append(("Retry-After", str(fault["retry_after"])))
    return error(ctx, status, fault.get("message") or "Simulated fault: %s %s" % (status, STATUS_NAMES.get(status, "")),
                 headers)


def internal_error(req):
    return fault_response(req, {"status": 500, "message": "Internal server error"})


def handle(model, req):
    ctx = Ctx(model, req)
    path = req.path
    if not path.startswith("/api"):
        return error(ctx, 404, "The requested resource was not found.")
    parts = [p for p in path[4:].split("/") if p]
    method = req.method
    if not parts:
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        return ctx.render(200, enterprise_manager(ctx))
    if parts[0].lower() == "sessionmngr" and len(parts) == 1:
        if method != "POST":
            return error(ctx, 405, "Method not allowed.")
        return logon(ctx)
    denied = authenticate(ctx)
    if denied is not None:
        return denied
    return route(ctx, method, parts)


def authenticate(ctx):
    req = ctx.req
    token = None
    cookie = req.header("Cookie")
    if cookie:
        for item in cookie.split(";"):
            name, _sep, value = item.strip().partition("=")
            if name.strip().lower() == "x-restsvcsessionid" and value.strip():
                token = value.strip()     # the cookie wins over the header (documented)
    if token is None:
        token = req.header("X-RestSvcSessionId")
    if not token:
        return error(ctx, 401, "Authentication required: no X-RestSvcSessionId header or cookie.")
    sess = ctx.model.em_lookup(token, ctx.now)
    if sess is None:
        return error(ctx, 401, "The session has expired or does not exist. Log on again.")
    ctx.logon = sess
    return None


def logon(ctx):
    req = ctx.req
    version = req.arg("v")
    if version is not None and version != "latest" and version not in SUPPORTED_VERSIONS:
        return error(ctx, 400, "The requested API version '%s' is not supported." % version)
    auth = req.header("Authorization") or ""
    user = None
    scheme, _sep, blob = auth.partition(" ")
    if scheme.lower() == "basic" and blob.strip():
        try:
            decoded = base64.b64decode(blob.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        if decoded is not None and ":" in decoded:
            name, _sep, password = decoded.partition(":")
            user = ctx.model.check_user(name, password)
    if user is None:
        ctx.model.counters["em"]["failed_logons"] += 1
        return error(ctx, 401, "Authentication failed: wrong user name or password.",
                     [("WWW-Authenticate", "Basic Realm=RestSvc")])
    sess = ctx.model.em_logon(user, ctx.now)
    headers = [("X-RestSvcSessionId", sess["token"]),
               ("Set-Cookie", "X-RestSvcSessionId=%s; Path=/api" % sess["token"]),
               ("Location", "%s/logonSessions/%s" % (ctx.api, sess["id"]))]
    return ctx.render(201, logon_session(ctx, sess), headers)


# --------------------------------------------------------------------------- nodes
def resource(href, type_, links):
    return ([("Href", href), ("Type", type_)], [("Links", Links(links), OPT)])


def entity_level(name, uid):
    return ([("Name", name), ("UID", uid)], [])


def enterprise_manager(ctx):
    versions = []
    for ver in SUPPORTED_VERSIONS:
        versions.append(Node("SupportedVersion", [([("Name", ver)], [("Links", Links([
            link("Create", "%s/sessionMngr/?v=%s" % (ctx.api, ver), "LogonSession")]), REQ)])]))
    links = [link("Create", "%s/sessionMngr/?v=latest" % ctx.api, "LogonSession")]
    sv = Node("SupportedVersions", [([], [("SupportedVersions", Repeat(versions), REQ)])])
    return Node("EnterpriseManager", [resource(ctx.api + "/", "EnterpriseManager", links),
                                      ([], [("SupportedVersions", sv, REQ)])])


def _user_display(user):
    return user.name if "\\" in user.name else "VEEAM-EM\\" + user.name


def logon_session(ctx, sess):
    href = "%s/logonSessions/%s" % (ctx.api, sess["id"])
    links = [
        link("Up", ctx.api + "/", "EnterpriseManager"),
        link("Down", ctx.api + "/backupServers", "BackupServerReferenceList"),
        link("Down", ctx.api + "/jobs", "JobReferenceList"),
        link("Down", ctx.api + "/backupSessions", "BackupJobSessionReferenceList"),
        link("Down", ctx.api + "/agents", "AgentsService"),
        link("Down", ctx.api + "/query", "QueryService"),
        link("Alternate", href, "LogonSession"),
        link("Delete", href, "LogonSession"),
    ]
    return Node("LogonSession", [resource(href, "LogonSession", links),
                                 ([], [("UserName", _user_display(sess["user"]), REQ), ("SessionId", sess["id"], REQ)])])


def server_uid(srv):
    return "urn:veeam:BackupServer:%s" % srv.id


def server_ref_link(ctx, srv):
    return link("Up", "%s/backupServers/%s" % (ctx.api, srv.id), "BackupServerReference", srv.name)


def server_links(ctx, srv):
    base = "%s/backupServers/%s" % (ctx.api, srv.id)
    return [
        link("Alternate", base, "BackupServerReference", srv.name),
        link("Down", base + "/jobs", "JobReferenceList"),
        link("Down", base + "/repositories", "RepositoryReferenceList"),
        link("Down", base + "/credentials", "CredentialsInfoList"),
        link("Down", base + "/passwords", "PasswordKeyInfoList"),
        link("QuickBackup", base + "?action=quickbackup"),
    ]


def server_entity(ctx, srv):
    href = "%s/backupServers/%s?format=Entity" % (ctx.api, srv.id)
    return Node("BackupServer", [resource(href, "BackupServer", server_links(ctx, srv)),
                                 entity_level(srv.name, server_uid(srv)),
                                 ([], [("Description", srv.description, REQ), ("Port", srv.port, REQ),
                                       ("Version", srv.version, REQ)])])


def ref_node(tag, uid, name, href, type_, links):
    return Node(tag, [([("UID", uid), ("Name", name), ("Href", href), ("Type", type_)],
                       [("Links", Links(links), OPT)])])


def server_ref(ctx, srv, tag="Ref"):
    return ref_node(tag, server_uid(srv), srv.name, "%s/backupServers/%s" % (ctx.api, srv.id), "BackupServerReference",
                    [link("Alternate", "%s/backupServers/%s?format=Entity" % (ctx.api, srv.id), "BackupServer",
                          srv.name)])


def job_href(ctx, job):
    return "%s/%s/%s" % (ctx.api, "agents/jobs" if job.kind == "agent" else "jobs", job.id)


def job_links(ctx, job):
    base = job_href(ctx, job)
    srv = ctx.model.server_of(job)
    links = [server_ref_link(ctx, srv)]
    if job.kind == "agent":
        links += [
            link("Alternate", base, "AgentBackupJobReference", job.name),
            link("Down", base + "/includes", "AgentObjectInJobList"),
            link("ToggleScheduleEnabled", base + "?action=toggleScheduleEnabled"),
            link("Down", base + "/backupSessions", "BackupJobSessionReferenceList"),
            link("Start", base + "?action=start"),
            link("Stop", base + "?action=stop"),
            link("Retry", base + "?action=retry"),
        ]
        return links
    links.append(link("Alternate", base, "JobReference", job.name))
    links.append(link("Edit", base + "?action=edit", "Job", job.name))
    if job.em_type != "BackupCopy":
        links += [link("Start", base + "?action=start"), link("Stop", base + "?action=stop"),
                  link("Retry", base + "?action=retry")]
    links += [link("Clone", base + "?action=clone"),
              link("ToggleScheduleEnabled", base + "?action=toggleScheduleEnabled"),
              link("Down", base + "/includes", "ObjectInJobList"),
              link("Create", base + "/includes", "ObjectInJob")]
    if job.em_type == "Replica":
        links.append(link("Down", base + "/replicaSessions", "ReplicaJobSessionReferenceList"))
    else:
        links.append(link("Down", base + "/backupSessions", "BackupJobSessionReferenceList"))
    if job.em_type == "BackupCopy":
        links += [link("Sync", base + "?action=sync"),
                  link("Down", base + "/linkedJobs", "LinkedJobObjectList"),
                  link("Down", base + "/linkedBackupRepositories", "LinkedBackupRepositoryObjectList")]
    return links


def job_entity(ctx, job):
    href = job_href(ctx, job) + "?format=Entity"
    agent = job.kind == "agent"
    tag = "AgentBackupJob" if agent else "Job"
    elems = [("JobType", job.em_type, OPT), ("Platform", job.platform, OPT), ("Description", job.description, OPT),
             ("ScheduleConfigured", job.schedule_configured, OPT), ("ScheduleEnabled", job.schedule_enabled, OPT)]
    if not agent:
        elems.append(("NextRun", fmt_time(state.next_run(job, ctx.now)), OPT))
    elems += [("JobScheduleOptions", None, OPT), ("JobInfo", None, OPT)]
    return Node(tag, [resource(href, tag, job_links(ctx, job)), entity_level(job.name, job.em_uid), ([], elems)])


def job_ref(ctx, job, tag="Ref"):
    srv = ctx.model.server_of(job)
    agent = job.kind == "agent"
    base = job_href(ctx, job)
    links = [server_ref_link(ctx, srv),
             link("Alternate", base + "?format=Entity", "AgentBackupJob" if agent else "Job", job.name)]
    if agent:
        links.append(link("Down", base + "/backupSessions", "BackupJobSessionReferenceList"))
    elif job.em_type == "Replica":
        links.append(link("Down", base + "/replicaSessions", "ReplicaJobSessionReferenceList"))
    else:
        links.append(link("Down", base + "/backupSessions", "BackupJobSessionReferenceList"))
    return ref_node(tag, job.em_uid, job.name, base, "AgentBackupJobReference" if agent else "JobReference", links)


def session_kind(sess):
    return sess.job.session_kind


def session_href(ctx, sess):
    coll = "replicaSessions" if session_kind(sess) == "ReplicaJobSession" else "backupSessions"
    return "%s/%s/%s" % (ctx.api, coll, sess.id)


def session_name(sess):
    stamp = datetime.datetime.fromtimestamp(sess.start, datetime.timezone.utc)
    return "%s@%s" % (sess.job.name, stamp.strftime("%Y-%m-%d %H:%M:%S"))


def session_uid(sess):
    return "urn:veeam:%s:%s" % (session_kind(sess), sess.id)


def session_links(ctx, sess, name):
    job = sess.job
    srv = ctx.model.server_of(job)
    href = session_href(ctx, sess)
    kind = session_kind(sess)
    links = [server_ref_link(ctx, srv), link("Up", job_href(ctx, job), "JobReference", job.name)]
    links.append(link("Alternate", href, kind + "Reference", name))
    if job.kind == "agent":
        links.append(link("Alternate", href + "/agentManagementSessions", "BackupJobSessionReferenceList"))
    task_type = "ReplicaTaskSessionReferenceList" if kind == "ReplicaJobSession" else "BackupTaskSessionReferenceList"
    links.append(link("Down", href + "/taskSessions", task_type))
    links.append(link("Stop", href + "?action=stop"))
    return links


def session_entity(ctx, sess, view=None):
    view = view or state.SessionView(sess, ctx.now)
    name = session_name(sess)
    kind = session_kind(sess)
    job = sess.job
    return Node(kind, [
        resource(session_href(ctx, sess) + "?format=Entity", kind, session_links(ctx, sess, name)),
        entity_level(name, session_uid(sess)),
        ([], [("JobUid", job.em_uid, REQ), ("JobName", job.name, REQ),
              ("JobType", job.em_type, REQ), ("CreationTimeUTC", fmt_time(sess.start), REQ),
              ("EndTimeUTC", fmt_time(view.end), OPT), ("State", view.state, REQ), ("Result", view.result, REQ),
              ("Progress", view.progress, REQ), ("FailureMessage", view.failure_message, REQ)]),
        ([], [("IsRetry", sess.is_retry, REQ)]),
    ])


def session_ref(ctx, sess, tag="Ref"):
    name = session_name(sess)
    kind = session_kind(sess)
    href = session_href(ctx, sess)
    job = ctx.model.server_of(sess.job)
    links = [server_ref_link(ctx, job), link("Up", job_href(ctx, sess.job), "JobReference", sess.job.name),
             link("Alternate", href + "?format=Entity", kind, name),
             link("Down", href + "/taskSessions", "BackupTaskSessionReferenceList")]
    return ref_node(tag, session_uid(sess), name, href, kind + "Reference", links)


def ref_list(refs):
    return Node("EntityReferences", [([], [("Refs", Repeat(refs), REQ)])])


def task_node(ctx, task):
    href = "%s/tasks/%s" % (ctx.api, task.id)
    tstate = task.state(ctx.now)
    result = None
    links = [link("Delete", href, "Task")]
    if tstate == "Finished":
        result = Node("Result", [([("Success", task.success)], [("Message", task.message, OPT)])])
        if task.related is not None:
            links.append(link("Related", "%s/backupSessions/%s?format=Entity" % (ctx.api, task.related.id),
                              "BackupJobSession"))
    return Node("Task", [resource(href, "Task", links),
                         ([], [("TaskId", task.id, REQ), ("State", tstate, REQ), ("Operation", task.operation, REQ),
                               ("Result", result, OPT)])])


# --------------------------------------------------------------------------- routing
def _find(mapping, key):
    if key is None:
        return None
    return mapping.get(key.lower())


def route(ctx, method, parts):
    model = ctx.model
    head = parts[0].lower()
    rest = parts[1:]
    fmt = (ctx.req.arg("format") or "").lower()
    if head == "logonsessions":
        return logon_sessions(ctx, method, rest)
    if head == "backupservers":
        srv = model.servers_by_id.get(rest[0].lower()) if rest else None
        if method == "POST" and srv is not None and len(rest) == 1:
            return server_action(ctx, srv)
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        if not rest:
            return ctx.render(200, ref_list([server_ref(ctx, s) for s in model.servers]))
        if srv is not None and len(rest) == 2 and rest[1].lower() == "jobs":
            if not ctx.logon["user"].admin:
                return error(ctx, 403, "Access denied.")
            return ctx.render(200, ref_list([job_ref(ctx, j) for j in model.jobs.values()
                                             if j.kind == "job" and j.server_id == srv.id]))
        if srv is None or len(rest) > 1:
            return error(ctx, 404, "Backup server '%s' was not found." % rest[0])
        if fmt == "entity":
            return ctx.render(200, server_entity(ctx, srv))
        return ctx.render(200, server_ref(ctx, srv, "EntityRef"))
    if head == "jobs":
        return jobs_route(ctx, method, rest, "job", fmt)
    if head in ("vmrestorepoints", "backuptasksessions"):
        return machine_route(ctx, method, head, rest, fmt)
    if head == "agents":
        if rest and rest[0].lower() == "jobs":
            return jobs_route(ctx, method, rest[1:], "agent", fmt)
        if rest and rest[0].lower() == "agentrestorepoints":
            return machine_route(ctx, method, "agentrestorepoints", rest[1:], fmt)
        if rest and rest[0].lower() == "backupsessions" and len(rest) == 1 and method == "GET":
            sessions = [s for s in model.em_sessions_window(ctx.now) if s.job.kind == "agent"]
            return ctx.render(200, ref_list([session_ref(ctx, s) for s in sessions]))
        return error(ctx, 404, "The requested resource was not found.")
    if head in ("backupsessions", "replicasessions"):
        kind = "BackupJobSession" if head == "backupsessions" else "ReplicaJobSession"
        if not rest:
            if method != "GET":
                return error(ctx, 405, "Method not allowed.")
            sessions = [s for s in model.em_sessions_window(ctx.now) if session_kind(s) == kind]
            return ctx.render(200, ref_list([session_ref(ctx, s) for s in sessions]))
        sess = model.sessions_by_id.get(rest[0].lower())
        if (sess is not None and session_kind(sess) == kind and sess.visible_at <= ctx.now and len(rest) == 2
                and rest[1].lower() == "tasksessions" and method == "GET" and kind == "BackupJobSession"):
            return ctx.render(200, ref_list([task_ref(ctx, machines.TaskView(task, state.SessionView(sess, ctx.now)))
                                             for task in machines.session_tasks(model, sess)]))
        if sess is None or session_kind(sess) != kind or sess.visible_at > ctx.now or len(rest) > 1:
            return error(ctx, 404, "Session '%s' was not found." % rest[0])
        if method == "POST":
            return session_action(ctx, sess)
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        if fmt == "entity":
            return ctx.render(200, session_entity(ctx, sess))
        return ctx.render(200, session_ref(ctx, sess, "EntityRef"))
    if head == "tasks":
        return tasks_route(ctx, method, rest)
    if head == "query":
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        return query(ctx)
    return error(ctx, 404, "The requested resource was not found.")


def logon_sessions(ctx, method, rest):
    model = ctx.model
    if not rest:
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        mine = [s for s in model.em_sessions.values() if s["user"].name == ctx.logon["user"].name]
        return ctx.render(200, Node("LogonSessions", [([], [("LogonSessions", Repeat(
            [logon_session(ctx, s) for s in mine]), REQ)])]))
    target = None
    for token, sess in model.em_sessions.items():
        if sess["id"] == rest[0].lower() and sess["user"].name == ctx.logon["user"].name:
            target = token
    if target is None or len(rest) > 1:
        return error(ctx, 404, "Logon session '%s' was not found." % rest[0])
    if method == "GET":
        return ctx.render(200, logon_session(ctx, model.em_sessions[target]))
    if method == "DELETE":
        del model.em_sessions[target]
        model.counters["em"]["logoffs"] += 1
        return Response(204)
    return error(ctx, 405, "Method not allowed.")


def jobs_route(ctx, method, rest, kind, fmt):
    model = ctx.model
    if not rest:
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        if kind == "job" and not ctx.logon["user"].admin:
            return error(ctx, 403, "Access denied.")    # listing /jobs needs Portal Administrator
        return ctx.render(200, ref_list([job_ref(ctx, j) for j in model.jobs.values() if j.kind == kind]))
    job = model.jobs.get(rest[0].lower())
    if job is None or job.kind != kind:
        return error(ctx, 404, "Job '%s' was not found." % rest[0])
    if len(rest) == 1:
        if method == "POST":
            return job_action(ctx, job)
        if method != "GET":
            return error(ctx, 405, "Method not allowed.")
        if fmt == "entity":
            return ctx.render(200, job_entity(ctx, job))
        return ctx.render(200, job_ref(ctx, job, "EntityRef"))
    sub = rest[1].lower()
    if len(rest) == 2 and method == "GET" and sub in ("backupsessions", "replicasessions"):
        want = "ReplicaJobSession" if sub == "replicasessions" else "BackupJobSession"
        sessions = [s for s in model.sessions_by_job.get(job.id, [])
                    if s.visible_at <= ctx.now and s.start >= ctx.now - state.SESSION_WINDOW and session_kind(s) == want]
        return ctx.render(200, ref_list([session_ref(ctx, s) for s in sessions]))
    return error(ctx, 404, "The requested resource was not found.")


ACTIONS = {
    "start": ("start", "StartJob", "StartJob"),
    "stop": ("stop", "StopJob", "StopAgentJob"),
    "retry": ("retry", "RetryJob", "RetryAgentJob"),
    "sync": ("sync", "StartJob", "StartJob"),
    "togglescheduleenabled": ("toggle", "UpdateJob", "UpdateJob"),
}


def job_action(ctx, job):
    model = ctx.model
    name = ctx.req.arg("action")
    if not name:
        return error(ctx, 400, "The 'action' query parameter is required.")
    spec = ACTIONS.get(name.lower())
    if spec is None:
        return error(ctx, 400, "Action '%s' is not supported by the simulator." % name)
    if not ctx.logon["user"].admin:
        return error(ctx, 403, "Access denied.")
    action, op_job, op_agent = spec
    model.counters["actions"][action] += 1
    operation = op_agent if job.kind == "agent" else op_job
    try:
        if job.kind == "agent" and action == "sync":
            raise state.ActionError('Action "sync" is not available for Veeam Agent job "%s".' % job.name)
        message, _sess = model.act(job, action, ctx.now, "em")
        task = model.new_task(ctx.logon["id"], operation, True, message, ctx.now)
    except state.ActionError as exc:
        task = model.new_task(ctx.logon["id"], operation, False, exc.message, ctx.now)
    return ctx.render(202, task_node(ctx, task), [("Location", "%s/tasks/%s" % (ctx.api, task.id))])


def session_action(ctx, sess):
    if (ctx.req.arg("action") or "").lower() != "stop":
        return error(ctx, 400, "Unsupported action.")
    if not ctx.logon["user"].admin:
        return error(ctx, 403, "Access denied.")
    ctx.model.counters["actions"]["stop"] += 1
    view = state.SessionView(sess, ctx.now)
    if view.running:
        sess.stopped_at = sess.stopped_at or ctx.now
        task = ctx.model.new_task(ctx.logon["id"], "StopJob", True, 'Job "%s" triggered to stop.' % sess.job.name,
                                  ctx.now)
    else:
        task = ctx.model.new_task(ctx.logon["id"], "StopJob", False, "Session is not running.", ctx.now)
    return ctx.render(202, task_node(ctx, task))


def tasks_route(ctx, method, rest):
    if len(rest) != 1:
        return error(ctx, 404, "The requested resource was not found.")
    task = ctx.model.tasks.get(rest[0].lower())
    if task is None or task.owner != ctx.logon["id"]:
        return error(ctx, 404, "Task '%s' was not found." % rest[0])
    if method == "GET":
        return ctx.render(200, task_node(ctx, task))
    if method == "DELETE":
        return Response(204)
    return error(ctx, 405, "Method not allowed.")


# --------------------------------------------------------------------------- query service
def _job_fields(model, agent):
    fields = {
        "uid": ("uid", lambda j: j.em_uid),
        "name": ("str", lambda j: j.name),
        "description": ("str", lambda j: j.description),
        "jobtype": ("enum", lambda j: j.em_type),
        "platform": ("enum", lambda j: j.platform),
        "scheduleconfigured": ("bool", lambda j: j.schedule_configured),
        "scheduleenabled": ("bool", lambda j: j.schedule_enabled),
        "backupserveruid": ("uid", lambda j: "urn:veeam:BackupServer:" + j.server_id),
        "backupservername": ("str", lambda j: model.servers_by_id[j.server_id].name),
    }
    if not agent:
        fields["nextrun"] = ("date", lambda j: state.next_run(j, state.now()))
    return fields


# job fields that change only when the model says so (Model.jobs_changed): a job query filtering and sorting on
# these only is kept by the model; NextRun moves with the clock
KEPT_JOB_FIELDS = ("uid", "name", "description", "jobtype", "platform", "scheduleconfigured", "scheduleenabled",
                   "backupserveruid", "backupservername")


def _session_fields(model):
    return {
        "uid": ("uid", lambda v: session_uid(v.session)),
        "name": ("str", lambda v: session_name(v.session)),
        "jobtype": ("enum", lambda v: v.session.job.em_type),
        "jobuid": ("uid", lambda v: v.session.job.em_uid),
        "jobname": ("str", lambda v: v.session.job.name),
        "creationtime": ("date", lambda v: v.session.start),
        "endtime": ("date", lambda v: v.end),
        "state": ("state", lambda v: v.state),
        "result": ("result", lambda v: v.result),
        "isretry": ("bool", lambda v: v.session.is_retry),
        "backupserveruid": ("uid", lambda v: "urn:veeam:BackupServer:" + v.session.job.server_id),
        "backupservername": ("str", lambda v: model.servers_by_id[v.session.job.server_id].name),
    }


SERVER_FIELDS = {
    "uid": ("uid", server_uid),
    "name": ("str", lambda s: s.name),
    "description": ("str", lambda s: s.description),
    "port": ("int", lambda s: s.port),
    "version": ("str", lambda s: s.version),
}

QUERY_TYPES = {
    "job": "Job", "agentbackupjob": "AgentBackupJob", "backupjobsession": "BackupJobSession",
    "replicajobsession": "ReplicaJobSession", "backupserver": "BackupServer", "vmrestorepoint": "VmRestorePoint",
    "agentrestorepoint": "AgentRestorePoint", "backuptasksession": "BackupTaskSession",
}
MACHINE_QUERY_TYPES = ("VmRestorePoint", "AgentRestorePoint", "BackupTaskSession")
# the QueryResult bucket of each type: (JSON bucket, XML bucket, JSON inner key)
BUCKETS = {"Job": ("Jobs", "Jobs", "Jobs"), "AgentBackupJob": ("AgentBackupJob", "AgentBackupJobs", "AgentBackupJobs"),
           "BackupServer": ("BackupServers", "BackupServers", "BackupServers"),
           "BackupJobSession": ("BackupJobSessions", "BackupJobSessions", "BackupJobSessions"),
           "ReplicaJobSession": ("ReplicaJobSessions", "ReplicaJobSessions", "ReplicaJobSessions"),
           "VmRestorePoint": ("VmRestorePoints", "VmRestorePoints", "VmRestorePoints"),
           "AgentRestorePoint": ("AgentRestorePoints", "AgentRestorePoints", "AgentRestorePoints"),
           "BackupTaskSession": ("BackupTaskSessions", "BackupTaskSessions", "BackupTaskSessions")}


def query(ctx):
    model = ctx.model
    req = ctx.req
    qtype = QUERY_TYPES.get((req.arg("type") or "").lower())
    if qtype is None:
        return error(ctx, 400, "Query type '%s' is not supported." % (req.arg("type") or ""))
    fmt = (req.arg("format") or "References").lower()
    if fmt not in ("entities", "references"):
        return error(ctx, 400, "Format '%s' is not valid for the query service." % req.arg("format"))
    jobs = qtype in ("Job", "AgentBackupJob")
    if jobs:
        agent = qtype == "AgentBackupJob"
        items = None
        fields = _job_fields(model, agent)
    elif qtype == "BackupServer":
        items = list(model.servers)
        fields = SERVER_FIELDS
    elif qtype in MACHINE_QUERY_TYPES:
        items = None
        fields = MACHINE_FIELDS[qtype](model)
    else:
        items = None
        fields = _session_fields(model)
    try:
        tree = emquery.parse(req.arg("filter"))
        predicate = emquery.compile_tree(tree, fields)
        sort_asc, sort_desc = req.arg("sortAsc"), req.arg("sortDesc")

        def matching():
            found = [i for i in items if predicate(i)]
            if sort_asc:
                found.sort(key=emquery.sort_key(fields, sort_asc))
            elif sort_desc:
                found.sort(key=emquery.sort_key(fields, sort_desc), reverse=True)
            return found

        if jobs:
            items, narrowed = _job_candidates(model, "agent" if agent else "job", tree)
            used = emquery.field_names(tree) | set(name.lower() for name in (sort_asc or sort_desc,) if name)
            if not narrowed and used.issubset(KEPT_JOB_FIELDS):
                items = model.listing(("em", qtype, req.arg("filter"), sort_asc, sort_desc), matching)
            else:
                items = matching()
        else:
            if items is None and qtype in MACHINE_QUERY_TYPES:
                items = machine_candidates(ctx, qtype, tree)
            elif items is None:
                items = [state.SessionView(s, ctx.now) for s in _session_candidates(model, tree, ctx.now)
                         if s.job.session_kind == qtype]
            items = matching()
    except emquery.FilterError as exc:
        return error(ctx, 400, str(exc))
    try:
        size = int(req.arg("pageSize")) if req.arg("pageSize") is not None else DEFAULT_PAGE_SIZE
        page = int(req.arg("page")) if req.arg("page") is not None else 1
    except ValueError:
        return error(ctx, 400, "pageSize and page must be integers.")
    if size < 1 or page < 1:
        return error(ctx, 400, "pageSize and page must be positive.")
    pages = max(1, int(math.ceil(len(items) / float(size))))
    chunk = items[(page - 1) * size:page * size]

    entities = fmt == "entities"
    if qtype in ("Job", "AgentBackupJob"):
        nodes = [job_entity(ctx, j) if entities else job_ref(ctx, j) for j in chunk]
    elif qtype == "BackupServer":
        nodes = [server_entity(ctx, s) if entities else server_ref(ctx, s) for s in chunk]
    elif qtype in MACHINE_QUERY_TYPES:
        render = MACHINE_RENDER[qtype][0 if entities else 1]
        nodes = [render(ctx, item) for item in chunk]
    else:
        nodes = [session_entity(ctx, v.session, v) if entities else session_ref(ctx, v.session) for v in chunk]

    elems = [("Refs", None, JSON), ("Entities", None, JSON), ("Resources", None, JSON)]
    if entities:
        bucket, xml_bucket, inner = BUCKETS[qtype]
        buckets = []
        for name in ENTITY_BUCKETS:
            if name == bucket:
                buckets.append((name, Node(xml_bucket, [([], [(inner, Repeat(nodes), REQ)])]), REQ))
            else:
                buckets.append((name, None, JSON))
        elems[1] = ("Entities", Node("Entities", [([], buckets)]), REQ)
    else:
        elems[0] = ("Refs", Node("Refs", [([], [("Refs", Repeat(nodes), REQ)])]), REQ)
    elems.append(("Links", None, OPT))
    elems.append(("PagingInfo", paging_info(ctx, page, size, pages), REQ))
    return ctx.render(200, Node("QueryResult", [([], elems)]))


def _job_candidates(model, kind, tree):
    """(jobs, narrowed): the jobs of a kind a filter can match, in the model's order; narrowed through the id when
    the filter pins UID, through a name index when it pins Name."""
    uid = emquery.required_equal(tree, "uid")
    if uid is not None:
        job = model.jobs.get(uid.rsplit(":", 1)[-1].lower())
        return ([job] if job is not None and job.kind == kind and job.em_uid.lower() == uid.lower() else []), True
    everything = model.listing(("em", kind), lambda: [j for j in model.jobs.values() if j.kind == kind])
    name = emquery.required_equal(tree, "name")
    if name is None:
        return everything, False

    def by_name():
        index = {}
        for job in everything:
            index.setdefault(job.name.lower(), []).append(job)
        return index
    return model.listing(("em", kind, "by name"), by_name).get(name.lower(), []), True


def _session_candidates(model, tree, now):
    """Sessions EM shows, narrowed through the per-job index when the filter pins JobUid."""
    uid = emquery.required_equal(tree, "jobuid")
    if uid is None:
        return model.em_sessions_window(now)
    job = model.jobs.get(uid.rsplit(":", 1)[-1].lower())
    if job is None or job.em_uid.lower() != uid.lower():
        return []
    start = now - state.SESSION_WINDOW
    return [s for s in model.sessions_by_job.get(job.id, []) if s.start >= start and s.visible_at <= now]


def paging_info(ctx, page, size, pages):
    kept = [(k, v) for k, v in ctx.req.query if k.lower() not in ("pagesize", "page")]
    base = "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in kept)

    def href(num):
        return "%s/query?%s%spageSize=%d&page=%d" % (ctx.api, base, "&" if base else "", size, num)
    links = [link("First", href(1))]
    if page > 1:
        links.append(link("Prev", href(min(page - 1, pages))))
    if page < pages:
        links.append(link("Next", href(page + 1)))
    links.append(link("Last", href(pages)))
    return Node("PagingInfo", [([("PageNum", page), ("PageSize", size), ("PagesCount", pages)],
                                [("Links", Links(links), OPT)])])


# --------------------------------------------------------------------------- machines: restore points, task sessions
def _stamp(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)


def machine_name_at(name, epoch):
    """EM's names of a machine's points and tasks: `web01@2026-11-22 18:04:12` (UTC)."""
    return "%s@%s" % (name, _stamp(epoch).strftime("%Y-%m-%d %H:%M:%S"))


def run_point_name(epoch):
    """The name of a job run's RestorePoint as EM writes it: `Jun 16 2025  4:00AM`."""
    stamp = _stamp(epoch)
    hour = stamp.hour % 12 or 12
    return "%s %2d %d %2d:%02d%s" % (stamp.strftime("%b"), stamp.day, stamp.year, hour, stamp.minute,
                                     "AM" if stamp.hour < 12 else "PM")


def run_point_id(sess):
    return machines.derived_id(sess.id, machines.RESTORE_POINT_SALT)


def backup_file_id(point):
    return machines.derived_id(point.id, machines.BACKUP_FILE_SALT)


def backup_file_name(point):
    stamp = _stamp(point.time)
    return "%s%sD%sT%s_%s.%s" % (point.job.name, " - " + point.machine.name if point.machine.kind == "computer" else "",
                                 stamp.strftime("%Y-%m-%d"), stamp.strftime("%H%M%S"), point.id[:4].upper(),
                                 "vbk" if point.type == "Full" else "vib")


def point_href(ctx, point):
    if point.machine.kind == "vm":
        return "%s/vmRestorePoints/%s" % (ctx.api, point.id)
    return "%s/agents/agentRestorePoints/%s" % (ctx.api, point.id)


def point_kind(point):
    return "VmRestorePoint" if point.machine.kind == "vm" else "AgentRestorePoint"


def point_links(ctx, point):
    """The links of a VmRestorePoint / AgentRestorePoint entity (EM docs, get_vmrestorepoints_id)."""
    srv = ctx.model.server_of(point.job)
    href = point_href(ctx, point)
    kind = point_kind(point)
    name = machine_name_at(point.machine.name, point.time)
    links = []
    if kind == "VmRestorePoint":
        links.append(link("Restore", href + "?action=restore"))
    links += [server_ref_link(ctx, srv),
              link("Up", "%s/restorePoints/%s" % (ctx.api, run_point_id(point.session)), "RestorePointReference",
                   run_point_name(point.session.start)),
              link("Up", "%s/backupFiles/%s" % (ctx.api, backup_file_id(point)), "BackupFileReference",
                   backup_file_name(point)),
              link("Alternate", href, kind + "Reference", name),
              link("Down", href + "/mounts", kind + "MountList"),
              link("Create", href + "/mounts", kind + "Mount")]
    return links


def point_entity(ctx, point):
    machine = point.machine
    kind = point_kind(point)
    name = machine_name_at(machine.name, point.time)
    uid = "urn:veeam:%s:%s" % (kind, point.id)
    levels = [resource(point_href(ctx, point) + "?format=Entity", kind, point_links(ctx, point)),
              entity_level(name, uid)]
    if kind == "VmRestorePoint":
        levels.append(([("VmDisplayName", machine.name)],
                       [("CreationTimeUTC", fmt_time(point.time), REQ), ("VmName", machine.name, REQ),
                        ("Algorithm", point.algorithm, REQ), ("PointType", point.type, REQ),
                        ("HierarchyObjRef", machines.em_ref(machine), REQ),
                        ("SqlInfo", quirks.sql_info(machine.name), OPT)]))
    else:   # not in the 9.x XSD: the v13 docs' elements (VEEAM_MACHINES.md A.4)
        levels.append(([], [("CreationTimeUTC", fmt_time(point.time), REQ), ("Algorithm", point.algorithm, REQ),
                            ("PointType", point.type, REQ)]))
    return Node(kind, levels)


def point_ref(ctx, point, tag="Ref"):
    kind = point_kind(point)
    name = machine_name_at(point.machine.name, point.time)
    href = point_href(ctx, point)
    links = [server_ref_link(ctx, ctx.model.server_of(point.job)),
             link("Alternate", href + "?format=Entity", kind, name)]
    return ref_node(tag, "urn:veeam:%s:%s" % (kind, point.id), name, href, kind + "Reference", links)


def task_href(ctx, task):
    return "%s/backupTaskSessions/%s" % (ctx.api, task.id)


def task_size(tview):
    """The size of what the task wrote: a sixteenth of the machine for a point, nothing for a failed task."""
    if tview.running or tview.result == "Failed":
        return 0
    return tview.task.machine.size // 16


def task_entity(ctx, tview):
    task = tview.task
    sess = task.session
    machine = task.machine
    name = machine_name_at(machine.name, task.start)
    links = [server_ref_link(ctx, ctx.model.server_of(sess.job)),
             link("Up", session_href(ctx, sess), "BackupJobSessionReference", session_name(sess)),
             link("Alternate", task_href(ctx, task), "BackupTaskSessionReference", name)]
    if not tview.running and tview.result in ("Success", "Warning"):
        point_id = machines.derived_id(task.id, machines.POINT_SALT)
        if machine.kind == "vm":
            links.append(link("Related", "%s/vmRestorePoints/%s?format=Entity" % (ctx.api, point_id), "VmRestorePoint",
                              machine_name_at(machine.name, tview.end)))
        else:
            links.append(link("Related", "%s/agents/agentRestorePoints/%s?format=Entity" % (ctx.api, point_id),
                              "AgentRestorePoint", machine_name_at(machine.name, tview.end)))
    return Node("BackupTaskSession", [
        resource(task_href(ctx, task) + "?format=Entity", "BackupTaskSession", links),
        entity_level(name, "urn:veeam:BackupTaskSession:%s" % task.id),
        ([("VmDisplayName", machine.name)],
         [("JobSessionUid", session_uid(sess), REQ), ("CreationTimeUTC", fmt_time(task.start), REQ),
          ("EndTimeUTC", fmt_time(tview.end), OPT), ("State", tview.em_state, REQ), ("Result", tview.result, REQ),
          ("Reason", tview.message, REQ), ("TotalSize", task_size(tview), REQ),
          ("VmUid", machines.em_ref(machine), OPT)]),     # VmUid: v13 docs, not in the 9.x XSD
    ])


def task_ref(ctx, tview, tag="Ref"):
    task = tview.task
    name = machine_name_at(task.machine.name, task.start)
    links = [server_ref_link(ctx, ctx.model.server_of(task.session.job)),
             link("Alternate", task_href(ctx, task) + "?format=Entity", "BackupTaskSession", name)]
    return ref_node(tag, "urn:veeam:BackupTaskSession:%s" % task.id, name, task_href(ctx, task),
                    "BackupTaskSessionReference", links)


def em_points(ctx, machine, view_of):
    """The machine's restore points EM has collected (their run is visible to EM)."""
    return [point for point in ctx.model.points(machine, ctx.now, view_of) if point.session.visible_at <= ctx.now]


def em_task_visible(sess, now):
    return sess.visible_at <= now and sess.start >= now - state.SESSION_WINDOW


def machine_candidates(ctx, qtype, tree):
    """The items a machine query filters: points (VmRestorePoint, AgentRestorePoint) or TaskViews, narrowed
    through the name index when the filter pins VmDisplayName / ComputerName."""
    model = ctx.model
    view_of = model.view_of(ctx.now)
    if qtype == "BackupTaskSession":
        name = emquery.required_equal(tree, "vmdisplayname")
        uids = sessionlog.session_uids(tree)
        if name is not None:
            tasks = [task for machine in model.machine_named(name) for task in machines.machine_tasks(model, machine)]
        elif uids is not None:
            tasks = sessionlog.tasks_of_sessions(model, uids)
        else:
            tasks = machines.every_task(model, model.em_sessions_window(ctx.now))
        return [machines.TaskView(task, view_of(task.session)) for task in tasks
                if em_task_visible(task.session, ctx.now)]
    kind = "vm" if qtype == "VmRestorePoint" else "computer"
    name = emquery.required_equal(tree, "vmdisplayname" if kind == "vm" else "computername")
    candidates = model.machine_named(name) if name is not None else model.machines.values()
    return [point for machine in candidates if machine.kind == kind for point in em_points(ctx, machine, view_of)]


def _server_name(model, server_id):
    return model.servers_by_id[server_id].name


def _point_fields(model, kind):
    fields = {
        "uid": ("uid", lambda p: "urn:veeam:%s:%s" % (point_kind(p), p.id)),
        "name": ("str", lambda p: machine_name_at(p.machine.name, p.time)),
        "creationtime": ("date", lambda p: p.time),
        "type": ("enum", lambda p: p.type),
        "algorithm": ("enum", lambda p: p.algorithm),
        "restorepointid": ("uid", lambda p: "urn:veeam:RestorePoint:" + run_point_id(p.session)),
        "restorepointname": ("str", lambda p: run_point_name(p.session.start)),
        "backupserveruid": ("uid", lambda p: "urn:veeam:BackupServer:" + p.machine.server_id),
        "backupservername": ("str", lambda p: _server_name(model, p.machine.server_id)),
    }
    if kind == "vm":
        fields["vmdisplayname"] = ("str", lambda p: p.machine.name)
    else:
        fields.update({
            "computername": ("str", lambda p: p.machine.name),
            "backupuid": ("uid", lambda p: "urn:veeam:Backup:" + machines.backup_id(p.job)),
            "backupname": ("str", lambda p: p.job.name),
            "backupfileuid": ("uid", lambda p: "urn:veeam:BackupFile:" + backup_file_id(p)),
            "backupfilename": ("str", backup_file_name),
        })
    return fields


def _task_fields(model):
    return {
        "uid": ("uid", lambda t: "urn:veeam:BackupTaskSession:" + t.task.id),
        "name": ("str", lambda t: machine_name_at(t.task.machine.name, t.task.start)),
        "creationtime": ("date", lambda t: t.task.start),
        "endtime": ("date", lambda t: t.end),
        "state": ("enum", lambda t: t.em_state),
        "result": ("result", lambda t: t.result),
        "reason": ("str", lambda t: t.message),
        "totalsize": ("int", task_size),
        "jobsessionuid": ("uid", lambda t: session_uid(t.task.session)),
        "jobuid": ("uid", lambda t: t.task.session.job.em_uid),
        "jobname": ("str", lambda t: t.task.session.job.name),
        "backupserveruid": ("uid", lambda t: "urn:veeam:BackupServer:" + t.task.session.job.server_id),
        "backupservername": ("str", lambda t: _server_name(model, t.task.session.job.server_id)),
        "vmdisplayname": ("str", lambda t: t.task.machine.name),
    }


MACHINE_FIELDS = {
    "VmRestorePoint": lambda model: _point_fields(model, "vm"),
    "AgentRestorePoint": lambda model: _point_fields(model, "computer"),
    "BackupTaskSession": _task_fields,
}
MACHINE_RENDER = {
    "VmRestorePoint": (point_entity, point_ref),
    "AgentRestorePoint": (point_entity, point_ref),
    "BackupTaskSession": (task_entity, task_ref),
}


def machine_route(ctx, method, head, rest, fmt):
    """/vmRestorePoints[/{id}], /agents/agentRestorePoints/{id}, /backupTaskSessions/{id}."""
    model = ctx.model
    if method != "GET":
        return error(ctx, 405, "Method not allowed.")
    view_of = model.view_of(ctx.now)
    if head == "backuptasksessions":
        task = machines.find_task(model, rest[0].lower()) if len(rest) == 1 else None
        if task is None or not em_task_visible(task.session, ctx.now):
            return error(ctx, 404, "Backup task session '%s' was not found." % (rest[0] if rest else ""))
        tview = machines.TaskView(task, view_of(task.session))
        return ctx.render(200, task_entity(ctx, tview) if fmt == "entity" else task_ref(ctx, tview, "EntityRef"))
    kind = "vm" if head == "vmrestorepoints" else "computer"
    if not rest and kind == "vm":
        return ctx.render(200, ref_list([point_ref(ctx, point) for machine in model.machines.values()
                                         if machine.kind == "vm" for point in em_points(ctx, machine, view_of)]))
    machine, point = machines.find_point(model, rest[0].lower(), ctx.now, view_of) if len(rest) == 1 else (None, None)
    if point is None or machine.kind != kind or point.session.visible_at > ctx.now:
        return error(ctx, 404, "Restore point '%s' was not found." % (rest[0] if rest else ""))
    return ctx.render(200, point_entity(ctx, point) if fmt == "entity" else point_ref(ctx, point, "EntityRef"))


# --------------------------------------------------------------------------- quick backup
def server_action(ctx, srv):
    """POST /backupServers/{id}?action=quickbackup (a QuickBackupStartupSpec, XML or JSON)."""
    model = ctx.model
    if (ctx.req.arg("action") or "").lower() != "quickbackup":
        return error(ctx, 400, "Action '%s' is not supported by the simulator for backup servers."
                     % (ctx.req.arg("action") or ""))
    if not ctx.logon["user"].admin:
        return error(ctx, 403, "Access denied.")
    model.counters["actions"]["quick_backup"] += 1
    refs, problem = quick_backup_refs(ctx.req)
    if problem is not None:
        return error(ctx, 400, problem)
    if len(refs) != 1:
        return error(ctx, 400, "QuickBackupStartupSpec must hold exactly one VmRef (one VM per request); it holds %d."
                     % len(refs))
    ref = refs[0].strip()
    if not QUICK_REF.match(ref):
        return error(ctx, 400, "VmRef '%s' is not a HierarchyObjRef (urn:<Platform>:Vm:<HierarchyRootId>.<ObjectRef>)."
                     % ref)
    machine = machine_by_ref(model, ref)
    try:
        if machine is None or machine.server_id != srv.id:
            raise state.ActionError("VM '%s' was not found on backup server '%s'." % (ref, srv.name))
        sess = model.quick_backup(machine, ctx.now, "em")
        task = model.new_task(ctx.logon["id"], "QuickBackup", True, "Ok", ctx.now, related=sess)
    except state.ActionError as exc:
        task = model.new_task(ctx.logon["id"], "QuickBackup", False, exc.message, ctx.now)
    return ctx.render(202, task_node(ctx, task), [("Location", "%s/tasks/%s" % (ctx.api, task.id))])


QUICK_REF = re.compile(r"^urn:[A-Za-z]+:[A-Za-z]+:[0-9A-Za-z-]+\.[^\s]+$")


def quick_backup_refs(req):
    """([VmRef, ...], None) from the request body, or (None, what is wrong)."""
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    body = req.body or b""
    if not body.strip():
        return None, "The request body must be a QuickBackupStartupSpec with a VmRef."
    if ctype in ("application/json", "text/json"):
        try:
            spec = json.loads(body.decode("utf-8"))
        except ValueError:
            return None, "The request body is not valid JSON."
        if not isinstance(spec, dict):
            return None, "The request body must be a JSON object (QuickBackupStartupSpec)."
        found = dict((key.lower(), value) for key, value in spec.items()).get("vmref")
        refs = found if isinstance(found, list) else [found] if isinstance(found, str) else None
        if not refs or not all(isinstance(ref, str) for ref in refs):
            return None, "QuickBackupStartupSpec needs a VmRef (a HierarchyObjRef string)."
        return refs, None
    if ctype in ("application/xml", "text/xml"):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            return None, "The request body is not well-formed XML: %s" % exc
        ns = "{http://www.veeam.com/ent/v1.0}"
        if root.tag != ns + "QuickBackupStartupSpec":
            return None, ("The request body must be a QuickBackupStartupSpec element in the namespace "
                          "http://www.veeam.com/ent/v1.0, not %s." % root.tag)
        refs = [child.text or "" for child in root if child.tag == ns + "VmRef"]
        if not refs or [child for child in root if child.tag != ns + "VmRef"]:
            return None, "QuickBackupStartupSpec holds VmRef elements only, at least one."
        return refs, None
    return None, "Content-Type must be application/xml or application/json (got '%s')." % ctype


def machine_by_ref(model, ref):
    """The VM whose HierarchyObjRef is `ref` (compared case-insensitively), or None."""
    if model.machines_by_ref is None:
        model.machines_by_ref = dict((machines.em_ref(m).lower(), m) for m in model.machines.values() if m.kind == "vm")
    return model.machines_by_ref.get(ref.lower())
