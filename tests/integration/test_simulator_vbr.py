# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's VBR flavour follows Veeam's OpenAPI documents of the VBR REST API (tests/veeamsim/schema).

Every answer of the shared `simulator` is validated by the simulator itself against the document of its
revision; conftest fails a test after which a violation was recorded. The tests here check the behaviour
on top: versions, tokens, what each revision shows, refusals, actions, roles, filters, paging and faults.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ansible_run import READ_PATH, veeam_env, wait_for  # noqa: E402  (needs the path above)
from veeamsim import state, vbr, vbrdoc  # noqa: E402

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "veeamsim", "schema")
ADMIN = ("admin", "Simulator-Pass1")
VIEWER = ("viewer", "Viewer-Pass1")
OPERATOR = ("operator", "Operator-Pass1")
NEWEST = "1.3-rev2"
REVISIONS = ["1.2-rev1", "1.3-rev1", "1.3-rev2"]
ALL_REVISIONS = ["1.0-rev1", "1.0-rev2", "1.1-rev0", "1.1-rev1", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2"]
ERROR_CODES = {"AccessDenied", "ExpiredToken", "InvalidToken", "InvalidURI", "MethodNotAllowed", "NotFound",
               "NotImplemented", "ServiceUnavailable", "UnexpectedContent", "UnknownError"}
MISSING = "00000000-0000-4000-8000-000000000000"
# the jobs of vbr-prod-01 each revision shows (1.2: VMware backup jobs and replicas only)
PROD_JOBS_13 = {"Daily Backup": "VSphereBackup", 'Exchange "Mail" Backup': "VSphereBackup",
                "SQL Server; Nightly, Full": "HyperVBackup", "Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller": "VSphereBackup",
                "File Server Backup": "HyperVBackup", "DC Replication": "VSphereReplica",
                "Offsite Backup Copy": "BackupCopy", "Legacy Archive Backup": "VSphereBackup",
                "Manual Test Backup": "HyperVBackup", "Long Running Backup": "VSphereBackup",
                "Linux Web Servers": "LinuxAgentBackup", "Linux DB Servers": "LinuxAgentBackup",
                "Windows File Server Agent": "WindowsAgentBackup", "Windows Workstations": "WindowsAgentBackup"}
PROD_JOBS_12 = {"Daily Backup": "Backup", 'Exchange "Mail" Backup': "Backup",
                "Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller": "Backup", "DC Replication": "VSphereReplica",
                "Legacy Archive Backup": "Backup", "Long Running Backup": "Backup"}


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


@pytest.fixture(scope="module")
def documents():
    found = {}
    for name in REVISIONS:
        with open(os.path.join(SCHEMA_DIR, "vbr-rest-%s.json" % name), encoding="utf-8") as handle:
            found[name] = json.load(handle)
    return found


def schema_properties(doc, name):
    return set(doc["components"]["schemas"][name]["properties"])


class Vbr(object):
    """A VBR REST API client of one revision, logged on with a password grant."""

    def __init__(self, sim, user=ADMIN, revision=NEWEST):
        self.sim = sim
        self.http = sim.session()
        self.root = sim.vbr_url[:-len("/api/v1")]
        self.revision = revision
        resp = self.token(grant_type="password", username=user[0], password=user[1])
        assert resp.status_code == 200, resp.text
        self.tokens = resp.json()
        self.access = self.tokens["access_token"]

    def token(self, **form):
        return self.http.post(self.root + "/api/oauth2/token", data=form, headers={"x-api-version": self.revision})

    def headers(self, extra=None):
        headers = {"x-api-version": self.revision, "Authorization": "Bearer " + self.access}
        headers.update(extra or {})
        return headers

    def get(self, path, params=None, **kw):
        return self.http.get(self.root + path, params=params, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.http.post(self.root + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def ok(self, path, params=None):
        resp = self.get(path, params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def states(self, **params):
        return self.ok("/api/v1/jobs/states", dict(params, limit=params.get("limit", 1000)))["data"]

    def state_of(self, name):
        found = [item for item in self.states(nameFilter=name) if item["name"] == name]
        assert len(found) == 1, found
        return found[0]


def assert_error(resp, status, code=None):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) <= {"errorCode", "message", "resourceId"} and body["errorCode"] in ERROR_CODES, body
    if code is not None:
        assert body["errorCode"] == code, body
    return body


# --------------------------------------------------------------------------- versions
@pytest.mark.parametrize("version, newest", [("12.3", "1.2-rev1"), ("13.0.1", "1.3-rev1"), ("13.1", "1.3-rev2")])
def test_versions_served_and_the_refusal_lists_them(simulator, version, newest):
    simulator.settings(vbr_version=version)
    served = ALL_REVISIONS[:ALL_REVISIONS.index(newest) + 1]
    assert simulator.data()["vbr"]["revisions"] == served
    http = simulator.session()
    root = simulator.vbr_url[:-len("/api/v1")]
    form = {"grant_type": "password", "username": "admin", "password": "Simulator-Pass1"}
    missing = http.post(root + "/api/oauth2/token", data=form)
    body = assert_error(missing, 400, "NotImplemented")
    assert body["message"] == ("Unsupported RESTAPI version. The following versions are supported: %s."
                               % ", ".join("v" + rev for rev in served))
    if newest != "1.3-rev2":
        assert_error(http.post(root + "/api/oauth2/token", data=form, headers={"x-api-version": "1.3-rev2"}), 400,
                     "NotImplemented")
    for revision in served:
        client = Vbr(simulator, revision=revision)
        assert client.get("/api/v1/serverTime").status_code == 200
    client = Vbr(simulator, revision=newest)
    info = client.ok("/api/v1/serverInfo")
    assert info["buildVersion"] == vbr.VERSIONS[version][1] and info["buildVersion"].startswith(version)
    assert_error(client.get("/api/v1/jobs", headers={"x-api-version": "2.0-rev0"}), 400, "NotImplemented")
    refused = 3 if newest != NEWEST else 2
    assert simulator.counters()["vbr"]["unsupported_version"] == refused


def test_every_request_needs_the_version_header(simulator):
    client = Vbr(simulator)
    for method, path in (("GET", "/api/v1/jobs"), ("POST", "/api/oauth2/logout"), ("GET", "/api/v1/serverTime")):
        resp = client.http.request(method, client.root + path, headers={"Authorization": "Bearer " + client.access})
        assert_error(resp, 400, "NotImplemented")
    assert simulator.counters()["vbr"]["unsupported_version"] == 3
    assert client.get("/api/v1/jobs").status_code == 200    # the logout above was refused: the token lives


# --------------------------------------------------------------------------- tokens
def test_token_refresh_once_and_logout(simulator):
    client = Vbr(simulator)
    first = client.tokens
    assert first["token_type"] == "bearer" and first["expires_in"] == 900
    assert first[".issued"].endswith("+01:00") and first[".expires"].endswith("+01:00")
    assert (parse_time(first[".expires"]) - parse_time(first[".issued"])).total_seconds() == 900
    refreshed = client.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    reused = client.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert_error(reused, 401)
    counters = simulator.counters()["vbr"]
    assert (counters["tokens_issued"], counters["tokens_refreshed"], counters["refresh_reuse"],
            counters["live_tokens"]) == (1, 1, 1, 1)
    other = Vbr(simulator, VIEWER)
    assert simulator.counters()["vbr"]["live_tokens"] == 2
    client.access = second["access_token"]
    resp = client.post("/api/oauth2/logout")
    assert resp.status_code == 200 and resp.json() == {}
    for access in (first["access_token"], second["access_token"]):     # the whole logon chain ends
        client.access = access
        assert_error(client.get("/api/v1/jobs"), 401, "InvalidToken")
    assert_error(client.post("/api/oauth2/logout"), 401)
    assert_error(client.token(grant_type="refresh_token", refresh_token=second["refresh_token"]), 401)
    assert other.get("/api/v1/jobs").status_code == 200     # another logon is not touched
    counters = simulator.counters()["vbr"]
    assert (counters["logouts"], counters["live_tokens"]) == (1, 1)


@pytest.mark.parametrize("revision", ["1.2-rev1", "1.3-rev2"])
def test_grant_words_in_any_case(simulator, revision):
    client = Vbr(simulator, revision=revision)
    for word in ("password", "Password", "PASSWORD"):
        assert client.token(grant_type=word, username="admin", password="Simulator-Pass1").status_code == 200
    assert client.token(grant_type="Refresh_Token", refresh_token=client.tokens["refresh_token"]).status_code == 200
    assert_error(client.token(grant_type="client_credentials"), 400, "UnexpectedContent")


def test_wrong_password_and_utf8_form_values(simulator):
    http = simulator.session()
    root = simulator.vbr_url[:-len("/api/v1")]
    resp = http.post(root + "/api/oauth2/token", headers={"x-api-version": NEWEST},
                     data={"grant_type": "password", "username": "admin", "password": "wrong"})
    assert_error(resp, 401, "AccessDenied")
    assert simulator.counters()["vbr"]["failed_logons"] == 1
    assert Vbr(simulator, ("CORP\\tricky", "p:a&s%s+ w\u00f6rd")).get("/api/v1/jobs").status_code == 200


def test_missing_expired_and_unknown_tokens(simulator):
    client = Vbr(simulator)
    http = simulator.session()
    assert_error(http.get(simulator.vbr_url + "/jobs", headers={"x-api-version": NEWEST}), 401, "InvalidToken")
    assert_error(http.get(simulator.vbr_url + "/jobs", headers={"x-api-version": NEWEST,
                                                                "Authorization": "Bearer nope"}), 401, "InvalidToken")
    simulator.expire("vbr")
    assert_error(client.get("/api/v1/jobs"), 401, "ExpiredToken")
    refreshed = client.token(grant_type="refresh_token", refresh_token=client.tokens["refresh_token"])
    assert refreshed.status_code == 200      # refresh tokens outlive the expiry
    client.access = refreshed.json()["access_token"]
    assert client.get("/api/v1/jobs").status_code == 200
    assert http.get(simulator.vbr_url + "/serverTime", headers={"x-api-version": NEWEST}).status_code == 200


def test_token_lifetime_setting(simulator):
    simulator.settings(vbr_token_lifetime=1)
    client = Vbr(simulator)
    assert client.tokens["expires_in"] == 1
    wait_for(lambda: client.get("/api/v1/jobs").status_code, lambda status: status == 401, timeout=10)
    assert_error(client.get("/api/v1/jobs"), 401, "ExpiredToken")


# --------------------------------------------------------------------------- what each revision shows
@pytest.mark.parametrize("revision", REVISIONS)
def test_every_endpoint_answers_and_validates(simulator, documents, revision):
    client = Vbr(simulator, revision=revision)
    doc = documents[revision]
    legacy = revision == "1.2-rev1"
    expected = PROD_JOBS_12 if legacy else PROD_JOBS_13
    info = client.ok("/api/v1/serverInfo")
    assert info["name"] == "vbr-prod-01.corp.example"
    assert info["vbrId"] == simulator.data()["vbr"]["server_id"]
    time_info = client.ok("/api/v1/serverTime")
    assert time_info["serverTime"].endswith("+01:00")
    jobs = client.ok("/api/v1/jobs")
    assert {job["name"]: job["type"] for job in jobs["data"]} == expected
    assert jobs["pagination"] == {"total": len(expected), "count": len(expected), "skip": 0, "limit": 200}
    states = client.ok("/api/v1/jobs/states")["data"]
    assert {item["name"]: item["type"] for item in states} == expected
    for item in states:
        assert set(item) <= schema_properties(doc, "JobStateModel")
    assert ("progressPercent" in states[0]) is not legacy
    one = jobs["data"][0]
    assert client.ok("/api/v1/jobs/" + one["id"]) == one
    sessions = client.ok("/api/v1/sessions", {"limit": 5000})["data"]
    assert {sess["name"] for sess in sessions} == set(expected)
    for sess in sessions[:50]:
        assert set(sess) <= schema_properties(doc, "SessionModel")
    assert client.ok("/api/v1/sessions/" + sessions[0]["id"]) == sessions[0]
    job_id = [item["id"] for item in states if item["name"] == "Daily Backup"][0]
    started = client.post("/api/v1/jobs/%s/start" % job_id)
    assert started.status_code == 201, started.text
    assert client.post("/api/v1/jobs/%s/stop" % job_id, json={"gracefulStop": False}).status_code == 201
    toggled = 200 if legacy else 204     # the 1.2-rev1 document answers enable/disable with 200 and {}
    assert client.post("/api/v1/jobs/%s/disable" % job_id).status_code == toggled
    assert client.post("/api/v1/jobs/%s/enable" % job_id).status_code == toggled
    failed = [item["id"] for item in states if item["lastResult"] == "Failed"]
    if not legacy:
        assert client.post("/api/v1/jobs/%s/retry" % failed[0]).status_code == 201
    assert client.post("/api/oauth2/logout").status_code == 200
    counters = simulator.counters()["vbr"]
    assert counters["schema_violations"] == 0, simulator.violations()
    assert counters["refused_requests"] == 0


def test_type_words_and_invisible_jobs_on_12(simulator):
    old = Vbr(simulator, revision="1.2-rev1")
    new = Vbr(simulator, revision="1.3-rev1")
    data = simulator.data()
    by_name = dict((job["name"], job) for job in data["jobs"] + data["agent_jobs"]
                   if job["server_name"] == "vbr-prod-01.corp.example")
    for name, word in PROD_JOBS_13.items():
        job_id = by_name[name]["id"]
        assert by_name[name]["vbr_type"] == word
        assert new.ok("/api/v1/jobs/" + job_id)["type"] == word
        resp = old.get("/api/v1/jobs/" + job_id)
        if name in PROD_JOBS_12:
            assert resp.json()["type"] == PROD_JOBS_12[name] and by_name[name]["vbr_visible_12"] is True
        else:
            assert_error(resp, 404, "NotFound")
            assert by_name[name]["vbr_visible_12"] is False
            assert old.ok("/api/v1/sessions", {"jobIdFilter": job_id})["data"] == []
            last = by_name[name]["last_session_id"]
            assert_error(old.get("/api/v1/sessions/" + last), 404, "NotFound")
            assert new.get("/api/v1/sessions/" + last).status_code == 200
    dr_job = [job for job in data["jobs"] if job["server_name"] == "vbr-dr-01.corp.example"][0]
    assert dr_job["vbr_type"] is None      # a VBR server does not see other servers' jobs
    assert_error(new.get("/api/v1/jobs/" + dr_job["id"]), 404, "NotFound")
    assert old.states(typeFilter="Backup") and not [s for s in old.states() if s["type"] not in ("Backup", "VSphereReplica")]
    assert {s["status"] for s in old.states()} <= {"running", "inactive", "disabled"}
    assert {s["workload"] for s in old.states()} == {"vm"}
    assert {s["status"] for s in new.states()} <= {"Running", "Starting", "Stopping", "Inactive", "Disabled"}
    assert {s["workload"] for s in new.states()} == {"Vm", "Server", "Workstation"}
    assert_error(old.get("/api/v1/jobs/states", {"typeFilter": "VSphereBackup"}), 400, "InvalidURI")
    assert_error(new.get("/api/v1/jobs/states", {"typeFilter": "Backup"}), 400, "InvalidURI")


def test_session_types_and_shapes(simulator):
    client = Vbr(simulator)
    sessions = client.ok("/api/v1/sessions", {"limit": 5000})["data"]
    types = {}
    for sess in sessions:
        types.setdefault(sess["name"], set()).add(sess["sessionType"])
    assert types["Daily Backup"] == {"BackupJob"} and types["DC Replication"] == {"ReplicaJob"}
    assert types["Offsite Backup Copy"] == {"BackupCopyJob"} and types["Linux Web Servers"] == {"AgentBackup"}
    running = [sess for sess in sessions if sess["name"] == "Long Running Backup" and sess["state"] != "Stopped"]
    assert len(running) == 1 and "endTime" not in running[0] and running[0]["result"]["result"] == "None"
    warned = [sess for sess in sessions if sess["result"]["result"] == "Warning"]
    assert warned and all(sess["result"]["message"] for sess in warned)
    assert all(sess["creationTime"].endswith("+01:00") for sess in sessions)
    states = dict((item["name"], item) for item in client.states())
    long_running = states["Long Running Backup"]
    assert long_running["status"] == "Running" and long_running["sessionId"] == running[0]["id"]
    assert long_running["lastResult"] == "Success"     # the last finished run's result
    assert states["Legacy Archive Backup"]["status"] == "Disabled" and "nextRun" not in states["Legacy Archive Backup"]
    assert states["Manual Test Backup"]["status"] == "Disabled" and "nextRun" not in states["Manual Test Backup"]
    assert states["Daily Backup"]["status"] == "Inactive" and states["Daily Backup"]["nextRun"].endswith("+01:00")
    assert states["File Server Backup"]["lastResult"] == "Failed"
    assert "repositoryId" not in states["DC Replication"] and states["Daily Backup"]["repositoryName"]


# --------------------------------------------------------------------------- the document check
@pytest.mark.parametrize("method, path, params, body, code", [
    ("GET", "/api/v1/jobs", {"nameFilterr": "x"}, None, "InvalidURI"),
    ("GET", "/api/v1/jobs", {"limit": "ten"}, None, "InvalidURI"),
    ("GET", "/api/v1/jobs/states", {"statusFilter": "Sleeping"}, None, "InvalidURI"),
    ("GET", "/api/v1/jobs/states", {"orderColumn": "Colour"}, None, "InvalidURI"),
    ("GET", "/api/v1/jobs/not-a-uuid", None, None, "InvalidURI"),
    ("GET", "/api/v1/sessions", {"resultFilter": "Fine"}, None, "InvalidURI"),
    ("GET", "/api/v1/sessions", {"createdAfterFilter": "yesterday"}, None, "InvalidURI"),
    ("GET", "/api/v1/jobz", None, None, "InvalidURI"),
    ("DELETE", "/api/v1/sessions", None, None, "MethodNotAllowed"),
    ("PATCH", "/api/v1/jobs/" + MISSING, None, None, "MethodNotAllowed"),
    ("POST", "/api/v1/jobs/" + MISSING + "/start", None, {"performActiveFull": "yes"}, "UnexpectedContent"),
    ("POST", "/api/v1/jobs/" + MISSING + "/stop", None, {"graceful": True}, "UnexpectedContent"),
])
def test_requests_the_document_does_not_allow(simulator, method, path, params, body, code):
    client = Vbr(simulator)
    messages = []
    for dummy in range(2):   # the second time the verdict is the one remembered from the first
        resp = client.http.request(method, client.root + path, params=params, json=body, headers=client.headers())
        messages.append(assert_error(resp, 400, code)["message"])
    for word in list(params or {}) + ([path.rsplit("/", 1)[-1]] if code == "InvalidURI" and not params else []):
        assert word in messages[0], messages[0]
    assert messages[1] == messages[0]
    assert simulator.counters()["vbr"]["refused_requests"] == 2


def test_refusals_come_before_authentication_and_retry_is_not_in_12(simulator):
    http = simulator.session()
    resp = http.get(simulator.vbr_url + "/jobs", params={"bogus": 1}, headers={"x-api-version": NEWEST})
    assert_error(resp, 400, "InvalidURI")
    old = Vbr(simulator, revision="1.2-rev1")
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    assert_error(old.post("/api/v1/jobs/%s/retry" % job["id"]), 400, "InvalidURI")
    assert_error(old.get("/api/v1/jobs/states", {"workloadFilter": "Vm"}), 400, "InvalidURI")   # 1.2 writes vm
    assert old.get("/api/v1/jobs/states", {"workloadFilter": "vm"}).status_code == 200
    counters = simulator.counters()
    assert counters["vbr"]["refused_requests"] == 3 and counters["actions"]["retry"] == 0
    assert counters["requests"]["POST /api/v1/jobs/{id}/retry"] == 1


def test_documented_but_not_simulated_operation(simulator):
    resp = Vbr(simulator).get("/api/v1/backupInfrastructure/repositories")
    body = assert_error(resp, 501, "NotImplemented")
    assert "/api/v1/backupInfrastructure/repositories" in body["message"]


# --------------------------------------------------------------------------- actions and roles
def test_start_runs_then_stops_with_the_configured_outcome(simulator):
    client = Vbr(simulator)
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    simulator.configure_job(job["id"], duration=2, outcome="Warning", failure_message="Disk nearly full")
    resp = client.post("/api/v1/jobs/%s/start" % job["id"], json={"performActiveFull": False})
    assert resp.status_code == 201, resp.text
    session = resp.json()
    assert session["jobId"] == job["id"] and session["sessionType"] == "BackupJob" and session["name"] == job["name"]
    assert session["state"] in ("Starting", "Working") and session["result"]["result"] == "None"
    assert "endTime" not in session
    current = client.state_of("Daily Backup")
    assert current["status"] in ("Starting", "Running") and current["sessionId"] == session["id"]
    again = client.post("/api/v1/jobs/%s/start" % job["id"])
    assert assert_error(again, 400, "UnexpectedContent")["message"] == 'Job "Daily Backup" is already running.'
    done = wait_for(lambda: client.ok("/api/v1/sessions/" + session["id"]), lambda s: s["state"] == "Stopped")
    assert done["result"] == {"result": "Warning", "message": "Disk nearly full", "isCanceled": False}
    assert parse_time(done["endTime"]) > parse_time(done["creationTime"]) and done["progressPercent"] == 100
    finished = client.state_of("Daily Backup")
    assert finished["status"] == "Inactive" and finished["lastResult"] == "Warning"
    assert simulator.job("Daily Backup", server="vbr-prod-01.corp.example")["last_result"] == "Warning"
    assert simulator.counters()["actions"]["start"] == 2


def test_stop_and_retry(simulator):
    client = Vbr(simulator)
    warned = simulator.job("Windows Workstations", agent=True)
    assert client.post("/api/v1/jobs/%s/retry" % warned["id"]).status_code == 201    # a warned run may be retried
    job = simulator.job("Exchange \"Mail\" Backup")
    assert_error(client.post("/api/v1/jobs/%s/stop" % job["id"]), 400, "UnexpectedContent")
    simulator.configure_job(job["id"], duration=60)
    session = client.post("/api/v1/jobs/%s/start" % job["id"]).json()
    assert_error(client.post("/api/v1/jobs/%s/retry" % job["id"]), 400, "UnexpectedContent")   # not while running
    stopped = client.post("/api/v1/jobs/%s/stop" % job["id"])
    assert stopped.status_code == 201 and stopped.json()["id"] == session["id"]
    assert stopped.json()["state"] == "Stopping"
    done = wait_for(lambda: client.ok("/api/v1/sessions/" + session["id"]), lambda s: s["state"] == "Stopped")
    assert done["result"]["result"] == "Failed" and done["result"]["isCanceled"] is True
    retried = client.post("/api/v1/jobs/%s/retry" % job["id"])
    assert retried.status_code == 201 and retried.json()["id"] != session["id"]
    success = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    body = assert_error(client.post("/api/v1/jobs/%s/retry" % success["id"]), 400, "UnexpectedContent")
    assert body["resourceId"] == success["id"]
    assert_error(client.post("/api/v1/jobs/%s/start" % MISSING), 404, "NotFound")


def test_enable_disable_and_the_other_apis_see_it(simulator):
    client = Vbr(simulator)
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    assert client.post("/api/v1/jobs/%s/disable" % job["id"]).status_code == 204
    assert client.state_of("Daily Backup")["status"] == "Disabled"
    assert client.ok("/api/v1/jobs/" + job["id"])["isDisabled"] is True
    assert simulator.job("Daily Backup", server="vbr-prod-01.corp.example")["schedule_enabled"] is False
    assert client.post("/api/v1/jobs/%s/disable" % job["id"]).status_code == 204
    assert client.post("/api/v1/jobs/%s/enable" % job["id"]).status_code == 204
    assert client.post("/api/v1/jobs/%s/enable" % job["id"]).status_code == 204     # already enabled: no error
    assert client.ok("/api/v1/jobs/" + job["id"])["isDisabled"] is False
    actions = simulator.counters()["actions"]
    assert (actions["enable"], actions["disable"]) == (2, 2)


def test_roles(simulator):
    job = simulator.job("DC Replication")
    viewer = Vbr(simulator, VIEWER)
    operator = Vbr(simulator, OPERATOR)
    assert viewer.get("/api/v1/jobs/states").status_code == 200
    for action in ("start", "stop", "disable", "enable"):
        assert_error(viewer.post("/api/v1/jobs/%s/%s" % (job["id"], action)), 403, "AccessDenied")
    for client in (viewer, operator):
        assert_error(client.get("/api/v1/serverInfo"), 403, "AccessDenied")
        assert_error(client.post("/api/v1/jobs/%s/disable" % job["id"]), 403, "AccessDenied")
    assert operator.post("/api/v1/jobs/%s/start" % job["id"]).status_code == 201
    assert operator.post("/api/v1/jobs/%s/stop" % job["id"]).status_code == 201
    assert simulator.counters()["actions"] == {"start": 1, "stop": 1, "retry": 0, "sync": 0, "toggle": 0,
                                               "patch": 0, "enable": 0, "disable": 0, "quick_backup": 0}
    simulator.add_user("ops", "Ops-Pass1", role="operator")
    other = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    assert Vbr(simulator, ("ops", "Ops-Pass1")).post("/api/v1/jobs/%s/start" % other["id"]).status_code == 201


def test_operator_is_read_only_on_em_and_vspc(simulator):
    job = simulator.job("DC Replication")
    http = simulator.session()
    auth = "Basic " + base64.b64encode(b"operator:Operator-Pass1").decode("ascii")
    logon = http.post(simulator.em_url + "/sessionMngr/?v=latest", headers={"Authorization": auth})
    assert logon.status_code == 201
    resp = http.post(simulator.em_url + "/jobs/" + job["id"], params={"action": "start"},
                     headers={"X-RestSvcSessionId": logon.headers["X-RestSvcSessionId"]})
    assert resp.status_code == 403
    token = http.post(simulator.vspc_url + "/token", data={"grant_type": "password", "username": "operator",
                                                           "password": "Operator-Pass1"}).json()["access_token"]
    resp = http.post(simulator.vspc_url + "/infrastructure/backupServers/jobs/%s/start" % job["id"],
                     headers={"Authorization": "Bearer " + token})
    assert resp.status_code == 403


def test_a_run_started_through_em_is_running_in_vbr_and_back(simulator):
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    simulator.configure_job(job["id"], duration=30)
    http = simulator.session()
    auth = "Basic " + base64.b64encode(b"admin:Simulator-Pass1").decode("ascii")
    em_token = http.post(simulator.em_url + "/sessionMngr/?v=latest",
                         headers={"Authorization": auth}).headers["X-RestSvcSessionId"]
    em_headers = {"X-RestSvcSessionId": em_token, "Accept": "application/json"}
    assert http.post(simulator.em_url + "/jobs/" + job["id"], params={"action": "start"},
                     headers=em_headers).status_code == 202
    client = Vbr(simulator)
    assert client.state_of("Daily Backup")["status"] in ("Starting", "Running")
    assert client.post("/api/v1/jobs/%s/stop" % job["id"]).status_code == 201
    copy = simulator.job("Offsite Backup Copy")
    started = client.post("/api/v1/jobs/%s/start" % copy["id"])
    assert started.status_code == 201        # EM starts copy jobs with sync; VBR with start

    def em_sessions():
        query = http.get(simulator.em_url + "/query", headers=em_headers, params={
            "type": "BackupJobSession", "format": "Entities", "filter": 'JobName=="Offsite Backup Copy";State!=Stopped'})
        return query.json()["Entities"]["BackupJobSessions"]["BackupJobSessions"]
    seen = wait_for(em_sessions, lambda found: len(found) == 1)
    assert seen[0]["UID"].endswith(started.json()["id"])


# --------------------------------------------------------------------------- filters and paging
def test_name_filter_wildcards(simulator):
    for name in ("Nightly", "Nightly*", "*Nightly", "Nightly Copy"):
        record = simulator.add_job(name)
        assert record["vbr_type"] == "VSphereBackup" and record["last_result"] == "Success"
    client = Vbr(simulator)
    cases = {
        "Nightly": ["Nightly"],
        "nightly*": ["Nightly", "Nightly Copy", "Nightly*"],
        "*NIGHTLY": ["*Nightly", "Nightly"],
        "*nightly*": ["*Nightly", "Nightly", "Nightly Copy", "Nightly*", "SQL Server; Nightly, Full"],
        "Nightly**": ["Nightly*"],
        "**Nightly": ["*Nightly"],
        "Night*ly": [],
        "*": None,
    }
    everything = sorted(PROD_JOBS_13) + ["*Nightly", "Nightly", "Nightly Copy", "Nightly*"]
    for pattern, expected in cases.items():
        expected = sorted(everything) if expected is None else expected
        assert sorted(s["name"] for s in client.states(nameFilter=pattern)) == expected, pattern
        jobs = client.ok("/api/v1/jobs", {"nameFilter": pattern, "limit": 1000})["data"]
        assert sorted(j["name"] for j in jobs) == expected, pattern
        sessions = client.ok("/api/v1/sessions", {"nameFilter": pattern, "limit": 5000})["data"]
        assert sorted(set(s["name"] for s in sessions)) == expected, pattern


def test_paging_and_ordering_of_jobs_and_states(simulator):
    client = Vbr(simulator)
    names = []
    for skip in range(0, 20, 4):
        body = client.ok("/api/v1/jobs/states", {"skip": skip, "limit": 4, "orderColumn": "Name"})
        assert body["pagination"] == {"total": 14, "count": len(body["data"]), "skip": skip, "limit": 4}
        names += [item["name"] for item in body["data"]]
    assert names == sorted(PROD_JOBS_13, key=str.lower)
    desc = client.ok("/api/v1/jobs", {"orderColumn": "Name", "orderAsc": "false", "limit": 3})
    assert [job["name"] for job in desc["data"]] == sorted(PROD_JOBS_13, key=str.lower, reverse=True)[:3]
    assert desc["pagination"]["total"] == 14
    by_run = client.states(orderColumn="LastRun", orderAsc=False)
    runs = [parse_time(item["lastRun"]) for item in by_run if "lastRun" in item]
    assert runs == sorted(runs, reverse=True)
    failed = client.states(lastResultFilter="Failed")
    assert sorted(item["name"] for item in failed) == ["File Server Backup", "Linux DB Servers"]
    assert [item["name"] for item in client.states(statusFilter="Disabled", orderColumn="Name")] == [
        "Legacy Archive Backup", "Manual Test Backup"]
    assert len(client.states(workloadFilter="Workstation")) == 1
    one = client.states(limit=1)[0]
    assert [item["id"] for item in client.states(idFilter=one["id"])] == [one["id"]]
    assert client.ok("/api/v1/jobs/states", {"skip": 100})["data"] == []
    assert_error(client.get("/api/v1/jobs/states", {"limit": 0}), 400, "InvalidURI")
    assert_error(client.get("/api/v1/jobs", {"skip": -1}), 400, "InvalidURI")
    big = client.ok("/api/v1/jobs", {"limit": 10000})
    assert big["pagination"]["limit"] == 10000 and big["pagination"]["count"] == 14


def test_session_filters_and_ordering(simulator):
    client = Vbr(simulator)
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    everything = client.ok("/api/v1/sessions", {"limit": 10000})
    total = everything["pagination"]["total"]
    assert total == len(everything["data"]) > 14 * 30
    mine = client.ok("/api/v1/sessions", {"jobIdFilter": job["id"], "orderColumn": "CreationTime",
                                          "orderAsc": "false", "limit": 1000})["data"]
    assert {sess["jobId"] for sess in mine} == {job["id"]} and mine[0]["id"] == job["last_session_id"]
    created = [parse_time(sess["creationTime"]) for sess in mine]
    assert created == sorted(created, reverse=True)
    ascending = client.ok("/api/v1/sessions", {"orderColumn": "EndTime", "limit": 10000})["data"]
    ends = [parse_time(sess["endTime"]) for sess in ascending if "endTime" in sess]
    assert ends == sorted(ends) and "endTime" not in ascending[-1]     # running sessions have no end: last
    replicas_and_agents = client.http.get(client.root + "/api/v1/sessions", headers=client.headers(),
                                          params=[("typeFilter", "ReplicaJob"), ("typeFilter", "AgentBackup"),
                                                  ("limit", 10000)]).json()["data"]
    assert {sess["sessionType"] for sess in replicas_and_agents} == {"ReplicaJob", "AgentBackup"}
    bad = client.http.get(client.root + "/api/v1/sessions", headers=client.headers(),
                          params=[("resultFilter", "Warning"), ("resultFilter", "Failed"), ("limit", 10000)]).json()
    assert {sess["result"]["result"] for sess in bad["data"]} == {"Warning", "Failed"}
    working = client.ok("/api/v1/sessions", {"stateFilter": "Working"})["data"]
    assert sorted(sess["name"] for sess in working) == ["Long Running Backup", "Windows File Server Agent"]
    since = parse_time(mine[2]["creationTime"]) + datetime.timedelta(seconds=1)   # runs are a day apart
    recent = client.ok("/api/v1/sessions", {"jobIdFilter": job["id"], "createdAfterFilter": since.isoformat()})["data"]
    assert sorted(sess["id"] for sess in recent) == sorted(sess["id"] for sess in mine[:2])
    older = client.ok("/api/v1/sessions", {"jobIdFilter": job["id"], "limit": 1000,
                                           "createdBeforeFilter": since.isoformat()})["data"]
    assert len(older) == len(mine) - 2
    ended_after = parse_time(mine[1]["endTime"]) + datetime.timedelta(seconds=1)
    for stamp in (ended_after.isoformat(), ended_after.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")):
        ended = client.ok("/api/v1/sessions", {"jobIdFilter": job["id"], "endedAfterFilter": stamp})["data"]
        assert [sess["id"] for sess in ended] == [mine[0]["id"]], stamp
    page = client.ok("/api/v1/sessions", {"skip": 10, "limit": 5, "orderColumn": "Name"})
    assert page["pagination"] == {"total": total, "count": 5, "skip": 10, "limit": 5}


# --------------------------------------------------------------------------- faults, counters, control
def test_faults_on_vbr(simulator):
    client = Vbr(simulator)
    simulator.fault(api="vbr", method="GET", path_prefix="/api/v1/jobs", status=503, retry_after=2, count=2)
    for dummy in range(2):
        resp = client.get("/api/v1/jobs/states")
        assert_error(resp, 503, "ServiceUnavailable")
        assert resp.headers["Retry-After"] == "2"
    assert client.get("/api/v1/jobs/states").status_code == 200
    simulator.fault(api="vbr", status=429, retry_after=5)
    resp = client.get("/api/v1/sessions")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "5"
    simulator.fault(api="any", path_prefix="/api/v1/serverInfo", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get("/api/v1/serverInfo")
    simulator.fault(api="vbr", latency=0.4)
    started = time.monotonic()
    assert client.get("/api/v1/serverTime").status_code == 200
    assert time.monotonic() - started >= 0.4
    simulator.fault(api="em", status=500)
    assert client.get("/api/v1/serverTime").status_code == 200    # an EM fault does not hit VBR
    counters = simulator.counters()
    assert counters["requests"]["GET /api/v1/jobs/states"] == 3
    assert counters["requests"]["POST /api/oauth2/token"] == 1
    log = simulator.log()
    assert {entry["api"] for entry in log} == {"vbr"} and log[0]["path"] == "/api/oauth2/token"


def test_control_jobs_data_and_reset(simulator):
    data = simulator.data()
    assert data["vbr"] == {"server_id": data["backup_servers"][0]["id"], "server_name": "vbr-prod-01.corp.example",
                           "version": "13.1", "revisions": ALL_REVISIONS}
    agent = simulator.add_job("Windows Fleet", kind="agent", platform="AgentForWindows", schedule_enabled=False)
    assert agent["vbr_type"] == "WindowsAgentBackup" and agent["schedule_enabled"] is False
    elsewhere = simulator.add_job("DR Nightly", em_type="Replica", server="vbr-dr-01.corp.example")
    assert elsewhere["vbr_type"] is None and elsewhere["server_name"] == "vbr-dr-01.corp.example"
    copy = simulator.add_job("Copy 2", em_type="BackupCopy", platform="HyperV", schedule_configured=False)
    assert copy["vbr_type"] == "BackupCopy" and copy["vbr_visible_12"] is False and copy["last_result"] == "Success"
    client = Vbr(simulator)
    assert client.state_of("Windows Fleet")["status"] == "Disabled"
    assert client.ok("/api/v1/sessions", {"jobIdFilter": agent["id"]})["pagination"]["total"] == 3
    http = simulator.session()
    assert http.post(simulator.control_url + "/jobs", json={"name": "x", "kind": "robot"}).status_code == 400
    assert http.post(simulator.control_url + "/users", json={"username": "u", "password": "p",
                                                             "role": "operator"}).status_code == 200
    simulator.settings(vbr_version="12.3", vbr_validate=False, vbr_token_lifetime=60)
    simulator.reset()
    after = simulator.data()
    assert after["settings"]["vbr_version"] == "13.1" and after["settings"]["vbr_validate"] is True
    assert after["settings"]["vbr_token_lifetime"] == 900
    assert "Windows Fleet" not in [job["name"] for job in after["agent_jobs"]]
    assert_error(client.get("/api/v1/jobs"), 401, "InvalidToken")     # reset ends every VBR logon


def test_ansible_environment_for_vbr(simulator):
    env = veeam_env(simulator, "vbr")
    assert env["VEEAM_API"] == "vbr" and env["VEEAM_PORT"] == str(simulator.vbr_port)
    assert simulator.port("vbr") == simulator.vbr_port and READ_PATH["vbr"] == "/api/v1/jobs/states"


def test_scaled_jobs_are_on_the_vbr_server(scaled_simulator):
    sim = scaled_simulator(5000)
    client = Vbr(sim)
    assert client.ok("/api/v1/jobs/states", {"limit": 1})["pagination"]["total"] == 10000 + 14
    assert client.ok("/api/v1/jobs", {"limit": 1, "typeFilter": "LinuxAgentBackup"})["pagination"]["total"] == 2502
    old = Vbr(sim, revision="1.2-rev1")
    assert old.ok("/api/v1/jobs/states", {"limit": 1})["pagination"]["total"] == 2500 + 6
    assert sim.counters()["vbr"]["schema_violations"] == 0


# --------------------------------------------------------------------------- the validation itself (in process)
class _Req(object):
    def __init__(self, method, path, revision):
        self.method = method
        self.path = path
        self.query = []
        self.headers = {"x-api-version": revision}
        self.body = b""
        self.base_url = "https://127.0.0.1:9419"

    def header(self, name, default=None):
        return self.headers.get(name, default)


@pytest.mark.parametrize("revision, body, words", [
    ("1.3-rev2", {"data": [], "pagination": {"total": 0}}, ["count"]),
    ("1.3-rev2", {"data": [{"id": MISSING, "name": "x", "type": "Backup"}], "pagination": {"total": 1, "count": 1}},
     ["Backup"]),
    ("1.2-rev1", {"data": [{"id": MISSING, "name": "x", "type": "Backup", "isDisabled": False}],
                  "pagination": {"total": 1, "count": 1}}, ["description", "schedule"]),
])
def test_answers_that_do_not_fit_are_found(revision, body, words):
    doc = vbrdoc.document(revision)
    problem = doc.response_problem(_Req("GET", "/api/v1/jobs", revision), 200, "application/json",
                                   json.dumps(body).encode("utf-8"), [])
    assert problem, body
    for word in words:
        assert word in problem, problem


def test_violations_are_counted_and_recorded():
    model = state.Model()
    req = _Req("GET", "/api/v1/serverTime", NEWEST)
    req.vbr = vbr.Checked(NEWEST, vbrdoc.document(NEWEST), None)
    good = vbr.finish(model, req, vbr.json_response(200, {"serverTime": "2026-01-05T22:00:00.000+01:00"}))
    assert good.status == 200 and model.counters["vbr"]["schema_violations"] == 0
    vbr.finish(model, req, vbr.json_response(200, {"timeZone": "UTC"}))
    vbr.finish(model, req, vbr.error(404, "Gone", "no such thing"))
    assert model.counters["vbr"]["schema_violations"] == 2
    first, second = list(model.vbr_violations)
    assert first["method"] == "GET" and first["path"] == "/api/v1/serverTime" and first["status"] == 200
    assert first["revision"] == NEWEST and "serverTime" in first["error"]
    assert "Gone" in second["error"]
    model.vbr_validate = False
    vbr.finish(model, req, vbr.json_response(200, {"timeZone": "UTC"}))
    assert model.counters["vbr"]["schema_violations"] == 2
