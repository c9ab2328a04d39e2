#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_quick_backup
short_description: Back up one machine now, not its whole job (Veeam Quick Backup)
version_added: 1.0.0
description:
  - Runs an incremental backup of just one machine (VM or Veeam Agent computer) through the job that already
    protects it, Veeam's Quick Backup, and with O(wait) waits for the run and reads the machine's restore points again.
    Made for "back this server up before I patch it", one machine in minutes instead of its whole job.
  - The machine is found as M(backupops.veeam.veeam_restore_point_info) finds it (O(name) as the inventory writes it,
    any case; a dotted name that matches nothing is tried again with its first label).
  - "Before anything is started the module fails, saying why and what to use instead, when: the name matches no
    machine or several; the machine has no restore point yet (a quick backup adds an increment to an existing chain,
    so the machine must have been backed up by its job before); or the API or the server's version cannot back up
    this machine alone (see below). It never starts a whole job: for that, use M(backupops.veeam.veeam_job_action)."
  - A run of the machine's job that is going on is waited for first (Veeam refuses a quick backup while the job
    runs); when that run gave the machine a new restore point, nothing more is started (C(changed=false)).
    Without O(wait), such a job fails the module instead.
  - "O(api=em): C(POST /backupServers/{id}?action=quickbackup) with the VM's reference (the C(HierarchyObjRef) of its
    newest restore point); the task it answers with is followed to its end, and its C(Related) link names the job
    session, which is then followed until it stops. VMs only: Enterprise Manager has no quick backup for Veeam Agent
    computers, so a computer fails, naming its agent job as the alternative."
  - "O(api=vbr): C(POST /api/v1/jobs/quickBackup/vSphere) for vSphere VMs (every supported revision),
    C(/quickBackup/hyperV) for Hyper-V VMs and C(/quickBackup/agent) for Veeam Agent computers from REST API revision
    C(1.3-rev2) (VBR 13.1) on; on VBR 12.3 and 13.0 these fail before anything is started, naming the revision
    needed. The body is built from the machine's backup object (no inventory browsing, which Backup Operators may
    not do). vSphere and Hyper-V answer with the session they started, which is followed through
    C(/api/v1/sessions/{id}); the agent endpoint answers with the job only, whose new session is then looked for."
  - "O(api=vspc): the Service Provider Console's REST API has no per-machine backup. The module finds the machine and
    fails before anything is started, naming its job, which M(backupops.veeam.veeam_job_action) can start whole."
  - With O(wait), a run that ends C(Failed) fails the module with the machine's own message (from its task session);
    C(Warning) adds a warning, or fails with O(fail_on_warning). Running out of O(wait_timeout) fails with the last
    known session. While it waits, a progress line is printed every O(progress_interval) seconds.
author:
  - backupops.veeam contributors (@backupops)
options:
  name:
    description:
      - The machine to back up, a VM name or computer name as the inventory writes it.
    type: str
    required: true
  kind:
    description:
      - Look for a VM (V(vm)), a Veeam Agent computer (V(computer)), or either (V(any)).
    type: str
    choices: [vm, computer, any]
    default: any
  backup_server:
    description:
      - Look for the machine on this backup server only (id or name), for a name used on several servers.
    type: str
  wait:
    default: true
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.wait
  - backupops.veeam.attributes
  - backupops.veeam.attributes.QUICK_BACKUP
notes:
  - A quick backup needs the Portal Administrator role on Enterprise Manager, and a Veeam Backup Administrator or
    Backup Operator on O(api=vbr).
  - Enterprise Manager shows the new restore point after its next collection from the backup server; the module looks
    for it for up to two minutes after the run, then returns with a warning rather than failing.
  - Which job a quick backup runs when the machine is in several jobs is Veeam's choice; RV(session) names it.
  - "Each restore point of RV(machine) carries C(malware_status), what Veeam's malware detection (VBR 12.1 and later)
    says of it: C(Clean), C(Suspicious), C(Infected) (C(Informative) from VBR 13) on O(api=vbr), from the restore
    point model's C(malwareStatus); always null on O(api=em), whose REST API names no malware status. A machine
    flagged before the run stays flagged: Veeam marks the new point the same until the machine is marked clean. The
    module starts the backup whatever the status; the C(backupops.veeam.fresh_backup) role refuses suspect machines
    first."
seealso:
  - module: backupops.veeam.veeam_restore_point_info
  - module: backupops.veeam.veeam_job_action
