# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's data set: backup servers, jobs, agent jobs and their session history.

Everything is derived from the seed, so ids are the same on every start and after a reset.
Times are epoch seconds (floats, UTC); "now" is the real wall clock.
"""

from __future__ import annotations

import datetime
import random
import uuid

HISTORY_DAYS = 45          # >= 6 weeks of history
DEFAULT_RUN_DURATION = 5.0  # seconds a run started through the API lasts unless configured
DAY = 86400.0

# VSPC job `type` for each EM JobType
VSPC_TYPE = {"Backup": "BackupVm", "Replica": "ReplicationVM", "BackupCopy": "BackupCopy", "AgentBackup": "AgentBackupJob"}

# VBR REST API 1.3 `EJobType` for each (EM JobType, Platform); kinds missing here have no VBR job type
VBR_TYPE = {
    ("Backup", "VMware"): "VSphereBackup",
    ("Backup", "HyperV"): "HyperVBackup",
    ("Replica", "VMware"): "VSphereReplica",
    ("BackupCopy", "VMware"): "BackupCopy",
    ("BackupCopy", "HyperV"): "BackupCopy",
    ("AgentBackup", "AgentForWindows"): "WindowsAgentBackup",
    ("AgentBackup", "AgentForLinux"): "LinuxAgentBackup",
}
# the only job types revisions up to 1.2-rev1 show, with their 1.2 words
VBR_TYPE_12 = {"VSphereBackup": "Backup", "VSphereReplica": "VSphereReplica"}
VBR_SERVER = "vbr-prod-01.corp.example"   # the backup server the VBR listener is

FAILURES = [
    "Error: Failed to connect to host esx-02.corp.example: connection timed out",
    "Error: Not enough free space on repository \"Main Repository\" (required 412.5 GB, available 120.2 GB)",
    "Error: Failed to create VM snapshot. The operation is not allowed in the current state.",
    "Error: Unable to connect to Veeam Agent on the computer: the RPC server is unavailable",
]
WARNINGS = [
    "Warning: Changed block tracking cannot be enabled for one of the disks, full scan will be used",
    "Warning: Failed to truncate transaction logs for SQL Server databases",
    "Warning: 1 of 12 files could not be read and were skipped",
]


class Server(object):
    __slots__ = ("id", "name", "description", "port", "version", "installation_uid", "organization_uid",
                 "location_uid", "agent_uid")

    def __init__(self, **kw):
        for key, value in kw.items():
            setattr(self, key, value)


class Job(object):
    """One backup-server job (kind 'job') or Veeam Agent job (kind 'agent')."""

    __slots__ = ("id", "unique_uid", "kind", "name", "description", "em_type", "platform", "vspc_type", "os_type",
                 "server_id", "schedule_configured", "schedule_enabled", "hour", "minute", "destination",
                 "run_duration", "run_outcome", "run_failure_message", "created", "hist_duration", "index",
                 "license_type", "backup_mode")

    def __init__(self, **kw):
        self.os_type = None
        self.license_type = None
        self.backup_mode = None
        self.run_duration = DEFAULT_RUN_DURATION
        self.run_outcome = "Success"
        self.run_failure_message = None
        for key, value in kw.items():
            setattr(self, key, value)

    @property
    def em_uid(self):
        return "urn:veeam:%s:%s" % ("AgentBackupJob" if self.kind == "agent" else "Job", self.id)

    @property
    def vbr_type(self):
        """The job's VBR REST API 1.3 type word, or None for kinds VBR does not show."""
        return VBR_TYPE.get((self.em_type, self.platform))

    @property
    def session_kind(self):
        """EM entity type of this job's sessions: replica jobs have ReplicaJobSession."""
        return "ReplicaJobSession" if self.em_type == "Replica" else "BackupJobSession"


class Session(object):
    """One job run. State is derived from timestamps (see state.session_state).

    `tasks` are its machines' task sessions (machines.Task), derived from the history on first use
    (None until then) or fixed when the run is started through an API; `quick` marks a quick backup run.
    """

    __slots__ = ("id", "job", "start", "end", "outcome", "failure_message", "is_retry", "stopped_at", "visible_at",
                 "tasks", "quick", "derived")

    def __init__(self, sid, job, start, end, outcome, failure_message=None, is_retry=False, visible_at=None):
        self.id = sid
        self.job = job
        self.start = start
        self.end = end
        self.outcome = outcome
        self.failure_message = failure_message
        self.is_retry = is_retry
        self.stopped_at = None
        self.visible_at = start if visible_at is None else visible_at
        self.tasks = None
        self.quick = False
        self.derived = False    # tasks derived from the history (re-derived when a machine is added to the job)


