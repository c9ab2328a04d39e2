# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control endpoints under /_sim/ (plain JSON, no auth, not counted, on both ports). See README.md."""

from __future__ import annotations

import datetime
import json
from urllib.parse import unquote

from . import data, machines, malware, state, vbr
from .responses import json_response

OUTCOMES = ("Success", "Warning", "Failed")
APIS = ("em", "vspc", "vbr", "any")
JOB_TYPES = ("Backup", "Replica", "BackupCopy")
JOB_PLATFORMS = ("VMware", "HyperV")
AGENT_PLATFORMS = ("AgentForLinux", "AgentForWindows")


def _body(req):
    if not req.body:
        return {}
    try:
        obj = json.loads(req.body.decode("utf-8"))
    except ValueError:
        raise ValueError("body is not valid JSON")
    if not isinstance(obj, dict):
        raise ValueError("body must be a JSON object")
    return obj


def _bad(message):
    return json_response(400, {"error": message})


def job_info(model, job, now):
    last = model.last_session(job)
    view = state.SessionView(last, now) if last is not None else None
    srv = model.server_of(job)
    vbr_type = job.vbr_type if srv is model.vbr_server else None
    return {
        "id": job.id,
        "uid": job.em_uid,
        "unique_uid": job.unique_uid,
        "name": job.name,
        "kind": job.kind,
        "em_type": job.em_type,
        "vspc_type": job.vspc_type,
        "platform": job.platform,
        "os_type": job.os_type,
        "server_id": srv.id,
        "server_name": srv.name,
        "schedule_configured": job.schedule_configured,
        "schedule_enabled": job.schedule_enabled,
        "running": bool(view and view.running),
        "last_state": view.state if view else None,
        "last_result": view.result if view else None,
        "last_session_id": last.id if last else None,
        "last_failure_message": view.failure_message if view else None,
        "run_duration": job.run_duration,
        "run_outcome": job.run_outcome,
        "run_failure_message": job.run_failure_message,
        "vbr_type": vbr_type,
        "vbr_visible_12": vbr_type in data.VBR_TYPE_12,
    }


