# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the Veeam Backup Enterprise Manager REST API (``https://HOST:9398/api``).

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import re
import time
from collections import OrderedDict
from itertools import islice
from xml.sax.saxutils import escape as xml_escape

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit

from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import (
    em_items,
    em_job,
    em_link,
    em_machine_key,
    em_machine_name,
    em_platform,
    em_session,
    task_summary,
)
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAuthError,
    VeeamError,
    VeeamNotFoundError,
    VeeamOptionError,
    VeeamProtocolError,
    VeeamTaskError,
    VeeamTimeoutError,
    VeeamUnsupportedError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    apply_last_session,
    candidate,
    machine_state,
    restore_point,
    select_sessions,
    uid_id,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    ci_get,
    format_time,
    guid_of,
    is_guid,
    parse_body,
    to_int,
    to_text,
    utc_time,
)

SESSION_HEADER = 'X-RestSvcSessionId'
PAGE_SIZE = 500
# up to this many jobs, their latest sessions are fetched with one JobUid filter per page of jobs
LAST_SESSION_CHUNK = 20
# a machine's lookup reads its newest restore points, this many: all of them for most machines, which tells that no
# other machine of that name is hiding behind them
POINT_PAGE = 100
# the latest task sessions of a machine read to find its last result and the run that made its newest point
TASK_PAGE = 10
_ENUM_WORD = re.compile(r'^[A-Za-z][A-Za-z0-9]*$')


def basic_auth_header(username, password):
    # requests would encode Basic credentials as Latin-1; Veeam (.NET) decodes UTF-8, which also
    # carries characters Latin-1 has not got
    token = base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode('ascii')
    return 'Basic ' + token


def quote(value):
    """A string literal of the EM query filter language: double quotes, an inner quote doubled.

    Inside quotes ``,`` ``;`` and operators are plain text, so a name can never change the filter.
    """
    return '"%s"' % str(value).replace('"', '""')


def enum_word(value, option):
    """A bare enum word for a filter (``JobType==Backup``); anything else is refused, so it cannot inject."""
    if not _ENUM_WORD.match(value or ''):
        raise VeeamOptionError('%s: %r is not a Veeam type word (letters and digits only)' % (option, value))
    return value


def job_urn(job_id, agent=False):
    """The EM UID of a job given as a GUID or a URN."""
    if job_id.lower().startswith('urn:veeam:'):
        return job_id
    return 'urn:veeam:%s:%s' % ('AgentBackupJob' if agent else 'Job', job_id)


def any_of(field, words):
    """``(Field==A,Field==B)``: one of several enum words (grouping is documented, query_grouping)."""
    return '(%s)' % ','.join('%s==%s' % (field, enum_word(word, field)) for word in words)


def server_condition(backup_server):
    """Filter condition for a backup server given by id (GUID or URN) or by name."""
    if is_guid(backup_server):
        return 'BackupServerUid==' + quote('urn:veeam:BackupServer:%s' % backup_server)
    if backup_server.lower().startswith('urn:veeam:backupserver:'):
        return 'BackupServerUid==' + quote(backup_server)
    return 'BackupServerName==' + quote(backup_server)


def relative(href):
    """Path and query of an Href the server wrote, relative to ``/api``.

    Links carry the server's own host name, which may not be the one we reach it by.
    """
    parts = urlsplit(href)
    path = parts.path
    if path.startswith('/api'):
        path = path[len('/api'):]
    return path + ('?' + parts.query if parts.query else '')