class Machine(object):
    """A VM (kind 'vm') or a Veeam Agent computer (kind 'computer') that jobs back up.

    `jobs` are the jobs it is in (their server is its server); `windows` maps a job id to the (since, until)
    span, epoch seconds or None for open, in which the job processes it (added later, excluded since).
    `outcome` / `failure_message` make its next runs end so (POST /_sim/machines/{id}); `added` marks a machine
    added through the control API (never the one that fails a past run).
    """

    __slots__ = ("id", "name", "kind", "platform", "server_id", "jobs", "windows", "host", "root_id",
                 "protection_group_id", "protection_group", "ip", "index", "operation_mode", "culprit", "outcome",
                 "failure_message", "added")

    def __init__(self, mid, name, kind, platform, job, index, ip):
        self.id = mid
        self.name = name
        self.kind = kind
        self.platform = platform
        self.server_id = job.server_id
        self.jobs = [job]
        self.index = index
        self.ip = ip
        self.windows = {}
        self.culprit = False
        self.added = False
        self.outcome = None
        self.failure_message = None
        self.host = self.root_id = self.protection_group_id = self.protection_group = self.operation_mode = None

    @property
    def vm(self):
        return self.kind == "vm"

    @property
    def object_ref(self):
        """The VM's id in its hypervisor: a vCenter mo-ref (vm-1001) or a Hyper-V GUID; None for computers."""
        if self.kind != "vm":
            return None
        if self.platform == "VMware":
            return "vm-%d" % (1001 + self.index)
        return str(uuid.uuid5(uuid.UUID(self.id), "hyperv"))

    @property
    def computer_id(self):
        return str(uuid.uuid5(uuid.UUID(self.id), "computer")) if self.kind == "computer" else None

    @property
    def bios_uuid(self):
        return str(uuid.uuid5(uuid.UUID(self.id), "bios")) if self.kind == "computer" else None

    @property
    def size(self):
        return (20 + (self.index * 37) % 480) * 1024 ** 3

    def member(self, job, at):
        """Whether `job` processes this machine in a run started at `at`."""
        window = self.windows.get(job.id)
        if window is None:
            return True
        since, until = window
        return (since is None or at >= since) and (until is None or at < until)

    def excluded(self, job, at):
        window = self.windows.get(job.id)
        return window is not None and window[1] is not None and at >= window[1]


def _guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# name, server index, EM JobType, Platform, last result, extra flags
BACKUP_JOBS = [
    ("Daily Backup", 0, "Backup", "VMware", "Success", {}),
    ('Exchange "Mail" Backup', 0, "Backup", "VMware", "Warning", {}),
    ("SQL Server; Nightly, Full", 0, "Backup", "HyperV", "Success", {}),
    ("Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller", 0, "Backup", "VMware", "Success", {}),
    ("File Server Backup", 0, "Backup", "HyperV", "Failed", {}),
    ("DC Replication", 0, "Replica", "VMware", "Success", {}),
    ("Offsite Backup Copy", 0, "BackupCopy", "VMware", "Success", {}),
    ("Legacy Archive Backup", 0, "Backup", "VMware", "Success", {"schedule_enabled": False}),
    ("Manual Test Backup", 0, "Backup", "HyperV", "Success", {"schedule_configured": False}),
    ("Long Running Backup", 0, "Backup", "VMware", "Success", {"running": 6 * 3600.0}),
    ("Daily Backup", 1, "Backup", "HyperV", "Success", {}),
    ("DR Replica - Web Tier", 1, "Replica", "VMware", "Failed", {}),
    ("DR Backup Copy", 1, "BackupCopy", "HyperV", "Warning", {}),
    ("Branch File Shares", 2, "Backup", "HyperV", "Warning", {}),
    ("Branch Copy to HQ", 2, "BackupCopy", "VMware", "Failed", {}),
]

