# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's machines (VMs and Veeam Agent computers): restore points, task sessions and Quick Backup on
EM, VBR and VSPC, as the shared contract (SPEC-machines-world.md) and Veeam's documents describe them.

EM XML is validated against Veeam's RestAPI.xsd (the 9.x copy in tests/veeamsim/schema) with the two
amendments the v13 documents need (see `amended_xsd`); every VBR answer is validated by the simulator itself
against the document of its revision, and conftest fails a test after which a violation was recorded.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import time
import xml.etree.ElementTree as ET

import pytest

from ansible_run import wait_for

NS = "{http://www.veeam.com/ent/v1.0}"
XSD_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "veeamsim", "schema",
                        "em-RestAPI.xsd")
ADMIN = ("admin", "Simulator-Pass1")
VIEWER = ("viewer", "Viewer-Pass1")
OPERATOR = ("operator", "Operator-Pass1")
PROD = "vbr-prod-01.corp.example"
DR = "vbr-dr-01.corp.example"
SAUVEGARDE = "Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller"
REVISIONS = ["1.2-rev1", "1.3-rev1", "1.3-rev2"]
# name: (kind, platform, server, jobs) as the contract's table has them (newvm01: see README, Interpretations)
WORLD = {
    "web01": ("vm", "VMware", PROD, ["Daily Backup"]),
    "web02": ("vm", "VMware", PROD, ["Daily Backup"]),
    "app01": ("vm", "VMware", PROD, ["Daily Backup", SAUVEGARDE]),
    "mail01": ("vm", "VMware", PROD, ['Exchange "Mail" Backup']),
    "sql01": ("vm", "HyperV", PROD, ["SQL Server; Nightly, Full"]),
    "fs01": ("vm", "HyperV", PROD, ["File Server Backup"]),
    "legacy01": ("vm", "VMware", PROD, ["Legacy Archive Backup"]),
    "bigdata01": ("vm", "VMware", PROD, ["Long Running Backup"]),
    "Print Server 2": ("vm", "VMware", PROD, ["Daily Backup"]),
    "dc01.corp.example": ("vm", "VMware", PROD, ["Daily Backup"]),
    "db01": ("vm", "VMware", PROD, ["Daily Backup"]),
    "DB01": ("vm", "HyperV", DR, ["Daily Backup"]),
    "newvm01": ("vm", "HyperV", PROD, ["Manual Test Backup"]),
    "lnx-web01.corp.example": ("computer", "LinuxPhysical", PROD, ["Linux Web Servers"]),
    "lnx-db01.corp.example": ("computer", "LinuxPhysical", PROD, ["Linux DB Servers"]),
    "winfs01": ("computer", "WindowsPhysical", PROD, ["Windows File Server Agent"]),
    "ws-0001": ("computer", "WindowsPhysical", PROD, ["Windows Workstations"]),
    "rhel-node1.corp.example": ("computer", "LinuxPhysical", DR, ["RHEL Cluster Agent"]),
}
DAILY_NOW = {"web01", "web02", "Print Server 2", "dc01.corp.example", "db01"}   # app01 is excluded from it
# the backup objects each revision shows (its BackupObjectModel maps these platforms)
VBR_OBJECTS = {
    "1.2-rev1": {"web01", "web02", "app01", "mail01", "legacy01", "bigdata01", "Print Server 2", "dc01.corp.example",
                 "db01"},
}
VBR_OBJECTS["1.3-rev1"] = VBR_OBJECTS["1.2-rev1"] | {"lnx-web01.corp.example", "lnx-db01.corp.example"}
VBR_OBJECTS["1.3-rev2"] = VBR_OBJECTS["1.3-rev1"] | {"sql01", "fs01", "winfs01", "ws-0001"}
HOUR = 3600.0


# --------------------------------------------------------------------------- helpers
def parse_time(text):
    """EM (`...23.5Z`, `...23.505Z`, `...23.505136Z`), VBR (`...23.505+01:00`) and VSPC (`...23.5051360+01:00`) times."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def same_time(one_text, other_text):
    """Equal to the millisecond (EM and the control API write milliseconds, VBR and VSPC more)."""
    return abs((parse_time(one_text) - parse_time(other_text)).total_seconds()) < 0.001


def age_hours(text):
    return (datetime.datetime.now(datetime.timezone.utc) - parse_time(text)).total_seconds() / HOUR


def machine(sim, name):
    return sim.http.get(sim.control_url + "/machines/" + name.replace(" ", "%20"), timeout=60).json()


def machines_by_name(sim):
    found = {}
    for item in sim.data()["machines"]:
        found.setdefault(item["name"], []).append(item)
    return found


def one(sim, name):
    [found] = [item for item in sim.data()["machines"] if item["name"] == name]
    return found


@pytest.fixture(scope="module")
def amended_xsd():
    """Veeam's 9.x RestAPI.xsd, amended where Veeam's later documents and their own examples disagree with it:
    - UrnType allows a dot in its last part: every HierarchyObjRef the EM docs show has one
      (urn:VMware:Vm:<HierarchyRootId>.vm-80225; "Constructing HierarchyObjRefType"), which the 9.x pattern refuses;
    - BackupTaskSessionEntityType ends with an optional VmUid (v13 docs, get_backuptasksessions_id)."""
    xmlschema = pytest.importorskip("xmlschema")
    with open(XSD_PATH, encoding="utf-8-sig") as handle:
        text = handle.read()
    pattern = '<xs:pattern value="urn\\:[a-zA-Z_0-9\\-]+\\:[a-zA-Z_0-9\\-]+\\:[a-zA-Z_0-9\\-]+" />'
    assert text.count(pattern) == 1
    text = text.replace(pattern, pattern.replace("[a-zA-Z_0-9\\-]+\" />", "[a-zA-Z_0-9\\-\\.]+\" />"))
    total = '          <xs:element name="TotalSize" type="long" />\n'
    start = text.index('<xs:complexType name="BackupTaskSessionEntityType">')
    at = text.index(total, start) + len(total)
    text = text[:at] + ('          <xs:element name="VmUid" type="HierarchyObjRefType" minOccurs="0" '
                        'maxOccurs="1" />\n') + text[at:]
    return xmlschema.XMLSchema(text, base_url=os.path.dirname(XSD_PATH))


@pytest.fixture(scope="module")
def plain_xsd():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(XSD_PATH)


class Em(object):
    def __init__(self, sim, user=ADMIN, json_mode=True):
        self.sim = sim
        self.http = sim.session()
        self.base = sim.em_url
        auth = "Basic " + base64.b64encode(("%s:%s" % user).encode("utf-8")).decode("ascii")
        resp = self.http.post(self.base + "/sessionMngr/?v=latest", headers={"Authorization": auth})
        assert resp.status_code == 201, resp.text
        self.http.cookies.clear()
        self.headers = {"X-RestSvcSessionId": resp.headers["X-RestSvcSessionId"]}
        if json_mode:
            self.headers["Accept"] = "application/json"

    def get(self, path, **params):
        return self.http.get(self.base + path, params=params, headers=self.headers)

    def url(self, href, **params):
        resp = self.http.get(href, params=params, headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def query(self, qtype, filter_=None, **params):
        params = dict(params, type=qtype, format=params.get("format", "Entities"))
        if filter_ is not None:
            params["filter"] = filter_
        resp = self.get("/query", **params)
        assert resp.status_code == 200, resp.text
        return resp

    def items(self, qtype, filter_=None, **params):
        bucket = {"VmRestorePoint": "VmRestorePoints", "AgentRestorePoint": "AgentRestorePoints",
                  "BackupTaskSession": "BackupTaskSessions"}[qtype]
        body = self.query(qtype, filter_, **params).json()
        return body["Entities"][bucket][bucket]

    def quick_backup(self, server_id, ref=None, body=None, content_type="application/json"):
        if body is None:
            body = json.dumps({"VmRef": ref})
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        return self.http.post(self.base + "/backupServers/" + server_id, params={"action": "quickbackup"},
                              data=body.encode("utf-8"), headers=headers)

    def task(self, resp):
        """The finished Task of an action's 202 answer."""
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["TaskId"]
        return wait_for(lambda: self.get("/tasks/" + task_id).json(), lambda task: task["State"] == "Finished")


