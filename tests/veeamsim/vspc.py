# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Veeam Service Provider Console REST API v3 (`/api/v3`): handlers and representations."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qsl

from . import machines, malware, quirks, sessionlog, state
from .responses import json_response

MAX_LIMIT = 500
REQUEST_ID_TTL = 300.0   # X-Request-id makes a request idempotent for 5 minutes
DEFAULT_LIMIT = 100
INSTALLATION_ID = "4f3c2d1e-0b9a-4c8d-9e7f-6a5b4c3d2e1f"
ACTIVE_STATUS = {"Starting": "Starting", "Working": "Running", "Stopping": "Stopping"}


def fmt_time(epoch):
    if epoch is None:
        return None
    return quirks.vspc_time(epoch)


def envelope(data, paging=None):
    return {"data": data, "meta": {"pagingInfo": paging} if paging is not None else None, "errors": None}


def error(status, message, type_="logical", code=None, headers=None, **extra):
    item = {"message": message, "type": type_, "code": code if code is not None else status}
    item.update(extra)
    http = 520 if status >= 500 else status      # every >= 500 error comes back as 520
    return json_response(http, {"errors": [item]}, headers)


# --------------------------------------------------------------------------- entry points (server.py)
def fault_response(req, fault):
    status = int(fault["status"])
    if status == 429:
        retry = int(fault.get("retry_after") if fault.get("retry_after") is not None else 1)
        return json_response(429, {"errors": [{"type": "transport", "code": 429, "retryAfter": retry}]})
    return error(status, fault.get("message") or "Simulated fault %d" % status,
                 "transport" if status >= 500 else "logical")


def internal_error(req):
    return error(500, "Internal server error", "unspecified")


def handle(model, req):
    path = req.path.rstrip("/")
    if not path.startswith("/api/v3"):
        return error(404, "Resource not found")
    parts = [p for p in path[len("/api/v3"):].split("/") if p]
    now = state.now()
    if parts == ["token"]:
        if req.method != "POST":
            return error(405, "Method not allowed")
        return token(model, req, now)
    user = authenticate(model, req, now)
    if user is None:
        return error(401, "Authorization has been denied for this request.", "security")
    request_id = req.header("X-Request-id")
    if not request_id or req.method == "GET":
        return route(model, req, user, parts, now)
    # a request repeated with the same X-Request-id within 5 minutes is answered, not executed, again
    key = (user.name, request_id.strip().lower(), req.method, req.path)
    cached = model.vspc_request_ids.get(key)
    if cached is not None and now - cached[0] < REQUEST_ID_TTL:
        return cached[1]
    resp = route(model, req, user, parts, now)
    model.vspc_request_ids[key] = (now, resp)
    return resp


def authenticate(model, req, now):
    auth = req.header("Authorization") or ""
    scheme, _sep, value = auth.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return model.vspc_lookup(value.strip(), now)


def _oauth_error(code, description):
    return json_response(400, {"error": code, "error_description": description, "error_uri": None})


def token(model, req, now):
    ctype = (req.header("Content-Type") or "").lower()
    if "application/x-www-form-urlencoded" not in ctype:
        return _oauth_error("invalid_request", "The request must be application/x-www-form-urlencoded.")
    form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type")
    if grant == "password":
        user = model.check_user(form.get("username", ""), form.get("password", ""))
        if user is None:
            model.counters["vspc"]["failed_logons"] += 1
            return _oauth_error("invalid_grant", "Cannot complete login due to incorrect username or password, "
                                                 "or no sufficient rights.")
        model.counters["vspc"]["tokens_issued"] += 1
    elif grant == "refresh_token":
        name = model.vspc_refresh.pop(form.get("refresh_token", ""), None)
        user = model.users.get(name) if name else None
        if user is None:
            model.counters["vspc"]["failed_logons"] += 1
            return _oauth_error("invalid_grant", "The refresh token is invalid or expired.")
        model.counters["vspc"]["tokens_refreshed"] += 1
    elif not grant:
        return _oauth_error("invalid_request", "grant_type is required.")
    else:
        return _oauth_error("unsupported_grant_type", "Grant type '%s' is not supported." % grant)
    access, refresh = model.vspc_issue(user, now)
    return json_response(200, {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                               "expires_in": int(model.vspc_lifetime), "mfa_token": None, "encrypted_code": None},
                         [("Cache-Control", "no-store")])