class EMClient(VeeamClient):
    """One Enterprise Manager logon session, used as a context manager: logon on entry, logoff on exit."""

    api = 'em'
    title = 'Enterprise Manager'
    accept = 'application/xml'

    def __init__(self, transport, username, password, register_secret=None, warn=None):
        super(EMClient, self).__init__(transport, register_secret=register_secret, warn=warn)
        self._username = username
        self._password = password
        self._session_token = None
        self._logoff_path = None
        self._tasks_by_name = {}  # machine name -> a future of its newest task sessions, asked for with its lookup

    # -- session -------------------------------------------------------------------------------
    def log_on(self):
        response = self.transport.send(
            'POST', '/sessionMngr/', params={'v': 'latest'}, idempotent=True, auth_request=True,
            headers={'Authorization': basic_auth_header(self._username, self._password), 'Accept': 'application/xml'})
        if response.status_code == 401:
            raise VeeamAuthError('Enterprise Manager refused the logon of user %r: check username and password'
                                 % self._username, status=401, server_message=self.error_message(self.body_or_none(response)))
        if response.status_code not in (200, 201):
            raise self.failure(response, 'logon')
        token = response.headers.get(SESSION_HEADER)
        if not token:
            if not response.text.strip():
                raise VeeamProtocolError('the logon was answered with HTTP %s and an empty body, not by Enterprise Manager '
                                         '(is the server address and port right?)' % response.status_code)
            parse_body(response.headers.get('Content-Type'), response.text, response.status_code)  # says what came
            raise VeeamProtocolError('Enterprise Manager accepted the logon but sent no %s header' % SESSION_HEADER)
        self._register_secret(token)
        self._session_token = token
        # the session exists from here on: its address comes from the 201's Location until the body says better,
        # so an answer whose body cannot be read still has its session logged off
        self._logoff_path = self._session_path(response.headers.get('Location'))
        try:
            root, body = parse_body(response.headers.get('Content-Type'), response.text, response.status_code)
        except VeeamError:
            self.log_off()
            raise
        session_id = to_text(ci_get(body, 'SessionId')) if isinstance(body, dict) else None
        if session_id:
            self._register_secret(session_id)
        delete = em_link(body, 'Delete') if isinstance(body, dict) else None
        if delete and ci_get(delete, 'Href'):
            self._logoff_path = relative(ci_get(delete, 'Href'))
        elif session_id:
            self._logoff_path = '/logonSessions/%s' % session_id

    def _session_path(self, location):
        """``/logonSessions/{id}`` from the logon answer's Location header (the id is a secret too), else None."""
        path = relative(location or '')
        match = re.match(r'^/logonSessions/([^/?]+)/?$', path, re.IGNORECASE)
        if not match:
            return None
        self._register_secret(match.group(1))
        return '/logonSessions/%s' % match.group(1)

    def log_off(self):
        """Delete the logon session. Never raises: a failed logoff is a warning, the session expires by itself."""
        token, path = self._session_token, self._logoff_path
        self._session_token = None
        if token and not path:
            self._warn('Enterprise Manager named no logon session to delete; it expires after 15 idle minutes')
        try:
            if token and path:
                response = self.transport.send('DELETE', path, headers={SESSION_HEADER: token}, idempotent=True,
                                               auth_request=True)
                # 401/404: the session had already expired or been removed
                if response.status_code not in (200, 204, 401, 404):
                    self._warn('Enterprise Manager did not log the session off (HTTP %s); it expires after 15 idle minutes'
                               % response.status_code)
        except VeeamError as exc:
            # the message names the path, and the path the session id: the module masks it, but say it without
            self._warn('could not log off from Enterprise Manager: %s' % exc.message.replace(path, '/logonSessions/...'))

    # -- requests ------------------------------------------------------------------------------
    def credential_headers(self):
        return {SESSION_HEADER: self._session_token}

    def renew(self, sent):
        # sessions expire after 15 idle minutes. Parallel workers share the session: the first one to see the 401
        # logs on for all
        if sent.get(SESSION_HEADER) == self._session_token:
            self.log_on()

    @staticmethod
    def error_message(body):
        return to_text(ci_get(body, 'Message')) if isinstance(body, dict) else None

    def request_xml(self, method, path, xml_body, params=None, expect=(200,)):
        """Send an XML body (EM reads XML bodies in the order of the XSD); never sent twice."""
        return self.request(method, path, params=params, data=xml_body.encode('utf-8'), idempotent=False,
                            headers={'Content-Type': 'application/xml'}, expect=expect)

    # -- query service -------------------------------------------------------------------------
    def query(self, query_type, conditions=None, sort_desc=None, page_size=PAGE_SIZE, everything=False, keep=None):
        """Yield the entities of ``/query?type=...&format=Entities``, page after page.

        Always sends pageSize (EM pages at 100 when asked for none). Page by page, following the Next
        link of PagingInfo, so a caller that stops iterating stops the requests. With ``everything``
        (the caller wants every entity), the pages after the first are fetched a few at once by their
        number (``page=N``), once the first page has told how many there are; ``keep(entity)`` then turns
        each entity into what the caller keeps, in the worker that read its page, so that a parsed page is
        let go as soon as it is read (100 parsed pages of 500 jobs take 400 MB).
        """
        keep = keep or (lambda entity: entity)
        params = {'type': query_type, 'format': 'Entities', 'pageSize': page_size, 'page': 1}
        if conditions:
            params['filter'] = ';'.join(conditions)
        if sort_desc:
            params['sortDesc'] = sort_desc
        bucket = query_type + 's'
        body = self.request('GET', '/query', params=params)
        if everything:
            pages = to_int(ci_get(ci_get(body, 'PagingInfo') or {}, 'PagesCount')) or 1

            def page(number):
                answer = body if number == 1 else self.get('/query', params=dict(params, page=number))
                return [keep(entity) for entity in em_items(ci_get(answer, 'Entities'), bucket, query_type)]
            yield from page(1)
            body = None
            for entities in self.side_by_side(page, range(2, pages + 1)):
                yield from entities
            return
        yield from em_items(ci_get(body, 'Entities'), bucket, query_type)
        next_page = self._next_page(body, params)
        while next_page is not None:
            path, next_params = next_page
            body = self.request('GET', path, params=next_params)
            yield from em_items(ci_get(body, 'Entities'), bucket, query_type)
            next_page = self._next_page(body, next_params)

    @staticmethod
    def _next_page(body, params):
        paging = ci_get(body, 'PagingInfo')
        if not paging:
            return None
        link = em_link(paging, 'Next')
        if link and ci_get(link, 'Href'):
            return relative(ci_get(link, 'Href')), None
        page, pages = ci_get(paging, 'PageNum'), ci_get(paging, 'PagesCount')
        try:
            if int(page) < int(pages) and params is not None:
                return '/query', dict(params, page=int(page) + 1)
        except (TypeError, ValueError):
            pass
        return None

    # -- tasks ---------------------------------------------------------------------------------
    def wait_task(self, task, timeout=600, poll_interval=1.0, sleep=time.sleep):
        """Poll an EM Task until it is Finished; raise VeeamTaskError when it ended with Success=false."""
        return self.wait_task_entity(task, timeout, poll_interval, sleep)[0]

    def wait_task_entity(self, task, timeout=600, poll_interval=1.0, sleep=time.sleep):
        """As wait_task; returns ``(summary, the finished Task as the server wrote it)`` (for its links)."""
        summary = task_summary(task)
        deadline = time.monotonic() + timeout
        session = self._session_token
        while summary['state'] != 'Finished':
            if time.monotonic() > deadline:
                raise VeeamTimeoutError('task %s (%s) did not finish within %s seconds'
                                        % (summary['id'], summary['operation'], timeout), details={'task': summary})
            sleep(poll_interval)
            try:
                task = self.get('/tasks/%s' % summary['id'])
                summary = task_summary(task)
            except VeeamNotFoundError:
                if self._session_token == session:
                    raise
                # tasks belong to the logon session that created them; that session expired and the
                # module logged on again, so the task cannot be read any more: go on without it
                self._warn('could not follow task %s (%s) to its end: the Enterprise Manager session expired while '
                           'it ran' % (summary['id'], summary['operation']))
                return dict(summary, state='Unknown'), {}
        if summary['success'] is False:
            raise VeeamTaskError('Enterprise Manager task %s (%s) failed: %s'
                                 % (summary['id'], summary['operation'], summary['message']), details={'task': summary})
        return summary, task

    # -- jobs ----------------------------------------------------------------------------------
    def find_jobs(self, agent=False, job_id=None, name=None, backup_server=None, types=None,
                  include_last_session=False, include_raw=False):
        """Jobs (or agent jobs) matching every given criterion, as job dicts, through the query service."""
        query_type = 'AgentBackupJob' if agent else 'Job'
        conditions = []
        if job_id:
            conditions.append('UID==' + quote(job_urn(job_id, agent)))
        if name:
            conditions.append('Name==' + quote(name))
        if backup_server:
            conditions.append(server_condition(backup_server))
        if types and len(types) == 1:
            conditions.append('JobType==' + enum_word(types[0], 'type'))
        jobs = list(self.query(query_type, conditions, everything=True,
                               keep=lambda entity: em_job(entity, include_raw)))
        # the server's string comparison may ignore case; the contract says exact
        if name:
            jobs = [job for job in jobs if job['name'] == name]
        if types:
            wanted = set(types)
            jobs = [job for job in jobs if job['type'] in wanted]
        if include_last_session and jobs:
            latest = self.latest_sessions(jobs)
            for job in jobs:
                apply_last_session(job, latest.get((job['id'] or '').lower()))
        return jobs

    def find_agent_sessions(self, job_id=None, job_name=None, states=None, results=None, since=None, limit=100,
                            include_raw=False):
        """Agent backup sessions, newest first, every filter applied by the server; one request a page,
        and no further page once ``limit`` sessions are in."""
        conditions = ['JobType==AgentBackup']
        if job_id:
            if job_id.lower().startswith('urn:'):
                conditions.append('JobUid==' + quote(job_id))
            else:
                # the URN prefix of an agent job in its sessions is not documented: accept both
                conditions.append('(JobUid==%s,JobUid==%s)' % (quote(job_urn(job_id, agent=True)), quote(job_urn(job_id))))
        if job_name:
            conditions.append('JobName==' + quote(job_name))
        if states:
            conditions.append(any_of('State', states))
        if results and all(result in RESULTS for result in results):
            conditions.append(any_of('Result', results))
        if since:
            conditions.append('CreationTime>=' + quote(format_time(since)))
        page_size = min(limit, PAGE_SIZE) if limit else PAGE_SIZE
        sessions = []
        for entity in self.query('BackupJobSession', conditions, sort_desc='CreationTime', page_size=page_size):
            session = em_session(entity, include_raw)
            if job_name and session['job_name'] != job_name:
                continue  # the server may compare strings without regard to case
            sessions.append(session)
            if limit and len(sessions) >= limit:
                break
        return select_sessions(sessions, states, results, format_time(since), limit)

    # -- single jobs: what veeam_job_action needs ----------------------------------------------------
    def check_action(self, action, agent=False):
        """Every action works on every job kind of this API: nothing to refuse up front."""

    @staticmethod
    def _job_path(job):
        if job['type'] == 'AgentBackup' or (job['uid'] or '').lower().startswith('urn:veeam:agentbackupjob:'):
            return '/agents/jobs/%s' % job['id']
        return '/jobs/%s' % job['id']

    @staticmethod
    def _session_type(job):
        return 'ReplicaJobSession' if job['type'] == 'Replica' else 'BackupJobSession'

    def read_job(self, job):
        """The job as the server has it now."""
        agent = self._job_path(job).startswith('/agents')
        found = self.find_jobs(agent=agent, job_id=job['uid'] or job['id'])
        if not found:
            raise VeeamNotFoundError('job %r (%s) no longer exists' % (job['name'], job['id']))
        return found[0]

    def latest_session(self, job):
        """The job's newest session, or None when it has none in the 30 days EM keeps."""
        for entity in self.query(self._session_type(job), ['JobUid==' + quote(job['uid'])], sort_desc='CreationTime',
                                 page_size=1):
            return em_session(entity)
        return None

    def read_session(self, job, session):
        """The session as the server has it now."""
        query_type = self._session_type(job)
        for entity in self.query(query_type, ['UID==' + quote('urn:veeam:%s:%s' % (query_type, session['id']))],
                                 page_size=1):
            return em_session(entity)
        raise VeeamNotFoundError('session %s of job %r is gone' % (session['id'], job['name']))

    def act(self, job, action, task_timeout=600):
        """Send start, stop, retry or toggle for a job and wait for its Task; return the task summary
        (EM's task does not say which session it started).

        Backup copy jobs are started with ``sync``; the schedule flag only flips (toggleScheduleEnabled).
        """
        word = {'start': 'sync' if job['type'] == 'BackupCopy' else 'start', 'stop': 'stop', 'retry': 'retry',
                'enable': 'toggleScheduleEnabled', 'disable': 'toggleScheduleEnabled'}[action]
        task = self.request('POST', self._job_path(job), params={'action': word}, expect=(200, 201, 202),
                            idempotent=False)
        return {'task': self.wait_task(task, timeout=task_timeout, poll_interval=0.5), 'session': None}

    def latest_sessions(self, jobs):
        """The newest session of each job, keyed by lower-case job id (GUID), with few requests.

        Up to LAST_SESSION_CHUNK jobs: one query filtered on their UIDs. More: one scan of the
        sessions newest first (EM keeps 30 days), stopped as soon as every job has been seen.
        Replica jobs keep their runs as ReplicaJobSession, the others as BackupJobSession.
        """
        found = {}
        groups = {}
        for job in jobs:
            query_type = 'ReplicaJobSession' if job['type'] == 'Replica' else 'BackupJobSession'
            groups.setdefault(query_type, {})[(job['id'] or '').lower()] = job['uid']
        for query_type, uids in sorted(groups.items()):
            conditions = []
            if len(uids) <= LAST_SESSION_CHUNK:
                conditions = [','.join('JobUid==' + quote(uids[job_id]) for job_id in sorted(uids))]
            remaining = set(uids)
            for entity in self.query(query_type, conditions, sort_desc='CreationTime'):
                # compare ids, not URNs: the URN prefix of an agent job's sessions is not documented
                job_id = (uid_id(to_text(ci_get(entity, 'JobUid'))) or '').lower()
                if job_id in remaining:
                    found[job_id] = em_session(entity)
                    remaining.discard(job_id)
                    if not remaining:
                        break
        return found

    # -- machines: what veeam_restore_point_info and veeam_quick_backup need ----------------------------
    def find_machines(self, name, kind='any', backup_server=None):
        """The VMs (``VmRestorePoint`` by ``VmDisplayName``) and computers (``AgentRestorePoint`` by ``ComputerName``)
        whose restore points the query service finds for ``name``, one candidate per machine and backup server.

        One request per kind: the newest POINT_PAGE points, which also serve as the machine's restore points. A
        machine with more points than that could hide another of the same name on another server behind them: then
        one more request (``BackupServerUid!=``) asks for one point of any other. The machine's task sessions are
        asked for at the same time (``_tasks_of``).
        """
        kinds = ['vm', 'computer'] if kind == 'any' else [kind]
        # the machine's task sessions only need its name: asked for now, on every server, and read by
        # machine_state when the name found is the same
        self._tasks_by_name[name] = self.in_advance(self._task_query, name, server=backup_server)
        found = self.side_by_side(lambda each: self._machines_of_kind(each, name, backup_server), kinds)
        return [machine for machines in found for machine in machines]

    def _task_query(self, name, server=None, server_uid=None):
        conditions = ['VmDisplayName==' + quote(name)]
        if server:
            conditions.append(server_condition(server))
        if server_uid:
            conditions.append('BackupServerUid==' + quote(server_uid))
        return list(islice(self.query('BackupTaskSession', conditions, sort_desc='CreationTime', page_size=TASK_PAGE),
                           TASK_PAGE))

    def _tasks_of(self, found, ref):
        """The machine's newest task sessions on its server: those asked for with its lookup when they are all of
        its server, or were all there are of its name (each says its server in its Up link); else asked for again,
        of its server only."""
        asked = self._tasks_by_name.pop(found['name'], None)  # once: a later read (after a backup) asks again
        if asked is not None:
            tasks = asked.result()
            server_id = found['backup_server_id']
            if not server_id:  # a machine whose server is not known: its tasks on every server, as asked
                return tasks
            servers = [guid_of(ci_get(em_link(task, 'Up', 'BackupServerReference') or {}, 'Href')) for task in tasks]
            if all(servers) and (len(tasks) < TASK_PAGE or set(servers) == set([server_id])):
                return [task for task, server in zip(tasks, servers) if server == server_id]
        return self._task_query(found['name'], server_uid=ref['server_uid'])

    def _point_query(self, kind, name, backup_server=None, server_uid=None, page_size=POINT_PAGE, other_than=None):
        query_type, field = POINT_QUERIES[kind]
        conditions = ['%s==%s' % (field, quote(name))]
        if backup_server:
            conditions.append(server_condition(backup_server))
        if server_uid:
            conditions.append('BackupServerUid==' + quote(server_uid))
        if other_than:
            conditions.append('BackupServerUid!=' + quote(other_than))
        return list(islice(self.query(query_type, conditions, sort_desc='CreationTime', page_size=page_size), page_size))

    def _machines_of_kind(self, kind, name, backup_server):
        entities = self._point_query(kind, name, backup_server)
        complete = len(entities) < POINT_PAGE
        groups = OrderedDict()
        for entity in entities:
            groups.setdefault(em_machine_key(kind, entity), []).append(entity)
        found = [self._candidate(kind, points, complete) for points in groups.values()]
        if len(found) == 1 and not complete:
            others = self._point_query(kind, name, backup_server, page_size=1,
                                       other_than=found[0]['_ref']['server_uid'])
            found.extend(self._candidate(kind, others, False) for dummy in others[:1])
        return found

    @staticmethod
    def _candidate(kind, points, complete):
        newest = points[0]
        server = em_link(newest, 'Up', 'BackupServerReference') or {}
        server_id = guid_of(ci_get(server, 'Href'))
        vm_ref = to_text(ci_get(newest, 'HierarchyObjRef')) if kind == 'vm' else None
        return candidate(
            em_machine_name(kind, newest), kind, platform=em_platform(vm_ref),
            backup_server_id=server_id, backup_server_name=to_text(ci_get(server, 'Name')),
            ref={'points': points, 'complete': complete, 'key': em_machine_key(kind, newest), 'vm_ref': vm_ref,
                 'server_uid': 'urn:veeam:BackupServer:%s' % server_id if server_id else None})

    def machine_state(self, found, limit=1, include_raw=False):
        """The machine's newest points (those its lookup read, the first time), its own latest task session
        (``BackupTaskSession`` by ``VmDisplayName`` on its server: State, Result, Reason), and the job of its newest
        point: the task session that made that point (its Related VmRestorePoint link), else the latest one that
        ended well, whose job session (``/backupSessions/{id}``) names the job. One request after the lookup when
        the task sessions asked for with it tell, two or three otherwise."""
        ref, kind = found['_ref'], found['kind']
        points = ref.pop('points', None)  # read again when the machine is read again (after a quick backup)
        if points is None or (len(points) < limit and not ref['complete']):
            points = [point for point in self._point_query(kind, found['name'], server_uid=ref['server_uid'],
                                                           page_size=max(limit, 1))
                      if list(em_machine_key(kind, point)) == list(ref['key'])]  # a list after a JSON round trip
        tasks = []
        if found['name']:
            tasks = [task for task in self._tasks_of(found, ref)
                     if (to_text(ci_get(task, 'VmDisplayName')) or found['name']).lower() == found['name'].lower()]
        ended = [task for task in tasks if to_text(ci_get(task, 'Result')) in RESULTS
                 and (to_text(ci_get(task, 'State')) or 'Completed') not in ('InProgress', 'Pending')]
        last = ended[0] if ended else None
        newest_id = uid_id(to_text(ci_get(points[0], 'UID'))) if points else None
        maker = next((task for task in ended if newest_id and newest_id == guid_of(
            ci_get(em_link(task, 'Related', 'VmRestorePoint') or {}, 'Href'))), None)
        if maker is None:
            maker = next((task for task in ended if to_text(ci_get(task, 'Result')) in ('Success', 'Warning')), None)
        job = self._job_of_task(maker) if maker is not None and points else None
        last_result = to_text(ci_get(last, 'Result')) if last is not None else None
        restore_points = [restore_point(
            uid_id(to_text(ci_get(point, 'UID'))), utc_time(ci_get(point, 'CreationTimeUTC')),
            to_text(ci_get(point, 'PointType')),
            job['id'] if job and index == 0 else None, job['name'] if job and index == 0 else None, None,
            raw=point if include_raw else None) for index, point in enumerate(points[:max(limit, 1)])]
        return machine_state(
            restore_points, latest=restore_points[0]['creation_time'] if restore_points else None,
            job_id=job['id'] if job else None, job_name=job['name'] if job else None, last_result=last_result,
            last_message=(to_text(ci_get(last, 'Reason')) or None) if last_result in ('Warning', 'Failed') else None,
            job=job, raw={'restore_point': points[0] if points else None, 'task_session': last} if include_raw else None)

    def _job_of_task(self, task):
        """The job dict (id, uid, name, type) of a task session's job session, or None when it cannot be read."""
        session_id = guid_of(to_text(ci_get(task, 'JobSessionUid')))
        if not session_id:
            return None
        try:
            entity = self.request('GET', '/backupSessions/%s' % session_id, params={'format': 'Entity'})
        except VeeamNotFoundError:
            return None
        uid = to_text(ci_get(entity, 'JobUid'))
        if not uid:
            return None
        return {'id': uid_id(uid), 'uid': uid, 'name': to_text(ci_get(entity, 'JobName')),
                'type': to_text(ci_get(entity, 'JobType')) or 'Backup'}

    def check_quick_backup(self, machine):
        """Enterprise Manager backs up one VM (``?action=quickbackup``), not one Veeam Agent computer."""
        if machine['kind'] != 'vm':
            raise VeeamUnsupportedError(
                'Enterprise Manager has no quick backup for Veeam Agent computers (its quickbackup action takes a VM; '
                'an agent job can only be started whole); api: vbr has one from VBR 13.1 on')
        if not machine['_candidate']['_ref'].get('vm_ref') or not machine['backup_server_id']:
            raise VeeamUnsupportedError('Enterprise Manager did not give the VM reference (HierarchyObjRef) or the backup '
                                        'server of %r, which a quick backup needs' % machine['name'])

    def quick_backup(self, machine, task_timeout=600):
        """``POST /backupServers/{id}?action=quickbackup`` with the VM's reference (the HierarchyObjRef of its restore
        point); follow the Task; its Related link names the job session it started."""
        ref = machine['_candidate']['_ref']
        spec = ('<?xml version="1.0" encoding="utf-8"?><QuickBackupStartupSpec xmlns="http://www.veeam.com/ent/v1.0">'
                '<VmRef>%s</VmRef></QuickBackupStartupSpec>' % xml_escape(ref['vm_ref']))
        task = self.request_xml('POST', '/backupServers/%s' % machine['backup_server_id'], spec,
                                params={'action': 'quickbackup'}, expect=(200, 201, 202))
        summary, finished = self.wait_task_entity(task, timeout=task_timeout, poll_interval=0.5)
        job, session = machine['_job'], None
        link = em_link(finished, 'Related', 'BackupJobSession') or em_link(finished, 'Related')
        if link and ci_get(link, 'Href'):
            entity = self.request('GET', relative(ci_get(link, 'Href')))
            session = em_session(entity)
            if session['job_id']:
                job = dict(job or {}, id=session['job_id'], uid=to_text(ci_get(entity, 'JobUid')),
                           name=session['job_name'] or (job or {}).get('name'), type=session['job_type'] or 'Backup')
        return {'task': summary, 'session': session, 'job': job}


POINT_QUERIES = {'vm': ('VmRestorePoint', 'VmDisplayName'), 'computer': ('AgentRestorePoint', 'ComputerName')}