class Vbr(object):
    """A VBR REST API client of one revision, logged on with a password grant."""

    def __init__(self, sim, revision="1.3-rev2", user=ADMIN):
        self.sim = sim
        self.http = sim.session()
        self.root = sim.vbr_url[:-len("/api/v1")]
        self.revision = revision
        resp = self.http.post(self.root + "/api/oauth2/token", headers={"x-api-version": revision},
                              data={"grant_type": "password", "username": user[0], "password": user[1]})
        assert resp.status_code == 200, resp.text
        self.headers = {"x-api-version": revision, "Authorization": "Bearer " + resp.json()["access_token"]}

    def get(self, path, params=None):
        return self.http.get(self.root + path, params=params, headers=self.headers)

    def ok(self, path, params=None):
        resp = self.get(path, params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def post(self, path, body):
        return self.http.post(self.root + path, json=body, headers=self.headers)

    def objects(self, **params):
        return self.ok("/api/v1/backupObjects", dict(params, limit=params.get("limit", 1000)))["data"]

    def object_named(self, name):
        [found] = [item for item in self.objects(nameFilter=name) if item["name"] == name]
        return found

    def vsphere_body(self, obj):
        """A VmwareObjectModel built from a backup object, as the contract says (no inventory browsing)."""
        return {"type": "VirtualMachine", "name": obj["name"], "objectId": obj["objectId"],
                "hostName": obj["path"].split("\\")[0], "platform": "VMware" if self.revision == "1.2-rev1" else "VSphere"}


class Vspc(object):
    def __init__(self, sim):
        self.http = sim.session()
        self.base = sim.vspc_url
        self.headers = {"Authorization": "Bearer " + sim.data()["api_key"]}

    def get(self, path, **params):
        for key in ("filter", "sort"):
            if key in params and not isinstance(params[key], str):
                params[key] = json.dumps(params[key])
        resp = self.http.get(self.base + path, params=params, headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()


def name_filter(name, collation="ignorecase", prop="name"):
    return [{"property": prop, "operation": "equals", "collation": collation, "value": name}]


# --------------------------------------------------------------------------- the world
def test_world_machines_and_their_states(simulator):
    found = machines_by_name(simulator)
    assert set(found) == set(WORLD)
    for name, (kind, platform, server, jobs) in WORLD.items():
        [item] = found[name]
        assert (item["kind"], item["platform"], item["server_name"], item["jobs"]) == (kind, platform, server, jobs), name
    everything = [item for items in found.values() for item in items]
    assert len({item["id"] for item in everything}) == len(everything)
    fresh = ["web01", "web02", "Print Server 2", "dc01.corp.example", "db01", "mail01", "sql01",
             "lnx-web01.corp.example", "rhel-node1.corp.example", "ws-0001", "DB01"]
    for name in fresh:
        [item] = found[name]
        # under a day, but for the minutes after a job's daily start while its run goes on (README, Data set)
        assert age_hours(item["latest_restore_point"]) < 24.5, (name, item["latest_restore_point"])
        assert item["restore_points"] >= 35, item     # daily points for six weeks
    [app] = found["app01"]
    assert app["latest_restore_point_job"] == SAUVEGARDE and app["excluded_from"] == ["Daily Backup"]
    [legacy] = found["legacy01"]
    # its newest point is the run at 03:00 UTC eleven days back: 11 days, less 3 hours to plus 21, by the time of day
    assert 10.5 * 24 < age_hours(legacy["latest_restore_point"]) < 12 * 24
    [new] = found["newvm01"]
    assert (new["restore_points"], new["latest_restore_point"], new["last_result"]) == (0, None, None)
    for name in ("fs01", "lnx-db01.corp.example"):
        [item] = found[name]
        assert item["last_result"] == "Failed" and item["last_message"].startswith("Error: "), item
        assert 20 < age_hours(item["latest_restore_point"]) < 80, item
    for name in ("mail01", "ws-0001"):
        [item] = found[name]
        assert item["last_result"] == "Warning" and item["last_message"].startswith("Warning: "), item
    for name in ("bigdata01", "winfs01"):
        [item] = found[name]
        assert item["running"] is True and item["last_result"] == "None", item
        assert age_hours(item["latest_restore_point"]) < 30
    ids = {item["name"]: item["id"] for item in everything}
    simulator.reset()
    assert {item["name"]: item["id"] for item in simulator.data()["machines"]} == ids


def test_control_machine_outcome_and_lookup(simulator):
    http = simulator.http
    web01 = one(simulator, "web01")
    assert machine(simulator, web01["id"])["name"] == "web01"
    assert machine(simulator, "Print Server 2")["name"] == "Print Server 2"
    assert machine(simulator, "db01")["platform"] == "VMware" and machine(simulator, "DB01")["platform"] == "HyperV"
    assert http.get(simulator.control_url + "/machines/nope").status_code == 404
    resp = http.post(simulator.control_url + "/machines/web01", json={"outcome": "Failed", "failure_message": "x"})
    assert resp.status_code == 200 and resp.json()["outcome"] == "Failed" and resp.json()["failure_message"] == "x"
    assert http.post(simulator.control_url + "/machines/web01", json={"outcome": "Maybe"}).status_code == 400
    assert http.post(simulator.control_url + "/machines/web01", json={"outcome": "Success"}).json()["outcome"] == "Success"
    http.post(simulator.control_url + "/machines/web01", json={"outcome": "Warning"})
    simulator.reset()
    assert machine(simulator, "web01")["outcome"] == "Success"


def test_control_added_machines(simulator):
    http = simulator.http
    before = machines_by_name(simulator)
    resp = http.post(simulator.control_url + "/machines", json={"name": "patch-host-01", "job": "Daily Backup",
                                                                "server": PROD})
    assert resp.status_code == 200, resp.text
    added = resp.json()
    described = (added["kind"], added["platform"], added["server_name"], added["jobs"])
    assert described == ("vm", "VMware", PROD, ["Daily Backup"])
    # every past run backed it up, as it did the job's other machines; a retry runs again only the machine that
    # failed or warned, so a machine of the job may have a point or two more, but not every one of them
    others = [before[name][0]["restore_points"] for name in ("web01", "web02", "Print Server 2", "dc01.corp.example",
                                                             "db01")]
    assert added["restore_points"] >= min(others) and added["last_result"] == "Success", (added, others)
    after = machines_by_name(simulator)
    assert all(after[name] == items for name, items in before.items())     # nobody else's history changed
    computer = http.post(simulator.control_url + "/machines", json={"name": "patch-lnx-01",
                                                                    "job": "Linux Web Servers"}).json()
    assert computer["kind"] == "computer" and computer["platform"] == "LinuxPhysical" and computer["restore_points"]
    fresh = http.post(simulator.control_url + "/machines", json={"name": "patch-new-01", "job": "Daily Backup",
                                                                 "server": PROD, "backed_up": False}).json()
    assert fresh["restore_points"] == 0
    em = Em(simulator)
    assert len(em.items("VmRestorePoint", 'VmDisplayName=="PATCH-HOST-01"', pageSize=1000)) == added["restore_points"]
    assert em.items("AgentRestorePoint", 'ComputerName=="patch-lnx-01"', pageSize=1)
    assert Vbr(simulator).object_named("patch-host-01")["id"] == added["id"]
    for bad in ({"name": "x", "job": "Daily Backup"}, {"name": "x", "job": "DC Replication"},
                {"name": "web01", "job": "Daily Backup", "server": PROD}, {"job": "Daily Backup"}):
        assert http.post(simulator.control_url + "/machines", json=bad).status_code == 400, bad
    simulator.reset()
    assert set(machines_by_name(simulator)) == set(WORLD)


# --------------------------------------------------------------------------- EM
def test_em_vm_restore_points_newest_first(simulator, amended_xsd, plain_xsd):
    em = Em(simulator)
    web01 = one(simulator, "web01")
    points = em.items("VmRestorePoint", 'VmDisplayName=="WEB01"', sortDesc="CreationTime", pageSize=1000)
    assert len(points) == web01["restore_points"]
    times = [parse_time(point["CreationTimeUTC"]) for point in points]
    assert times == sorted(times, reverse=True) and points[0]["CreationTimeUTC"] == web01["latest_restore_point"]
    newest = points[0]
    assert newest["VmDisplayName"] == newest["VmName"] == "web01" and newest["HierarchyObjRef"] == web01["em_ref"]
    assert newest["Name"] == "web01@" + times[0].strftime("%Y-%m-%d %H:%M:%S")
    assert newest["UID"].startswith("urn:veeam:VmRestorePoint:") and newest["Type"] == "VmRestorePoint"
    ups = [(link["Type"], link["Name"]) for link in newest["Links"] if link["Rel"] == "Up"]
    assert ("BackupServerReference", PROD) in ups and "RestorePointReference" in [kind for kind, _name in ups]
    assert points[-1]["PointType"] == "Full" and points[-1]["Algorithm"] == "Full"     # the chain's first point
    for point in points:
        sunday = parse_time(point["CreationTimeUTC"]).weekday() == 6
        assert (point["PointType"] == "Full") == (sunday or point is points[-1]), point["CreationTimeUTC"]
        assert point["Algorithm"] == ("Full" if point["PointType"] == "Full" else "Incremental")
    fulls = em.items("VmRestorePoint", 'VmDisplayName==web01;Type==Full', pageSize=1000)
    assert len(fulls) == sum(1 for point in points if point["PointType"] == "Full") >= 6
    since = times[2].strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = em.items("VmRestorePoint", 'VmDisplayName=="web01";CreationTime>="%s"' % since)
    assert len(recent) == 3
    page = em.query("VmRestorePoint", 'VmDisplayName=="web01"', sortDesc="CreationTime", pageSize=1).json()
    assert page["PagingInfo"]["PagesCount"] == web01["restore_points"]
    by_id = em.get("/vmRestorePoints/" + newest["UID"].rsplit(":", 1)[1], format="Entity").json()
    assert by_id["UID"] == newest["UID"] and by_id["CreationTimeUTC"] == newest["CreationTimeUTC"]
    xml = Em(simulator, json_mode=False)
    for fmt in ("Entities", "References"):
        text = xml.query("VmRestorePoint", 'VmDisplayName=="web01"', format=fmt, pageSize=5).text
        amended_xsd.validate(text)
    text = xml.query("VmRestorePoint", 'VmDisplayName=="sql01"', pageSize=5).text
    amended_xsd.validate(text)
    assert ".vm-" not in text and ("urn:Hyperv:Vm:" in text)
    errors = list(plain_xsd.iter_errors(xml.query("VmRestorePoint", 'VmDisplayName=="web01"', pageSize=5).text))
    assert errors and {error.path.rsplit("/", 1)[-1] for error in errors} == {"HierarchyObjRef"}


def test_em_names_case_fqdn_spaces_and_servers(simulator):
    em = Em(simulator)
    both = em.items("VmRestorePoint", 'VmDisplayName=="db01"', pageSize=1000)
    servers = {[link["Name"] for link in point["Links"] if link["Type"] == "BackupServerReference"][0] for point in both}
    assert {point["VmName"] for point in both} == {"db01", "DB01"} and servers == {PROD, DR}   # EM sees every server
    prod_only = em.items("VmRestorePoint", 'VmDisplayName=="db01";BackupServerName=="%s"' % PROD, pageSize=1000)
    assert {point["VmName"] for point in prod_only} == {"db01"}
    assert em.items("VmRestorePoint", 'VmDisplayName=="dc01.corp.example"', pageSize=1)
    assert em.items("VmRestorePoint", 'VmDisplayName=="dc01"', pageSize=1) == []     # no shortening on the server
    spaced = em.items("VmRestorePoint", 'VmDisplayName=="Print Server 2"', sortDesc="CreationTime", pageSize=1)
    assert spaced[0]["VmDisplayName"] == "Print Server 2"
    assert em.items("VmRestorePoint", 'VmDisplayName=="newvm01"') == []
    assert em.items("BackupTaskSession", 'VmDisplayName=="newvm01"') == []
    tasks = em.items("BackupTaskSession", 'VmDisplayName=="app01"', sortDesc="CreationTime", pageSize=1000)
    names = {task["Links"][1]["Name"].split("@")[0] for task in tasks}
    assert names == {"Daily Backup", SAUVEGARDE}          # app01 in two jobs (Daily Backup's runs are older)
    assert tasks[0]["Links"][1]["Name"].startswith(SAUVEGARDE)


def test_em_agent_restore_points(simulator):
    em = Em(simulator)
    data = one(simulator, "lnx-web01.corp.example")
    points = em.items("AgentRestorePoint", 'ComputerName=="LNX-WEB01.corp.example"', sortDesc="CreationTime",
                      pageSize=1000)
    assert len(points) == data["restore_points"] and points[0]["CreationTimeUTC"] == data["latest_restore_point"]
    newest = points[0]
    assert list(newest)[:3] == ["CreationTimeUTC", "Algorithm", "PointType"] and "VmName" not in newest
    assert newest["Name"].startswith("lnx-web01.corp.example@") and newest["UID"].startswith("urn:veeam:AgentRestorePoint:")
    assert em.items("AgentRestorePoint", 'ComputerName=="lnx-web01"') == []
    dr = em.items("AgentRestorePoint", 'ComputerName=="rhel-node1.corp.example"', pageSize=1)
    assert [link["Name"] for link in dr[0]["Links"] if link["Type"] == "BackupServerReference"] == [DR]
    by_job = em.items("AgentRestorePoint", 'BackupName=="Windows Workstations"', pageSize=1000)
    assert {point["Name"].split("@")[0] for point in by_job} == {"ws-0001"}
    assert em.get("/agents/agentRestorePoints/" + newest["UID"].rsplit(":", 1)[1], format="Entity").json() == newest
    xml = Em(simulator, json_mode=False).query("AgentRestorePoint", 'ComputerName=="ws-0001"', pageSize=2)
    root = ET.fromstring(xml.content)
    assert len(root.findall("%sEntities/%sAgentRestorePoints/%sAgentRestorePoint" % (NS, NS, NS))) == 2


def test_em_task_sessions_results_and_messages(simulator, amended_xsd):
    em = Em(simulator)
    data = machines_by_name(simulator)
    for name in ("mail01", "fs01", "ws-0001", "lnx-db01.corp.example"):
        [item] = data[name]
        [task] = em.items("BackupTaskSession", 'VmDisplayName=="%s"' % name, sortDesc="CreationTime", pageSize=1)
        assert task["Result"] == item["last_result"] and task["Reason"] == item["last_message"], task
        assert task["State"] == "Completed" and task["VmDisplayName"] == name
        session = em.url(task["Links"][1]["Href"], format="Entity")
        assert session["UID"] == task["JobSessionUid"] and session["JobName"] == item["jobs"][0]
        assert session["Result"] == task["Result"]      # the job run's result is its worst task's
    [fs] = em.items("BackupTaskSession", 'VmDisplayName=="fs01";Result==Failed', sortDesc="CreationTime", pageSize=1)
    assert fs["VmUid"] == data["fs01"][0]["em_ref"] and fs["TotalSize"] == 0
    assert "Related" not in [link["Rel"] for link in fs["Links"]]          # a failed task made no restore point
    [ok] = em.items("BackupTaskSession", 'VmDisplayName=="web01"', sortDesc="CreationTime", pageSize=1)
    related = [link for link in ok["Links"] if link["Rel"] == "Related"][0]
    assert related["Type"] == "VmRestorePoint" and em.url(related["Href"])["CreationTimeUTC"] == \
        data["web01"][0]["latest_restore_point"]
    [running] = em.items("BackupTaskSession", 'VmDisplayName=="bigdata01"', sortDesc="CreationTime", pageSize=1)
    assert running["State"] == "InProgress" and running["Result"] == "None" and running["EndTimeUTC"] is None
    failed = em.items("BackupTaskSession", 'Result==Failed;JobName=="Daily Backup"', pageSize=1000)
    assert all(task["Result"] == "Failed" and task["Reason"] for task in failed)
    everything = em.items("BackupTaskSession", pageSize=10000, sortAsc="CreationTime")
    assert 29 * 24 < age_hours(everything[0]["CreationTimeUTC"]) <= 30 * 24      # EM keeps 30 days of sessions
    in_run = em.get(ok["Links"][1]["Href"].split("/api", 1)[1] + "/taskSessions").json()["Refs"]
    assert {ref["Name"].split("@")[0] for ref in in_run} == DAILY_NOW
    xml = Em(simulator, json_mode=False)
    for name in ("web01", "ws-0001", "bigdata01"):
        for fmt in ("Entities", "References"):
            amended_xsd.validate(xml.query("BackupTaskSession", 'VmDisplayName=="%s"' % name, format=fmt,
                                           pageSize=3).text)
    amended_xsd.validate(xml.get("/backupTaskSessions/" + ok["UID"].rsplit(":", 1)[1], format="Entity").text)


def test_em_quick_backup_task_related_session_and_new_point(simulator, amended_xsd):
    em = Em(simulator)
    daily = simulator.job("Daily Backup", server=PROD)
    simulator.configure_job(daily["id"], duration=1)
    web01 = one(simulator, "web01")
    web02_before = one(simulator, "web02")["restore_points"]
    started = datetime.datetime.now(datetime.timezone.utc)
    resp = em.quick_backup(web01["server_id"], web01["em_ref"])
    assert resp.status_code == 202 and resp.json()["Operation"] == "QuickBackup" and resp.json()["State"] == "Running"
    task = em.task(resp)
    assert task["Result"] == {"Message": "Ok", "Success": True}
    [related] = [link for link in task["Links"] if link["Rel"] == "Related"]
    assert related["Type"] == "BackupJobSession" and related["Href"].endswith("?format=Entity")
    session = em.url(related["Href"])
    assert session["JobName"] == "Daily Backup" and session["JobUid"] == daily["uid"]
    done = wait_for(lambda: em.url(related["Href"]), lambda sess: sess["State"] == "Stopped")
    assert done["Result"] == "Success"
    newest = wait_for(lambda: em.items("VmRestorePoint", 'VmDisplayName=="web01"', sortDesc="CreationTime", pageSize=1),
                      lambda found: parse_time(found[0]["CreationTimeUTC"]) > started)[0]
    assert newest["PointType"] == "Increment" and parse_time(newest["CreationTimeUTC"]) >= parse_time(
        done["EndTimeUTC"])
    in_run = em.get(related["Href"].split("/api", 1)[1].split("?")[0] + "/taskSessions").json()["Refs"]
    assert [ref["Name"].split("@")[0] for ref in in_run] == ["web01"]      # the run processed web01 only
    assert one(simulator, "web01")["restore_points"] == web01["restore_points"] + 1
    assert one(simulator, "web02")["restore_points"] == web02_before
    # XML body; app01 is backed up by the job that made its newest point
    app01 = one(simulator, "app01")
    simulator.configure_job(simulator.job(SAUVEGARDE)["id"], duration=1)
    body = ('<?xml version="1.0" encoding="utf-8"?><QuickBackupStartupSpec xmlns="http://www.veeam.com/ent/v1.0">'
            '<VmRef>%s</VmRef></QuickBackupStartupSpec>' % app01["em_ref"])
    xml = Em(simulator, json_mode=False)
    resp = xml.quick_backup(app01["server_id"], body=body, content_type="application/xml")
    assert resp.status_code == 202
    amended_xsd.validate(resp.text)
    task_id = ET.fromstring(resp.content).find(NS + "TaskId").text
    finished = wait_for(lambda: xml.get("/tasks/" + task_id), lambda r: b"<State>Finished</State>" in r.content)
    amended_xsd.validate(finished.text)
    href = [link.get("Href") for link in ET.fromstring(finished.content).iter(NS + "Link") if link.get("Rel") == "Related"][0]
    assert em.url(href)["JobName"] == SAUVEGARDE
    counters = simulator.counters()
    assert counters["actions"]["quick_backup"] == 2 and counters["actions"]["start"] == 0
    assert counters["requests"]["POST /api/backupServers/{id}"] == 2


def test_em_quick_backup_failing_machine_refusals_and_roles(simulator):
    em = Em(simulator)
    simulator.configure_job(simulator.job("Daily Backup", server=PROD)["id"], duration=1)
    web02 = one(simulator, "web02")
    simulator.http.post(simulator.control_url + "/machines/web02", json={"outcome": "Failed",
                                                                         "failure_message": "Error: disk 2 is gone"})
    task = em.task(em.quick_backup(web02["server_id"], web02["em_ref"]))
    assert task["Result"]["Success"] is True           # the run starts; it is the run that fails
    href = [link["Href"] for link in task["Links"] if link["Rel"] == "Related"][0]
    done = wait_for(lambda: em.url(href), lambda sess: sess["State"] == "Stopped")
    assert done["Result"] == "Failed" and done["FailureMessage"] == "Error: disk 2 is gone"
    [last] = em.items("BackupTaskSession", 'VmDisplayName=="web02"', sortDesc="CreationTime", pageSize=1)
    assert (last["Result"], last["Reason"], last["JobSessionUid"]) == ("Failed", "Error: disk 2 is gone", done["UID"])
    assert one(simulator, "web02")["restore_points"] == web02["restore_points"]      # no point
    simulator.http.post(simulator.control_url + "/machines/web02", json={"outcome": "Success"})
    task = em.task(em.quick_backup(web02["server_id"], web02["em_ref"]))
    href = [link["Href"] for link in task["Links"] if link["Rel"] == "Related"][0]
    assert wait_for(lambda: em.url(href), lambda sess: sess["State"] == "Stopped")["Result"] == "Success"
    wait_for(lambda: one(simulator, "web02")["restore_points"], lambda count: count == web02["restore_points"] + 1)
    refusals = {"newvm01": "no restore point", "bigdata01": "already running"}
    for name, words in refusals.items():
        item = one(simulator, name)
        task = em.task(em.quick_backup(item["server_id"], item["em_ref"]))
        assert task["Result"]["Success"] is False and words in task["Result"]["Message"], task
        assert "Related" not in [link["Rel"] for link in task["Links"]]
    other = one(simulator, "DB01")
    task = em.task(em.quick_backup(one(simulator, "db01")["server_id"], other["em_ref"]))
    assert task["Result"]["Success"] is False and "not found" in task["Result"]["Message"]
    assert simulator.counters()["actions"]["quick_backup"] == 5
    server = web02["server_id"]
    bad = [(json.dumps({"VmRef": web02["em_ref"]}), None), (json.dumps({}), "application/json"),
           (json.dumps({"VmRef": [web02["em_ref"], other["em_ref"]]}), "application/json"),
           (json.dumps({"VmRef": "web02"}), "application/json"), ("<QuickBackupStartupSpec/>", "application/xml")]
    for body, ctype in bad:
        resp = em.quick_backup(server, body=body, content_type=ctype)
        assert resp.status_code == 400 and resp.json()["StatusCode"] == 400, body
    for user in (VIEWER, OPERATOR):
        resp = Em(simulator, user).quick_backup(server, web02["em_ref"])
        assert resp.status_code == 403, user
    counters = simulator.counters()["actions"]
    assert counters["quick_backup"] == 5 + len(bad) and counters["start"] == 0   # 403s are not counted
    server_entity = em.get("/backupServers/" + server, format="Entity").json()
    assert [link["Href"] for link in server_entity["Links"] if link["Rel"] == "QuickBackup"] == [
        simulator.em_url + "/backupServers/%s?action=quickbackup" % server]


# --------------------------------------------------------------------------- VBR
@pytest.mark.parametrize("revision", REVISIONS)
def test_vbr_backup_objects_and_restore_points(simulator, revision):
    client = Vbr(simulator, revision)
    data = machines_by_name(simulator)
    objects = client.objects()
    assert {obj["name"] for obj in objects} == VBR_OBJECTS[revision]      # vbr-prod-01 only, per revision
    assert client.ok("/api/v1/backupObjects", {"limit": 1})["pagination"]["total"] == len(VBR_OBJECTS[revision])
    for obj in objects:
        [item] = [entry for entry in data[obj["name"]] if entry["server_name"] == PROD]
        assert obj["id"] == item["id"] and obj["restorePointsCount"] == item["restore_points"]
        assert obj["platformName"] == item["platform"]
    web01 = client.object_named("web01")
    assert web01["objectId"] == "vm-1001" and web01["viType"] == "VirtualMachine"
    assert web01["path"].split("\\")[0] == "vc01.corp.example" and web01["path"].endswith("\\web01")
    assert [obj["name"] for obj in client.objects(nameFilter="WEB01")] == ["web01"]
    assert sorted(obj["name"] for obj in client.objects(nameFilter="web0*")) == ["web01", "web02"]
    assert [obj["name"] for obj in client.objects(nameFilter="db01")] == ["db01"]      # DB01 is on vbr-dr-01
    assert client.objects(nameFilter="newvm01") == [] and client.objects(nameFilter="dc01") == []
    assert client.objects(nameFilter="Print Server 2")[0]["name"] == "Print Server 2"
    assert ("lastRunFailed" in web01) is (revision != "1.2-rev1") and ("backupId" in web01) is (revision == "1.3-rev2")
    points = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": web01["id"], "orderColumn": "CreationTime",
                                                 "orderAsc": "false", "limit": 1000})
    assert points["pagination"]["total"] == web01["restorePointsCount"]
    times = [parse_time(point["creationTime"]) for point in points["data"]]
    assert times == sorted(times, reverse=True)
    assert same_time(points["data"][0]["creationTime"], data["web01"][0]["latest_restore_point"])
    assert points["data"][-1]["type"] == "Full" and {point["name"] for point in points["data"]} == {"web01"}
    newest = points["data"][0]
    assert client.ok("/api/v1/restorePoints/" + newest["id"]) == newest
    backup = client.ok("/api/v1/backups/" + newest["backupId"])
    assert backup["jobId"] == simulator.job("Daily Backup", server=PROD)["id"] and backup["name"] == "Daily Backup"
    under = client.ok("/api/v1/backupObjects/%s/restorePoints" % web01["id"])
    assert under["pagination"]["total"] == web01["restorePointsCount"]
    since = (times[2] - datetime.timedelta(seconds=1)).isoformat()
    recent = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": web01["id"], "createdAfterFilter": since})
    assert recent["pagination"]["total"] == 3
    ascending = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": web01["id"], "orderColumn": "CreationTime",
                                                    "limit": 1000})["data"]
    assert [point["id"] for point in ascending] == [point["id"] for point in reversed(points["data"])]
    app01 = client.object_named("app01")
    app_points = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": app01["id"], "orderColumn": "CreationTime",
                                                     "orderAsc": "false", "limit": 1000})["data"]
    assert client.ok("/api/v1/backups/" + app_points[0]["backupId"])["name"] == SAUVEGARDE
    assert len({point["backupId"] for point in app_points}) == 2       # points from both jobs
    backups = client.ok("/api/v1/backups", {"limit": 1000})["data"]
    assert "Manual Test Backup" not in [item["name"] for item in backups]      # newvm01 was never backed up
    assert [item["name"] for item in client.ok("/api/v1/backups", {"nameFilter": "daily*"})["data"]] == ["Daily Backup"]
    if revision != "1.2-rev1":
        agent = client.object_named("lnx-web01.corp.example")
        assert agent["type"] == "Server" and "computerId" in agent and agent["protectionGroupIds"]
        [point] = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": agent["id"], "orderColumn": "CreationTime",
                                                      "orderAsc": "false", "limit": 1})["data"]
        assert point["name"] == "lnx-web01.corp.example Linux Web Servers" and point["platformName"] == "LinuxPhysical"
    bad = client.get("/api/v1/backupObjects/" + data["DB01"][0]["id"])
    assert bad.status_code == 404 and bad.json()["errorCode"] == "NotFound"


