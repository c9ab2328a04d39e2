#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_agent_job_info
short_description: List Veeam Agent backup jobs managed by backup servers
version_added: 1.0.0
description:
  - Looks up the Veeam Agent for Linux and for Microsoft Windows backup jobs configured on the backup servers that
    Veeam Backup Enterprise Manager (O(api=em)) or Veeam Service Provider Console (O(api=vspc)) manages, or that one
    Veeam Backup & Replication server has (O(api=vbr)).
  - Returns the same keys on every API (see RV(jobs)). Filters combine with AND. No match returns an empty list.
  - "Requests: O(api=em) reads C(/query?type=AgentBackupJob&format=Entities), 500 jobs a page, filters applied by
    the server; listing N jobs costs ceil(N / 500) requests plus the logon and the logoff."
  - "O(api=vspc) reads C(/infrastructure/backupServers/jobs/agentJobs) (or C(/infrastructure/backupServers/{uid}/jobs/agentJobs)
    when O(backup_server) is given) with C(expand=BackupServerJob), so names, states and schedules come in the same
    pages of 500; plus one request for the backup server names and one for the token."
  - "O(api=vbr) reads C(/api/v1/jobs/states) and C(/api/v1/jobs) (500 a page, at the same time) and keeps the agent
    job types: C(WindowsAgentBackup), C(LinuxAgentBackup), and from revision C(1.3-rev1) the C(*Policy) types;
    RV(jobs[].platform) is C(Windows) or C(Linux). The VBR REST API has agent jobs from revision C(1.3-rev0)
    (VBR 13.0): on a VBR 12.3 server (or with O(api_version=1.2-rev1)) the module fails, naming the revision it needs."
author:
  - backupops.veeam contributors (@backupops)
options:
  id:
    description:
      - Id of one agent job, a GUID or an Enterprise Manager UID such as
        V(urn:veeam:AgentBackupJob:0b5f1c7e-8d3a-4c2b-9e1f-6a7b8c9d0e1f).
    type: str
  name:
    description:
      - Exact job name (case-sensitive).
    type: str
  backup_server:
    description:
      - Only agent jobs of this backup server, given by id (GUID) or by name.
      - A name no server has returns an empty list, with a warning that names the close names.
      - On O(api=vbr), the server itself (see M(backupops.veeam.veeam_job_info)).
    type: str
  include_last_session:
    description:
      - On O(api=em), also fill RV(jobs[].last_run), RV(jobs[].last_result) and RV(jobs[].running) from each job's newest
        session. Up to 20 jobs this costs one more request; with more jobs the agent sessions are read newest first,
        500 a page, until every job's latest session was seen (at most the 30 days of sessions Enterprise Manager
        keeps). Never one request per job.
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
  - module: backupops.veeam.veeam_agent_session_info
  - module: backupops.veeam.veeam_job_info
'''

EXAMPLES = r'''
- name: Which agent jobs exist on which backup server
  backupops.veeam.veeam_agent_job_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
  register: agent_jobs

- name: Print each job as "backup server - job"
  ansible.builtin.debug:
    msg: "{{ agent_jobs.jobs | map(attribute='backup_server_name') | zip(agent_jobs.jobs | map(attribute='name')) | map('join', ' - ') | list }}"

- name: Linux agent jobs of one backup server whose latest run failed
  backupops.veeam.veeam_agent_job_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    backup_server: vbr-prod-01.corp.example
    include_last_session: true
  register: prod_agent_jobs

- name: Show them
  ansible.builtin.debug:
    msg: "{{ prod_agent_jobs.jobs | selectattr('platform', 'equalto', 'AgentForLinux') | selectattr('last_result', 'equalto', 'Failed')
             | map(attribute='name') | list }}"

- name: One agent job through the Service Provider Console
  backupops.veeam.veeam_agent_job_info:
    api: vspc
    server: vspc.corp.example
    api_key: "{{ vault_vspc_api_key }}"
    name: Linux DB Servers
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: em
jobs:
  description: The matching agent jobs. Empty when nothing matched.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Job id (GUID).
      type: str
      sample: 0b5f1c7e-8d3a-4c2b-9e1f-6a7b8c9d0e1f
    uid:
      description: The server's unique id of the job (C(urn:veeam:AgentBackupJob:...) on O(api=em), the GUID elsewhere).
      type: str
      sample: urn:veeam:AgentBackupJob:0b5f1c7e-8d3a-4c2b-9e1f-6a7b8c9d0e1f
    name:
      description: Job name.
      type: str
      sample: Linux DB Servers
    type:
      description: Job type in the server's words, C(AgentBackup) on O(api=em), C(AgentBackupJob) on O(api=vspc),
        C(WindowsAgentBackup), C(LinuxAgentBackup) or a C(*Policy) type on O(api=vbr).
      type: str
      sample: AgentBackup
    platform:
      description: C(AgentForLinux) or C(AgentForWindows) on O(api=em); the OS type (C(Linux), C(Windows), C(Mac)) on O(api=vspc);
        C(Windows) or C(Linux), from the job type, on O(api=vbr).
      type: str
      sample: AgentForLinux
    description:
      description: Job description.
      type: str
      sample: Veeam Agent job for the database servers
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
      description: Next scheduled run in UTC, when the server tells it; null on O(api=vspc).
      type: str
      sample: "2026-11-23T20:00:00Z"
    last_run:
      description: Start of the latest run in UTC. On O(api=em) only with O(include_last_session).
      type: str
      sample: "2026-11-22T20:00:12Z"
    last_result:
      description: Result of the latest run (C(Success), C(Warning), C(Failed)); null while it runs or when unknown.
      type: str
      sample: Failed
    running:
      description: Whether a run is under way. On O(api=em) only with O(include_last_session), else null.
      type: bool
      sample: false
    raw:
      description: The server's representation of the job. Only with O(include_raw).
      type: dict
      returned: when O(include_raw=true)
      sample: {}
'''

from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    VeeamModule,
    check_job_id,
    check_not_empty,
)


def check(params):
    check_not_empty(params, 'id', 'name', 'backup_server')
    check_job_id(params['id'], 'id')


def main():
    veeam = VeeamModule(dict(
        id=dict(type='str'),
        name=dict(type='str'),
        backup_server=dict(type='str'),
        include_last_session=dict(type='bool', default=False),
        include_raw=dict(type='bool', default=False),
    ))
    params = veeam.params

    def work(client):
        jobs = client.find_jobs(agent=True, job_id=params['id'], name=params['name'],
                                backup_server=params['backup_server'],
                                include_last_session=params['include_last_session'], include_raw=params['include_raw'])
        return dict(changed=False, jobs=jobs)

    veeam.run(work, check=check)


if __name__ == '__main__':
    main()
