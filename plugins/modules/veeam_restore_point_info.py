#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_restore_point_info
short_description: Is this machine backed up, and how recently
version_added: 1.0.0
description:
  - Answers, for each name in O(name) (inventory host names as written, such as C(inventory_hostname)), which
    machine (VM or Veeam Agent computer) the Veeam server knows by that name, its newest restore points and their age,
    which job made them, and the machine's own result in its latest backup run (its task, not the job's), through
    Veeam Backup Enterprise Manager (O(api=em)), Veeam Service Provider Console (O(api=vspc)) or a Veeam Backup &
    Replication server (O(api=vbr)).
  - "Names are matched without regard to case. A name with dots that matches nothing is tried again with its first
    label, so V(web01.corp.example) finds the VM V(web01), while V(dc01.corp.example) still finds a VM that is
    called that. A name that matches several machines (the same name on two backup servers, or names that differ only
    in case) fails the module, listing them; O(backup_server) or O(kind) chooses one. A name that matches no machine
    is not a failure: it is returned with RV(machines[].protected=false), RV(machines[].name=null) and no restore
    points, and the playbook decides."
  - The server filters by name; the module never reads every machine, nor one request per restore point. The names
    are looked up at once, a few requests each (see below), whatever the size of the server.
  - "O(api=em): C(/query?type=VmRestorePoint) by C(VmDisplayName) and C(/query?type=AgentRestorePoint) by
    C(ComputerName), newest first (one request each, up to 100 points, which also tells whether another machine of
    that name exists; one more request when a machine has more points than that); the machine's latest task session
    (C(/query?type=BackupTaskSession) by C(VmDisplayName) on its backup server), and its job from the job session of
    the task that made the newest point (C(/backupSessions/{id})). Four or five requests a name with O(kind=any).
    Enterprise Manager shows backups after its collection from the backup servers, with a delay."
  - "O(api=vbr): C(/api/v1/backupObjects?nameFilter=), then at once C(/api/v1/restorePoints?backupObjectIdFilter=)
    newest first (one request per backup holding the machine) and C(/api/v1/taskSessions?nameFilter=), then
    C(/api/v1/backups/{id}) for the job. Four requests a name (plus C(/api/v1/serverInfo) once). A REST API revision
    shows backup objects only of the platforms its document has a model for (C(1.2-rev1), VBR 12.3, VMware VMs;
    C(1.3-rev1), VBR 13.0.1, also Linux computers; C(1.3-rev2), VBR 13.1, Hyper-V VMs and Windows computers too),
    while it lists every machine's restore points; a name without a backup object is therefore looked for among the
    newest restore points named after it (C(/api/v1/restorePoints?nameFilter=<name>*), one more request)."
  - "O(api=vspc): C(/protectedWorkloads/virtualMachines) and C(/protectedWorkloads/computersManagedByBackupServer)
    with an C(equals) filter on the name (C(ignorecase)), then at once the machine's restore points (sorted here,
    as the API documents no order), the job objects of that name (C(lastSession.backupStatus) of VM jobs,
    C(backupStatus) of agent jobs) and the job. Four or five requests a name. Computers managed by the console itself
    are not looked at. VSPC shows what it last collected from the backup servers."
author:
  - backupops.veeam contributors (@backupops)
options:
  name:
    description:
      - The machines to look for, VM names or computer names, as the inventory writes them (FQDN or short, any case).
    type: list
    elements: str
    required: true
  kind:
    description:
      - Look for VMs (V(vm)), Veeam Agent computers (V(computer)), or both (V(any)).
    type: str
    choices: [vm, computer, any]
    default: any
  since:
    description:
      - Only restore points created at or after this time count, given as ISO 8601 (V(2026-11-22T06:00:00Z); UTC when
        no zone is given) or as a duration back from now (V(90m), V(24h), V(7d); V(s) and V(w) work too).
      - A machine whose newest restore point is older is returned with RV(machines[].protected=false) and no
        RV(machines[].restore_points), but with its RV(machines[].latest_restore_point_time) and RV(machines[].age),
        so a playbook can tell "stale" from "never backed up".
    type: str
  limit:
    description:
      - How many restore points to return per machine, newest first.
    type: int
    default: 1
  backup_server:
    description:
      - Look on this backup server only (id or name), for a name used on several servers (O(api=em) and O(api=vspc)
        see every server). On O(api=vbr) it names the server itself, and any other value finds nothing.
    type: str
  include_raw:
    description:
      - Add C(raw) to each machine and restore point, the server's own representation.
    type: bool
    default: false
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.attributes
  - backupops.veeam.attributes.INFO_MODULE