def test_vbr_task_sessions(simulator):
    client = Vbr(simulator)
    data = machines_by_name(simulator)
    for name in ("fs01", "mail01", "lnx-db01.corp.example", "ws-0001", "web01"):
        newest_first = {"nameFilter": name, "orderColumn": "CreationTime", "orderAsc": "false", "limit": 1}
        [task] = client.ok("/api/v1/taskSessions", newest_first)["data"]
        [item] = data[name]
        assert task["name"] == name and task["type"] == "Backup" and task["result"]["result"] == item["last_result"]
        assert task["result"].get("message") == item["last_message"], task
        assert ("restorePointId" in task) is (item["last_result"] != "Failed")
    [running] = client.ok("/api/v1/taskSessions", {"nameFilter": "bigdata01", "stateFilter": "Working"})["data"]
    assert running["result"]["result"] == "None" and "endTime" not in running
    failed = client.ok("/api/v1/taskSessions", {"nameFilter": "fs01", "resultFilter": "Failed", "limit": 1000})["data"]
    assert failed and all(task["result"]["result"] == "Failed" for task in failed)
    daily = simulator.job("Daily Backup", server=PROD)
    in_run = client.ok("/api/v1/sessions/%s/taskSessions" % daily["last_session_id"])["data"]
    assert {task["name"] for task in in_run} == DAILY_NOW and {task["sessionId"] for task in in_run} == {
        daily["last_session_id"]}
    one_task = client.ok("/api/v1/taskSessions/" + in_run[0]["id"])
    assert one_task == in_run[0]
    point = client.ok(one_task["restorePointReference"])
    assert point["id"] == one_task["restorePointId"] and point["name"] == one_task["name"]
    named = client.ok("/api/v1/taskSessions", {"nameFilter": "DB01", "limit": 1000})["data"]
    assert named and {task["name"] for task in named} == {"db01"}      # case-insensitive; DB01 is on vbr-dr-01
    old = Vbr(simulator, "1.2-rev1")
    assert old.ok("/api/v1/taskSessions", {"nameFilter": "sql01"})["data"] == []     # Hyper-V jobs: not in 1.2
    resp = old.get("/api/v1/sessions/%s/taskSessions" % daily["last_session_id"], {"limit": 5})
    assert resp.status_code == 400 and resp.json()["errorCode"] == "InvalidURI"      # 1.2: no parameters there