AGENT_JOBS = [
    ("Linux Web Servers", 0, "AgentForLinux", "Success", {}),
    ("Linux DB Servers", 0, "AgentForLinux", "Failed", {}),
    ("Windows File Server Agent", 0, "AgentForWindows", "Success", {"running": 5 * 3600.0}),
    ("Windows Workstations", 0, "AgentForWindows", "Warning", {}),
    ("RHEL Cluster Agent", 1, "AgentForLinux", "Success", {}),
    ("Branch Laptops", 2, "AgentForWindows", "Success", {"schedule_enabled": False}),
]

SERVERS = [
    ("vbr-prod-01.corp.example", "Production backup server"),
    ("vbr-dr-01.corp.example", "Disaster recovery site"),
    ("vbr-branch-01.corp.example", "Branch office"),
]


VCENTER = "vc01.corp.example"     # the vCenter of every VMware VM
HYPERV_HOSTS = ("hv01.corp.example", "hv02.corp.example")   # the Hyper-V host of each server's Hyper-V VMs
DATACENTER = "Datacenter"
ESXI_HOST = "esx01.corp.example"
EXCLUDED_DAYS = 7    # app01 left Daily Backup's processing this many days ago (excluded; Sauvegarde took over)

# name, kind, platform, job names (on the machine's server), server index, flags
#   culprit: the machine that fails or warns in its jobs' failed and warned runs
#   new: added to its job after the job's last run (never backed up)
#   excluded: the job (name) it is excluded from since EXCLUDED_DAYS ago
MACHINES = [
    ("web01", "vm", "VMware", ["Daily Backup"], 0, {}),
    ("web02", "vm", "VMware", ["Daily Backup"], 0, {}),
    ("app01", "vm", "VMware", ["Daily Backup", "Sauvegarde Comptabilit\u00e9 \u2013 M\u00fcller"], 0,
     {"excluded": "Daily Backup"}),
    ("mail01", "vm", "VMware", ['Exchange "Mail" Backup'], 0, {"culprit": True}),
    ("sql01", "vm", "HyperV", ["SQL Server; Nightly, Full"], 0, {}),
    ("fs01", "vm", "HyperV", ["File Server Backup"], 0, {"culprit": True}),
    ("legacy01", "vm", "VMware", ["Legacy Archive Backup"], 0, {}),
    ("bigdata01", "vm", "VMware", ["Long Running Backup"], 0, {}),
    ("Print Server 2", "vm", "VMware", ["Daily Backup"], 0, {}),
    ("dc01.corp.example", "vm", "VMware", ["Daily Backup"], 0, {}),
    ("db01", "vm", "VMware", ["Daily Backup"], 0, {}),
    ("DB01", "vm", "HyperV", ["Daily Backup"], 1, {}),
    # the contract says VMware; Manual Test Backup is a Hyper-V job, and a job backs up VMs of its own platform
    ("newvm01", "vm", "HyperV", ["Manual Test Backup"], 0, {"new": True}),
    ("lnx-web01.corp.example", "computer", "LinuxPhysical", ["Linux Web Servers"], 0, {}),
    ("lnx-db01.corp.example", "computer", "LinuxPhysical", ["Linux DB Servers"], 0, {"culprit": True}),
    ("winfs01", "computer", "WindowsPhysical", ["Windows File Server Agent"], 0, {}),
    ("ws-0001", "computer", "WindowsPhysical", ["Windows Workstations"], 0, {"culprit": True}),
    ("rhel-node1.corp.example", "computer", "LinuxPhysical", ["RHEL Cluster Agent"], 1, {}),
]
MACHINE_PLATFORMS = {"VMware": "VMware", "HyperV": "HyperV", "AgentForLinux": "LinuxPhysical",
                     "AgentForWindows": "WindowsPhysical"}


class DataSet(object):
    """servers, jobs (ordered dict id -> Job), sessions (list, oldest first) and machines (ordered dict id ->
    Machine)."""

    def __init__(self, servers, jobs, sessions, running_ids, machines=None):
        self.servers = servers
        self.jobs = jobs
        self.sessions = sessions
        self.running_ids = running_ids
        self.machines = machines if machines is not None else {}


