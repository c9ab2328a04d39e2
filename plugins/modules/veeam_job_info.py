#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_job_info
short_description: List Veeam backup, replication and backup copy jobs
version_added: 1.0.0
description:
  - Looks up the backup, replication and backup copy jobs that Veeam Backup Enterprise Manager (O(api=em))
    or Veeam Service Provider Console (O(api=vspc)) knows, on every backup server they manage, or that one
    Veeam Backup & Replication server has (O(api=vbr)).
  - Returns the same keys on every API (see RV(jobs)). Filters combine with AND. No match returns an empty list.
  - On O(api=em) the jobs come from the query service (C(/query?type=Job&format=Entities)), with the filters
    applied by the server and 500 jobs a page, never one request per job.
  - On O(api=vspc) the jobs come from C(/infrastructure/backupServers/jobs) (or the per-server path), 500 a
    page. Veeam Agent jobs are left out; list them with M(backupops.veeam.veeam_agent_job_info).
  - On O(api=vbr) the jobs come from C(/api/v1/jobs/states) (state, last and next run) and C(/api/v1/jobs)
    (schedule), read at the same time, 500 jobs a page, with the server's C(idFilter), C(nameFilter) and
    C(typeFilter) where they apply, plus one read of C(/api/v1/serverInfo) for the backup server's id and name.
    Looking one job up by name costs these three requests besides the token and the logout; listing N jobs costs
    2 x ceil(N / 500) + 1. C(nameFilter) is a pattern (C(*) is a wildcard), so names are compared exactly
    afterwards, and a name holding C(*) still finds only itself. Veeam Agent jobs are left out.
  - On O(api=vbr) with REST API revision C(1.2-rev1) (VBR 12.3), the server shows VMware backup jobs (type
    C(Backup)) and replicas only; from C(1.3-rev0) (VBR 13.0) it shows every job, and VMware backup jobs are
    C(VSphereBackup).
author:
  - backupops.veeam contributors (@backupops)
notes:
  - "The same kinds of job in each API's words (O(type)): VMware or Hyper-V backup jobs: V(Backup) on O(api=em),
    V(BackupVm) on O(api=vspc), V(VSphereBackup) and V(HyperVBackup) on O(api=vbr) (V(Backup) there means VMware
    only); replication jobs: V(Replica), V(ReplicationVM), V(VSphereReplica); backup copy jobs: V(BackupCopy) (and
    V(ImmediateBackupCopy) on em), V(BackupCopy) and V(SimpleBackupCopy), V(BackupCopy) and V(LegacyBackupCopy).
    The collection passes the words through rather than translating them, because the APIs do not cut the jobs
    the same way (a vbr server names each hypervisor apart, vspc adds kinds em does not have): a translated word
    would silently find other jobs than the user asked for."
options:
  id:
    description:
      - Id of one job, a GUID or an Enterprise Manager UID such as V(urn:veeam:Job:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b).
    type: str
  name:
    description:
      - Exact job name (case-sensitive). Spaces, quotes and other characters need no escaping.
    type: str
  backup_server:
    description:
      - Only jobs of this backup server, given by id (GUID) or by name as the API shows it.
      - A name no server has returns an empty list, with a warning that names the close names.
      - On O(api=vbr) the API is the backup server itself; its id is the C(vbrId) of C(/api/v1/serverInfo), and
        any other value matches nothing. Only a Veeam Backup Administrator may read C(/api/v1/serverInfo); for
        other accounts, giving this option fails before anything is listed.
    type: str
  type:
    description:
      - Only jobs whose type is one of these, in the server's own words, for example V(Backup), V(Replica),
        V(BackupCopy) on O(api=em), or V(BackupVm), V(ReplicationVM), V(BackupCopy) on O(api=vspc), or
        V(VSphereBackup), V(HyperVBackup), V(VSphereReplica), V(BackupCopy) on O(api=vbr).
      - On O(api=vbr), V(Backup) and V(VSphereBackup) mean the same (revision C(1.2-rev1) says V(Backup), 1.3 says
        V(VSphereBackup)); RV(jobs[].type) is the server's word.
      - Each API has its own words, so a play that switches O(api) switches its type words too (the notes show
        them side by side). A word that is not one of the API's own gives a warning that lists the API's words.
    type: list
    elements: str
  include_last_session:
    description:
      - On O(api=em), also fill RV(jobs[].last_run), RV(jobs[].last_result) and RV(jobs[].running) from each job's
        newest session. This costs one more query when up to 20 jobs match (all their sessions in one
        filtered request); with more jobs, the sessions are read newest first, 500 a page, until every job's
        latest session was seen (at most the 30 days of sessions Enterprise Manager keeps). Never one request per job.
      - On O(api=vspc) and O(api=vbr) these keys are always filled, and this option costs nothing.
    type: bool
    default: false
  include_raw:
    description:
      - Add RV(jobs[].raw), the server's own representation of each job.
    type: bool
    default: false
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.attributes
  - backupops.veeam.attributes.INFO_MODULE