@pytest.mark.parametrize("revision", REVISIONS)
def test_vbr_quick_backup_vsphere(simulator, revision):
    client = Vbr(simulator, revision)
    daily = simulator.job("Daily Backup", server=PROD)
    simulator.configure_job(daily["id"], duration=1)
    web01 = client.object_named("web01")
    before = web01["restorePointsCount"]
    resp = client.post("/api/v1/jobs/quickBackup/vSphere", client.vsphere_body(web01))
    assert resp.status_code == 201, resp.text
    session = resp.json()
    assert (session["sessionType"], session["name"], session["jobId"]) == ("BackupJob", "Daily Backup", daily["id"])
    assert session["result"]["result"] == "None" and session["state"] in ("Starting", "Working")
    done = wait_for(lambda: client.ok("/api/v1/sessions/" + session["id"]), lambda sess: sess["state"] == "Stopped")
    assert done["result"]["result"] == "Success"
    [task] = client.ok("/api/v1/sessions/%s/taskSessions" % session["id"])["data"]
    assert task["name"] == "web01" and task["result"]["result"] == "Success" and task["algorithm"] == "Increment"
    after = client.object_named("web01")
    assert after["restorePointsCount"] == before + 1
    [newest] = client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": web01["id"], "orderColumn": "CreationTime",
                                                   "orderAsc": "false", "limit": 1})["data"]
    assert newest["id"] == task["restorePointId"] and newest["type"] == "Increment"
    counters = simulator.counters()["actions"]
    assert counters["quick_backup"] == 1 and counters["start"] == 0


