#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: veeam_job_action
short_description: Start, stop or retry Veeam jobs, or switch their schedule on or off, and wait for the run
version_added: 1.0.0
description:
  - Acts on one job (O(id) or O(name)) or on many at once (O(jobs)), through Veeam Backup Enterprise Manager
    (O(api=em)), Veeam Service Provider Console (O(api=vspc)) or a Veeam Backup & Replication server's own REST API
    (O(api=vbr)); backup, replication and backup copy jobs, or Veeam Agent jobs with O(agent=true).
  - Idempotent. The module reads the job's state first and sends a change only when the state differs;
    C(changed) is true only where a request that changes the server was sent.
  - Every target is looked up before anything changes. A name or id that matches no job, a name that matches
    several jobs, or two entries of O(jobs) naming the same job fail the module with the list of what matched,
    and nothing is changed. When more than three targets are given, every job is read in one listing, and a name
    that matches none is listed with up to three close names of that listing (C(did you mean ...)); one to three
    targets are looked up by name on the server, which reads nothing else.
  - O(action=start) does not start a job that is already running; its current run is returned, and awaited with
    O(wait). Enterprise Manager starts backup copy jobs with C(sync), which the module does for you.
  - O(action=retry) retries only a job whose latest run ended C(Failed) or C(Warning); O(action=stop) stops only a
    running job.
  - O(action=enable) and O(action=disable) set whether the job runs on its schedule. Enterprise Manager can only
    flip that setting (C(toggleScheduleEnabled)), so it is sent only when the state differs, and the new state is
    read back to confirm it. On O(api=vspc) the module patches C(isEnabled). A job with no schedule configured is
    left alone in both directions, with a warning and C(changed=false), so a maintenance window that turns
    schedules off and on again passes both steps.
  - Enterprise Manager answers actions with a task, which the module follows to its end; a task that ends
    unsuccessfully fails the module with the task's message. The task does not say which run it started, so the
    module looks for the job's newest session that was not there before, allowing for Enterprise Manager's
    collection delay (up to 120 seconds without O(wait)). VSPC answers 200 or an asynchronous action (followed);
    the run is the job's latest run, whose status the module watches.
  - On O(api=vbr), C(POST /api/v1/jobs/{id}/start), C(/stop) and C(/retry) answer with the session they act on,
    which the module follows through C(/api/v1/sessions/{id}); C(/enable) and C(/disable) set the state explicitly,
    and are still sent only when it differs. O(action=retry) and O(agent=true) need REST API revision C(1.3-rev0)
    (VBR 13.0) or later; on VBR 12.3 they fail before anything is changed, naming the revision needed.
  - A request that changes a job is never sent twice, whatever the network does; only reads are retried.
  - "While the task waits (O(wait=true) with V(start), V(retry) or V(stop)), the collection's action plugin for this
    module prints a progress line every O(progress_interval) seconds, in the terminal and in the job output of
    AWX / Automation Controller, one per run still going, for example
    C([localhost] job 'SQL Server; Nightly, Full': Working, 45% done, 20m 00s elapsed). See O(progress_interval)."
author:
  - backupops.veeam contributors (@backupops)
options:
  id:
    description:
      - Id of the one job to act on (a GUID, or an Enterprise Manager UID such as V(urn:veeam:Job:2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b)).
      - Exactly one of O(id), O(name) and O(jobs) is required.
    type: str
  name:
    description:
      - Exact name of the one job to act on. With a name used on several backup servers, add O(backup_server).
    type: str
  jobs:
    description:
      - Names or ids of several jobs to act on together, on one logon. Up to O(parallel) of them are worked on at
        once (each from reading its state to the end of its wait); RV(results) keeps the order given.
      - Every job is handled before the module fails; a failure of one job does not stop the others.
    type: list
    elements: str
  agent:
    description:
      - The jobs are Veeam Agent backup jobs (Enterprise Manager C(/agents/jobs)).
    type: bool
    default: false
  backup_server:
    description:
      - Look the jobs up on this backup server only (id or name), for names used on several servers.
    type: str
  action:
    description:
      - V(start) a run, V(stop) the current run, V(retry) the failed run, or V(enable) / V(disable) the job's schedule.
    type: str
    required: true
    choices: [start, stop, retry, enable, disable]
  parallel:
    description:
      - How many jobs of O(jobs) are worked on at once.
    type: int
    default: 4
extends_documentation_fragment:
  - backupops.veeam.connection
  - backupops.veeam.wait
  - backupops.veeam.attributes
  - backupops.veeam.attributes.ACTIONS
notes:
  - Starting, stopping and changing jobs on Enterprise Manager needs the Portal Administrator role; other roles are
    answered HTTP 403, which the module reports with the server's message.
  - On O(api=vbr) a Veeam Backup Operator may start, stop and retry jobs; enable and disable need a Veeam Backup
    Administrator.
seealso:
  - module: backupops.veeam.veeam_job_info
  - module: backupops.veeam.veeam_agent_job_info
'''

EXAMPLES = r'''
- name: Back up the SQL cluster before patching and wait for the run
  backupops.veeam.veeam_job_action:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    name: "SQL Server; Nightly, Full"
    action: start
    wait: true
    wait_timeout: 7200
    progress_interval: 300  # a progress line every 5 minutes while the backup runs
  register: backup

- name: Switch the schedules off for a maintenance window
  backupops.veeam.veeam_job_action:
    server: em.corp.example
    username: CORP\backup-operator
    password: "{{ vault_em_password }}"
    jobs:
      - "SQL Server; Nightly, Full"
      - File Server Backup
      - Exchange "Mail" Backup
    action: disable