def iso(epoch):
    if epoch is None:
        return None
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (stamp.microsecond // 1000)


def machine_info(model, machine, now, view_of=None):
    """The /_sim/data record of a machine (and the answer of /_sim/machines/{id})."""
    view_of = view_of or model.view_of(now)
    points = model.points(machine, now, view_of)
    tasks = machines.machine_tasks(model, machine)
    last = machines.TaskView(tasks[-1], view_of(tasks[-1].session)) if tasks else None
    srv = model.server_of(machine.jobs[0])
    return {
        "id": machine.id,
        "name": machine.name,
        "kind": machine.kind,
        "platform": machine.platform,
        "server_id": srv.id,
        "server_name": srv.name,
        "jobs": [job.name for job in machine.jobs],
        "job_ids": [job.id for job in machine.jobs],
        "excluded_from": [job.name for job in machine.jobs if machine.excluded(job, now)],
        "restore_points": len(points),
        "latest_restore_point": iso(points[-1].time) if points else None,
        "latest_restore_point_job": points[-1].job.name if points else None,
        "last_result": last.result if last else None,
        "last_state": last.state if last else None,
        "last_message": last.message if last else None,
        "running": bool(last and last.running),
        "outcome": machine.outcome or "Success",
        "failure_message": machine.failure_message,
        "em_ref": machines.em_ref(machine),
        "object_id": machine.object_ref,
        "host": machine.host,
        "protection_group_id": machine.protection_group_id,
        "computer_id": machine.computer_id,
    }


def find_machine(model, key):
    """A machine by id, by exact name, or by a name that matches one machine case-insensitively."""
    key = unquote(key)
    found = model.machines.get(key.lower())
    if found is not None:
        return found
    named = model.machine_named(key)
    exact = [machine for machine in named if machine.name == key]
    if len(exact) == 1:
        return exact[0]
    return named[0] if len(named) == 1 else None


def counters(model):
    out = json.loads(json.dumps(model.counters))
    out["em"]["open_sessions"] = model.em_open_sessions(state.now())
    out["vbr"]["live_tokens"] = len(model.vbr_chains)
    return out


def handle(model, req):
    try:
        return _handle(model, req)
    except ValueError as exc:
        return _bad(str(exc))


def _handle(model, req):
    path = req.path.rstrip("/")
    method = req.method
    now = state.now()
    if path == "/_sim/counters" and method == "GET":
        with model.lock:
            return json_response(200, counters(model))
    if path == "/_sim/reset" and method == "POST":
        model.reset()
        return json_response(200, {"reset": True})
    if path == "/_sim/faults":
        with model.lock:
            if method == "GET":
                return json_response(200, {"faults": model.faults})
            if method == "DELETE":
                model.faults = []
                return json_response(200, {"faults": []})
            if method == "POST":
                spec = _body(req)
                fault = {
                    "api": spec.get("api") or "any",
                    "method": (spec.get("method") or None),
                    "path_prefix": spec.get("path_prefix") or None,
                    "status": int(spec["status"]) if spec.get("status") else None,
                    "count": int(spec.get("count", 1)),
                    "retry_after": spec.get("retry_after"),
                    "latency": float(spec.get("latency") or 0),
                    "drop": bool(spec.get("drop", False)),
                    "async": bool(spec.get("async", False)),
                    "message": spec.get("message"),
                }
                if fault["api"] not in APIS:
                    return _bad("api must be em, vspc, vbr or any")
                if fault["count"] < 1:
                    return _bad("count must be >= 1")
                if not (fault["status"] or fault["latency"] or fault["drop"] or fault["async"]):
                    return _bad("a fault needs status, latency, drop or async")
                model.faults.append(fault)
                return json_response(200, {"faults": model.faults})
    if path == "/_sim/expire" and method == "POST":
        spec = _body(req)
        api = spec.get("api") or "any"
        if api not in APIS:
            return _bad("api must be em, vspc, vbr or any")
        with model.lock:
            model.expire(api)
        return json_response(200, {"expired": api})
    if path == "/_sim/log" and method == "GET":
        with model.lock:
            return json_response(200, list(model.log))
    if path == "/_sim/data" and method == "GET":
        with model.lock:
            jobs = [job_info(model, j, now) for j in model.jobs.values()]
            view_of = model.view_of(now)
            return json_response(200, {
                "backup_servers": [{"id": s.id, "uid": "urn:veeam:BackupServer:" + s.id, "name": s.name}
                                   for s in model.servers],
                "jobs": [j for j in jobs if j["kind"] == "job"],
                "agent_jobs": [j for j in jobs if j["kind"] == "agent"],
                "machines": [machine_info(model, m, now, view_of) for m in model.machines.values()],
                "users": [{"username": u.name, "role": u.role, "uid": u.uid} for u in model.users.values()],
                "api_key": state.API_KEY,
                "settings": _settings(model),
                "vbr": {"server_id": model.vbr_server.id, "server_name": model.vbr_server.name,
                        "version": model.vbr_version, "revisions": vbr.served_revisions(model.vbr_version)},
            })
    if path == "/_sim/vbr/violations" and method == "GET":
        with model.lock:
            return json_response(200, list(model.vbr_violations))
    if path == "/_sim/users" and method == "POST":
        spec = _body(req)
        name, password, role = spec.get("username"), spec.get("password"), spec.get("role", "admin")
        if not name or password is None or role not in state.ROLES:
            return _bad("username, password and role (admin|operator|readonly) are required")
        with model.lock:
            model.users[name] = state.User(name, password, role)
            return json_response(200, {"username": name, "role": role, "uid": model.users[name].uid})
    if path == "/_sim/settings":
        with model.lock:
            if method == "POST":
                spec = _body(req)
                if "task_delay" in spec:
                    model.task_delay = float(spec["task_delay"])
                if "em_lag" in spec:
                    model.em_lag = float(spec["em_lag"])
                if "vspc_async" in spec:
                    if spec["vspc_async"] not in ("alternate", "always", "never"):
                        return _bad("vspc_async must be alternate, always or never")
                    model.vspc_async = spec["vspc_async"]
                if "vbr_version" in spec:
                    if spec["vbr_version"] not in state.VBR_VERSIONS:
                        return _bad("vbr_version must be one of %s" % ", ".join(state.VBR_VERSIONS))
                    model.vbr_version = spec["vbr_version"]
                if "vbr_validate" in spec:
                    if not isinstance(spec["vbr_validate"], bool):
                        return _bad("vbr_validate must be true or false")
                    model.vbr_validate = spec["vbr_validate"]
                if "vbr_token_lifetime" in spec:
                    if float(spec["vbr_token_lifetime"]) <= 0:
                        return _bad("vbr_token_lifetime must be positive")
                    model.vbr_token_lifetime = float(spec["vbr_token_lifetime"])
            return json_response(200, _settings(model))
    if path == "/_sim/machines" and method == "POST":
        return add_machine(model, _body(req), now)
    if path.startswith("/_sim/machines/") and path.endswith("/malware"):
        with model.lock:
            key = path[len("/_sim/machines/"):-len("/malware")]
            machine = find_machine(model, key)
            if machine is None:
                return json_response(404, {"error": "no machine %s (give its id or its name)" % unquote(key)})
            return json_response(*malware.control(model, machine, method, _body(req) if method == "POST" else {}, now))
    if path.startswith("/_sim/machines/"):
        with model.lock:
            machine = find_machine(model, path[len("/_sim/machines/"):])
            if machine is None:
                return json_response(404, {"error": "no machine %s (give its id or its name)"
                                           % unquote(path[len("/_sim/machines/"):])})
            if method == "POST":
                spec = _body(req)
                if "outcome" in spec:
                    if spec["outcome"] not in OUTCOMES:
                        return _bad("outcome must be one of %s" % ", ".join(OUTCOMES))
                    if spec["outcome"] == "Success":
                        machine.outcome = machine.failure_message = None
                    else:
                        machine.outcome = spec["outcome"]
                        machine.failure_message = spec.get("failure_message")
                elif "failure_message" in spec:
                    machine.failure_message = spec["failure_message"]
            elif method != "GET":
                return json_response(405, {"error": "method not allowed"})
            return json_response(200, machine_info(model, machine, now))
    if path == "/_sim/jobs" and method == "POST":
        return add_job(model, _body(req), now)
    if path.startswith("/_sim/jobs/"):
        job_id = path[len("/_sim/jobs/"):].lower()
        with model.lock:
            job = model.jobs.get(job_id)
            if job is None:
                return json_response(404, {"error": "no job %s" % job_id})
            if method == "POST":
                spec = _body(req)
                if "duration" in spec:
                    job.run_duration = float(spec["duration"])
                if "outcome" in spec:
                    if spec["outcome"] not in OUTCOMES:
                        return _bad("outcome must be one of %s" % ", ".join(OUTCOMES))
                    job.run_outcome = spec["outcome"]
                if "failure_message" in spec:
                    job.run_failure_message = spec["failure_message"]
                if "schedule_enabled" in spec:
                    model.set_schedule_enabled(job, bool(spec["schedule_enabled"]))
                if "running" in spec:
                    model.set_running(job, bool(spec["running"]), now)
            elif method != "GET":
                return json_response(405, {"error": "method not allowed"})
            return json_response(200, job_info(model, job, now))
    return json_response(404, {"error": "unknown control endpoint %s %s" % (method, path)})


def _settings(model):
    return {"task_delay": model.task_delay, "em_lag": model.em_lag, "vspc_async": model.vspc_async,
            "em_session_idle": model.em_idle, "vspc_token_lifetime": model.vspc_lifetime,
            "vbr_version": model.vbr_version, "vbr_validate": model.vbr_validate,
            "vbr_token_lifetime": model.vbr_token_lifetime}


def add_job(model, spec, now):
    """POST /_sim/jobs: a new job (with a short history) on a backup server of the world."""
    name = spec.get("name")
    kind = spec.get("kind", "job")
    if not isinstance(name, str) or not name:
        return _bad("name is required")
    if kind == "job":
        em_type = spec.get("em_type", "Backup")
        platform = spec.get("platform", "VMware")
        if em_type not in JOB_TYPES or platform not in JOB_PLATFORMS:
            return _bad("a job needs em_type %s and platform %s" % ("|".join(JOB_TYPES), "|".join(JOB_PLATFORMS)))
    elif kind == "agent":
        em_type = "AgentBackup"
        platform = spec.get("platform", "AgentForLinux")
        if spec.get("em_type", em_type) != em_type or platform not in AGENT_PLATFORMS:
            return _bad("an agent job needs platform %s (em_type AgentBackup)" % "|".join(AGENT_PLATFORMS))
    else:
        return _bad("kind must be job or agent")
    server = str(spec.get("server") or data.VBR_SERVER)
    with model.lock:
        found = [srv for srv in model.servers if server in (srv.name, srv.id)]
        if not found:
            return _bad("no backup server %s" % server)
        model.added_jobs += 1
        job, history = data.added_job(model.seed, model.added_jobs, name, kind, em_type, platform, found[0].id,
                                      bool(spec.get("schedule_configured", True)),
                                      bool(spec.get("schedule_enabled", True)), now)
        model.add_job(job, history)
        return json_response(200, job_info(model, job, now))


def add_machine(model, spec, now):
    """POST /_sim/machines: a machine in a job of the world (a VM in a backup job, a computer in an agent job)."""
    name, job_key = spec.get("name"), spec.get("job")
    if not isinstance(name, str) or not name or not isinstance(job_key, str) or not job_key:
        return _bad("name and job (a job's name or id) are required")
    server = spec.get("server")
    with model.lock:
        found = [job for job in model.jobs.values() if job_key in (job.id, job.name)
                 and (server is None or server in (job.server_id, model.server_of(job).name))]
        if len(found) != 1:
            return _bad("job %s matches %d jobs (give its id, or a server)" % (job_key, len(found)))
        job = found[0]
        if job.em_type not in ("Backup", "AgentBackup"):
            return _bad("machines are added to backup jobs and agent jobs, not to a %s job" % job.em_type)
        if any(other.server_id == job.server_id for other in model.machine_named(name) if other.name == name):
            return _bad("%s already has a machine called %s" % (model.server_of(job).name, name))
        machine = data.added_machine(model.servers, job, name, model.added_machines + 1,
                                     bool(spec.get("backed_up", True)), now)
        model.add_machine(machine)
        return json_response(200, machine_info(model, machine, now))