def test_vbr_quick_backup_hyperv_and_agent_only_on_13rev2(simulator):
    new = Vbr(simulator, "1.3-rev2")
    for name in ("SQL Server; Nightly, Full", "Linux Web Servers"):
        simulator.configure_job(simulator.job(name, agent=name.startswith("Linux"))["id"], duration=1)
    sql01 = new.object_named("sql01")
    body = {"type": "VirtualMachine", "name": "sql01", "objectId": sql01["objectId"], "platform": "HyperV",
            "hostName": sql01["path"].split("\\")[0]}
    resp = new.post("/api/v1/jobs/quickBackup/hyperV", body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "SQL Server; Nightly, Full" and resp.json()["platformName"] == "HyperV"
    agent = new.object_named("lnx-web01.corp.example")
    t0 = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)).isoformat()
    body = {"id": agent["computerId"], "name": agent["name"], "type": "LinuxComputer", "platform": "Agent",
            "protectionGroupId": agent["protectionGroupIds"][0]}
    resp = new.post("/api/v1/jobs/quickBackup/agent", body)
    assert resp.status_code == 201, resp.text
    job = simulator.job("Linux Web Servers", agent=True)
    assert resp.json() == {"jobId": job["id"]}
    [run] = new.ok("/api/v1/sessions", {"jobIdFilter": job["id"], "createdAfterFilter": t0})["data"]
    done = wait_for(lambda: new.ok("/api/v1/sessions/" + run["id"]), lambda sess: sess["state"] == "Stopped")
    assert done["result"]["result"] == "Success" and done["sessionType"] == "AgentBackup"
    assert [task["name"] for task in new.ok("/api/v1/sessions/%s/taskSessions" % run["id"])["data"]] == [
        "lnx-web01.corp.example"]
    for revision in ("1.2-rev1", "1.3-rev1"):
        old = Vbr(simulator, revision)
        for kind in ("hyperV", "agent"):
            resp = old.post("/api/v1/jobs/quickBackup/" + kind, body)
            assert resp.status_code == 400 and resp.json()["errorCode"] == "InvalidURI", (revision, kind)
    counters = simulator.counters()
    assert counters["actions"]["quick_backup"] == 2 and counters["vbr"]["refused_requests"] == 4