# --------------------------------------------------------------------------- representations
def server_obj(model, srv):
    return {
        "instanceUid": srv.id, "name": srv.name, "organizationUid": srv.organization_uid,
        "locationUid": srv.location_uid, "managementAgentUid": srv.agent_uid, "version": srv.version,
        "displayVersion": srv.version, "installationUid": srv.installation_uid, "backupServerRoleType": "Client",
        "status": "Healthy", "inHighAvailabilityCluster": False,
    }


def job_obj(model, job, now):
    last = model.last_session(job)
    view = state.SessionView(last, now) if last is not None else None
    if view is None:
        status = "None"
    elif view.running:
        status = ACTIVE_STATUS.get(view.state, "Running")
    else:
        status = view.result
    srv = model.server_of(job)
    return {
        "instanceUid": job.id,
        "uniqueUid": job.unique_uid,
        "name": job.name,
        "description": job.description,
        "createdBy": "CORP\\backupadmin",
        "creationTime": fmt_time(job.created),
        "backupServerUid": job.server_id,
        "locationUid": srv.location_uid,
        "siteUid": None,
        "organizationUid": srv.organization_uid,
        "mappedOrganizationUid": None,
        "type": job.vspc_type,
        "status": status,
        "isEnabled": job.schedule_enabled,
        "lastRun": fmt_time(last.start) if last else None,
        "lastEndTime": fmt_time(view.end) if view and view.end else None,
        "lastDuration": int(((view.end or now) - last.start)) if last else None,
        "processingRate": 104857600,
        "avgDuration": int(job.hist_duration),
        "transferredData": 21474836480,
        "backupChainSize": 322122547200,
        "bottleneck": "Source",
        "scheduleType": "Daily" if job.schedule_configured else "NotScheduled",
        "failureMessage": quirks.vspc_message(view.failure_message) if view and not view.running else None,
        "targetType": "Local",
        "destination": job.destination,
        "retentionLimit": 14,
        "retentionLimitType": "RestorePoints",
        "isGfsOptionEnabled": False,
        "lastSessionTasks": [],
    }


def agent_obj(model, job, now, expand):
    obj = {
        "instanceUid": job.id,
        "uniqueUid": job.unique_uid,
        "totalJobsCount": 1,
        "successJobsCount": 1,
        "destination": job.destination,
        "source": {"backupMode": job.backup_mode, "backupUserFolders": False, "backupOperatingSystem": True,
                   "fileSystemItems": None},
        "jobMode": "ManagedByBackupServer",
        "osType": job.os_type,
        "licenseType": job.license_type,
    }
    if expand:
        obj["_embedded"] = {"backupServerJob": job_obj(model, job, now)}
    return obj


# --------------------------------------------------------------------------- collection parameters
class ParamError(Exception):
    def __init__(self, message, parameter):
        super(ParamError, self).__init__(message)
        self.message = message
        self.parameter = parameter


def _get_path(obj, path):
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict):
            found = False
            for key in cur:
                if key.lower() == part.lower():
                    cur = cur[key]
                    found = True
                    break
            if not found:
                raise KeyError(path)
        else:
            return None
    return cur


def _norm(value, ignore_case):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return text.lower() if ignore_case else text


def _compile_filter(spec):
    if isinstance(spec, dict):
        spec = [spec]
    if not isinstance(spec, list):
        raise ParamError("Filter must be a JSON array of filter expressions.", "filter")
    preds = [_compile_one(item) for item in spec]
    return lambda obj: all(p(obj) for p in preds)