def build(seed=1, scale=0, now=None, scale_machines=1):
    """Build the data set for a seed; `scale` adds that many backup jobs and agent jobs, each with `scale_machines`
    machines."""
    now = float(now if now is not None else datetime.datetime.now(datetime.timezone.utc).timestamp())
    rng = random.Random("veeamsim/%s" % seed)
    servers = []
    for name, desc in SERVERS:
        servers.append(Server(id=_guid(rng), name=name, description=desc, port=9392, version="12.3.1.1139",
                              installation_uid=_guid(rng), organization_uid=None, location_uid=None,
                              agent_uid=_guid(rng)))
    org_uid = _guid(rng)
    loc_uid = _guid(rng)
    for srv in servers:
        srv.organization_uid = org_uid
        srv.location_uid = loc_uid

    jobs = {}
    specs = []
    for idx, (name, srv, em_type, platform, last, flags) in enumerate(BACKUP_JOBS):
        job = Job(id=_guid(rng), unique_uid=_guid(rng), kind="job", name=name, em_type=em_type, platform=platform,
                  vspc_type=VSPC_TYPE[em_type], server_id=servers[srv].id,
                  description="Created by CORP\\backupadmin at %d/%d/2025." % (1 + idx % 12, 1 + idx),
                  schedule_configured=flags.get("schedule_configured", True),
                  schedule_enabled=flags.get("schedule_enabled", True) and flags.get("schedule_configured", True),
                  hour=(18 + idx) % 24, minute=(idx * 7) % 60,
                  destination="Main Repository" if em_type != "Replica" else "esx-dr-01.corp.example",
                  hist_duration=600.0 + (idx * 397) % 3600, index=idx)
        jobs[job.id] = job
        specs.append((job, last, flags))
    for idx, (name, srv, platform, last, flags) in enumerate(AGENT_JOBS):
        linux = platform == "AgentForLinux"
        job = Job(id=_guid(rng), unique_uid=_guid(rng), kind="agent", name=name, em_type="AgentBackup",
                  platform=platform, vspc_type="AgentBackupJob", os_type="Linux" if linux else "Windows",
                  server_id=servers[srv].id, description="Veeam Agent job: %s" % name,
                  schedule_configured=True, schedule_enabled=flags.get("schedule_enabled", True),
                  hour=(20 + idx) % 24, minute=(idx * 11) % 60, destination="Agent Repository",
                  hist_duration=900.0 + (idx * 211) % 2400, index=len(BACKUP_JOBS) + idx,
                  license_type="Server" if linux or idx == 2 else "Workstation",
                  backup_mode="EntireComputer" if linux else "Volume")
        jobs[job.id] = job
        specs.append((job, last, flags))

    # scaled extras, all on the first server (the one the VBR listener is): cheaper history (weekly) so
    # --scale 5000 starts in seconds
    kinds = [("Backup", "VMware"), ("Backup", "HyperV"), ("Replica", "VMware"), ("BackupCopy", "VMware")]
    for n in range(scale):
        em_type, platform = kinds[n % len(kinds)]
        job = Job(id=_guid(rng), unique_uid=_guid(rng), kind="job", name="Scale Job %05d" % (n + 1), em_type=em_type,
                  platform=platform, vspc_type=VSPC_TYPE[em_type], server_id=servers[0].id,
                  description="Generated by --scale", schedule_configured=True, schedule_enabled=True,
                  hour=n % 24, minute=n % 60, destination="Main Repository", hist_duration=300.0 + n % 1800,
                  index=1000 + n)
        jobs[job.id] = job
        specs.append((job, None, {"weekly": True}))
    for n in range(scale):
        linux = n % 2 == 0
        job = Job(id=_guid(rng), unique_uid=_guid(rng), kind="agent", name="Scale Agent Job %05d" % (n + 1),
                  em_type="AgentBackup", platform="AgentForLinux" if linux else "AgentForWindows",
                  vspc_type="AgentBackupJob", os_type="Linux" if linux else "Windows", server_id=servers[0].id,
                  description="Generated by --scale", schedule_configured=True, schedule_enabled=True,
                  hour=n % 24, minute=(n * 7) % 60, destination="Agent Repository", hist_duration=300.0 + n % 1800,
                  index=100000 + n, license_type="Server" if linux else "Workstation",
                  backup_mode="EntireComputer" if linux else "Volume")
        jobs[job.id] = job
        specs.append((job, None, {"weekly": True}))

    sessions = []
    running_ids = set()
    midnight = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    today = midnight.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    for job, last, flags in specs:
        jrng = random.Random("%s/%s" % (seed, job.id))
        job.created = today - (HISTORY_DAYS + 30) * DAY
        start = now
        if flags.get("running"):
            start = now - 2 * 3600.0 if job.kind == "job" else now - 40 * 60.0
        _history(job, jrng, last, flags, start, today, sessions)
        if flags.get("running"):
            sid = str(uuid.uuid5(uuid.UUID(job.id), "running"))
            sessions.append(Session(sid, job, start, now + flags["running"], "Success"))
            running_ids.add(job.id)
    sessions.sort(key=lambda s: s.start)
    machines = _machines(servers, jobs, specs, now, today, scale_machines)
    return DataSet(servers, jobs, sessions, running_ids, machines)


