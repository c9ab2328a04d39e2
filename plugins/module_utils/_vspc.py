# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the Veeam Service Provider Console REST API v3 (``https://HOST:1280/api/v3``).

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time

from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAuthError,
    VeeamHTTPError,
    VeeamNotFoundError,
    VeeamProtocolError,
    VeeamTaskError,
    VeeamTimeoutError,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import select_sessions
from ansible_collections.backupops.veeam.plugins.module_utils._parse import format_time, guid_of, is_guid
from ansible_collections.backupops.veeam.plugins.module_utils._vspc_shapes import (
    AGENT_JOB_TYPES,
    JOB_TYPES,
    vspc_error_text,
    vspc_job,
    vspc_job_type,
    vspc_session,
)

JOBS_PATH = '/infrastructure/backupServers/jobs'
AGENT_JOBS_PATH = '/infrastructure/backupServers/jobs/agentJobs'


def in_condition(prop, values):
    """A VSPC filter condition matching ``prop`` against exact values (``in`` is a documented operation)."""
    return {'property': prop, 'operation': 'in', 'collation': 'ordinal', 'value': list(values)}


class VSPCClient(VeeamClient):
    """A VSPC connection with a bearer token (password grant, refreshed) or an API key.

    Tokens are kept in memory only and are not revoked at exit: VSPC revokes every token of the
    user at once, which would log out the same account's other sessions (parallel AWX jobs).
    """

    api = 'vspc'
    title = 'the Service Provider Console'
    # "Start Job" (REST API v3): the roles that may act on backup server jobs
    action_roles = dict.fromkeys(('start', 'stop', 'retry', 'enable', 'disable'), (
        'Portal Administrator, Service Provider Global Administrator, Service Provider Administrator, Company Owner '
        'or Company Administrator of the Service Provider Console'))

    def __init__(self, transport, username=None, password=None, api_key=None, register_secret=None, warn=None,
                 clock=time.monotonic, sleep=time.sleep, async_timeout=600):
        super(VSPCClient, self).__init__(transport, register_secret=register_secret, warn=warn, clock=clock)
        self._username = username
        self._password = password
        self._api_key = api_key
        self._sleep = sleep
        self._async_timeout = async_timeout
        self._access_token = None
        self._refresh_token = None
        self._expires_at = None
        self._key_worked = False  # with an API key, the first answer is what a logon answer is to a password
        self._server_names = None
        self._server_lock = threading.Lock()

    # -- tokens --------------------------------------------------------------------------------
    def log_on(self):
        if self._api_key:
            self._register_secret(self._api_key)
        else:
            self._take_token()

    def forget_credentials(self):
        self._access_token = self._refresh_token = None

    def can_renew(self):
        return not self._api_key

    def _take_token(self):
        """Refresh the token when there is a refresh token, else (or when that fails) log on with the password."""
        if self._refresh_token:
            grant = {'grant_type': 'refresh_token', 'refresh_token': self._refresh_token}
            if self._token_request(grant, fail=False):
                return
        grant = {'grant_type': 'password', 'username': self._username, 'password': self._password}
        self._token_request(grant, fail=True)

    def _token_request(self, form, fail):
        response = self.transport.send('POST', '/token', data=form, idempotent=True, auth_request=True,
                                       headers={'Accept': 'application/json'})
        body = self.parse(response)[1]
        if response.status_code != 200:
            if not fail:
                return False
            self.check_door(response)
            message = vspc_error_text(body, 'HTTP %s' % response.status_code)
            raise VeeamAuthError('Service Provider Console refused the logon of user %r: %s'
                                 % (self._username, message), status=response.status_code, server_message=message)
        token = body.get('access_token') if isinstance(body, dict) else None
        if body is None:
            raise VeeamProtocolError('the token request was answered with HTTP %s and an empty body, not by the Service '
                                     'Provider Console (is the server address and port right?)' % response.status_code)
        if not token:
            if isinstance(body, dict) and body.get('mfa_token'):
                raise VeeamAuthError('the account %r needs multi-factor authentication; use an API key (option api_key)'
                                     % self._username)
            raise VeeamProtocolError('Service Provider Console answered the token request without an access token')
        self._access_token = token
        self._register_secret(token)
        self._refresh_token = body.get('refresh_token')
        if self._refresh_token:
            self._register_secret(self._refresh_token)
        try:
            lifetime = float(body.get('expires_in') or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        # refresh a little early so a token never expires between the check and the request
        self._expires_at = self._clock() + max(lifetime - min(60.0, lifetime / 4), 1.0)
        return True

    def credential_headers(self):
        if self._api_key:
            return {'Authorization': 'Bearer ' + self._api_key}
        with self._auth_lock:  # parallel workers share one token: one of them renews it
            if self._access_token is None or self._clock() >= self._expires_at:
                self._take_token()
            return {'Authorization': 'Bearer ' + self._access_token}

    def renew(self, sent):
        # the token expired or was revoked: forget it, the next request takes a new one
        if sent.get('Authorization') == 'Bearer %s' % self._access_token:
            self._access_token = None

    # -- requests ------------------------------------------------------------------------------
    @staticmethod
    def error_message(body):
        return vspc_error_text(body, None)

    def request(self, method, path, params=None, data=None, json_body=None, headers=None, idempotent=None,
                expect=(200,)):
        """Send and return the answer's envelope (dict with data/meta/errors); follow 202 async actions. Any status
        below 400 is an answer here (``expect`` is taken for the base's signature)."""
        response = self.send(method, path, params=params, data=data, json_body=json_body, headers=headers,
                             idempotent=idempotent)
        if response.status_code == 202 and response.headers.get('Location'):
            return self.follow_async(response.headers['Location'], '%s %s' % (method, path))
        if response.status_code >= 400:
            if self._api_key and not self._key_worked and response.status_code in (400, 401, 404):  # the key's logon
                self.check_door(response)
                if response.status_code == 401:
                    message = self.error_message(self.body_or_none(response)) or 'HTTP 401'
                    raise VeeamAuthError('Service Provider Console refused the API key (api_key, VEEAM_API_KEY): %s'
                                         % message, status=401, server_message=message)
            raise self.failure(response, '%s %s' % (method, path))
        self._key_worked = True
        body = self.parse(response)[1]
        if isinstance(body, dict) and body.get('errors'):
            message = vspc_error_text(body, 'errors in the answer')
            raise VeeamHTTPError('%s %s failed: %s' % (method, path, message), status=response.status_code,
                                 server_message=message)
        return body if isinstance(body, dict) else {'data': body}

    def follow_async(self, location, what):
        """Poll ``/asyncActions/{id}`` until it ends; return the envelope of its result."""
        deadline = self._clock() + self._async_timeout
        while True:
            action = self.request('GET', location).get('data') or {}
            status = str(action.get('status') or '').lower()
            if status == 'succeed':
                return self.request('GET', location.rstrip('/') + '/result')
            if status in ('failed', 'canceled'):
                raise VeeamTaskError('%s: the queued action %s' % (what, status), details={'async_action': action})
            if self._clock() > deadline:
                raise VeeamTimeoutError('%s: the queued action did not end within %s seconds' % (what, self._async_timeout))
            self._sleep(1.0)

    def read_page(self, path, params, start, size):
        envelope = self.request('GET', path, params=dict(params, limit=size, offset=start))
        total = ((envelope.get('meta') or {}).get('pagingInfo') or {}).get('total')
        return envelope.get('data') or [], None if total is None else int(total)

    def get(self, path, params=None):
        return self.request('GET', path, params=params).get('data')

    # -- backup servers and jobs ----------------------------------------------------------------
    def server_names(self):
        """{lower-case backup server uid: name}, read once (also when several names are looked up at once)."""
        with self._server_lock:
            if self._server_names is None:
                self._server_names = dict(((server.get('instanceUid') or '').lower(), server.get('name'))
                                          for server in self.paged('/infrastructure/backupServers'))
            return self._server_names

    def resolve_server(self, backup_server):
        """The uid of a backup server given by uid or name; None when no server has that name."""
        if is_guid(backup_server):
            return backup_server
        for uid, name in self.server_names().items():
            if name == backup_server:
                return uid
        self.warn_unknown_server(backup_server, self.server_names().values())
        return None

    def find_jobs(self, agent=False, job_id=None, name=None, backup_server=None, types=None,
                  include_last_session=False, include_raw=False):
        """Jobs (or agent jobs) matching every given criterion, as job dicts.

        VSPC always reports the latest run, so ``include_last_session`` costs nothing here.
        """
        self.warn_unknown_types(types, AGENT_JOB_TYPES if agent else JOB_TYPES)
        names = self.server_names()
        server_uid = None
        if backup_server:
            server_uid = self.resolve_server(backup_server)
            if server_uid is None:
                return []
        wanted_types = set(types or ())

        def keep(item):
            # the listing has the other kind too (agent jobs, or the jobs agent jobs embed): left out before the work
            if not self._is_kind(vspc_job_type(item), agent):
                return None
            job = vspc_job(item, names, include_raw)
            if ((name and job['name'] != name) or (wanted_types and job['type'] not in wanted_types)
                    or (server_uid and (job['backup_server_id'] or '').lower() != server_uid.lower())):
                return None
            return job
        if job_id:
            jobs = [keep(item) for item in self._job_by_id(job_id, agent)]
        else:
            jobs = self._list_jobs(agent, name, server_uid, types, keep)
        return [job for job in jobs if job is not None]

    @staticmethod
    def _is_kind(job_type, agent):
        return job_type is None or (job_type in AGENT_JOB_TYPES) == agent

    def find_agent_sessions(self, job_id=None, job_name=None, states=None, results=None, since=None, limit=100,
                            include_raw=False):
        """One session per matching agent job: its latest run (VSPC lists no sessions), newest first."""
        if job_id:
            items = self._job_by_id(job_id, agent=True)
        else:
            items = self.paged(AGENT_JOBS_PATH, {'expand': 'BackupServerJob'})
        sessions = []
        for item in items:
            session = vspc_session(item, include_raw)
            if session['creation_time'] is None:
                continue  # never ran: no session to report
            if job_name and session['job_name'] != job_name:
                continue
            sessions.append(session)
        return select_sessions(sessions, states, results, format_time(since), limit)

    # -- single jobs: what veeam_job_action needs ----------------------------------------------------
    def check_action(self, action, agent=False):
        """Every action works on every job kind of this API: nothing to refuse up front."""

    def _item(self, job):
        agent = job['type'] in AGENT_JOB_TYPES
        found = self._job_by_id(job['id'], agent)
        if not found:
            raise VeeamNotFoundError('job %r (%s) no longer exists' % (job['name'], job['id']))
        return found[0]

    def read_job(self, job):
        return vspc_job(self._item(job), self.server_names())

    def latest_session(self, job):
        """The job's latest run as a session (VSPC keeps no other), or None when it never ran."""
        session = vspc_session(self._item(job))
        return session if session['creation_time'] else None

    def read_session(self, job, session):
        return self.latest_session(job)

    def act(self, job, action, task_timeout=600):
        """Start, stop or retry a job, or set whether it runs on its schedule (JSON Patch of isEnabled).

        VSPC answers 200, or 202 with an async action that is followed; it returns no task and no session.
        """
        path = '%s/%s' % (JOBS_PATH, job['id'])
        if action in ('enable', 'disable'):
            # the spec types JSON Patch values as strings
            patch = [{'op': 'replace', 'path': '/isEnabled', 'value': 'true' if action == 'enable' else 'false'}]
            self.request('PATCH', path, json_body=patch, idempotent=False)
        else:
            self.request('POST', '%s/%s' % (path, action), idempotent=False)
        return {'task': None, 'session': None}

    def _job_by_id(self, job_id, agent):
        job_id = guid_of(job_id) or job_id  # an EM URN names the same job by its GUID
        try:
            if not agent:
                return [self.get('%s/%s' % (JOBS_PATH, job_id))]
            item = self.get('%s/%s' % (AGENT_JOBS_PATH, job_id)) or {}
            if not (item.get('_embedded') or {}).get('backupServerJob'):
                item = dict(item, _embedded={'backupServerJob': self.get('%s/%s' % (JOBS_PATH, job_id))})
            return [item]
        except VeeamNotFoundError:
            return []

    def _list_jobs(self, agent, name, server_uid, types, keep):
        prefix = '/infrastructure/backupServers/%s/jobs' % server_uid if server_uid else JOBS_PATH
        if agent:
            return self.paged(prefix + '/agentJobs', {'expand': 'BackupServerJob'}, keep=keep)
        filters = []
        if name:
            filters.append(in_condition('name', [name]))
        if types:
            filters.append(in_condition('type', types))
        return self.paged(prefix, {'filter': json.dumps(filters)} if filters else None, keep=keep)