def _compile_one(item):
    if not isinstance(item, dict):
        raise ParamError("Invalid filter expression.", "filter")
    op = str(item.get("operation", "")).lower()
    if op in ("and", "or", "not"):
        subs = [_compile_one(i) for i in item.get("items") or []]
        if op == "and":
            return lambda obj: all(p(obj) for p in subs)
        if op == "or":
            return lambda obj: any(p(obj) for p in subs)
        return lambda obj: not all(p(obj) for p in subs)
    prop = item.get("property")
    if not prop or not isinstance(prop, str):
        raise ParamError("Filter expression requires 'property'.", "filter")
    collation = str(item.get("collation") or "ordinal").lower()
    ic = collation in ("ignorecase", "lexicographic")
    value = item.get("value")
    if op not in ("equals", "notequals", "in", "contains", "lessthan", "greaterthan", "lessthanorequal",
                  "greaterthanorequal"):
        raise ParamError("Unsupported filter operation '%s'." % item.get("operation"), "filter")

    def pred(obj):
        try:
            actual = _get_path(obj, prop)
        except KeyError:
            raise ParamError("Unknown filter property '%s'." % prop, "filter")
        a = _norm(actual, ic)
        if op == "in":
            values = value if isinstance(value, list) else [value]
            return a in [_norm(v, ic) for v in values]
        if op == "contains":
            if isinstance(actual, list):
                return _norm(value, ic) in [_norm(v, ic) for v in actual]
            return a is not None and str(_norm(value, ic)) in str(a)
        b = _norm(value, ic)
        if isinstance(a, (int, float)) and isinstance(b, str):
            try:
                b = float(b)
            except ValueError:
                return False
        if op == "equals":
            return a == b
        if op == "notequals":
            return a != b
        if a is None or b is None:
            return False
        try:
            return {"lessthan": a < b, "greaterthan": a > b, "lessthanorequal": a <= b,
                    "greaterthanorequal": a >= b}[op]
        except TypeError:
            return False
    return pred


def _kept_only(spec, kept):
    """Whether every condition of a (compiled) filter reads a property (its first part) in `kept`."""
    for item in spec if isinstance(spec, list) else [spec]:
        if str(item.get("operation", "")).lower() in ("and", "or", "not"):
            if not _kept_only(item.get("items") or [], kept):
                return False
        elif item["property"].split(".")[0].lower() not in kept:
            return False
    return True


def collection(req, records, render, model=None, kept=None):
    """Apply filter, sort, offset and limit to render(record) for each record; return the enveloped response.

    Without filter or sort only the requested page is rendered, as a server reading one page from its
    database would: rendering every job for each page made paging through 10 000 jobs quadratic.
    With `kept` = (key, part), part(record) being the record's properties that change only when the model
    says so (Model.jobs_changed), a filter (without sort) reading only those is answered from the records it
    matched, kept by the model under key and the filter.
    """
    try:
        limit = int(req.arg("limit", DEFAULT_LIMIT))
    except ValueError:
        return error(400, "The value of limit is not valid.", parameterName="limit")
    if limit < 1 or limit > MAX_LIMIT:
        return error(400, "The value of limit must be between 1 and %d." % MAX_LIMIT, parameterName="limit")
    try:
        offset = int(req.arg("offset", 0))
    except ValueError:
        return error(400, "The value of offset is not valid.", parameterName="offset")
    if offset < 0:
        return error(400, "The value of offset must not be negative.", parameterName="offset")
    if not req.arg("filter") and not req.arg("sort"):
        page = [render(record) for record in records[offset:offset + limit]]
        return json_response(200, envelope(page, {"total": len(records), "count": len(page), "offset": offset}))
    if kept is not None and not req.arg("sort"):
        key, part = kept
        raw = req.arg("filter")
        try:
            try:
                spec = json.loads(raw)
            except ValueError:
                raise ParamError("The filter is not valid JSON.", "filter")
            pred = _compile_filter(spec)
        except ParamError as exc:
            return error(400, exc.message, parameterName=exc.parameter)
        parts = [part(record) for record in records[:1]]
        if not parts or _kept_only(spec, set(name.lower() for name in parts[0])):
            matched = model.listing(key + (raw,), lambda: [record for record in records if pred(part(record))])
            page = [render(record) for record in matched[offset:offset + limit]]
            return json_response(200, envelope(page, {"total": len(matched), "count": len(page), "offset": offset}))
    items = [render(record) for record in records]
    try:
        raw = req.arg("filter")
        if raw:
            try:
                spec = json.loads(raw)
            except ValueError:
                raise ParamError("The filter is not valid JSON.", "filter")
            pred = _compile_filter(spec)
            items = [i for i in items if pred(i)]
        raw = req.arg("sort")
        if raw:
            try:
                spec = json.loads(raw)
            except ValueError:
                raise ParamError("The sort is not valid JSON.", "sort")
            if isinstance(spec, dict):
                spec = [spec]
            if not isinstance(spec, list):
                raise ParamError("Sort must be a JSON array.", "sort")
            for entry in reversed(spec):
                if not isinstance(entry, dict) or not entry.get("property"):
                    raise ParamError("Sort expression requires 'property'.", "sort")
                direction = str(entry.get("direction", "ascending")).lower()
                if direction not in ("ascending", "descending", "asc", "desc"):
                    raise ParamError("Sort direction must be ascending or descending.", "sort")
                prop = entry["property"]

                def key(obj, prop=prop):
                    try:
                        val = _norm(_get_path(obj, prop), True)
                    except KeyError:
                        raise ParamError("Unknown sort property '%s'." % prop, "sort")
                    return (val is not None, val if val is not None else "")
                items.sort(key=key, reverse=direction.startswith("desc"))
    except ParamError as exc:
        return error(400, exc.message, parameterName=exc.parameter)
    page = items[offset:offset + limit]
    return json_response(200, envelope(page, {"total": len(items), "count": len(page), "offset": offset}))


