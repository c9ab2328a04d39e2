#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_session_info
short_description: What ran, what failed, and why; job sessions of every kind with each machine's result
version_added: 1.0.0
description:
  - Lists the sessions (runs) of backup, replication, backup copy and agent jobs, newest first, from Veeam Backup
    Enterprise Manager (O(api=em)), Veeam Service Provider Console (O(api=vspc)) or a Veeam Backup & Replication
    server (O(api=vbr)), with the same keys on every API (see RV(sessions)).
  - It is the morning report in one task, O(result=[Failed, Warning]), O(since=24h), O(include_tasks=true) lists each
    run that failed or warned with each machine of it, its own result and the reason.
  - Filters combine with AND; no match returns an empty list.
  - "O(api=em): the sessions come from the query service, C(query?type=BackupJobSession) and
    C(query?type=ReplicaJobSession) (Enterprise Manager lists replication runs apart; a run that both show is listed
    once), newest first, with every filter applied by the server; each listing stops at O(limit) sessions.
    O(include_tasks) reads C(query?type=BackupTaskSession) filtered on the C(JobSessionUid) of 25 listed runs at a time
    (C(JobSessionUid==a,JobSessionUid==b,...), OR in the query language), never one request per run. Enterprise
    Manager keeps the sessions of the last 30 days only."
  - "O(api=vbr): C(/api/v1/jobs/states) for the jobs' names and types (read while the first page of sessions is asked
    for), then C(/api/v1/sessions) newest first with the server's C(jobIdFilter), C(typeFilter), C(stateFilter),
    C(resultFilter) and C(createdAfterFilter) where the options allow them, one request a page and no page after
    O(limit) sessions are in. O(include_tasks) reads C(/api/v1/sessions/{id}/taskSessions) and O(include_log) reads
    C(/api/v1/sessions/{id}/logs) of each listed run, eight runs at a time. Sessions that are no job's run (restores,
    rescans) are left out."
  - "O(api=vspc): the Service Provider Console keeps no run history (its documents list no job sessions, only each
    job's latest run), so the module returns one session per matching job, its latest run, built from the job
    (RV(sessions[].id), RV(sessions[].name) and RV(sessions[].progress) are null). O(include_tasks) reads the job
    objects of VM backup jobs (C(/infrastructure/backupServers/jobs/backupVmJobs/objects)) and of agent jobs
    (C(/infrastructure/backupServers/jobs/agentJobs/objects)), filtered on 40 jobs at a time; other kinds of job give
    the job's C(lastSessionTasks)."
author:
  - backupops.veeam contributors (@backupops)