notes:
  - No restore point carries a result on any of the APIs. RV(machines[].last_result) is the machine's own result in
    its latest backup run that ended (a run still going on does not count), from its task session (EM, VBR) or its
    entry among the job's objects (VSPC).
  - RV(machines[].age) is counted on the Ansible controller's clock.
  - "Malware status (RV(machines[].restore_points[].malware_status)): Veeam Backup & Replication 12.1 and later marks
    a restore point C(Suspicious) or C(Infected) when its malware detection finds something, and every later point
    of that machine until it is marked clean. The VBR REST API tells it on every restore point (O(api=vbr)). The
    Service Provider Console tells what it collected from VBR (C(malwareState) of protected VMs, computers and VM
    restore points, named by VSPC's documents; the words it holds are UNCONFIRMED: Veeam's own are expected, any
    other is passed through).
    Enterprise Manager's REST API names no malware status (its C(VmRestorePoint) and C(AgentRestorePoint) have none),
    so it is null on O(api=em): use O(api=vbr) against the backup server to see it."
  - The role C(backupops.veeam.fresh_backup) builds on this module and M(backupops.veeam.veeam_quick_backup), per
    inventory host, a fresh restore point or a quick backup now, before patching.
seealso:
  - module: backupops.veeam.veeam_quick_backup
  - module: backupops.veeam.veeam_job_info
'''

EXAMPLES = r'''
- name: Is this host backed up, and how recently?
  backupops.veeam.veeam_restore_point_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    name: "{{ inventory_hostname }}"
  delegate_to: localhost
  register: backup

- name: Stop when the newest backup is older than a day
  ansible.builtin.assert:
    that: backup.machines[0].age is not none and backup.machines[0].age < 86400
    fail_msg: "{{ inventory_hostname }}: newest restore point {{ backup.machines[0].latest_restore_point_time }}"

- name: The last five restore points of the database servers, within the last week
  backupops.veeam.veeam_restore_point_info:
    api: vbr
    server: vbr01.corp.example
    username: CORP\backup-viewer
    password: "{{ vault_vbr_password }}"
    name: [db01, db02.corp.example]
    kind: vm
    since: 7d
    limit: 5
  register: points

- name: Stop when Veeam's malware detection flagged the newest restore point (VBR 12.1 and later, api vbr or vspc)
  ansible.builtin.assert:
    that: (points.machines[0].restore_points[0].malware_status | default(none)) not in ['Suspicious', 'Infected']
    fail_msg: "{{ points.machines[0].name }}: newest restore point is {{ points.machines[0].restore_points[0].malware_status }}"
  when: points.machines[0].restore_points | length > 0

- name: Which hosts of the group have no backup at all
  backupops.veeam.veeam_restore_point_info:
    name: "{{ groups['web_servers'] }}"
  register: all_web
  run_once: true