# --------------------------------------------------------------------------- routing
def route(model, req, user, parts, now):
    method = req.method
    low = [p.lower() for p in parts]
    if low[:2] == ["users", "me"] and len(low) == 2 and method == "GET":
        return json_response(200, envelope(user_obj(user)))
    if len(low) == 3 and low[0] == "users" and low[2] == "tokens" and method == "DELETE":
        target = None
        for candidate in model.users.values():
            if candidate.uid == low[1]:
                target = candidate
        if target is None:
            return error(404, "User %s was not found." % parts[1])
        if target.name != user.name and not user.admin:
            return error(403, "Access denied.", "security")
        model.vspc_revoke_user(target.name)
        model.counters["vspc"]["tokens_revoked"] += 1
        return json_response(200, envelope({}))
    if low == ["about"] and method == "GET":
        return json_response(200, envelope({"serverVersion": "9.1.0.30713", "installationId": INSTALLATION_ID,
                                            "actualTime": fmt_time(now)}))
    if low[:1] == ["asyncactions"] and len(low) in (2, 3):
        return async_route(model, req, low, now)
    if low[:1] == ["protectedworkloads"]:
        return _get_only(method) or workloads_route(model, req, parts[1:], low[1:], now)
    if low[:2] != ["infrastructure", "backupservers"]:
        return error(404, "Resource not found")
    rest = parts[2:]
    lrest = low[2:]
    expand = "backupserverjob" in [e.strip().lower() for e in (req.arg("expand") or "").split(",")]
    if not rest:
        return _get_only(method) or collection(req, model.servers, lambda srv: server_obj(model, srv))
    if lrest[0] == "jobs":
        return jobs_route(model, req, user, rest[1:], lrest[1:], None, expand, now)
    srv = model.servers_by_id.get(lrest[0])
    if srv is None:
        return error(404, "Backup server %s was not found." % rest[0])
    if len(rest) == 1:
        return _get_only(method) or json_response(200, envelope(server_obj(model, srv)))
    if lrest[1] == "jobs":
        if len(rest) == 2 or (len(rest) == 3 and lrest[2] == "agentjobs"):
            return jobs_route(model, req, user, rest[2:], lrest[2:], srv, expand, now)
        if lrest[2:] == ["backupvmjobs", "objects"]:
            return _get_only(method) or vm_job_objects(model, req, srv, None, now)
    return error(404, "Resource not found")


def _get_only(method):
    if method != "GET":
        return error(405, "Method not allowed")
    return None


def user_obj(user):
    return {"instanceUid": user.uid, "organizationUid": None, "userName": user.name,
            "role": "PortalAdministrator" if user.admin else "PortalReadonlyOperator", "status": "Enabled",
            "mfaPolicyStatus": "Disabled", "profile": {"firstName": None, "lastName": None, "email": None}}


# the properties of a job_obj that change only through the model's jobs_changed (the others follow its runs)
KEPT_JOB_PROPERTIES = ("instanceUid", "uniqueUid", "name", "description", "createdBy", "creationTime",
                       "backupServerUid", "locationUid", "siteUid", "organizationUid", "mappedOrganizationUid", "type",
                       "isEnabled", "processingRate", "avgDuration", "transferredData", "backupChainSize", "bottleneck",
                       "scheduleType", "targetType", "destination", "retentionLimit", "retentionLimitType",
                       "isGfsOptionEnabled", "lastSessionTasks")


