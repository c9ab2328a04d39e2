# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator follows the documented Veeam EM and VSPC REST APIs (shared/VEEAM_API.md).

XML is validated against Veeam's RestAPI.xsd (tests/veeamsim/schema). That schema is the 9.x one and
has no /agents types, so AgentBackupJob representations are not validated against it.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import ssl
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import requests

NS = "{http://www.veeam.com/ent/v1.0}"
XSD_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "veeamsim", "schema",
                        "em-RestAPI.xsd")
ADMIN = ("admin", "Simulator-Pass1")
VIEWER = ("viewer", "Viewer-Pass1")
TRICKY = ("CORP\\tricky", "p:a&s%s+ w\u00f6rd")
QUOTED = 'Exchange "Mail" Backup'


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(XSD_PATH)


def poll(func, timeout=20.0, interval=0.1):
    """Call func until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = func()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


def poll_value(fetch, accept, timeout=20.0):
    """Call fetch until accept(value) holds; return that value."""
    found = []

    def check():
        value = fetch()
        if accept(value):
            found.append(value)
            return True
        return False
    poll(check, timeout)
    return found[0]


def basic(user, password):
    """Basic credentials encoded as UTF-8 (requests' own auth= would use latin-1)."""
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


def parse_time(text):
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


# --------------------------------------------------------------------------- EM helpers
class Em(object):
    def __init__(self, sim, user=ADMIN, json_mode=False):
        self.sim = sim
        self.http = sim.session()
        self.base = sim.em_url
        resp = self.http.post(self.base + "/sessionMngr/?v=latest", headers={"Authorization": basic(*user)})
        assert resp.status_code == 201, resp.text
        self.logon_response = resp
        self.token = resp.headers["X-RestSvcSessionId"]
        self.http.cookies.clear()
        self.headers = {"X-RestSvcSessionId": self.token}
        if json_mode:
            self.headers["Accept"] = "application/json"

    def get(self, path, **params):
        return self.http.get(self.base + path, params=params, headers=self.headers)

    def post(self, path, **params):
        return self.http.post(self.base + path, params=params, headers=self.headers)

    def xml(self, path, **params):
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        return ET.fromstring(resp.content)

    def query(self, qtype, filter_=None, **params):
        params = dict(params, type=qtype, format=params.get("format", "Entities"))
        if filter_ is not None:
            params["filter"] = filter_
        resp = self.get("/query", **params)
        assert resp.status_code == 200, resp.text
        return resp

    def task_wait(self, resp):
        """Poll the task of an action response until Finished; return (success, message)."""
        assert resp.status_code == 202, resp.text
        if "json" in resp.headers["Content-Type"]:
            task_id = resp.json()["TaskId"]
        else:
            task_id = ET.fromstring(resp.content).find(NS + "TaskId").text

        def finished():
            task = self.get("/tasks/" + task_id)
            assert task.status_code == 200, task.text
            if "json" in task.headers["Content-Type"]:
                body = task.json()
                if body["State"] == "Finished":
                    return body["Result"]["Success"], body["Result"]["Message"]
                return None
            root = ET.fromstring(task.content)
            if root.find(NS + "State").text != "Finished":
                return None
            result = root.find(NS + "Result")
            message = result.find(NS + "Message")
            return result.get("Success") == "true", message.text if message is not None else None
        return poll(finished)

    def logoff(self):
        sid = ET.fromstring(self.logon_response.content).find(NS + "SessionId").text
        return self.http.delete(self.base + "/logonSessions/" + sid, headers=self.headers)


def names_of(root, tag):
    return [e.get("Name") for e in root.iter(NS + tag)]


# --------------------------------------------------------------------------- EM: auth
def test_em_root_is_public_and_valid(simulator, schema):
    resp = simulator.session().get(simulator.em_url + "/")
    assert resp.status_code == 200
    schema.validate(resp.text)
    versions = [e.get("Name") for e in ET.fromstring(resp.content).iter(NS + "SupportedVersion")]
    assert "v1_7" in versions


def test_em_logon_logoff_and_counters(simulator, schema):
    em = Em(simulator)
    resp = em.logon_response
    assert resp.headers["Content-Type"] == "application/xml; charset=utf-8"
    schema.validate(resp.text)
    root = ET.fromstring(resp.content)
    session_id = root.find(NS + "SessionId").text
    assert em.token != session_id
    base64.b64decode(em.token, validate=True)
    assert "X-RestSvcSessionId=%s" % em.token in resp.headers["Set-Cookie"]
    assert "Path=/api" in resp.headers["Set-Cookie"]
    deletes = [lk.get("Href") for lk in root.iter(NS + "Link") if lk.get("Rel") == "Delete"]
    assert deletes == [em.base + "/logonSessions/" + session_id]
    assert simulator.counters()["em"] == {"logons": 1, "failed_logons": 0, "logoffs": 0, "open_sessions": 1}
    assert em.get("/logonSessions").status_code == 200
    assert em.logoff().status_code == 204
    assert simulator.counters()["em"] == {"logons": 1, "failed_logons": 0, "logoffs": 1, "open_sessions": 0}
    assert em.get("/backupServers").status_code == 401


def test_em_bad_credentials(simulator, schema):
    resp = simulator.session().post(simulator.em_url + "/sessionMngr/?v=latest", auth=("admin", "wrong"))
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == "Basic Realm=RestSvc"
    schema.validate(resp.text)
    root = ET.fromstring(resp.content)
    assert root.tag == NS + "Error" and root.get("StatusCode") == "401" and root.get("Status") == "Unauthorized"
    assert simulator.counters()["em"]["failed_logons"] == 1


def test_em_credentials_are_utf8_and_split_on_first_colon(simulator):
    em = Em(simulator, TRICKY)
    assert ET.fromstring(em.logon_response.content).find(NS + "UserName").text == TRICKY[0]


def test_em_missing_and_expired_session(simulator, schema):
    http = simulator.session()
    resp = http.get(simulator.em_url + "/jobs")
    assert resp.status_code == 401
    schema.validate(resp.text)
    em = Em(simulator)
    assert em.get("/backupServers").status_code == 200
    simulator.expire("em")
    resp = em.get("/backupServers")
    assert resp.status_code == 401 and ET.fromstring(resp.content).tag == NS + "Error"
    assert simulator.counters()["em"]["open_sessions"] == 0


def test_em_session_expires_when_idle(make_simulator):
    sim = make_simulator("--em-session-idle", "1")
    em = Em(sim)
    assert em.get("/backupServers").status_code == 200
    started = time.monotonic()
    poll(lambda: em.get("/backupServers").status_code == 401 or None, timeout=10, interval=1.5)
    assert time.monotonic() - started >= 1


def test_em_cookie_wins_over_header(simulator):
    good = Em(simulator)
    http = simulator.session()
    url = simulator.em_url + "/backupServers"
    assert http.get(url, headers={"X-RestSvcSessionId": good.token, "Cookie": "X-RestSvcSessionId=bm9wZQ=="}
                    ).status_code == 401
    assert http.get(url, headers={"X-RestSvcSessionId": "bm9wZQ==", "Cookie": "X-RestSvcSessionId=" + good.token}
                    ).status_code == 200


# --------------------------------------------------------------------------- EM: representations
def test_em_xml_validates_against_xsd(simulator, schema):
    em = Em(simulator)
    for resp in (em.query("Job"), em.query("Job", format="References"), em.query("BackupJobSession", pageSize=200),
                 em.query("ReplicaJobSession"), em.query("BackupServer"), em.get("/jobs"),
                 em.get("/backupSessions"), em.get("/jobs/nope"), em.get("/agents/jobs"),
                 em.get("/agents/backupSessions"), em.get("/replicaSessions"), em.get("/logonSessions")):
        schema.validate(resp.text)
    data = simulator.data()
    server = data["backup_servers"][0]["id"]
    schema.validate(em.get("/backupServers/" + server, format="Entity").text)
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    schema.validate(em.get("/jobs/" + job["id"], format="Entity").text)
    schema.validate(em.get("/jobs/" + job["id"]).text)
    schema.validate(em.get("/jobs/" + job["id"] + "/backupSessions").text)
    replica = simulator.job("DC Replication")
    root = ET.fromstring(em.get("/jobs/" + replica["id"] + "/replicaSessions").content)
    assert {r.get("Type") for r in root.iter(NS + "Ref")} == {"ReplicaJobSessionReference"}
    first = root.find(NS + "Ref").get("Href")
    schema.validate(em.http.get(first, params={"format": "Entity"}, headers=em.headers).text)
    resp = em.post("/jobs/" + job["id"], action="start")
    assert resp.status_code == 202
    schema.validate(resp.text)
    assert em.task_wait(resp)[0] is True
    root = ET.fromstring(resp.content)
    schema.validate(em.get("/tasks/" + root.find(NS + "TaskId").text).text)


def test_em_running_session_shape(simulator, schema):
    em = Em(simulator)
    job = simulator.job("Long Running Backup")
    resp = em.query("BackupJobSession", 'JobName=="Long Running Backup";State!=Stopped')
    schema.validate(resp.text)
    [sess] = list(ET.fromstring(resp.content).iter(NS + "BackupJobSession"))
    assert sess.find(NS + "State").text == "Working"
    assert sess.find(NS + "Result").text == "None"
    assert sess.find(NS + "EndTimeUTC") is None
    assert sess.find(NS + "JobUid").text == "urn:veeam:Job:" + job["id"]
    js = Em(simulator, json_mode=True).query("BackupJobSession", 'JobName=="Long Running Backup";State==Working').json()
    [item] = js["Entities"]["BackupJobSessions"]["BackupJobSessions"]
    assert item["EndTimeUTC"] is None and item["Result"] == "None"


def test_em_json_conventions(simulator):
    em = Em(simulator, json_mode=True)
    resp = em.query("BackupJobSession", "Result==Failed", pageSize=5)
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert list(body) == ["Refs", "Entities", "Resources", "Links", "PagingInfo"]
    assert body["Refs"] is None and body["Resources"] is None
    entities = body["Entities"]
    assert [k for k, v in entities.items() if v is not None] == ["BackupJobSessions"]
    assert "Jobs" in entities and entities["Jobs"] is None and "ReplicaJobSessions" in entities
    sessions = entities["BackupJobSessions"]["BackupJobSessions"]
    assert len(sessions) == 5
    first = sessions[0]
    assert list(first)[:10] == ["IsRetry", "JobUid", "JobName", "JobType", "CreationTimeUTC", "EndTimeUTC", "State",
                                "Result", "Progress", "FailureMessage"]
    assert list(first)[10:] == ["Name", "UID", "Links", "Href", "Type"]
    assert first["Type"] == "BackupJobSession" and first["UID"].startswith("urn:veeam:BackupJobSession:")
    assert all(set(lk) == {"Rel", "Href", "Name", "Type"} for lk in first["Links"])
    assert body["PagingInfo"]["PageSize"] == 5 and body["PagingInfo"]["PageNum"] == 1
    assert {lk["Rel"] for lk in body["PagingInfo"]["Links"]} >= {"First", "Last"}
    err = em.get("/jobs/00000000-0000-0000-0000-000000000000")
    assert err.status_code == 404
    assert err.json() == {"FirstChanceExceptionMessage": None, "StackTrace": None, "Message": err.json()["Message"],
                          "StatusCode": 404, "Status": "NotFound"}


def test_em_job_entity_links_and_fields(simulator):
    em = Em(simulator, json_mode=True)
    copy = simulator.job("Offsite Backup Copy")
    backup = simulator.job("Daily Backup", server="vbr-dr-01.corp.example")
    unscheduled = simulator.job("Manual Test Backup")
    copy_entity = em.get("/jobs/" + copy["id"], format="Entity").json()
    rels = [lk["Rel"] for lk in copy_entity["Links"]]
    assert "Sync" in rels and "Start" not in rels
    entity = em.get("/jobs/" + backup["id"], format="Entity").json()
    rels = [lk["Rel"] for lk in entity["Links"]]
    assert {"Start", "Stop", "Retry", "ToggleScheduleEnabled"} <= set(rels) and "Sync" not in rels
    up = [lk for lk in entity["Links"] if lk["Rel"] == "Up"][0]
    assert up["Type"] == "BackupServerReference" and up["Name"] == "vbr-dr-01.corp.example"
    assert entity["Platform"] == "HyperV" and entity["JobType"] == "Backup" and entity["NextRun"]
    manual = em.get("/jobs/" + unscheduled["id"], format="Entity").json()
    assert manual["ScheduleConfigured"] is False and manual["NextRun"] is None
    agent = simulator.job("Linux Web Servers", agent=True)
    agent_entity = em.get("/agents/jobs/" + agent["id"], format="Entity").json()
    assert agent_entity["UID"] == "urn:veeam:AgentBackupJob:" + agent["id"]
    assert agent_entity["JobType"] == "AgentBackup" and agent_entity["Platform"] == "AgentForLinux"


# --------------------------------------------------------------------------- EM: query service
def test_em_query_filter_semantics(simulator):
    em = Em(simulator)
    root = ET.fromstring(em.query("Job", 'Name=="Exchange ""Mail"" Backup"').content)
    assert names_of(root, "Job") == [QUOTED]
    root = ET.fromstring(em.query("Job", 'name=="SQL Server; Nightly, Full"').content)
    assert names_of(root, "Job") == ["SQL Server; Nightly, Full"]
    root = ET.fromstring(em.query("job", 'Name=="Daily Backup";BackupServerName=="vbr-dr-01.corp.example",'
                                         'JobType==Replica').content)
    jobs = list(root.iter(NS + "Job"))
    assert sorted(j.get("Name") for j in jobs) == ["DC Replication", "DR Replica - Web Tier", "Daily Backup"]
    root = ET.fromstring(em.query("BackupJobSession", "Result>=Warning", pageSize=1000).content)
    results = {s.find(NS + "Result").text for s in root.iter(NS + "BackupJobSession")}
    assert results == {"Warning", "Failed"}
    root = ET.fromstring(em.query("Job", "jobtype==backupcopy;platform==hyperv").content)
    assert names_of(root, "Job") == ["DR Backup Copy"]
    uid = "urn:veeam:Job:" + simulator.job(QUOTED)["id"]
    root = ET.fromstring(em.query("Job", "UID==%s" % uid).content)
    assert names_of(root, "Job") == [QUOTED]
    assert names_of(ET.fromstring(em.query("Job", "UID==" + uid.split(":")[-1]).content), "Job") == []
    root = ET.fromstring(em.query("Job", "ScheduleEnabled==false").content)
    assert set(names_of(root, "Job")) == {"Legacy Archive Backup", "Manual Test Backup"}
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.fromstring(em.query("BackupJobSession", 'CreationTime>="%s";IsRetry==false' % since,
                                  sortDesc="CreationTime", pageSize=500).content)
    times = [parse_time(s.find(NS + "CreationTimeUTC").text) for s in root.iter(NS + "BackupJobSession")]
    assert times and times == sorted(times, reverse=True)
    for bad in ('Name=="unterminated', "Name", "Nope==1", "Result>=Sometimes", "(Name==a"):
        resp = em.get("/query", type="Job", filter=bad)
        assert resp.status_code == 400, bad
        assert ET.fromstring(resp.content).get("StatusCode") == "400"


def test_em_query_paging(simulator, schema):
    em = Em(simulator)
    resp = em.query("BackupJobSession")
    paging = ET.fromstring(resp.content).find(NS + "PagingInfo")
    assert paging.get("PageSize") == "100" and paging.get("PageNum") == "1"
    assert int(paging.get("PagesCount")) > 1
    resp = em.query("BackupJobSession", "Result==Success", pageSize=7, page=2)
    assert "&amp;pageSize=7&amp;page=" in resp.text
    schema.validate(resp.text)
    paging = ET.fromstring(resp.content).find(NS + "PagingInfo")
    links = dict((lk.get("Rel"), lk.get("Href")) for lk in paging.iter(NS + "Link"))
    assert set(links) == {"First", "Prev", "Next", "Last"}
    assert links["Next"].endswith("pageSize=7&page=3") and links["Prev"].endswith("page=1")
    total = int(paging.get("PagesCount"))
    seen = []
    url = links["First"]
    while url:
        page = ET.fromstring(em.http.get(url, headers=em.headers).content)
        seen += [s.get("UID") for s in page.iter(NS + "BackupJobSession")]
        nxt = [lk.get("Href") for lk in page.find(NS + "PagingInfo").iter(NS + "Link") if lk.get("Rel") == "Next"]
        url = nxt[0] if nxt else None
    assert len(seen) == len(set(seen)) and total * 7 - 7 < len(seen) <= total * 7


def test_em_sessions_only_last_30_days(simulator):
    em = Em(simulator, json_mode=True)
    body = em.query("BackupJobSession", pageSize=5000, sortAsc="CreationTime").json()
    sessions = body["Entities"]["BackupJobSessions"]["BackupJobSessions"]
    oldest = parse_time(sessions[0]["CreationTimeUTC"])
    age = datetime.datetime.now(datetime.timezone.utc) - oldest
    assert datetime.timedelta(days=29) < age <= datetime.timedelta(days=30)
    refs = ET.fromstring(Em(simulator).get("/agents/backupSessions").content)
    assert len(list(refs.iter(NS + "Ref"))) > 0
    kinds = {s["JobType"] for s in sessions}
    assert kinds == {"Backup", "BackupCopy", "AgentBackup"}   # replica runs are ReplicaJobSessions


# --------------------------------------------------------------------------- EM: actions
def test_em_start_run_and_session_lag(simulator):
    em = Em(simulator, json_mode=True)
    job = simulator.job("Daily Backup", server="vbr-prod-01.corp.example")
    simulator.configure_job(job["id"], duration=2, outcome="Warning", failure_message="Disk almost full")
    before = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    flt = 'JobUid=="urn:veeam:Job:%s";CreationTime>="%s"' % (job["id"], before)
    resp = em.post("/jobs/" + job["id"], action="start")
    body = resp.json()
    assert resp.status_code == 202 and body["State"] == "Running" and body["Operation"] == "StartJob"
    assert em.query("BackupJobSession", flt).json()["Entities"]["BackupJobSessions"]["BackupJobSessions"] == []
    task = poll_value(lambda: em.get("/tasks/" + body["TaskId"]).json(), lambda t: t["State"] == "Finished")
    assert task["Result"]["Success"] is True and job["name"] in task["Result"]["Message"]
    sessions = poll(lambda: em.query("BackupJobSession", flt).json()["Entities"]["BackupJobSessions"]
                    ["BackupJobSessions"])
    assert sessions[0]["IsRetry"] is False

    def ended():
        items = em.query("BackupJobSession", flt + ";State==Stopped").json()["Entities"]["BackupJobSessions"]
        return items["BackupJobSessions"]
    [done] = poll(ended)
    assert done["Result"] == "Warning" and done["FailureMessage"] == "Disk almost full" and done["EndTimeUTC"]
    assert simulator.counters()["actions"]["start"] == 1


def test_em_invalid_actions_end_in_failed_tasks(simulator):
    em = Em(simulator)
    running = simulator.job("Long Running Backup")
    ok, message = em.task_wait(em.post("/jobs/" + running["id"], action="start"))
    assert ok is False and message == 'Job "Long Running Backup" is already running.'
    backup = simulator.job(QUOTED)
    assert em.task_wait(em.post("/jobs/" + backup["id"], action="sync"))[0] is False
    copy = simulator.job("Offsite Backup Copy")
    assert em.task_wait(em.post("/jobs/" + copy["id"], action="start"))[0] is False
    assert em.task_wait(em.post("/jobs/" + copy["id"], action="sync"))[0] is True
    assert em.task_wait(em.post("/jobs/" + copy["id"], action="sync"))[0] is False   # now running
    assert em.task_wait(em.post("/jobs/" + copy["id"], action="retry"))[0] is False
    assert em.task_wait(em.post("/jobs/" + copy["id"], action="stop"))[0] is True
    success = simulator.job("Daily Backup", server="vbr-dr-01.corp.example")
    assert em.task_wait(em.post("/jobs/" + success["id"], action="retry"))[0] is False
    assert em.task_wait(em.post("/jobs/" + success["id"], action="stop"))[0] is False


def test_em_retry_stop_toggle(simulator):
    em = Em(simulator, json_mode=True)
    failed = simulator.job("File Server Backup")
    simulator.configure_job(failed["id"], duration=60)
    before = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok, _msg = em.task_wait(em.post("/jobs/" + failed["id"], action="retry"))
    assert ok is True
    flt = 'JobUid=="urn:veeam:Job:%s";IsRetry==true;State!=Stopped' % failed["id"]
    poll(lambda: em.query("BackupJobSession", flt).json()["Entities"]["BackupJobSessions"]["BackupJobSessions"])
    assert em.task_wait(em.post("/jobs/" + failed["id"], action="stop"))[0] is True
    flt = 'JobUid=="urn:veeam:Job:%s";IsRetry==true;State==Stopped;CreationTime>=%s' % (failed["id"], before)
    [stopped] = poll(lambda: em.query("BackupJobSession", flt).json()
                     ["Entities"]["BackupJobSessions"]["BackupJobSessions"])
    assert stopped["Result"] == "Failed" and stopped["FailureMessage"] == "Job has been stopped by user"
    job = simulator.job(QUOTED)
    assert em.get("/jobs/" + job["id"], format="Entity").json()["ScheduleEnabled"] is True
    resp = em.post("/jobs/" + job["id"], action="toggleScheduleEnabled")
    ok, message = em.task_wait(resp)
    assert ok is True and message == "Ok" and resp.json()["Operation"] == "UpdateJob"
    assert em.get("/jobs/" + job["id"], format="Entity").json()["ScheduleEnabled"] is False
    agent = simulator.job("Linux DB Servers", agent=True)
    resp = em.post("/agents/jobs/" + agent["id"], action="retry")
    assert resp.json()["Operation"] == "RetryAgentJob"
    assert em.task_wait(resp)[0] is True
    assert simulator.counters()["actions"] == {"start": 0, "stop": 1, "retry": 2, "sync": 0, "toggle": 1, "patch": 0,
                                               "enable": 0, "disable": 0, "quick_backup": 0}


def test_em_viewer_is_denied_and_tasks_are_per_session(simulator):
    viewer = Em(simulator, VIEWER)
    job = simulator.job(QUOTED)
    for action in ("start", "stop", "retry", "toggleScheduleEnabled"):
        resp = viewer.post("/jobs/" + job["id"], action=action)
        assert resp.status_code == 403 and ET.fromstring(resp.content).get("Message") == "Access denied."
    assert viewer.query("Job").status_code == 200
    admin = Em(simulator)
    resp = admin.post("/jobs/" + job["id"], action="toggleScheduleEnabled")
    task_id = ET.fromstring(resp.content).find(NS + "TaskId").text
    assert task_id.startswith("task-")
    assert Em(simulator).get("/tasks/" + task_id).status_code == 404
    assert admin.get("/tasks/" + task_id).status_code == 200


# --------------------------------------------------------------------------- VSPC
class Vspc(object):
    def __init__(self, sim, user=ADMIN):
        self.sim = sim
        self.http = sim.session()
        self.base = sim.vspc_url
        resp = self.http.post(self.base + "/token", data={"grant_type": "password", "username": user[0],
                                                          "password": user[1]})
        assert resp.status_code == 200, resp.text
        self.token = resp.json()
        self.headers = {"Authorization": "Bearer " + self.token["access_token"]}

    def get(self, path, **params):
        return self.http.get(self.base + path, params=params, headers=self.headers)

    def request(self, method, path, **kw):
        return self.http.request(method, self.base + path, headers=self.headers, **kw)


def test_vspc_token_refresh_and_expiry(simulator):
    vs = Vspc(simulator, TRICKY)
    tok = vs.token
    assert set(tok) == {"access_token", "token_type", "refresh_token", "expires_in", "mfa_token", "encrypted_code"}
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 3600 and tok["mfa_token"] is None
    me = vs.get("/users/me").json()["data"]
    assert me["userName"] == TRICKY[0]
    simulator.expire("vspc")
    resp = vs.get("/users/me")
    assert resp.status_code == 401 and resp.json()["errors"][0]["type"] == "security"
    resp = vs.http.post(vs.base + "/token", data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    assert resp.status_code == 200
    assert vs.http.get(vs.base + "/users/me", headers={"Authorization": "Bearer " + resp.json()["access_token"]}
                       ).status_code == 200
    again = vs.http.post(vs.base + "/token", data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    bad = vs.http.post(vs.base + "/token", data={"grant_type": "password", "username": "admin", "password": "x"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant" and bad.json()["error_description"]
    counters = simulator.counters()["vspc"]
    assert counters == {"tokens_issued": 1, "tokens_refreshed": 1, "tokens_revoked": 0, "failed_logons": 2}


def test_vspc_token_lifetime_and_revoke(make_simulator):
    sim = make_simulator("--vspc-token-lifetime", "1")
    vs = Vspc(sim)
    assert vs.token["expires_in"] == 1
    poll(lambda: vs.get("/users/me").status_code == 401 or None, timeout=10, interval=0.5)
    vs = Vspc(sim)
    other = Vspc(sim)
    uid = vs.get("/users/me").json()["data"]["instanceUid"]
    assert vs.request("DELETE", "/users/%s/tokens" % uid).status_code == 200
    assert other.get("/users/me").status_code == 401
    assert sim.counters()["vspc"]["tokens_revoked"] == 1


def test_vspc_api_key(simulator):
    http = simulator.session()
    resp = http.get(simulator.vspc_url + "/infrastructure/backupServers",
                    headers={"Authorization": "Bearer " + simulator.data()["api_key"]})
    assert resp.status_code == 200 and resp.json()["meta"]["pagingInfo"]["total"] == 3


def test_vspc_envelope_paging_and_limits(simulator):
    vs = Vspc(simulator)
    path = "/infrastructure/backupServers/jobs"
    body = vs.get(path).json()
    assert set(body) == {"data", "meta", "errors"} and body["errors"] is None
    total = body["meta"]["pagingInfo"]["total"]
    assert body["meta"]["pagingInfo"] == {"total": total, "count": total, "offset": 0}
    seen = []
    offset = 0
    while offset < total:
        page = vs.get(path, limit=4, offset=offset).json()
        assert page["meta"]["pagingInfo"]["offset"] == offset
        seen += [j["instanceUid"] for j in page["data"]]
        offset += page["meta"]["pagingInfo"]["count"]
    assert len(seen) == len(set(seen)) == total
    resp = vs.get(path, limit=501)
    assert resp.status_code == 400
    [err] = resp.json()["errors"]
    assert err["parameterName"] == "limit" and err["type"] == "logical"
    assert vs.get(path, limit=500).status_code == 200
    assert vs.get(path + "/00000000-0000-0000-0000-000000000000").status_code == 404


def test_vspc_jobs_match_em_ids_and_fields(simulator):
    vs = Vspc(simulator)
    data = simulator.data()
    by_id = dict((j["instanceUid"], j) for j in vs.get("/infrastructure/backupServers/jobs", limit=500).json()["data"])
    for job in data["jobs"]:
        item = by_id[job["id"]]
        assert item["name"] == job["name"] and item["type"] == job["vspc_type"]
        assert item["backupServerUid"] == job["server_id"]
    manual = by_id[simulator.job("Manual Test Backup")["id"]]
    assert manual["scheduleType"] == "NotScheduled"
    running = by_id[simulator.job("Long Running Backup")["id"]]
    assert running["status"] == "Running" and running["lastEndTime"] is None
    failed = by_id[simulator.job("File Server Backup")["id"]]
    assert failed["status"] == "Failed" and failed["failureMessage"]
    # 7 digits and the server's local offset, as a real VSPC writes them (README, "Real servers' quirks")
    assert failed["lastRun"].endswith("+01:00") and len(failed["lastRun"].split(".")[1]) == len("0000000+01:00")
    agents = vs.get("/infrastructure/backupServers/jobs/agentJobs", expand="BackupServerJob").json()["data"]
    assert {a["instanceUid"] for a in agents} == {j["id"] for j in data["agent_jobs"]}
    assert all(a["_embedded"]["backupServerJob"]["type"] == "AgentBackupJob" for a in agents)
    assert {a["osType"] for a in agents} == {"Linux", "Windows"}
    plain = vs.get("/infrastructure/backupServers/jobs/agentJobs").json()["data"]
    assert "_embedded" not in plain[0]
    server = data["backup_servers"][1]["id"]
    on_server = vs.get("/infrastructure/backupServers/%s/jobs" % server).json()["data"]
    assert on_server and all(j["backupServerUid"] == server for j in on_server)


def test_vspc_filter_and_sort(simulator):
    vs = Vspc(simulator)
    path = "/infrastructure/backupServers/jobs"
    flt = json.dumps([{"property": "name", "operation": "equals", "collation": "ignorecase",
                       "value": QUOTED.upper()}])
    assert [j["name"] for j in vs.get(path, filter=flt).json()["data"]] == [QUOTED]
    flt = json.dumps([{"property": "name", "operation": "equals", "value": QUOTED.upper()}])
    assert vs.get(path, filter=flt).json()["data"] == []
    flt = json.dumps([{"property": "type", "operation": "in", "value": ["BackupCopy", "ReplicationVM"]}])
    assert {j["type"] for j in vs.get(path, filter=flt).json()["data"]} == {"BackupCopy", "ReplicationVM"}
    flt = json.dumps([{"property": "name", "operation": "contains", "value": "Backup"},
                      {"property": "isEnabled", "operation": "notEquals", "value": True}])
    assert [j["name"] for j in vs.get(path, filter=flt).json()["data"]] == ["Legacy Archive Backup",
                                                                            "Manual Test Backup"]
    flt = json.dumps([{"property": "_embedded.backupServerJob.name", "operation": "equals",
                       "value": "Linux Web Servers"}])
    agents = vs.get(path + "/agentJobs", filter=flt, expand="BackupServerJob").json()
    assert agents["meta"]["pagingInfo"]["total"] == 1
    srt = json.dumps([{"property": "name", "direction": "descending"}])
    names = [j["name"] for j in vs.get(path, sort=srt, limit=500).json()["data"]]
    assert names == sorted(names, key=str.lower, reverse=True)
    assert vs.get(path, filter="not json").status_code == 400


def test_vspc_actions_and_patch(simulator):
    vs = Vspc(simulator)
    job = simulator.job("Daily Backup", server="vbr-dr-01.corp.example")
    simulator.configure_job(job["id"], duration=3)
    path = "/infrastructure/backupServers/jobs/" + job["id"]
    statuses = []
    resp = vs.request("POST", path + "/start")
    statuses.append(resp.status_code)
    assert vs.get(path).json()["data"]["status"] in ("Starting", "Running")
    resp = vs.request("POST", path + "/start")
    assert resp.status_code == 400 and resp.json()["errors"][0]["type"] == "logical"
    resp = vs.request("POST", path + "/stop")
    statuses.append(resp.status_code)
    if resp.status_code == 202:
        action = resp.headers["Location"]
        assert "/api/v3/asyncActions/" in action
        done = poll_value(lambda: vs.http.get(action, headers=vs.headers).json()["data"],
                          lambda d: d["status"] == "succeed")
        assert done["actionName"]
        assert vs.http.get(action + "/result", headers=vs.headers).status_code == 200
    assert sorted(statuses) == [200, 202]
    final = poll_value(lambda: vs.get(path).json()["data"],
                       lambda d: d["status"] not in ("Running", "Starting", "Stopping"))
    assert final["status"] == "Failed" and final["lastEndTime"]
    resp = vs.request("PATCH", path, json=[{"op": "replace", "path": "isEnabled", "value": "false"}])
    assert resp.status_code == 200 and resp.json()["data"]["isEnabled"] is False
    resp = vs.request("PATCH", path, json=[{"op": "replace", "path": "/isEnabled", "value": True}])
    assert resp.json()["data"]["isEnabled"] is True
    assert vs.request("PATCH", path, json=[{"op": "replace", "path": "/name", "value": "x"}]).status_code == 400
    viewer = Vspc(simulator, VIEWER)
    assert viewer.request("POST", path + "/start").status_code == 403
    assert viewer.request("PATCH", path, json=[{"op": "replace", "path": "/isEnabled", "value": "false"}]
                          ).status_code == 403
    assert vs.request("POST", "/infrastructure/backupServers/jobs/%s/start" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12)
                      ).status_code == 404
    assert simulator.counters()["actions"] == {"start": 2, "stop": 1, "retry": 0, "sync": 0, "toggle": 0, "patch": 3,
                                               "enable": 0, "disable": 0, "quick_backup": 0}


def test_vspc_request_id_makes_actions_idempotent(simulator):
    vs = Vspc(simulator)
    job = simulator.job("DC Replication")
    url = "/infrastructure/backupServers/jobs/%s/start" % job["id"]
    headers = dict(vs.headers, **{"X-Request-id": "6d1c1c3e-3f6b-4a59-9a4e-0d7b1d2f1a11"})
    first = vs.http.post(vs.base + url, headers=headers)
    again = vs.http.post(vs.base + url, headers=headers)
    assert first.status_code in (200, 202) and again.status_code == first.status_code
    assert again.headers.get("Location") == first.headers.get("Location")
    other = vs.http.post(vs.base + url, headers=dict(vs.headers, **{"X-Request-id": "another"}))
    assert other.status_code == 400
    counters = simulator.counters()
    assert counters["actions"]["start"] == 2
    assert counters["requests"]["POST /api/v3/infrastructure/backupServers/jobs/{id}/start"] == 3


def test_same_job_state_on_both_apis(simulator):
    job = simulator.job("Windows Workstations", agent=True)
    em = Em(simulator, json_mode=True)
    entity = em.get("/agents/jobs/" + job["id"], format="Entity").json()
    vs = Vspc(simulator)
    item = vs.get("/infrastructure/backupServers/jobs/" + job["id"]).json()["data"]
    assert entity["Name"] == item["name"] and entity["ScheduleEnabled"] == item["isEnabled"]
    em.post("/agents/jobs/" + job["id"], action="toggleScheduleEnabled")
    assert vs.get("/infrastructure/backupServers/jobs/" + job["id"]).json()["data"]["isEnabled"] is False


# --------------------------------------------------------------------------- faults, counters, log
def test_faults_em_and_vspc(simulator):
    em = Em(simulator)
    simulator.fault(api="em", method="GET", path_prefix="/api/query", status=503, count=2, retry_after=2)
    for attempt in range(2):
        resp = em.get("/query", type="Job")
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
        assert ET.fromstring(resp.content).get("Status") == "ServiceUnavailable"
    assert em.get("/query", type="Job").status_code == 200
    vs = Vspc(simulator)
    simulator.fault(api="vspc", path_prefix="/api/v3/infrastructure", status=429, retry_after=3)
    resp = vs.get("/infrastructure/backupServers")
    assert resp.status_code == 429
    assert resp.json() == {"errors": [{"type": "transport", "code": 429, "retryAfter": 3}]}
    simulator.fault(api="vspc", status=503)
    resp = vs.get("/infrastructure/backupServers")
    assert resp.status_code == 520 and resp.json()["errors"][0]["code"] == 503
    simulator.fault(api="any", path_prefix="/api/v3/users", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        vs.http.get(vs.base + "/users/me", headers=vs.headers)
    simulator.fault(api="vspc", latency=0.5)
    started = time.monotonic()
    assert vs.get("/users/me").status_code == 200
    assert time.monotonic() - started >= 0.5
    simulator.fault(api="em", status=500, count=5)
    simulator.clear_faults()
    assert em.get("/backupServers").status_code == 200
    counters = simulator.counters()
    assert counters["requests"]["GET /api/query"] == 3
    assert counters["requests"]["GET /api/v3/infrastructure/backupServers"] == 2
    assert counters["requests"]["GET /api/v3/users/me"] == 2


def test_vspc_async_get_fault(simulator):
    vs = Vspc(simulator)
    simulator.fault(api="vspc", method="GET", path_prefix="/api/v3/infrastructure/backupServers", **{"async": True})
    resp = vs.get("/infrastructure/backupServers", limit=2)
    assert resp.status_code == 202
    location = resp.headers["Location"]
    action = poll_value(lambda: vs.http.get(location, headers=vs.headers).json()["data"],
                        lambda d: d["status"] == "succeed")
    assert action["queryParameters"] == {"limit": "2"}
    result = vs.http.get(location + "/result", headers=vs.headers).json()
    assert result["meta"]["pagingInfo"] == {"total": 3, "count": 2, "offset": 0} and len(result["data"]) == 2
    assert vs.get("/infrastructure/backupServers").status_code == 200


def test_counters_log_and_reset(simulator):
    em = Em(simulator)
    job = simulator.job(QUOTED)
    em.post("/jobs/" + job["id"], action="toggleScheduleEnabled")
    em.get("/jobs/" + job["id"], format="Entity")
    counters = simulator.counters()
    assert counters["requests"] == {"POST /api/sessionMngr": 1, "POST /api/jobs/{id}": 1, "GET /api/jobs/{id}": 1}
    assert counters["requests_total"] == 3
    log = simulator.log()
    assert [(e["method"], e["path"]) for e in log] == [("POST", "/api/sessionMngr/"), ("POST", "/api/jobs/" + job["id"]),
                                                       ("GET", "/api/jobs/" + job["id"])]
    assert log[0]["headers"]["Authorization"].startswith("Basic ")
    assert log[1]["query"] == "action=toggleScheduleEnabled"
    assert simulator.job(QUOTED)["schedule_enabled"] is False
    simulator.reset()
    assert simulator.counters()["requests_total"] == 0 and simulator.log() == []
    again = simulator.job(QUOTED)
    assert again["schedule_enabled"] is True and again["id"] == job["id"]
    assert em.get("/backupServers").status_code == 401


def test_control_running_and_users(simulator):
    job = simulator.job("Linux Web Servers", agent=True)
    assert simulator.configure_job(job["id"], running=True)["running"] is True
    assert simulator.job("Linux Web Servers", agent=True)["running"] is True
    simulator.add_user("ops\u00e9", "s3cr:t", role="readonly")
    em = Em(simulator, ("ops\u00e9", "s3cr:t"))
    assert em.post("/agents/jobs/" + job["id"], action="stop").status_code == 403


def test_scaled_simulator_starts_quickly(scaled_simulator):
    started = time.monotonic()
    sim = scaled_simulator(5000)
    assert time.monotonic() - started < 30
    em = Em(sim)
    paging = ET.fromstring(em.query("Job", format="References", pageSize=500).content).find(NS + "PagingInfo")
    assert int(paging.get("PagesCount")) == 11
    vs = Vspc(sim)
    assert vs.get("/infrastructure/backupServers/jobs/agentJobs").json()["meta"]["pagingInfo"]["total"] == 5006


def test_keep_alive_and_concurrency(simulator):
    ctx = ssl.create_default_context(cafile=simulator.ca_path)
    conn = http.client.HTTPSConnection(simulator.host, simulator.vspc_port, context=ctx, timeout=30)
    body = "grant_type=password&username=admin&password=Simulator-Pass1"
    conn.request("POST", "/api/v3/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    token = json.loads(resp.read())["access_token"]
    sock = conn.sock
    for attempt in range(20):
        conn.request("GET", "/api/v3/infrastructure/backupServers", headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["meta"]["pagingInfo"]["total"] == 3
        assert conn.sock is sock, attempt   # the same connection is reused
    conn.close()

    errors = []

    def worker():
        try:
            em = Em(simulator)
            for page in range(1, 6):
                assert em.query("Job", pageSize=5, page=page).status_code == 200
            assert em.logoff().status_code == 204
        except Exception as exc:   # collected and reported by the main thread
            errors.append(exc)
    threads = [threading.Thread(target=worker) for dummy in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert simulator.counters()["em"] == {"logons": 24, "failed_logons": 0, "logoffs": 24, "open_sessions": 0}