- name: Retry last night's failed agent backup of the database servers
  backupops.veeam.veeam_job_action:
    api: vspc
    server: vspc.corp.example
    api_key: "{{ vault_vspc_api_key }}"
    name: Linux DB Servers
    agent: true
    action: retry

- name: Run ten jobs, four at a time, and wait for all of them
  backupops.veeam.veeam_job_action:
    jobs: "{{ jobs_to_run }}"
    action: start
    wait: true
    parallel: 4
  register: runs
'''

RETURN = r'''
api:
  description: The API that was used.
  returned: always
  type: str
  sample: em
msg:
  description: What was done, or why the module failed (for O(jobs), which jobs failed).
  returned: always
  type: str
  sample: "job 'SQL Server; Nightly, Full' started; the run ended Success"
job:
  description: The job after the action, with C(last_run), C(last_result) and C(running) from
    RV(session) when there is one. The same keys as a job of M(backupops.veeam.veeam_job_info).
  returned: with O(id) or O(name), when the job was found
  type: dict
  sample: {"id": "2e6c1a3f-7b1d-4f9a-9b52-0c1d2e3f4a5b", "name": "SQL Server; Nightly, Full", "type": "Backup", "schedule_enabled": true,
           "last_result": "Success", "running": false}
session:
  description: The run started, found running, stopped or waited for; null for O(action=enable) and O(action=disable),
    and in check mode for a run that would be started. The same keys as a session of
    M(backupops.veeam.veeam_agent_session_info).
  returned: with O(id) or O(name)
  type: dict
  sample: {"id": "21d5e924-6c1f-4a4b-9d0e-1f2a3b4c5d6e", "job_name": "SQL Server; Nightly, Full", "state": "Stopped", "result": "Success",
           "running": false, "creation_time": "2026-11-23T10:00:02Z", "end_time": "2026-11-23T10:41:17Z"}
task:
  description: The Enterprise Manager task that carried the action (C(id), C(state), C(operation), C(success),
    C(message)); null on O(api=vspc) and O(api=vbr), and when nothing was sent.
  returned: with O(id) or O(name)
  type: dict
  sample: {"id": "task-12", "state": "Finished", "operation": "StartJob", "success": true,
           "message": "Job \"SQL Server; Nightly, Full\" triggered to start."}
results:
  description: One dict per entry of O(jobs), in the order given, each with C(item) (the entry), C(changed),
    C(failed), C(msg), C(job), C(session) and C(task) as above.
  returned: with O(jobs)
  type: list
  elements: dict
  sample: [{"item": "SQL Server; Nightly, Full", "changed": true, "failed": false, "msg": "job 'SQL Server; Nightly, Full' started",
            "job": {}, "session": {}, "task": {}}]
'''

from ansible_collections.backupops.veeam.plugins.module_utils._actions import JobActions, resolve_targets
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    VeeamModule,
    check_job_id,
    check_not_empty,
    check_positive,
)
from ansible_collections.backupops.veeam.plugins.module_utils._progress import PROGRESS_OPTION, results_or_round


def check(params):
    check_not_empty(params, 'id', 'name', 'jobs', 'backup_server')
    check_job_id(params['id'], 'id')
    check_positive(params, 'parallel')
    if params['jobs'] is not None and not params['jobs']:
        raise VeeamOptionError('jobs: give at least one job name or id')


def main():
    veeam = VeeamModule(
        dict(
            id=dict(type='str'),
            name=dict(type='str'),
            jobs=dict(type='list', elements='str'),
            agent=dict(type='bool', default=False),
            backup_server=dict(type='str'),
            action=dict(type='str', required=True, choices=['start', 'stop', 'retry', 'enable', 'disable']),
            parallel=dict(type='int', default=4),
        ),
        wait_default=False,
        mutually_exclusive=[('id', 'name', 'jobs')],
        required_one_of=[('id', 'name', 'jobs')],
        internal=(PROGRESS_OPTION,),
    )
    params = veeam.params
    module = veeam.module

    def work(client):
        client.check_action(params['action'], agent=params['agent'])
        targets = params['jobs'] or [params['id'] or params['name']]
        actions = JobActions(client, params['action'], veeam.waiting, check_mode=module.check_mode)

        def jobs():
            return resolve_targets(client, targets, agent=params['agent'], backup_server=params['backup_server'])
        # the action plugin sets the internal option to wait in rounds, printing progress in between
        results, pending = results_or_round(veeam.internal.get(PROGRESS_OPTION), actions.wait and not module.check_mode,
                                            actions, jobs, lambda: actions.run_all(jobs(), parallel=params['parallel']),
                                            parallel=params['parallel'], warn=veeam.warn)
        if pending is not None:
            return pending
        for result in results:
            for warning in result.pop('warnings'):
                veeam.warn(warning)
            diff = result.pop('diff', None)
            if module._diff and diff:
                result['diff'] = diff
        if params['jobs'] is None:
            outcome = results[0]
            if not outcome['failed']:
                outcome.pop('failed')
            return outcome
        for target, result in zip(targets, results):
            result['item'] = target
        failed = [result for result in results if result['failed']]
        summary = dict(changed=any(result['changed'] for result in results), results=results)
        if module._diff:
            summary['diff'] = [result.pop('diff') for result in results if 'diff' in result]
        if failed:
            return dict(summary, failed=True, msg='%d of %d jobs failed: %s' % (
                len(failed), len(results), '; '.join(result['msg'] for result in failed)))
        summary['msg'] = '%d jobs handled, %d changed' % (len(results), sum(1 for r in results if r['changed']))
        return summary

    veeam.run(work, check=check)


if __name__ == '__main__':
    main()