def jobs_route(model, req, user, rest, lrest, srv, expand, now):
    method = req.method
    scope = srv.id if srv is not None else None

    def scoped():
        return model.listing(("vspc", scope), lambda: [j for j in model.jobs.values()
                                                       if srv is None or j.server_id == srv.id])

    def kept_part(job):
        obj = job_obj(model, job, now)
        return dict((name, obj[name]) for name in KEPT_JOB_PROPERTIES)
    if not rest:
        return _get_only(method) or collection(req, scoped(), lambda job: job_obj(model, job, now), model,
                                               (("vspc", scope, "jobs"), kept_part))
    if srv is None and lrest[0] == "backupvmjobs" and lrest[-1:] == ["objects"] and len(rest) in (2, 3):
        job = None
        if len(rest) == 3:
            job = model.jobs.get(lrest[1])
            if job is None or job.vspc_type != "BackupVm":
                return error(404, "Backup job %s was not found." % rest[1])
        return _get_only(method) or vm_job_objects(model, req, None, job, now)
    if lrest[0] == "agentjobs":
        agents = model.listing(("vspc", scope, "agents"), lambda: [j for j in scoped() if j.kind == "agent"])
        if srv is None and lrest[-1:] == ["objects"] and len(rest) in (2, 3):
            job = None
            if len(rest) == 3:
                job = model.jobs.get(lrest[1])
                if job is None or job.kind != "agent":
                    return error(404, "Agent job %s was not found." % rest[1])
            return _get_only(method) or agent_job_objects(model, req, job, now)
        if len(rest) == 1:
            kept = (("vspc", scope, "agent jobs"), lambda job: agent_obj(model, job, now, False))
            return _get_only(method) or collection(req, agents, lambda job: agent_obj(model, job, now, expand), model,
                                                   kept)
        if srv is None and len(rest) == 2:
            job = model.jobs.get(lrest[1])
            if job is None or job.kind != "agent":
                return error(404, "Agent job %s was not found." % rest[1])
            return _get_only(method) or json_response(200, envelope(agent_obj(model, job, now, expand)))
        return error(404, "Resource not found")
    if srv is not None:
        return error(404, "Resource not found")
    job = model.jobs.get(lrest[0])
    if job is None:
        return error(404, "Job %s was not found." % rest[0])
    if len(rest) == 1:
        if method == "GET":
            return json_response(200, envelope(job_obj(model, job, now)))
        if method == "PATCH":
            return patch_job(model, req, user, job, now)
        return error(405, "Method not allowed")
    if len(rest) == 2 and lrest[1] in ("start", "stop", "retry"):
        if method != "POST":
            return error(405, "Method not allowed")
        return job_action(model, req, user, job, lrest[1], now)
    return error(404, "Resource not found")


def _queue(model, req, user, name, now, result):
    """Answer 200, or 202 + Location to an async action, following model.vspc_async."""
    model.vspc_action_seq += 1
    mode = model.vspc_async
    if mode == "never" or (mode == "alternate" and model.vspc_action_seq % 2 == 1):
        return json_response(200, envelope(result))
    return _async(model, req, user.uid, name, now, envelope(result))


def _async(model, req, initiator, name, now, body):
    aid = str(uuid.uuid4())
    model.async_actions[aid] = {"id": aid, "initiatorUid": initiator, "actionName": name, "created": now,
                                "finish_at": now + model.task_delay, "body": body, "path": req.path,
                                "query": dict(req.query)}
    location = "%s/api/v3/asyncActions/%s" % (req.base_url, aid)
    return json_response(202, envelope(None), [("Location", location)])


def defer(model, req, resp):
    """Turn a finished 200 answer into 202 + Location; its body becomes the async action's result."""
    if resp.status != 200:
        return resp
    user = authenticate(model, req, state.now())
    body = json.loads(resp.body.decode("utf-8"))
    return _async(model, req, user.uid if user else None, "%s %s" % (req.method, req.path), state.now(), body)


def job_action(model, req, user, job, action, now):
    if not user.admin:
        return error(403, "Access denied.", "security")
    model.counters["actions"][action] += 1
    try:
        model.act(job, action, now, "vspc")
    except state.ActionError as exc:
        return error(400, exc.message, "logical")
    names = {"start": "StartBackupServerJob", "stop": "StopBackupServerJob", "retry": "RetryBackupServerJob"}
    return _queue(model, req, user, names[action], now, {})