options:
  job_id:
    description:
      - Only sessions of this job, by id (GUID) or Enterprise Manager UID.
    type: str
  job_name:
    description:
      - Only sessions of the job with this exact name.
    type: str
  type:
    description:
      - Only sessions of jobs of these types, in the words RV(backupops.veeam.veeam_job_info#module:jobs[].type) shows
        on that API (O(api=em) V(Backup), V(Replica), V(BackupCopy), V(AgentBackup); O(api=vspc) V(BackupVm),
        V(ReplicationVM), V(AgentBackupJob), ...; O(api=vbr) V(VSphereBackup), V(VSphereReplica),
        V(LinuxAgentBackup), ...). A word that is not one of the API's is warned about.
    type: list
    elements: str
  state:
    description:
      - Only sessions in one of these states. V(Working) is a running session; V(Stopped) is one that has ended.
    type: list
    elements: str
    choices: [Starting, Working, Stopping, Pausing, Resuming, Stopped]
  result:
    description:
      - Only sessions with one of these results. V(None) is the result of a session that still runs.
    type: list
    elements: str
    choices: [Success, Warning, Failed, None]
  since:
    description:
      - Only sessions created at or after this time, given as ISO 8601 (V(2026-11-22T06:00:00Z); UTC when no zone is
        given) or as a duration back from now, a number followed by V(m), V(h) or V(d) (V(90m), V(24h), V(7d); V(s) and
        V(w) work too). A time in the future is refused.
    type: str
  limit:
    description:
      - At most this many sessions, the newest.
    type: int
    default: 100
  include_tasks:
    description:
      - Add RV(sessions[].tasks), each machine of the run with its own result and message.
    type: bool
    default: false
  include_log:
    description:
      - Add RV(sessions[].log), the run's log records whose status is C(Warning) or C(Failed), oldest first.
      - O(api=vbr) only; on the other APIs the module fails before any request, naming this option (neither
        Enterprise Manager nor the Service Provider Console serves a session's log).
    type: bool
    default: false
  include_raw:
    description:
      - Add RV(sessions[].raw) (on O(api=vspc), of the job) and RV(sessions[].tasks[].raw), the server's own
        representation.
    type: bool
    default: false
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.attributes
  - backupops.veeam.attributes.INFO_MODULE
seealso:
  - module: backupops.veeam.veeam_job_info
  - module: backupops.veeam.veeam_agent_session_info
'''

EXAMPLES = r'''
- name: Morning report, every run of the last day that failed or warned, with each machine
  backupops.veeam.veeam_session_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    result: [Failed, Warning]
    since: 24h
    include_tasks: true
  register: report

- name: One line per machine that did not back up cleanly
  ansible.builtin.debug:
    msg: >-
      {% for session in report.sessions %}{% for task in session.tasks if task.result != 'Success' %}
      {{ session.job_name }} / {{ task.name }}: {{ task.result }} {{ task.message }}
      {% endfor %}{% endfor %}

- name: The last ten runs of one job, with the warnings and errors of their logs
  backupops.veeam.veeam_session_info:
    api: vbr
    server: vbr.corp.example
    username: CORP\backup-operator
    password: "{{ vault_vbr_password }}"
    job_name: Daily Backup
    limit: 10
    include_log: true

- name: Replication runs still going
  backupops.veeam.veeam_session_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    type: [Replica]
    state: [Starting, Working, Stopping]
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: em
sessions:
  description: The matching sessions, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Session id (GUID); null on O(api=vspc).
      type: str
      sample: 21d5e924-6c1f-4a4b-9d0e-1f2a3b4c5d6e
    name:
      description: Session name, C(<job>@<start time>) on O(api=em), the job's name on O(api=vbr); null on O(api=vspc).
      type: str
      sample: Daily Backup@2026-11-22 20:00:12
    job_id:
      description: Id (GUID) of the job.
      type: str
      sample: 0b5f1c7e-8d3a-4c2b-9e1f-6a7b8c9d0e1f
    job_name:
      description: Name of the job.
      type: str
      sample: Daily Backup
    job_type:
      description: Job type in the server's words.
      type: str
      sample: Backup
    state:
      description: C(Starting), C(Working), C(Stopping), C(Stopped) (or another word of the server's).
      type: str
      sample: Stopped
    result:
      description: C(Success), C(Warning), C(Failed), or C(None) while the session runs.
      type: str
      sample: Failed
    running:
      description: Whether the session is still under way (its state is not C(Stopped)).
      type: bool
      sample: false
    progress:
      description: Percent done; null on O(api=vspc).
      type: int
      sample: 100
    creation_time:
      description: Start of the session, ISO 8601 in UTC.
      type: str
      sample: "2026-11-22T20:00:12Z"
    end_time:
      description: End of the session in UTC; null while it runs.
      type: str
      sample: "2026-11-22T20:31:40Z"
    failure_message:
      description: Why the session failed or warned, as the server says it, without trailing white space; null when it
        succeeded.
      type: str
      sample: "Error: Failed to create VM snapshot. The operation is not allowed in the current state."
    is_retry:
      description: Whether the session was a retry; null on O(api=vspc) and O(api=vbr).
      type: bool
      sample: false
    tasks:
      description:
        - Each machine (VM or computer) of the run, in the order the run processed them; null without
          O(include_tasks).
        - On O(api=vspc), the job objects as they are after the job's latest run (the machines that run did not
          process, such as excluded ones, are left out).
      type: list
      elements: dict
      contains:
        id:
          description: Task session id (GUID); null on O(api=vspc).
          type: str
        session_id:
          description: Id of the session the task belongs to; null on O(api=vspc).
          type: str
        name:
          description: The machine's name.
          type: str
          sample: web01
        state:
          description: The task's state in the server's words (O(api=em) C(Pending), C(InProgress), C(Completed);
            O(api=vbr) C(Working), C(Stopped); O(api=vspc) C(Working) or C(Stopped)).
          type: str
          sample: Stopped
        result:
          description: The machine's own result, C(Success), C(Warning), C(Failed), or C(None) while it runs.
          type: str
          sample: Failed
        message:
          description: Why this machine failed or warned, without trailing white space; null when there is none.
          type: str
          sample: "Error: Failed to create VM snapshot. The operation is not allowed in the current state."
        creation_time:
          description: When the machine's part started, in UTC; null on O(api=vspc).
          type: str
        end_time:
          description: When it ended, in UTC; null while it runs and on O(api=vspc).
          type: str
        restore_point_id:
          description: The restore point it made (O(api=vbr)); null elsewhere.
          type: str
        raw:
          description: The server's representation. Only with O(include_raw).
          type: dict
          returned: when O(include_raw=true)
    log:
      description:
        - The run's log records whose status is C(Warning) or C(Failed), oldest first; null without O(include_log).
      type: list
      elements: dict
      contains:
        time:
          description: When the step of the record started, in UTC.
          type: str
        status:
          description: C(Warning) or C(Failed).
          type: str
        title:
          description: The record's text.
          type: str
          sample: "web02: Failed to create VM snapshot"
        description:
          description: More about it, where the server writes more; else null.
          type: str
    raw:
      description: The server's representation. Only with O(include_raw).
      type: dict
      returned: when O(include_raw=true)
      sample: {}
'''

from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    VeeamModule,
    check_job_id,
    check_not_empty,
    check_positive,
    check_since,
    check_type_words,
    choose_words,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import SESSION_RESULTS, SESSION_STATES
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import check_include_log, session_client_class


def main():
    veeam = VeeamModule(dict(
        job_id=dict(type='str'),
        job_name=dict(type='str'),
        type=dict(type='list', elements='str'),
        state=dict(type='list', elements='str', choices=list(SESSION_STATES)),
        result=dict(type='list', elements='str', choices=list(SESSION_RESULTS)),
        since=dict(type='str'),
        limit=dict(type='int', default=100),
        include_tasks=dict(type='bool', default=False),
        include_log=dict(type='bool', default=False),
        include_raw=dict(type='bool', default=False),
    ))
    params = veeam.params
    filters = {}

    def check(params):
        check_not_empty(params, 'job_id', 'job_name', 'type', 'since')
        check_job_id(params['job_id'], 'job_id')
        check_type_words(params['type'], 'type')
        check_positive(params, 'limit')
        check_include_log(params['api'], params['include_log'])
        filters['types'] = params['type'] or None
        filters['states'] = choose_words(params['state'], SESSION_STATES, 'state')
        filters['results'] = choose_words(params['result'], SESSION_RESULTS, 'result')
        filters['since'] = check_since(params['since'], 'since')

    def work(client):
        sessions = client.find_sessions(job_id=params['job_id'], job_name=params['job_name'], limit=params['limit'],
                                        include_tasks=params['include_tasks'], include_log=params['include_log'],
                                        include_raw=params['include_raw'], **filters)
        return dict(changed=False, sessions=sessions)

    veeam.run(work, check=check, clients=session_client_class)


if __name__ == '__main__':
    main()