def test_vbr_quick_backup_refusals_roles_and_failing_machine(simulator):
    client = Vbr(simulator)
    daily = simulator.job("Daily Backup", server=PROD)
    simulator.configure_job(daily["id"], duration=1)
    web02 = client.object_named("web02")
    body = client.vsphere_body(web02)
    viewer = Vbr(simulator, user=VIEWER)
    resp = viewer.post("/api/v1/jobs/quickBackup/vSphere", body)
    assert resp.status_code == 403 and resp.json()["errorCode"] == "AccessDenied"
    assert simulator.counters()["actions"]["quick_backup"] == 0
    simulator.http.post(simulator.control_url + "/machines/web02", json={"outcome": "Failed",
                                                                         "failure_message": "Error: no snapshot"})
    operator = Vbr(simulator, user=OPERATOR)
    resp = operator.post("/api/v1/jobs/quickBackup/vSphere", body)
    assert resp.status_code == 201, resp.text
    done = wait_for(lambda: client.ok("/api/v1/sessions/" + resp.json()["id"]), lambda sess: sess["state"] == "Stopped")
    assert done["result"] == {"result": "Failed", "message": "Error: no snapshot", "isCanceled": False}
    [task] = client.ok("/api/v1/sessions/%s/taskSessions" % done["id"])["data"]
    assert task["result"]["message"] == "Error: no snapshot" and "restorePointId" not in task
    assert client.object_named("web02")["restorePointsCount"] == web02["restorePointsCount"]
    assert client.object_named("web02")["lastRunFailed"] is True
    newvm = one(simulator, "newvm01")
    refusals = [
        ("hyperV", {"type": "VirtualMachine", "name": "newvm01", "objectId": newvm["object_id"], "platform": "HyperV",
                    "hostName": newvm["host"]}, "no restore point"),
        ("vSphere", client.vsphere_body(client.object_named("bigdata01")), "already running"),
        ("vSphere", dict(body, objectId="vm-999999"), "not found"),
        ("vSphere", dict(body, hostName="vc99.corp.example"), "not on host"),
        ("vSphere", dict(body, type="Folder"), "VirtualMachine"),
    ]
    for kind, spec, words in refusals:
        resp = client.post("/api/v1/jobs/quickBackup/" + kind, spec)
        assert resp.status_code == 400 and resp.json()["errorCode"] == "UnexpectedContent", resp.text
        assert words in resp.json()["message"], resp.json()
    assert simulator.counters()["actions"]["quick_backup"] == 1 + len(refusals)
    resp = client.post("/api/v1/jobs/quickBackup/vSphere", dict(body, platform="VMware"))
    assert resp.status_code == 400 and resp.json()["errorCode"] == "UnexpectedContent"    # 1.3: VSphere, not VMware


