# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control endpoints under /_sim/ (plain JSON, no auth, not counted, on both ports). See README.md."""

from __future__ import annotations

import json

from . import state
from .responses import json_response

OUTCOMES = ("Success", "Warning", "Failed")
ROLES = ("admin", "readonly")


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
    }


def counters(model):
    out = json.loads(json.dumps(model.counters))
    out["em"]["open_sessions"] = model.em_open_sessions(state.now())
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
                if fault["api"] not in ("em", "vspc", "any"):
                    return _bad("api must be em, vspc or any")
                if fault["count"] < 1:
                    return _bad("count must be >= 1")
                if not (fault["status"] or fault["latency"] or fault["drop"] or fault["async"]):
                    return _bad("a fault needs status, latency, drop or async")
                model.faults.append(fault)
                return json_response(200, {"faults": model.faults})
    if path == "/_sim/expire" and method == "POST":
        spec = _body(req)
        api = spec.get("api") or "any"
        if api not in ("em", "vspc", "any"):
            return _bad("api must be em, vspc or any")
        with model.lock:
            model.expire(api)
        return json_response(200, {"expired": api})
    if path == "/_sim/log" and method == "GET":
        with model.lock:
            return json_response(200, list(model.log))
    if path == "/_sim/data" and method == "GET":
        with model.lock:
            jobs = [job_info(model, j, now) for j in model.jobs.values()]
            return json_response(200, {
                "backup_servers": [{"id": s.id, "uid": "urn:veeam:BackupServer:" + s.id, "name": s.name}
                                   for s in model.servers],
                "jobs": [j for j in jobs if j["kind"] == "job"],
                "agent_jobs": [j for j in jobs if j["kind"] == "agent"],
                "users": [{"username": u.name, "role": u.role, "uid": u.uid} for u in model.users.values()],
                "api_key": state.API_KEY,
                "settings": _settings(model),
            })
    if path == "/_sim/users" and method == "POST":
        spec = _body(req)
        name, password, role = spec.get("username"), spec.get("password"), spec.get("role", "admin")
        if not name or password is None or role not in ROLES:
            return _bad("username, password and role (admin|readonly) are required")
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
            return json_response(200, _settings(model))
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
                    job.schedule_enabled = bool(spec["schedule_enabled"])
                if "running" in spec:
                    model.set_running(job, bool(spec["running"]), now)
            elif method != "GET":
                return json_response(405, {"error": "method not allowed"})
            return json_response(200, job_info(model, job, now))
    return json_response(404, {"error": "unknown control endpoint %s %s" % (method, path)})


def _settings(model):
    return {"task_delay": model.task_delay, "em_lag": model.em_lag, "vspc_async": model.vspc_async,
            "em_session_idle": model.em_idle, "vspc_token_lifetime": model.vspc_lifetime}