- name: Show them
  ansible.builtin.debug:
    msg: "{{ all_web.machines | rejectattr('protected') | map(attribute='item') | list }}"
  run_once: true
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: vbr
machines:
  description: One machine per entry of O(name), in that order.
  returned: success
  type: list
  elements: dict
  contains:
    item:
      description: The name as O(name) gave it.
      type: str
      sample: web01.corp.example
    name:
      description: The machine's name as the server has it; null when no machine matched.
      type: str
      sample: web01
    protected:
      description: Whether the server holds restore points of this machine (created within O(since), when given).
      type: bool
      sample: true
    kind:
      description: C(vm), or C(computer) for a physical or cloud machine backed up by Veeam Agent; null when no
        machine matched.
      type: str
      sample: vm
    platform:
      description: The server's platform word (C(VMware), C(HyperV) on O(api=em) and O(api=vbr); C(vSphere), C(HyperV)
        for VMs and C(Windows), C(Linux) for computers on O(api=vspc); C(WindowsPhysical), C(LinuxPhysical) for
        computers on O(api=vbr)); null where the API does not tell (computers on O(api=em)).
      type: str
      sample: VMware
    backup_server_id:
      description: Id of the backup server that holds the machine's backups; on O(api=vbr) null when the account may
        not read the server's own name and id (only Backup Administrators may).
      type: str
      sample: 8c88c6d6-931f-4044-8c0b-7a0c5f188b00
    backup_server_name:
      description: Name of that backup server.
      type: str
      sample: vbr-prod-01.corp.example
    restore_points:
      description: The newest restore points, newest first, at most O(limit) (only those within O(since)).
      type: list
      elements: dict
      contains:
        id:
          description: Id of the restore point.
          type: str
          sample: a456a7fd-c562-461f-aa7a-3f39b7320622
        creation_time:
          description: When it was created, ISO 8601 in UTC.
          type: str
          sample: "2026-11-22T22:04:11Z"
        type:
          description: C(Full), C(Increment), ... in the server's words; null on O(api=vspc), which does not tell.
          type: str
          sample: Increment
        job_id:
          description: Id of the job whose backup holds it, where the API tells (on O(api=em), for the newest point
            only); else null.
          type: str
          sample: 6bf39221-c79b-49ff-8537-26a37b0a9080
        job_name:
          description: Name of that job, else null.
          type: str
          sample: Daily Backup
        backup_id:
          description: Id of the backup (chain) that holds it; null on O(api=em).
          type: str
          sample: c88774c1-ce7b-4530-8b73-cca781f02061
        malware_status:
          description:
            - What Veeam's malware detection says of the point, in the server's word (C(Clean), C(Suspicious),
              C(Infected); C(Informative) from VBR 13), any other word as the server writes it; null where the API
              does not say.
            - O(api=vbr) the restore point model's C(malwareStatus) (every supported REST API revision has it; Veeam
              detects malware from VBR 12.1 on). O(api=vspc) the point's C(malwareState), else, for the newest point,
              the protected machine's (Veeam marks every point after the first flagged one until the machine is marked
              clean). O(api=em) always null; see the notes.
          type: str
          sample: Clean
        raw:
          description: The server's representation. Only with O(include_raw).
          type: dict
          returned: when O(include_raw=true)
          sample: {}
    latest_restore_point_time:
      description: When the newest restore point was created (whatever O(since) says), ISO 8601 in UTC; null when the
        machine has none.
      type: str
      sample: "2026-11-22T22:04:11Z"
    age:
      description: Seconds from RV(machines[].latest_restore_point_time) to now; null when there is no restore point.
      type: int
      sample: 41520
    job_id:
      description: Id of the job whose backup holds the newest restore point, where the API tells; else null.
      type: str
      sample: 6bf39221-c79b-49ff-8537-26a37b0a9080
    job_name:
      description: Name of that job, else null.
      type: str
      sample: Daily Backup
    last_result:
      description: C(Success), C(Warning) or C(Failed), the machine's own result in its latest backup run that ended;
        null when none is known.
      type: str
      sample: Warning
    last_message:
      description: That run's message for this machine when it ended C(Warning) or C(Failed), else null.
      type: str
      sample: "Changed block tracking cannot be enabled: one or more snapshots present"
    raw:
      description: The server's representation of the machine (EM, the newest restore point and latest task session;
        VBR, the backup objects and latest task session; VSPC, the protected workload and its job objects). Only with
        O(include_raw).
      type: dict
      returned: when O(include_raw=true)
      sample: {}
'''

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._machines import KINDS, Machines, machine_client_class, public
from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    VeeamModule,
    check_not_empty,
    check_positive,
    check_since,
)


def main():
    veeam = VeeamModule(dict(
        name=dict(type='list', elements='str', required=True),
        kind=dict(type='str', default='any', choices=list(KINDS)),
        since=dict(type='str'),
        limit=dict(type='int', default=1),
        backup_server=dict(type='str'),
        include_raw=dict(type='bool', default=False),
    ))
    params = veeam.params
    options = {}

    def check(params):
        check_not_empty(params, 'name', 'since', 'backup_server')
        if not params['name']:
            raise VeeamOptionError('name: give at least one machine name')
        check_positive(params, 'limit')
        options['since'] = check_since(params['since'], 'since')

    def work(client):
        machines = Machines(client, kind=params['kind'], backup_server=params['backup_server'], since=options['since'],
                            limit=params['limit'], include_raw=params['include_raw'])
        found = machines.lookup_all(params['name'])
        return dict(changed=False, machines=[public(machine) for machine in found])

    veeam.run(work, check=check, clients=machine_client_class)


if __name__ == '__main__':
    main()
