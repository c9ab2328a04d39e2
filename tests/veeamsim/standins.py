# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The machines a default-world job processes when the world's MACHINES list gives it none (replicas, backup
copies, the branch jobs), so that every run of every job has task sessions, one per machine, with the machine's
own result (machines.py derives them as for any job: one machine carries a failed or warned run's reason).

These stand-ins are not machines of the world: they are in no machine listing (`/_sim/data`, VBR backupObjects, EM
restore point queries by name, VSPC protected workloads), so the machine contract (SPEC-machines-world.md) and the
tests written against it keep their data; they appear only in the runs' task sessions (and the logs derived from
them). Their ids derive from the job's GUID and their name.
"""

from __future__ import annotations

from . import data

# job name -> the names of the machines its runs process
NAMES = {
    "DC Replication": ["dc02.corp.example", "dc03.corp.example"],
    "Offsite Backup Copy": ["fin-app01", "fin-app02", "crm01"],
    "DR Replica - Web Tier": ["web-dr01", "web-dr02", "lb-dr01"],
    "DR Backup Copy": ["hv-app01", "hv-app02"],
    "Branch File Shares": ["br-fs01", "br-fs02"],
    "Branch Copy to HQ": ["br-app01", "br-db01"],
    "Branch Laptops": ["br-lt-0001", "br-lt-0002", "br-lt-0003"],
}
INDEX_BASE = 400000


def stand_ins(model, job):
    """The stand-in machines of `job` (made once per model and job), or [] for a job not in NAMES."""
    names = NAMES.get(job.name)
    if not names or job.index >= len(data.BACKUP_JOBS) + len(data.AGENT_JOBS):
        return []
    made = model.__dict__.setdefault("stand_in_machines", {})
    found = made.get(job.id)
    if found is None:
        kind = "computer" if job.kind == "agent" else "vm"
        found = made[job.id] = [
            data._machine(model.servers, job, name, kind, data.MACHINE_PLATFORMS[job.platform],
                          INDEX_BASE + 100 * job.index + position, {})
            for position, name in enumerate(names)]
    return found