# --------------------------------------------------------------------------- VSPC
def test_vspc_protected_workloads(simulator):
    vs = Vspc(simulator)
    data = machines_by_name(simulator)
    path = "/protectedWorkloads/virtualMachines"
    both = vs.get(path, filter=name_filter("DB01"))["data"]
    assert sorted((vm["name"], vm["backupServerUid"]) for vm in both) == sorted(
        (item["name"], item["server_id"]) for item in data["db01"] + data["DB01"])     # every server, ambiguous
    exact = vs.get(path, filter=name_filter("DB01", "ordinal"))["data"]
    assert [vm["name"] for vm in exact] == ["DB01"]
    everything = vs.get(path, limit=500)["data"]
    assert {vm["name"] for vm in everything} == {name for name, spec in WORLD.items() if spec[0] == "vm"} - {"newvm01"}
    for vm in everything:
        [item] = [entry for entry in data[vm["name"]] if entry["id"] == vm["instanceUid"]]
        assert vm["restorePoints"] == item["restore_points"]
        assert same_time(vm["latestRestorePointDate"], item["latest_restore_point"])
    [app] = vs.get(path, filter=name_filter("app01"))["data"]
    assert app["jobUid"] == simulator.job(SAUVEGARDE)["id"]
    points = vs.get("%s/%s/backupRestorePoints" % (path, app["instanceUid"]), limit=500,
                    sort=[{"property": "fileCreationTime", "direction": "descending"}])["data"]
    assert len(points) == app["restorePoints"] and points[0]["jobUid"] == app["jobUid"]
    assert points[0]["virtualMachineUid"] == app["instanceUid"] and {p["jobUid"] for p in points} == {
        app["jobUid"], simulator.job("Daily Backup", server=PROD)["id"]}
    latest = vs.get(path + "/backupRestorePoints/latest", limit=500)["data"]
    assert len(latest) == len(everything)
    computers = vs.get("/protectedWorkloads/computersManagedByBackupServer", limit=500)["data"]
    assert {c["name"] for c in computers} == {name for name, spec in WORLD.items() if spec[0] == "computer"}
    [ws] = [c for c in computers if c["name"] == "ws-0001"]
    assert ws["operationMode"] == "Workstation" and ws["platformType"] == "Windows"
    ws_points = vs.get("/protectedWorkloads/computersManagedByBackupServer/%s/restorePoints" % ws["instanceUid"],
                       limit=500)["data"]
    assert len(ws_points) == data["ws-0001"][0]["restore_points"] and ws_points[0]["backupAgentUid"] == ws["instanceUid"]


