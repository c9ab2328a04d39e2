#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_agent_session_info
short_description: List Veeam Agent backup sessions, newest first
version_added: 1.0.0
description:
  - Answers "which agent backups failed, and which are still running" from Veeam Backup Enterprise Manager
    (O(api=em)), Veeam Service Provider Console (O(api=vspc)) or a Veeam Backup & Replication server (O(api=vbr)).
  - Returns the same keys on every API (see RV(sessions)), newest first. Filters combine with AND; no match returns
    an empty list.
  - "O(api=em): the sessions come from C(/query?type=BackupJobSession) with C(JobType==AgentBackup), newest first
    (C(sortDesc=CreationTime)), and every filter is applied by the server, so N sessions cost ceil(N / 500) requests
    (plus the logon and the logoff), and no page is read after O(limit) sessions are in. Enterprise Manager keeps the
    sessions of the last 30 days only."
  - "O(api=vspc): VSPC lists no sessions, only each job's latest run. The module returns one session per matching
    agent job, built from that run (RV(sessions[].id), RV(sessions[].name) and RV(sessions[].progress) are null)."
  - "O(api=vbr): one read of the agent jobs (C(/api/v1/jobs/states), for their names and types), then
    C(/api/v1/sessions) newest first (C(orderColumn=CreationTime&orderAsc=false)) with the server's C(jobIdFilter),
    C(stateFilter) (one state), C(resultFilter) and C(createdAfterFilter), and C(typeFilter=AgentBackup,AgentPolicy)
    when no single job is asked for; one request a page, no page after O(limit) sessions are in. Needs revision
    C(1.3-rev0) (VBR 13.0) or later; on VBR 12.3 the module fails, naming the revision it needs."
author:
  - backupops.veeam contributors (@backupops)
options:
  job_id:
    description:
      - Only sessions of this agent job, by id (GUID) or Enterprise Manager UID.
    type: str
  job_name:
    description:
      - Only sessions of the agent job with this exact name.
    type: str
  state:
    description:
      - Only sessions in one of these states.
      - V(Working) is a running session; V(Stopped) is one that has ended.
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
  include_raw:
    description:
      - Add RV(sessions[].raw), the server's own representation of each session (on O(api=vspc), of the job).
    type: bool
    default: false
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.attributes
  - backupops.veeam.attributes.INFO_MODULE
seealso:
  - module: backupops.veeam.veeam_agent_job_info
'''

EXAMPLES = r'''
- name: Agent backups that failed since yesterday morning
  backupops.veeam.veeam_agent_session_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    result: [Failed]
    since: 24h
  register: failed

- name: Morning report
  ansible.builtin.debug:
    msg: "{{ failed.sessions | map(attribute='job_name') | zip(failed.sessions | map(attribute='failure_message')) | map('join', ': ') | list }}"

- name: Agent backups still running
  backupops.veeam.veeam_agent_session_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    state: [Starting, Working, Stopping]
  register: running

- name: The last ten runs of one agent job
  backupops.veeam.veeam_agent_session_info:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    job_name: Linux DB Servers
    limit: 10

- name: Latest run of every agent job through the Service Provider Console, failures only
  backupops.veeam.veeam_agent_session_info:
    api: vspc
    server: vspc.corp.example
    api_key: "{{ vault_vspc_api_key }}"
    result: [Failed]
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
      sample: Linux DB Servers@2026-11-22 20:00:12
    job_id:
      description: Id (GUID) of the agent job.
      type: str
      sample: 0b5f1c7e-8d3a-4c2b-9e1f-6a7b8c9d0e1f
    job_name:
      description: Name of the agent job.
      type: str
      sample: Linux DB Servers
    job_type:
      description: Job type in the server's words.
      type: str
      sample: AgentBackup
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
      description: Why the session failed or warned, as the server says it; null when it succeeded.
      type: str
      sample: "Error: Unable to connect to Veeam Agent on the computer: the RPC server is unavailable"
    is_retry:
      description: Whether the session was a retry; null on O(api=vspc) and O(api=vbr).
      type: bool
      sample: false
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
    choose_words,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import SESSION_RESULTS, SESSION_STATES


def main():
    veeam = VeeamModule(dict(
        job_id=dict(type='str'),
        job_name=dict(type='str'),
        state=dict(type='list', elements='str', choices=list(SESSION_STATES)),
        result=dict(type='list', elements='str', choices=list(SESSION_RESULTS)),
        since=dict(type='str'),
        limit=dict(type='int', default=100),
        include_raw=dict(type='bool', default=False),
    ))
    params = veeam.params
    filters = {}

    def check(params):
        check_not_empty(params, 'job_id', 'job_name', 'since')
        check_job_id(params['job_id'], 'job_id')
        check_positive(params, 'limit')
        filters['states'] = choose_words(params['state'], SESSION_STATES, 'state')
        filters['results'] = choose_words(params['result'], SESSION_RESULTS, 'result')
        filters['since'] = check_since(params['since'], 'since')

    def work(client):
        sessions = client.find_agent_sessions(job_id=params['job_id'], job_name=params['job_name'],
                                              limit=params['limit'], include_raw=params['include_raw'], **filters)
        return dict(changed=False, sessions=sessions)

    veeam.run(work, check=check)


if __name__ == '__main__':
    main()