'''

EXAMPLES = r'''
- name: Back this host up now, before it is patched
  backupops.veeam.veeam_quick_backup:
    server: em.corp.example
    username: CORP\backup-admin
    password: "{{ vault_em_password }}"
    name: "{{ inventory_hostname }}"
  delegate_to: localhost

- name: A Veeam Agent computer, through the VBR REST API of a VBR 13.1 server
  backupops.veeam.veeam_quick_backup:
    api: vbr
    server: vbr01.corp.example
    username: CORP\backup-operator
    password: "{{ vault_vbr_password }}"
    name: lnx-db01.corp.example
    kind: computer
    wait_timeout: 7200
  delegate_to: localhost
  register: quick

- name: When the newest restore point was made
  ansible.builtin.debug:
    msg: "{{ quick.machine.latest_restore_point_time }} by {{ quick.session.job_name }}"
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: em
msg:
  description: What was done, or why the module failed.
  returned: always
  type: str
  sample: "quick backup of 'web01' through job 'Daily Backup' ended Success; newest restore point 2026-11-23T09:12:40Z"
machine:
  description: The machine after the run (before it, when nothing was started); the same keys as a machine of
    M(backupops.veeam.veeam_restore_point_info).
  returned: when the machine was found
  type: dict
  sample: {"item": "web01.corp.example", "name": "web01", "protected": true, "kind": "vm", "platform": "VMware",
           "backup_server_name": "vbr-prod-01.corp.example", "latest_restore_point_time": "2026-11-23T09:12:40Z",
           "age": 4, "job_name": "Daily Backup", "last_result": "Success", "last_message": null,
           "restore_points": [{"id": "a456a7fd-c562-461f-aa7a-3f39b7320622", "creation_time": "2026-11-23T09:12:40Z",
                               "type": "Increment", "job_id": "6bf39221-c79b-49ff-8537-26a37b0a9080",
                               "job_name": "Daily Backup", "backup_id": "c88774c1-ce7b-4530-8b73-cca781f02061",
                               "malware_status": "Clean"}]}
session:
  description: The job session of the run (the quick backup, or the run of its job that was going on); null in check
    mode and when nothing was started. The same keys as a session of M(backupops.veeam.veeam_agent_session_info).
  returned: when the machine was found
  type: dict
  sample: {"id": "9ff48f05-3367-42a8-af03-d875a5969295", "job_name": "Daily Backup", "state": "Stopped",
           "result": "Success", "running": false, "creation_time": "2026-11-23T09:12:31Z",
           "end_time": "2026-11-23T09:12:40Z"}
task:
  description: The Enterprise Manager task that carried the request (C(id), C(state), C(operation), C(success),
    C(message)); null on O(api=vbr) and O(api=vspc), and when nothing was started.
  returned: when the machine was found
  type: dict
  sample: {"id": "task-31", "state": "Finished", "operation": "QuickBackup", "success": true, "message": "Ok"}
'''

from ansible_collections.backupops.veeam.plugins.module_utils._machines import KINDS, Machines, machine_client_class
from ansible_collections.backupops.veeam.plugins.module_utils._quick_backup import QuickBackup, final_result
from ansible_collections.backupops.veeam.plugins.module_utils._module import VeeamModule, check_not_empty
from ansible_collections.backupops.veeam.plugins.module_utils._progress import PROGRESS_OPTION, results_or_round


def check(params):
    check_not_empty(params, 'name', 'backup_server')


def main():
    veeam = VeeamModule(dict(
        name=dict(type='str', required=True),
        kind=dict(type='str', default='any', choices=list(KINDS)),
        backup_server=dict(type='str'),
    ), wait_default=True, internal=(PROGRESS_OPTION,))
    params = veeam.params
    module = veeam.module

    def work(client):
        machines = Machines(client, kind=params['kind'], backup_server=params['backup_server'], limit=1)
        backup = QuickBackup(client, machines, veeam.waiting, check_mode=module.check_mode)
        # the action plugin sets the internal option to wait in rounds, printing progress in between
        results, pending = results_or_round(veeam.internal.get(PROGRESS_OPTION), veeam.waiting.wait and not module.check_mode,
                                            backup, lambda: [{'name': params['name']}],
                                            lambda: [backup.run(params['name'])], warn=veeam.warn)
        if pending is not None:
            return pending
        result = final_result(results[0])
        for warning in result.pop('warnings'):
            veeam.warn(warning)
        return result

    veeam.run(work, check=check, clients=machine_client_class)


if __name__ == '__main__':
    main()