def patch_job(model, req, user, job, now):
    if not user.admin:
        return error(403, "Access denied.", "security")
    model.counters["actions"]["patch"] += 1
    try:
        ops = json.loads(req.body.decode("utf-8") or "null")
    except ValueError:
        return error(400, "The request body is not valid JSON.")
    if isinstance(ops, dict):
        ops = [ops]
    if not isinstance(ops, list) or not ops:
        return error(400, "The request body must be a JSON Patch array.")
    changes = []
    for op in ops:
        if not isinstance(op, dict):
            return error(400, "Invalid JSON Patch operation.")
        path = str(op.get("path", "")).lstrip("/")
        kind = str(op.get("op", "")).lower()
        if path.lower() != "isenabled":
            return error(400, "Property '%s' cannot be changed." % path, propertyName=path, failedJsonPatch=op)
        if kind not in ("replace", "add", "test"):
            return error(400, "Operation '%s' is not supported for isEnabled." % op.get("op"), failedJsonPatch=op)
        value = op.get("value")
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        if not isinstance(value, bool):
            return error(400, "Value '%s' is not valid for isEnabled." % (value,), propertyName="isEnabled",
                         failedJsonPatch=op)
        if kind == "test":
            if job.schedule_enabled != value:
                return error(400, "Test operation failed for isEnabled.", failedJsonPatch=op)
            continue
        changes.append(value)
    for value in changes:
        model.set_schedule_enabled(job, value)
    return json_response(200, envelope(job_obj(model, job, now)))


def async_route(model, req, low, now):
    action = model.async_actions.get(low[1])
    if action is None:
        return error(404, "Async action %s was not found." % low[1])
    done = now >= action["finish_at"]
    if len(low) == 2:
        if req.method == "DELETE":
            return json_response(200, envelope({}))
        return _get_only(req.method) or json_response(200, envelope({
            "id": action["id"], "initiatorUid": action["initiatorUid"], "actionName": action["actionName"],
            "status": "succeed" if done else "running", "queryParameters": action["query"], "requestBody": None}))
    if low[2] != "result":
        return error(404, "Resource not found")
    if not done:
        return error(400, "The action has not finished yet.", "retryableLogical")
    return _get_only(req.method) or json_response(200, action["body"])


# --------------------------------------------------------------------------- machines
GUEST_OS = {"LinuxPhysical": "Red Hat Enterprise Linux 9.4", "WindowsPhysical": "Microsoft Windows Server 2022 Standard"}
WORKSTATION_OS = "Microsoft Windows 11 Enterprise"
JOB_OBJECT_SALT = 0x0b1e_c700_0000_0000_0000_0000_0000_0005
UNIQUE_SALT = 0x0b1e_c700_0000_0000_0000_0000_0000_0006


class Machines(object):
    """Session views, restore points and tasks of one request, each computed once."""

    def __init__(self, model, now):
        self.model = model
        self.now = now
        self.view = model.view_of(now)
        self._points = {}
        self._tasks = {}

    def points(self, machine):
        found = self._points.get(machine.id)
        if found is None:
            found = self._points[machine.id] = self.model.points(machine, self.now, self.view)
        return found

    def last_task(self, machine, job=None):
        """The machine's latest task (in `job` when given), as a TaskView; None if it never ran."""
        tasks = self._tasks.get(machine.id)
        if tasks is None:
            tasks = self._tasks[machine.id] = machines.machine_tasks(self.model, machine)
        for task in reversed(tasks):
            if job is None or task.session.job is job:
                return machines.TaskView(task, self.view(task.session))
        return None


def narrowed(req, records, key, prop="name"):
    """The records a filter can match, narrowed through `key` (the records' name) when the filter holds a
    top-level `equals` on the name property `prop`: a server reading its database by index, not every record."""
    raw = req.arg("filter")
    if not raw:
        return records
    try:
        spec = json.loads(raw)
    except ValueError:
        return records      # collection() answers the 400
    items = spec if isinstance(spec, list) else [spec]
    for item in items:
        if (isinstance(item, dict) and str(item.get("operation", "")).lower() == "equals"
                and str(item.get("property", "")) == prop and isinstance(item.get("value"), str)):
            wanted = item["value"].lower()
            return [record for record in records if key(record).lower() == wanted]
    return records


def _protected(model, helper, kind, req=None):
    """The machines of a kind that have restore points (narrowed by a name filter first when `req` has one)."""
    candidates = [machine for machine in model.machines.values() if machine.kind == kind]
    if req is not None:
        candidates = narrowed(req, candidates, lambda machine: machine.name)
    return [machine for machine in candidates if helper.points(machine)]


