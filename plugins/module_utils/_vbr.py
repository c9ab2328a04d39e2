# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the Veeam Backup & Replication REST API (``https://HOST:9419/api/v1``, tokens at ``/api/oauth2``).

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
from itertools import islice

from ansible_collections.backupops.veeam.plugins.module_utils._client import VeeamClient
from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAuthError,
    VeeamError,
    VeeamNotFoundError,
    VeeamOptionError,
    VeeamProtocolError,
    http_error,
)
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    select_sessions,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    format_time,
    guid_of,
    is_guid,
    parse_body,
)
from ansible_collections.backupops.veeam.plugins.module_utils._vbr_shapes import (
    ACTION_ROLES,
    AGENT_JOBS,
    RETRY,
    Revision,
    SUPPORTED_REVISIONS,
    choose_revision,
    is_agent_type,
    schedule_of,
    unserved_revisions,
    vbr_error_text,
    vbr_job,
    vbr_session,
)

VERSION_HEADER = 'x-api-version'
PAGE_LIMIT = 500
JOBS = '/api/v1/jobs'
STATES = '/api/v1/jobs/states'
SESSIONS = '/api/v1/sessions'


class VBRClient(VeeamClient):
    """One VBR REST API logon: an OAuth2 token taken on entry (finding the revision to use), renewed with
    the refresh token, and logged out on exit, whether the module succeeded or failed."""

    api = 'vbr'
    title = 'the VBR REST API'
    action_roles = ACTION_ROLES
    # two pages at a time: while the server writes one, the module reads the other (more threads only queue
    # behind each other's large JSON pages)
    page_workers = 2

    def __init__(self, transport, username, password, api_version=None, register_secret=None, warn=None,
                 clock=time.monotonic):
        super(VBRClient, self).__init__(transport, register_secret=register_secret, warn=warn, clock=clock)
        self._username = username
        self._password = password
        self._pinned = Revision(api_version) if api_version else None
        self.revision = None
        self._access_token = None
        self._refresh_token = None
        self._expires_at = None
        self._server = None
        self._server_read = False
        self._server_lock = threading.Lock()

    # -- tokens --------------------------------------------------------------------------------
    def log_on(self):
        """Take a token with the password. Without ``api_version``, ask with the newest revision the
        collection supports; a server that does not serve it answers 400 with the list of revisions it
        serves, and the token request is sent again once with the newest supported one among them."""
        revision = self._pinned or SUPPORTED_REVISIONS[0]
        password_grant = {'grant_type': 'password', 'username': self._username, 'password': self._password}
        response = self._token_request(revision, password_grant)
        served = self._unserved(response)
        if served is not None:
            revision = choose_revision(served, self._pinned)
            response = self._token_request(revision, password_grant)
            if self._unserved(response) is not None:
                raise VeeamProtocolError('the server refused REST API revision %s, which it listed as served' % revision)
        self.revision = revision
        self.transport.session.headers[VERSION_HEADER] = str(revision)
        self._accept_token(response, 'logon of user %r' % self._username)

    def _token_request(self, revision, form):
        return self.transport.send('POST', '/api/oauth2/token', data=form, idempotent=True, auth_request=True,
                                   headers={VERSION_HEADER: str(revision), 'Accept': 'application/json'})

    def _unserved(self, response):
        """The revisions the server serves, when it refused the one asked for; else None."""
        return unserved_revisions(self.body_or_none(response)) if response.status_code == 400 else None

    def _refresh(self):
        """Renew the pair with the refresh token (it works once); without one, or when it is refused, log on again."""
        if self._refresh_token:
            token, self._refresh_token = self._refresh_token, None  # spent, whatever the answer
            response = self._token_request(self.revision, {'grant_type': 'refresh_token', 'refresh_token': token})
            if response.status_code == 200:
                self._accept_token(response, 'token refresh')
                return
        response = self._token_request(self.revision, {'grant_type': 'password', 'username': self._username,
                                                       'password': self._password})
        self._accept_token(response, 'logon of user %r' % self._username)

    def _accept_token(self, response, what):
        body = self.body_or_none(response)
        if response.status_code != 200:
            self.check_door(response)
            message = vbr_error_text(body, 'HTTP %s' % response.status_code)
            if response.status_code in (400, 401, 403):
                raise VeeamAuthError('the VBR REST API refused the %s: %s' % (what, message),
                                     status=response.status_code, server_message=message)
            raise http_error('the VBR REST API %s' % what, response.status_code, message)
        token = body.get('access_token') if isinstance(body, dict) else None
        if not token:
            if body is None and not response.text.strip():
                raise VeeamProtocolError('the token request was answered with HTTP %s and an empty body, not by the VBR '
                                         'REST API (is the server address and port right?)' % response.status_code)
            if body is None:  # not JSON: say what came back
                parse_body(response.headers.get('Content-Type'), response.text, response.status_code)
            raise VeeamProtocolError('the VBR REST API answered the token request without an access token')
        self._register_secret(token)
        self._access_token = token
        self._refresh_token = body.get('refresh_token')
        self._register_secret(self._refresh_token)
        try:
            lifetime = float(body.get('expires_in') or 900)
        except (TypeError, ValueError):
            lifetime = 900.0
        # renew a little early, so a token never expires between the check and the request
        self._expires_at = self._clock() + max(lifetime - min(60.0, lifetime / 4), 1.0)

    def credential_headers(self):
        with self._auth_lock:  # parallel workers share the pair: one of them renews it, once
            if self._access_token is None or self._clock() >= self._expires_at:
                self._refresh()
            return {'Authorization': 'Bearer ' + self._access_token}

    def renew(self, sent):
        # the token expired or was revoked: forget it, the next request renews it (with the refresh token)
        if sent.get('Authorization') == 'Bearer %s' % self._access_token:
            self._access_token = None

    def log_off(self):
        """Invalidate this run's token pair. Never raises: a failed logout is a warning."""
        if self._access_token is None and self._refresh_token is None:
            return
        try:
            for attempt in (1, 2):
                response = self.transport.send('POST', '/api/oauth2/logout', auth_request=True, idempotent=True,
                                               headers=dict(self.credential_headers(), Accept='application/json'))
                if response.status_code == 401 and attempt == 1:
                    with self._auth_lock:
                        self._access_token = None  # expired after all: renew it, then log out
                    continue
                if response.status_code >= 300:
                    self._warn('the VBR REST API did not log the token out (HTTP %s); it expires by itself'
                               % response.status_code)
                return
        except VeeamError as exc:
            self._warn('could not log out from the VBR REST API: %s' % exc.message)

    def forget_credentials(self):
        self._access_token = self._refresh_token = None

    # -- requests ------------------------------------------------------------------------------
    @staticmethod
    def error_message(body):
        return vbr_error_text(body, None)

    def read_page(self, path, params, start, size):
        page = self.get(path, dict(params, skip=start, limit=size)) or {}
        total = (page.get('pagination') or {}).get('total')
        return page.get('data') or [], None if total is None else int(total)

    def _page(self, path, params, skip, limit, keep):
        """``(items, total)`` of one page, each item made smaller by ``keep`` when given."""
        items, total = self.read_page(path, params, skip, limit)
        return ([keep(item) for item in items] if keep else items), total

    # -- the backup server ----------------------------------------------------------------------
    def server_info(self):
        """``/serverInfo`` (the backup server itself), read once; None when the account may not read it
        (only Veeam Backup Administrators may)."""
        with self._server_lock:
            if not self._server_read:
                try:
                    self._server = self.get('/api/v1/serverInfo')
                except VeeamError as error:
                    if error.status != 403:
                        raise
                    self._server = None
                self._server_read = True
            return self._server

    def _server_matches(self, backup_server):
        server = self.server_info()
        if server is None:
            raise VeeamOptionError(
                'backup_server: the VBR REST API names its backup server only to Veeam Backup Administrators '
                '(GET /api/v1/serverInfo answered 403 for user %r), so %r cannot be checked; leave backup_server '
                'out (a VBR server has only its own jobs)' % (self._username, backup_server))
        if backup_server.lower() in ((server.get('vbrId') or '').lower(), (server.get('name') or '').lower()):
            return True
        return self.warn_unknown_server(backup_server, [server.get('name')])

    # -- jobs ----------------------------------------------------------------------------------
    def require(self, feature):
        """Refuse a feature (``(words, first revision)``) the revision in use lacks, before any request for it."""
        words, since = feature
        self.revision.require(words, since, pinned=self._pinned is not None)

    def check_action(self, action, agent=False):
        """Refuse, before any request that changes something, what the revision in use cannot do."""
        if agent:
            self.require(AGENT_JOBS)
        if action == 'retry':
            self.require(RETRY)

    def find_jobs(self, agent=False, job_id=None, name=None, backup_server=None, types=None,
                  include_last_session=False, include_raw=False):
        """Jobs (or agent jobs) matching every criterion, as job dicts, from ``/jobs/states`` and ``/jobs``.

        The state listing gives the runs (``include_last_session`` costs nothing more); the job model gives
        the schedule. A lookup by id or name asks for both at once with the same server-side filter; a
        listing reads the states first, then the models of the wanted jobs only, one type at a time
        (``typeFilter``), so that listing backup jobs does not carry every agent job's model, and back.
        """
        if agent:
            self.require(AGENT_JOBS)
        self.warn_unknown_types(types, self.revision.type_words(agent))
        if backup_server and not self._server_matches(backup_server):
            return []
        wanted_types, type_word = self.revision.type_filter(types) if types else (None, None)
        params = {}
        if job_id:
            job_id = guid_of(job_id) or job_id
            if not is_guid(job_id):
                return []
            params['idFilter'] = job_id
        if name:
            # a pattern (* at either end is a wildcard, any case): it may find more than this job, so the
            # names are compared exactly below
            params['nameFilter'] = name
        if type_word:
            params['typeFilter'] = type_word

        def wanted(state):
            return (is_agent_type(state.get('type')) == agent and (not name or state.get('name') == name)
                    and (not wanted_types or state.get('type') in wanted_types))
        server = self.in_advance(self.server_info)
        if job_id or name or type_word:
            # few jobs: the states and the models at the same time, with the same server-side filter
            states, models = self.side_by_side(lambda read: read(), [
                lambda: [state for state in self.paged(STATES, params) if wanted(state)],
                (lambda: self._job_model(job_id)) if job_id else (lambda: self.paged(JOBS, params))], workers=2)
        else:
            states, models = self._listing(wanted, keep=None if include_raw else schedule_of)
        by_id = dict(((model.get('id') or '').lower(), model) for model in models)
        return [vbr_job(state, by_id.get((state.get('id') or '').lower()), server.result(), include_raw)
                for state in states]

    def _listing(self, wanted, keep):
        """Every wanted job's state and model, with as little as possible: the states page by page, and, as
        they come in, the pages of ``/jobs?typeFilter=`` that hold the models of the wanted jobs of each type
        (listing backup jobs then carries no agent job's model, and back). A job whose model is not on those
        pages (a server that pages differently, a type this revision has no filter word for) is read by id.
        """
        known = self.revision.job_types()
        states, counts, asked, models, pending = [], {}, {}, {}, []
        first, total = self._page(STATES, {}, 0, PAGE_LIMIT, None)
        step = len(first) or PAGE_LIMIT
        skips = iter(range(step, total or 0, step))

        def ask(*page):  # on the client's pool of page_workers threads: state and model pages share it
            return self.in_advance(self._page, *page, workers=self.page_workers)

        def take(items):
            for state in items:
                if wanted(state):
                    states.append(state)
                    counts[state.get('type')] = counts.get(state.get('type'), 0) + 1
            for word, count in counts.items():
                while word in known and asked.get(word, 0) < count:
                    pending.append(ask(JOBS, {'typeFilter': word}, asked.get(word, 0), PAGE_LIMIT, keep))
                    asked[word] = asked.get(word, 0) + PAGE_LIMIT
        # at most page_workers state pages in flight, so that model pages are asked for in between
        in_flight = [ask(STATES, {}, skip, step, None) for skip in islice(skips, self.page_workers)]
        take(first)
        while in_flight:
            items = in_flight.pop(0).result()[0]
            in_flight.extend(ask(STATES, {}, skip, step, None) for skip in islice(skips, 1))
            take(items)
        for future in pending:
            models.update(((item.get('id') or '').lower(), item) for item in future.result()[0])
        missing = [state['id'] for state in states if (state.get('id') or '').lower() not in models]
        for found in self.side_by_side(self._job_model, missing):
            models.update(((item.get('id') or '').lower(), keep(item) if keep else item) for item in found)
        return states, list(models.values())

    def _job_model(self, job_id):
        try:
            return [self.get('%s/%s' % (JOBS, job_id))]
        except VeeamNotFoundError:
            return []

    def read_job(self, job):
        found = self.find_jobs(agent=is_agent_type(job['type']), job_id=job['id'])
        if not found:
            raise VeeamNotFoundError('job %r (%s) no longer exists' % (job['name'], job['id']))
        return found[0]

    # -- sessions ------------------------------------------------------------------------------
    def latest_session(self, job):
        """The job's newest session, or None when it never ran."""
        newest_first = {'jobIdFilter': job['id'], 'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0,
                        'limit': 1}
        page = self.get(SESSIONS, newest_first) or {}
        items = page.get('data') or []
        return vbr_session(items[0], job) if items else None

    def read_session(self, job, session):
        return vbr_session(self.get('%s/%s' % (SESSIONS, session['id'])), job)

    def find_agent_sessions(self, job_id=None, job_name=None, states=None, results=None, since=None, limit=100,
                            include_raw=False):
        """Agent backup sessions, newest first, the filters applied by the server where it has them; one
        request a page, and no further page once ``limit`` sessions are in."""
        self.require(AGENT_JOBS)
        agent_jobs = self._agent_job_index(job_id, job_name)
        if (job_id or job_name) and not agent_jobs:
            return []
        params = {'orderColumn': 'CreationTime', 'orderAsc': 'false'}
        if len(agent_jobs) == 1 and (job_id or job_name):
            params['jobIdFilter'] = next(iter(agent_jobs.values()))['id']
        else:
            # the session type of an agent job's run is not documented: AgentBackup (AgentPolicy for policies)
            params['typeFilter'] = ['AgentBackup', 'AgentPolicy']
        if states and len(states) == 1:
            params['stateFilter'] = states[0]
        if results and all(result in RESULTS + ('None',) for result in results):
            params['resultFilter'] = list(results)
        if since:
            params['createdAfterFilter'] = format_time(since)
        page_size = min(limit, PAGE_LIMIT) if limit else PAGE_LIMIT
        sessions, skip = [], 0
        while True:
            page = self.get(SESSIONS, dict(params, skip=skip, limit=page_size)) or {}
            items = page.get('data') or []
            for item in items:
                job = agent_jobs.get((item.get('jobId') or '').lower())
                if job is None:
                    continue  # a session of another kind of job
                sessions.append(vbr_session(item, job, include_raw))
            skip += len(items)
            total = (page.get('pagination') or {}).get('total')
            if not items or (limit and len(select_sessions(sessions, states, results)) >= limit) \
                    or (total is not None and skip >= int(total)):
                break
        return select_sessions(sessions, states, results, format_time(since), limit)

    def _agent_job_index(self, job_id=None, job_name=None):
        """{lower-case id: job dict} of the agent jobs (only the states listing: names and types suffice)."""
        params = {}
        if job_id:
            job_id = guid_of(job_id) or job_id
            if not is_guid(job_id):
                return {}
            params['idFilter'] = job_id
        elif job_name:
            params['nameFilter'] = job_name  # a pattern: compared exactly below
        index = {}
        for state in self.paged(STATES, params):
            job = vbr_job(state)
            if is_agent_type(job['type']) and (not job_name or job['name'] == job_name):
                index[(job['id'] or '').lower()] = job
        return index

    # -- actions -------------------------------------------------------------------------------
    def act(self, job, action, task_timeout=None):
        """Start, stop or retry a job (answered 201 with the session it acts on), or enable / disable it (204)."""
        if action == 'retry':
            self.require(RETRY)
        path = '%s/%s/%s' % (JOBS, job['id'], action)
        if action in ('enable', 'disable'):
            self.request('POST', path, idempotent=False, expect=(200, 204))
            return {'task': None, 'session': None}
        body = self.request('POST', path, idempotent=False, expect=(200, 201))
        session = vbr_session(body, job) if isinstance(body, dict) and body.get('id') else None
        return {'task': None, 'session': session}