def _machine(servers, job, name, kind, platform, index, cache):
    """A machine of `job`'s server; its ids derive from the job's GUID (so from the seed) and its name."""
    position = cache.get(job.server_id)
    if position is None:
        position = cache[job.server_id] = [srv.id for srv in servers].index(job.server_id)
    machine = Machine(str(uuid.uuid5(uuid.UUID(job.id), "machine/" + name)), name, kind, platform, job, index,
                      "10.%d.%d.%d" % (position + 1, (index // 250) % 250, 1 + index % 250))
    if kind == "vm":
        machine.host = VCENTER if platform == "VMware" else HYPERV_HOSTS[min(position, 1)]
        key = (job.server_id, machine.host)
    else:
        machine.protection_group = "%s Computers" % ("Linux" if platform == "LinuxPhysical" else "Windows")
        machine.operation_mode = "Workstation" if job.license_type == "Workstation" else "Server"
        key = (job.server_id, machine.protection_group)
    found = cache.get(key)
    if found is None:
        found = cache[key] = str(uuid.uuid5(uuid.NAMESPACE_URL, "veeamsim/%s/%s" % key))
    if kind == "vm":
        machine.root_id = found
    else:
        machine.protection_group_id = found
    return machine


def _machines(servers, jobs, specs, now, today, scale_machines=1):
    """The machines of the world (MACHINES) and of the scaled jobs (`scale_machines` per scaled job: the first
    named scale-vm-00001, the others scale-vm-00001-02 and so on)."""
    by_key = dict(((job.name, job.server_id), job) for job in jobs.values())
    machines = {}
    cache = {}
    for index, (name, kind, platform, job_names, srv, flags) in enumerate(MACHINES):
        server_id = servers[srv].id
        its_jobs = [by_key[(job_name, server_id)] for job_name in job_names]
        machine = _machine(servers, its_jobs[0], name, kind, platform, index, cache)
        machine.jobs = its_jobs
        machine.culprit = bool(flags.get("culprit"))
        if flags.get("new"):
            machine.windows[its_jobs[0].id] = (now, None)
        if flags.get("excluded"):
            excluded = by_key[(flags["excluded"], server_id)]
            machine.windows[excluded.id] = (None, today - EXCLUDED_DAYS * DAY)
        machines[machine.id] = machine
    vms = computers = 0
    for job, _last, flags in specs:
        if not flags.get("weekly"):
            continue
        if job.kind == "agent":
            computers += 1
            name, kind = "scale-host-%05d" % computers, "computer"
        else:
            vms += 1
            name, kind = "scale-vm-%05d" % vms, "vm"
        machine = _machine(servers, job, name, kind, MACHINE_PLATFORMS[job.platform], len(MACHINES) + job.index, cache)
        machines[machine.id] = machine
        for extra in range(2, scale_machines + 1):
            machine = _machine(servers, job, "%s-%02d" % (name, extra), kind, MACHINE_PLATFORMS[job.platform],
                               len(MACHINES) + job.index + extra * 1000000, cache)
            machine.culprit = extra == 1 + job.index % scale_machines    # the one a failed or warned run names
            machines[machine.id] = machine
    return machines


def _history(job, rng, last, flags, now, today, out):
    """Append the job's past sessions (ending before `now`) to out."""
    weekly = flags.get("weekly", False)
    days = range(HISTORY_DAYS, -1, -1)
    stop_before = None
    if not job.schedule_enabled and job.schedule_configured:
        stop_before = today - 10 * DAY     # schedule disabled ten days ago
    planned = []
    for back in days:
        # fixed number of draws per day keeps ids and results stable whatever is skipped
        r_outcome = rng.random()
        r_msg = rng.randrange(1000)
        r_jitter = rng.randrange(240000) / 1000.0
        r_dur = rng.random()
        r_retry = rng.random()
        if weekly and back % 7 != job.index % 7:
            continue
        if not job.schedule_configured and back % 5 != 0:
            continue     # manual job: run by hand now and then
        start = today - back * DAY + job.hour * 3600 + job.minute * 60 + r_jitter
        duration = job.hist_duration * (0.7 + 0.6 * r_dur)
        if start + duration >= now or (stop_before is not None and start >= stop_before):
            continue
        if r_outcome < 0.88:
            outcome, msg = "Success", None
        elif r_outcome < 0.95:
            outcome, msg = "Warning", WARNINGS[r_msg % len(WARNINGS)]
        else:
            outcome, msg = "Failed", FAILURES[r_msg % len(FAILURES)]
        planned.append([back, start, duration, outcome, msg, r_retry, r_msg])
    if planned and last is not None:
        entry = planned[-1]
        entry[3] = last
        entry[4] = {"Success": None, "Warning": WARNINGS[entry[6] % len(WARNINGS)],
                    "Failed": FAILURES[entry[6] % len(FAILURES)]}[last]
        entry[5] = 1.0   # the forced last result is not retried
    base = uuid.UUID(job.id)
    for back, start, duration, outcome, msg, r_retry, r_msg in planned:
        day = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y-%m-%d")
        out.append(Session(str(uuid.uuid5(base, day)), job, start, start + duration, outcome, msg))
        if outcome != "Success" and r_retry < 0.5:
            rstart = start + duration + 600
            rdur = duration * 0.4
            if rstart + rdur < now:
                out.append(Session(str(uuid.uuid5(base, day + "/retry")), job, rstart, rstart + rdur,
                                   "Success" if r_msg % 4 else "Warning",
                                   None if r_msg % 4 else WARNINGS[0], is_retry=True))


ADDED_HISTORY_RUNS = 3


def added_job(seed, seq, name, kind, em_type, platform, server_id, schedule_configured, schedule_enabled, now):
    """A job added through the control API (POST /_sim/jobs) and its short history: one successful run on
    each of the last three days. Its GUIDs come from the seed, the sequence number and the name."""
    base = uuid.uuid5(uuid.NAMESPACE_URL, "veeamsim/%s/added/%d/%s" % (seed, seq, name))
    agent = kind == "agent"
    linux = platform == "AgentForLinux"
    job = Job(id=str(base), unique_uid=str(uuid.uuid5(base, "unique")), kind=kind, name=name, em_type=em_type,
              platform=platform, vspc_type=VSPC_TYPE[em_type], server_id=server_id,
              description="Created through the simulator control API", schedule_configured=schedule_configured,
              schedule_enabled=schedule_enabled and schedule_configured, hour=(seq * 5) % 24,
              minute=(seq * 13) % 60, hist_duration=600.0, index=200000 + seq,
              destination="Agent Repository" if agent else ("esx-dr-01.corp.example" if em_type == "Replica"
                                                            else "Main Repository"))
    if agent:
        job.os_type = "Linux" if linux else "Windows"
        job.license_type = "Server" if linux else "Workstation"
        job.backup_mode = "EntireComputer" if linux else "Volume"
    job.created = now - (ADDED_HISTORY_RUNS + 1) * DAY
    sessions = []
    for back in range(ADDED_HISTORY_RUNS, 0, -1):
        start = now - back * DAY
        sessions.append(Session(str(uuid.uuid5(base, "run/%d" % back)), job, start, start + job.hist_duration,
                                "Success"))
    return job, sessions


def added_machine(servers, job, name, seq, backed_up, now):
    """A machine added to `job` through the control API (POST /_sim/machines): backed up by every past run of the
    job (`backed_up`), or added now (no restore point yet)."""
    kind = "computer" if job.kind == "agent" else "vm"
    machine = _machine(servers, job, name, kind, MACHINE_PLATFORMS[job.platform], 300000 + seq, {})
    machine.added = True
    if not backed_up:
        machine.windows[job.id] = (now, None)
    return machine