def protected_vm(model, helper, machine):
    points = helper.points(machine)
    newest = points[-1]
    srv = model.servers_by_id[machine.server_id]
    increment = machine.size // 16
    return {
        "instanceUid": machine.id, "backupServerUid": machine.server_id, "organizationUid": srv.organization_uid,
        "name": machine.name, "hierarchyRef": machine.object_ref, "parentHostRef": machine.root_id,
        "objectUid": machines.derived_id(machine.id, JOB_OBJECT_SALT), "ipAddresses": [machine.ip],
        "provisionedSourceSize": machine.size, "usedSourceSize": machine.size * 3 // 5,
        "totalRestorePointSize": sum(machine.size // 2 if point.type == "Full" else increment for point in points),
        "latestRestorePointSize": machine.size // 2 if newest.type == "Full" else increment,
        "restorePoints": len(points), "latestRestorePointDate": fmt_time(newest.time), "jobUid": newest.job.id,
        "malwareState": malware.status_of(model, newest, helper.now), "immutable": False,
    }


def _chain_start(points, point):
    return min(other.time for other in points if other.job is point.job)


def vm_point(model, machine, points, point):
    job = point.job
    return {
        "instanceUid": point.id, "backupUid": machines.backup_id(job), "virtualMachineUid": machine.id,
        "backupServerUid": machine.server_id,
        "filePath": "D:\\Backups\\%s\\%s.%s" % (job.name, point.id[:8], "vbk" if point.type == "Full" else "vib"),
        "gfsType": [], "jobUid": job.id, "repositoryUid": _repository_uid(job),
        "size": machine.size // 2 if point.type == "Full" else machine.size // 16,
        "provisionedSourceSize": machine.size, "usedSourceSize": machine.size * 3 // 5,
        "incrementRawDataSize": 0 if point.type == "Full" else machine.size // 12, "cpuCores": 4,
        "memory": 8 * 1024 ** 3, "backupCreationTime": fmt_time(_chain_start(points, point)),
        "fileCreationTime": fmt_time(point.time), "isConsistent": True,
        "malwareState": malware.status_of(model, point, state.now()), "immutableTill": None,
    }


def _repository_uid(job):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "veeamsim-repository:" + job.destination))


def protected_computer(model, helper, machine):
    points = helper.points(machine)
    srv = model.servers_by_id[machine.server_id]
    linux = machine.platform == "LinuxPhysical"
    return {
        "instanceUid": machine.id, "sourceInstanceUid": machine.computer_id, "backupServerUid": machine.server_id,
        "protectionGroups": [machine.protection_group_id], "organizationUid": srv.organization_uid,
        "name": machine.name, "ipAddresses": [machine.ip],
        "guestOs": WORKSTATION_OS if machine.operation_mode == "Workstation" else GUEST_OS[machine.platform],
        "platformType": "Linux" if linux else "Windows", "operationMode": machine.operation_mode,
        "latestRestorePointDate": fmt_time(points[-1].time) if points else None,
        "malwareState": malware.status_of(model, points[-1], helper.now) if points else "Clean",
    }


def computer_point(model, machine, points, point):
    job = point.job
    return {
        "instanceUid": point.id, "backupAgentUid": machine.id, "backupUid": machines.backup_id(job),
        "jobUid": job.id, "repositoryUid": _repository_uid(job),
        "size": machine.size // 2 if point.type == "Full" else machine.size // 16,
        "provisionedSourceSize": machine.size, "usedSourceSize": machine.size * 3 // 5,
        "incrementRawDataSize": 0 if point.type == "Full" else machine.size // 12,
        "sourceSize": machine.size * 3 // 5, "cpuCores": 4, "memory": 8 * 1024 ** 3, "targetType": "Local",
        "backupCreationTime": fmt_time(_chain_start(points, point)), "fileCreationTime": fmt_time(point.time),
        "malwareState": malware.status_of(model, point, state.now()),
    }


