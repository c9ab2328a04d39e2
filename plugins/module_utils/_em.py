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

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit

from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._em_shapes import (
    EM_AGENT_JOB_TYPES,
    EM_JOB_TYPES,
    em_items,
    em_job,
    em_link,
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
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    apply_last_session,
    select_sessions,
    uid_id,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    ci_get,
    format_time,
    is_guid,
    parse_body,
    to_int,
    to_text,
)

SESSION_HEADER = 'X-RestSvcSessionId'
PAGE_SIZE = 500
# up to this many jobs, their latest sessions are fetched with one JobUid filter per page of jobs
LAST_SESSION_CHUNK = 20
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
    # "Starting Job": only Portal Administrator may start, stop or edit jobs (Portal User and Restore Operator get 403)
    action_roles = dict.fromkeys(('start', 'stop', 'retry', 'enable', 'disable'), 'Portal Administrator of Enterprise Manager')
    accept = 'application/xml'

    def __init__(self, transport, username, password, register_secret=None, warn=None):
        super(EMClient, self).__init__(transport, register_secret=register_secret, warn=warn)
        self._username = username
        self._password = password
        self._session_token = None
        self._logoff_path = None

    # -- session -------------------------------------------------------------------------------
    def log_on(self):
        response = self.transport.send(
            'POST', '/sessionMngr/', params={'v': 'latest'}, idempotent=True, auth_request=True,
            headers={'Authorization': basic_auth_header(self._username, self._password), 'Accept': 'application/xml'})
        if response.status_code not in (200, 201):
            self.check_door(response)
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
        self.warn_unknown_types(types, EM_AGENT_JOB_TYPES if agent else EM_JOB_TYPES)
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
        if not jobs and backup_server:
            self.check_server_name(backup_server)
        if include_last_session and jobs:
            latest = self.latest_sessions(jobs)
            for job in jobs:
                apply_last_session(job, latest.get((job['id'] or '').lower()))
        return jobs

    def check_server_name(self, backup_server):
        """After an empty answer: warn when ``backup_server`` (a name) names no backup server of this EM."""
        if is_guid(backup_server) or backup_server.lower().startswith('urn:veeam:backupserver:'):
            return
        names = list(self.query('BackupServer', everything=True, keep=lambda entity: to_text(ci_get(entity, 'Name'))))
        if backup_server not in names:
            self.warn_unknown_server(backup_server, names)

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