def test_vspc_job_objects(simulator):
    vs = Vspc(simulator)
    data = machines_by_name(simulator)
    objects = vs.get("/infrastructure/backupServers/jobs/backupVmJobs/objects", limit=500)["data"]
    app = [obj for obj in objects if obj["name"] == "app01"]
    jobs = dict((job["id"], job["name"]) for job in simulator.data()["jobs"])
    in_jobs = sorted((jobs[obj["jobUid"]], obj["isExcluded"]) for obj in app)
    assert in_jobs == [("Daily Backup", True), (SAUVEGARDE, False)]
    [fs] = [obj for obj in objects if obj["name"] == "fs01"]
    # VSPC ends its messages with a blank line (README, "Real servers' quirks")
    assert fs["lastSession"]["backupStatus"] == "Failed" and fs["lastSession"]["messages"] == [
        data["fs01"][0]["last_message"] + "\n\n"] and fs["platform"] == "HyperV"
    [new] = [obj for obj in objects if obj["name"] == "newvm01"]
    assert new["lastSession"]["backupStatus"] == "Unknown" and new["lastSession"]["startTime"] is None
    [big] = [obj for obj in objects if obj["name"] == "bigdata01"]
    assert big["lastSession"]["backupStatus"] == "Running" and big["platform"] == "vSphere"
    daily = simulator.job("Daily Backup", server=PROD)
    mine = vs.get("/infrastructure/backupServers/jobs/backupVmJobs/%s/objects" % daily["id"])["data"]
    assert {obj["name"] for obj in mine} == DAILY_NOW | {"app01"}
    dr = simulator.data()["backup_servers"][1]["id"]
    assert [obj["name"] for obj in vs.get("/infrastructure/backupServers/%s/jobs/backupVmJobs/objects" % dr)["data"]] \
        == ["DB01"]
    agents = vs.get("/infrastructure/backupServers/jobs/agentJobs/objects", limit=500)["data"]
    status = dict((obj["computer"], (obj["backupStatus"], obj["failureMessage"])) for obj in agents)
    assert status["lnx-db01.corp.example"] == ("Failed", data["lnx-db01.corp.example"][0]["last_message"] + "\n\n")
    assert status["ws-0001"][0] == "Warning" and status["winfs01"] == ("Running", None)
    assert status["lnx-web01.corp.example"] == ("Success", None)
    job = simulator.job("Windows Workstations", agent=True)
    [ws] = vs.get("/infrastructure/backupServers/jobs/agentJobs/%s/objects" % job["id"])["data"]
    assert ws["computer"] == "ws-0001" and ws["agentUid"] == data["ws-0001"][0]["id"]
    assert ws["restorePointsCount"] == data["ws-0001"][0]["restore_points"]
    named = vs.get("/infrastructure/backupServers/jobs/agentJobs/objects",
                   filter=name_filter("WS-0001", prop="computer"))["data"]
    assert [obj["computer"] for obj in named] == ["ws-0001"]


# --------------------------------------------------------------------------- one world
def test_job_start_runs_every_machine_and_reset_restores(simulator):
    client = Vbr(simulator)
    daily = simulator.job("Daily Backup", server=PROD)
    simulator.configure_job(daily["id"], duration=1)
    before = dict((item["name"], item["restore_points"]) for item in simulator.data()["machines"])
    simulator.http.post(simulator.control_url + "/machines/db01", json={"outcome": "Warning",
                                                                        "failure_message": "Warning: slow disk"})
    resp = client.http.post(client.root + "/api/v1/jobs/%s/start" % daily["id"], headers=client.headers)
    assert resp.status_code == 201
    done = wait_for(lambda: client.ok("/api/v1/sessions/" + resp.json()["id"]), lambda sess: sess["state"] == "Stopped")
    assert done["result"] == {"result": "Warning", "message": "Warning: slow disk", "isCanceled": False}
    after = dict((item["name"], item["restore_points"]) for item in simulator.data()["machines"])
    assert {name for name in after if after[name] != before[name]} == DAILY_NOW      # not app01 (excluded)
    assert all(after[name] == before[name] + 1 for name in DAILY_NOW)
    counters = simulator.counters()["actions"]
    assert counters["start"] == 1 and counters["quick_backup"] == 0
    # a run of Manual Test Backup gives newvm01 its first (full) point
    manual = simulator.job("Manual Test Backup")
    simulator.configure_job(manual["id"], duration=1)
    em = Em(simulator)
    task = em.task(em.http.post(em.base + "/jobs/" + manual["id"], params={"action": "start"}, headers=em.headers))
    assert task["Result"]["Success"] is True
    wait_for(lambda: one(simulator, "newvm01")["restore_points"], lambda count: count == 1)
    [first] = wait_for(lambda: em.items("VmRestorePoint", 'VmDisplayName=="newvm01"'), lambda found: len(found) == 1)
    assert first["PointType"] == "Full"
    simulator.reset()
    assert dict((item["name"], item["restore_points"]) for item in simulator.data()["machines"]) == before
    assert one(simulator, "db01")["outcome"] == "Success"


def test_faults_and_counters_on_machine_paths(simulator):
    em = Em(simulator)
    client = Vbr(simulator)
    vs = Vspc(simulator)
    simulator.fault(api="em", method="GET", path_prefix="/api/query", status=503, retry_after=1)
    assert em.get("/query", type="VmRestorePoint", filter='VmDisplayName=="web01"').status_code == 503
    assert em.get("/query", type="VmRestorePoint", filter='VmDisplayName=="web01"').status_code == 200
    simulator.fault(api="vbr", path_prefix="/api/v1/restorePoints", status=503)
    resp = client.get("/api/v1/restorePoints", {"limit": 1})
    assert resp.status_code == 503 and resp.json()["errorCode"] == "ServiceUnavailable"
    simulator.fault(api="vspc", path_prefix="/api/v3/protectedWorkloads", status=429, retry_after=2)
    resp = vs.http.get(vs.base + "/protectedWorkloads/virtualMachines", headers=vs.headers)
    assert resp.status_code == 429
    web01 = client.object_named("web01")
    simulator.fault(api="vbr", method="POST", path_prefix="/api/v1/jobs/quickBackup", status=500)
    assert client.post("/api/v1/jobs/quickBackup/vSphere", client.vsphere_body(web01)).status_code == 500
    counters = simulator.counters()
    assert counters["actions"]["quick_backup"] == 0          # a faulted request never reached the action
    requests = counters["requests"]
    assert requests["GET /api/query"] == 2 and requests["GET /api/v1/restorePoints"] == 1
    assert requests["GET /api/v3/protectedWorkloads/virtualMachines"] == 1
    assert requests["POST /api/v1/jobs/quickBackup/vSphere"] == 1 and requests["GET /api/v1/backupObjects"] == 1


def test_scaled_machines(scaled_simulator):
    started = time.monotonic()
    sim = scaled_simulator(5000)
    assert time.monotonic() - started < 30
    client = Vbr(sim)
    total = client.ok("/api/v1/backupObjects", {"limit": 1})["pagination"]["total"]
    assert total == len(VBR_OBJECTS["1.3-rev2"]) + 5000 + 5000     # one VM per scaled job, one computer per agent job
    timings = []
    for name in ("scale-vm-04999", "scale-host-00042"):
        begun = time.monotonic()
        [obj] = client.objects(nameFilter=name)
        client.ok("/api/v1/restorePoints", {"backupObjectIdFilter": obj["id"], "orderColumn": "CreationTime",
                                            "orderAsc": "false", "limit": 1})
        timings.append(time.monotonic() - begun)
        assert 5 <= obj["restorePointsCount"] <= 8                    # weekly points
    em = Em(sim)
    begun = time.monotonic()
    assert len(em.items("VmRestorePoint", 'VmDisplayName=="scale-vm-00001"', pageSize=100)) >= 5
    assert len(em.items("AgentRestorePoint", 'ComputerName=="scale-host-05000"', pageSize=100)) >= 5
    vs = Vspc(sim)
    assert len(vs.get("/protectedWorkloads/virtualMachines", filter=name_filter("SCALE-VM-02500"))["data"]) == 1
    timings.append(time.monotonic() - begun)
    assert max(timings) < 5, timings
    assert sim.counters()["vbr"]["schema_violations"] == 0