def workloads_route(model, req, rest, lrest, now):
    """/protectedWorkloads/virtualMachines[...] and /protectedWorkloads/computersManagedByBackupServer[...]."""
    helper = Machines(model, now)
    if lrest[:1] == ["virtualmachines"]:
        kind, protected, point_of, sub = "vm", protected_vm, vm_point, "backuprestorepoints"
    elif lrest[:1] == ["computersmanagedbybackupserver"]:
        kind, protected, point_of, sub = "computer", protected_computer, computer_point, "restorepoints"
    else:
        return error(404, "Resource not found")
    if len(rest) == 1:
        records = _protected(model, helper, kind, req)
        return collection(req, records, lambda machine: protected(model, helper, machine))
    if lrest[1:] == [sub, "latest"] or lrest[1:] == [sub]:
        # every point (or each machine's newest) of every protected machine
        latest = lrest[-1] == "latest"
        records = []
        for machine in _protected(model, helper, kind):
            points = helper.points(machine)
            records += [(machine, points, point) for point in (points[-1:] if latest else points)]
        return collection(req, records, lambda record: point_of(model, *record))
    if len(rest) == 3 and lrest[2] == sub:
        machine = model.machines.get(lrest[1])
        if machine is None or machine.kind != kind or not helper.points(machine):
            return error(404, "Protected %s %s was not found." % ("virtual machine" if kind == "vm" else "computer",
                                                                  rest[1]))
        points = helper.points(machine)
        return collection(req, [(machine, points, point) for point in points], lambda record: point_of(model, *record))
    return error(404, "Resource not found")


def _last_session(model, helper, machine, job):
    tview = helper.last_task(machine, job)
    if tview is None:
        return {"backupStatus": "Unknown", "totalBackedSize": None, "sourceSize": None, "startTime": None,
                "endTime": None, "duration": None, "messages": []}
    start = tview.task.start
    return {
        "backupStatus": "Running" if tview.running else tview.result,
        "totalBackedSize": 0 if tview.running or tview.result == "Failed" else machine.size // 16,
        "sourceSize": machine.size * 3 // 5, "startTime": fmt_time(start), "endTime": fmt_time(tview.end),
        "duration": int((tview.end if tview.end is not None else helper.now) - start),
        "messages": [quirks.vspc_message(tview.message)] if tview.message else [],
    }


def vm_job_objects(model, req, srv, job, now):
    """BackupServerVmJobObject: one per VM of each backup job (`backupVmJobs`), excluded ones included."""
    helper = Machines(model, now)
    jobs = [job] if job is not None else [j for j in model.jobs.values() if j.vspc_type == "BackupVm"
                                          and (srv is None or j.server_id == srv.id)]
    jobs = sessionlog.jobs_in_filter(req, jobs)
    records = [(j, machine) for j in jobs for machine in model.machines_by_job.get(j.id, ())]
    records = narrowed(req, records, lambda record: record[1].name)

    def render(record):
        its_job, machine = record
        return {
            "jobUid": its_job.id, "uniqueJobUid": its_job.unique_uid, "instanceUid": machine.id, "name": machine.name,
            "platform": "vSphere" if machine.platform == "VMware" else "HyperV", "hierarchyRef": machine.object_ref,
            "isExcluded": machine.excluded(its_job, now), "lastSession": _last_session(model, helper, machine, its_job),
        }
    return collection(req, records, render)


def agent_job_objects(model, req, job, now):
    """BackupServerAgentJobObject: one per computer of each agent job."""
    helper = Machines(model, now)
    jobs = [job] if job is not None else [j for j in model.jobs.values() if j.kind == "agent"]
    jobs = sessionlog.jobs_in_filter(req, jobs)
    records = [(j, machine) for j in jobs for machine in model.machines_by_job.get(j.id, ())]
    records = narrowed(req, records, lambda record: record[1].name, "computer")

    def render(record):
        its_job, machine = record
        tview = helper.last_task(machine, its_job)
        points = [point for point in helper.points(machine) if point.job is its_job]
        status = "None" if tview is None else ("Running" if tview.running else tview.result)
        return {
            "instanceUid": machines.derived_id(machine.id, JOB_OBJECT_SALT),
            "uniqueUid": machines.derived_id(machine.id, UNIQUE_SALT), "backupServerUid": machine.server_id,
            "agentUid": machine.id, "jobUid": its_job.id, "uniqueJobUid": its_job.unique_uid,
            "computer": machine.name, "backupStatus": status,
            "lastRun": fmt_time(tview.task.start) if tview else None,
            "lastEndTime": fmt_time(tview.end) if tview else None,
            "lastDuration": int((tview.end or now) - tview.task.start) if tview else None,
            "restorePointsCount": len(points), "osType": "Linux" if machine.platform == "LinuxPhysical" else "Windows",
            "failureMessage": quirks.vspc_message(tview.message) if tview is not None and tview.result in ("Warning", "Failed")
            else None,
        }
    return collection(req, records, render)