seealso:
  - module: backupops.veeam.veeam_agent_job_info
  - module: backupops.veeam.veeam_job_action
'''

EXAMPLES = r'''
- name: List every job Enterprise Manager knows
  backupops.veeam.veeam_job_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
  register: all_jobs

- name: Find one job by name, with its latest run
  backupops.veeam.veeam_job_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    name: "SQL Server; Nightly, Full"
    include_last_session: true
  register: sql_job

- name: Backup copy jobs of one backup server, through the Service Provider Console with an API key
  backupops.veeam.veeam_job_info:
    api: vspc
    server: vspc.corp.example
    api_key: "{{ vault_vspc_api_key }}"
    backup_server: vbr-prod-01.corp.example
    type: [BackupCopy]
  register: copy_jobs

- name: Set the connection once for a play, from the VEEAM_* environment or here
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/backupops.veeam.veeam:
      server: em.corp.example
      username: CORP\backup-operator
      password: "{{ vault_em_password }}"
      ca_path: /etc/pki/tls/corp-ca.pem
  tasks:
    - name: Jobs whose schedule is switched off
      backupops.veeam.veeam_job_info:
      register: jobs

    - name: Show them
      ansible.builtin.debug:
        msg: "{{ jobs.jobs | rejectattr('schedule_enabled') | map(attribute='name') | list }}"
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: em
jobs:
  description: The matching jobs, in the order the server listed them. Empty when nothing matched.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Job id (GUID). On O(api=em) the GUID part of RV(jobs[].uid).
      type: str
      sample: 2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b
    uid:
      description: The server's unique id of the job (an C(urn:veeam:Job:...) UID on O(api=em), the GUID on
        O(api=vspc) and O(api=vbr)).
      type: str
      sample: urn:veeam:Job:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b
    name:
      description: Job name.
      type: str
      sample: "SQL Server; Nightly, Full"
    type:
      description: Job type in the server's words (C(JobType) on O(api=em), C(type) on O(api=vspc)).
      type: str
      sample: Backup
    platform:
      description: Platform of the job (C(VMware), C(HyperV), C(vCloud) on O(api=em)); null on O(api=vspc) and
        O(api=vbr), where the type says it.
      type: str
      sample: VMware
    description:
      description: Job description.
      type: str
      sample: Nightly backup of the SQL cluster
    backup_server_id:
      description: Id (GUID) of the backup server the job is configured on.
      type: str
      sample: 7f3d7e7a-1c55-4a57-b4a8-2f1b8c0e6d11
    backup_server_name:
      description: Name of that backup server.
      type: str
      sample: vbr-prod-01.corp.example
    schedule_configured:
      description: Whether the job has a schedule.
      type: bool
      sample: true
    schedule_enabled:
      description: Whether the job runs on its schedule.
      type: bool
      sample: true
    next_run:
      description: Next scheduled run, ISO 8601 in UTC; null on O(api=vspc) and for jobs without a schedule.
      type: str
      sample: "2026-11-23T22:00:00Z"
    last_run:
      description: Start of the latest run, ISO 8601 in UTC. On O(api=em) only with O(include_last_session).
      type: str
      sample: "2026-11-22T22:00:04Z"
    last_result:
      description: Result of the latest run (C(Success), C(Warning), C(Failed)); null while a run goes on or when
        unknown.
      type: str
      sample: Success
    running:
      description: Whether a run is under way. On O(api=em) only with O(include_last_session), else null.
      type: bool
      sample: false
    raw:
      description: The server's representation of the job (XML through xmltodict, or JSON); on O(api=vbr) a dict
        with C(state) (the C(/jobs/states) item) and C(job) (the C(/jobs) model). Only with O(include_raw).
      type: dict
      returned: when O(include_raw=true)
      sample: {}
'''

from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    VeeamModule,
    check_job_id,
    check_not_empty,
    check_type_words,
)


def check(params):
    check_not_empty(params, 'id', 'name', 'backup_server', 'type')
    check_job_id(params['id'], 'id')
    check_type_words(params['type'], 'type')


def main():
    veeam = VeeamModule(dict(
        id=dict(type='str'),
        name=dict(type='str'),
        backup_server=dict(type='str'),
        type=dict(type='list', elements='str'),
        include_last_session=dict(type='bool', default=False),
        include_raw=dict(type='bool', default=False),
    ))
    params = veeam.params

    def work(client):
        jobs = client.find_jobs(job_id=params['id'], name=params['name'], backup_server=params['backup_server'],
                                types=params['type'], include_last_session=params['include_last_session'],
                                include_raw=params['include_raw'])
        return dict(changed=False, jobs=jobs)

    veeam.run(work, check=check)


if __name__ == '__main__':
    main()
