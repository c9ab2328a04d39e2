# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client of the Veeam Backup & Replication REST API (``https://HOST:9419/api/v1``, tokens at ``/api/oauth2``).

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import islice

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamAuthError,
    VeeamError,
    VeeamNotFoundError,
    VeeamOptionError,
    VeeamProtocolError,
    VeeamUnsupportedError,
    http_error,
)
from ansible_collections.backupops.veeam.plugins.module_utils._machines import candidate, machine_state, restore_point
from ansible_collections.backupops.veeam.plugins.module_utils._normalize import (
    RESULTS,
    select_sessions,
    vbr_job,
    vbr_session,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    format_time,
    guid_of,
    is_guid,
    parse_body,
    utc_time,
)

VERSION_HEADER = 'x-api-version'
JOBS = '/api/v1/jobs'
STATES = '/api/v1/jobs/states'
SESSIONS = '/api/v1/sessions'
PAGE_LIMIT = 500
# two pages at a time: while the server writes one, the module reads the other (more threads only queue
# behind each other's large JSON pages)
PAGE_WORKERS = 2
# "Unsupported RESTAPI version. The following versions are supported: v1.0-rev1, v1.0-rev2, ..."
_REVISION = re.compile(r'\bv?(\d+)\.(\d+)-rev(\d+)\b', re.IGNORECASE)


class Revision:
    """One revision of the VBR REST API (``1.3-rev1``): what it has, in one place.

    The collection supports the revisions whose OpenAPI documents it was built and tested against:
    1.2-rev1 (VBR 12.3) and the 1.3 revisions of VBR 13.x.
    """

    VBR_VERSIONS = {(1, 2, 1): '12.3', (1, 3, 0): '13.0', (1, 3, 1): '13.0.1', (1, 3, 2): '13.1'}

    # EJobType of each document: a word the revision lacks is never sent as a filter (the server refuses it)
    _JOB_TYPES_12 = frozenset(('Backup', 'VSphereReplica', 'CloudDirectorBackup', 'EntraIDTenantBackup',
                               'EntraIDAuditLogBackup', 'FileBackupCopy'))
    _JOB_TYPES_13 = frozenset(('Unknown', 'VSphereBackup', 'HyperVBackup', 'VSphereReplica', 'CloudDirectorBackup',
                               'EntraIDTenantBackup', 'EntraIDAuditLogBackup', 'FileBackupCopy', 'LegacyBackupCopy',
                               'BackupCopy', 'WindowsAgentBackup', 'LinuxAgentBackup', 'FileBackup',
                               'ObjectStorageBackup', 'EntraIDTenantBackupCopy', 'SureBackupContentScan',
                               'CloudBackupAzure', 'CloudBackupAWS', 'CloudBackupGoogle'))
    _POLICY_TYPES = frozenset(('WindowsAgentBackupWorkstationPolicy', 'LinuxAgentBackupWorkstationPolicy',
                               'WindowsAgentBackupServerPolicy', 'LinuxAgentBackupServerPolicy'))
    _JOB_TYPES_13_REV2 = frozenset(('NutanixAHVBackupJob', 'ProxmoxBackupJob', 'IrisBackup',
                                    'WindowsAgentBackupFailoverCluster'))
    # 1.3 renamed the VMware backup job type
    _RENAMED = {'Backup': 'VSphereBackup'}

    def __init__(self, text):
        match = _REVISION.fullmatch((text or '').strip())
        if not match:
            raise ValueError('%r is not a VBR REST API revision such as 1.3-rev1' % text)
        self.key = tuple(int(part) for part in match.groups())

    def __str__(self):
        return '%d.%d-rev%d' % self.key

    def __eq__(self, other):
        return isinstance(other, Revision) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    @property
    def vbr_version(self):
        return self.VBR_VERSIONS.get(self.key)

    def describe(self):
        """``1.2-rev1 (VBR 12.3)``"""
        return '%s (VBR %s)' % (self, self.vbr_version) if self.vbr_version else str(self)

    @property
    def has_agent_jobs(self):
        return self.key >= (1, 3, 0)

    def job_types(self):
        if self.key < (1, 3, 0):
            return self._JOB_TYPES_12
        types = self._JOB_TYPES_13
        if self.key >= (1, 3, 1):
            types = types | self._POLICY_TYPES
        if self.key >= (1, 3, 2):
            types = types | self._JOB_TYPES_13_REV2
        return types

    def job_type_word(self, word):
        """The revision's word for a job type given in either revision's words (``Backup`` <-> ``VSphereBackup``)."""
        if self.key < (1, 3, 0):
            for old, new in self._RENAMED.items():
                if word == new:
                    return old
            return word
        return self._RENAMED.get(word, word)

    # Quick Backup of one machine (POST /api/v1/jobs/quickBackup/{endpoint}) per machine family: the endpoint and
    # the first revision that has it. 1.2-rev1 and 1.3-rev1 have vSphere only; Hyper-V and agents come with 1.3-rev2.
    _QUICK_BACKUP = {'vsphere': ('vSphere', (1, 2, 1)), 'hyperv': ('hyperV', (1, 3, 2)), 'agent': ('agent', (1, 3, 2))}

    def quick_backup_endpoint(self, family):
        """``(path, first Revision that has it)`` of the quick backup of a ``vsphere``, ``hyperv`` or ``agent`` machine."""
        endpoint, since = self._QUICK_BACKUP[family]
        return '/api/v1/jobs/quickBackup/%s' % endpoint, Revision('%d.%d-rev%d' % since)

    def inventory_platform(self, family):
        """The ``platform`` of the quick backup body (the InventoryObjectModel discriminator): its EPlatformType word
        ``VMware`` through 1.2, the EInventoryPlatformType word ``VSphere`` from 1.3 on."""
        if family == 'vsphere':
            return 'VMware' if self.key < (1, 3, 0) else 'VSphere'
        return {'hyperv': 'HyperV', 'agent': 'Agent'}[family]

    def require(self, feature, since, pinned=False):
        """Raise VeeamUnsupportedError unless this revision is ``since`` (a Revision) or later.

        ``feature`` reads as the subject of "... from revision X on", e.g. "Veeam Agent jobs are available".
        """
        if self.key < since.key:
            raise VeeamUnsupportedError(
                '%s from VBR REST API revision %s (VBR %s) on; %s' % (
                    feature, since, since.vbr_version,
                    'the revision in use is %s, set by api_version' % self.describe() if pinned
                    else 'this server serves revision %s at most' % self.describe()))


# newest first: without api_version, the first of these that the server serves is used
SUPPORTED_REVISIONS = tuple(Revision('%d.%d-rev%d' % key) for key in sorted(Revision.VBR_VERSIONS, reverse=True))
AGENT_JOBS = ('Veeam Agent jobs are available', Revision('1.3-rev0'))
RETRY = ('Retrying a job (POST /api/v1/jobs/{id}/retry) is available', Revision('1.3-rev0'))
QUICK_BACKUP_WORDS = {
    'vsphere': 'Quick backup of a vSphere VM (POST /api/v1/jobs/quickBackup/vSphere) is available',
    'hyperv': 'Quick backup of a Hyper-V VM (POST /api/v1/jobs/quickBackup/hyperV) is available',
    'agent': 'Quick backup of a Veeam Agent computer (POST /api/v1/jobs/quickBackup/agent) is available',
}
AGENT_PLATFORMS = frozenset(('windowsphysical', 'linuxphysical', 'linuxphysicalppc'))
# the latest task sessions of a machine read to find its own last result (the newest may still run)
TASK_PAGE = 4
# the newest restore points read to find a machine the revision shows no backup object of
POINT_PAGE = 100


def is_agent_type(job_type):
    """VBR agent job types: WindowsAgentBackup, LinuxAgentBackup, the *Policy types, WindowsAgentBackupFailoverCluster."""
    return 'AgentBackup' in (job_type or '')


def schedule_of(model):
    """What a job dict needs of a (large) job model: its id, whether it is disabled and its schedule flag."""
    schedule = model.get('schedule')
    kept = {'id': model.get('id'), 'isDisabled': model.get('isDisabled')}
    if isinstance(schedule, dict):
        kept['schedule'] = {'runAutomatically': schedule.get('runAutomatically')}
    return kept


def served_revisions(message):
    """The revisions listed in a refusal of an unserved ``x-api-version`` (``v1.0-rev1, v1.0-rev2, ...``)."""
    return [Revision('%s.%s-rev%s' % match.groups()) for match in _REVISION.finditer(message or '')]


def error_text(body, fallback):
    """The ``message`` of a VBR Error model (``{"errorCode", "message", "resourceId"}``), else ``fallback``."""
    if isinstance(body, dict) and body.get('message'):
        return str(body['message'])
    return fallback


class VBRClient:
    """One VBR REST API logon: an OAuth2 token taken on entry (finding the revision to use), renewed with
    the refresh token, and logged out on exit, whether the module succeeded or failed."""

    api = 'vbr'

    def __init__(self, transport, username, password, api_version=None, register_secret=None, warn=None,
                 clock=time.monotonic):
        self.transport = transport
        self._username = username
        self._password = password
        self._pinned = Revision(api_version) if api_version else None
        self.revision = None
        self._register_secret = register_secret or (lambda value: None)
        self._warn = warn or (lambda message: None)
        self._clock = clock
        self._access_token = None
        self._refresh_token = None
        self._expires_at = None
        self._token_lock = threading.Lock()
        self._server = None
        self._server_read = False
        self._server_lock = threading.Lock()
        self._tasks_by_name = {}  # machine name -> a future of its newest task sessions, asked for with its lookup

    def __enter__(self):
        self._log_on()
        return self

    def __exit__(self, *exc_info):
        try:
            # a lookup's task sessions may still be on their way (asked for in advance, never read): the token
            # stays valid until they are back
            wait(list(self._tasks_by_name.values()))
            self._log_out()
        finally:
            self._access_token = self._refresh_token = None
            self.transport.close()
        return False

    # -- tokens --------------------------------------------------------------------------------
    def _log_on(self):
        """Take a token with the password. Without ``api_version``, ask with the newest revision the
        collection supports; a server that does not serve it answers 400 with the list of revisions it
        serves, and the token request is sent again once with the newest supported one among them."""
        revision = self._pinned or SUPPORTED_REVISIONS[0]
        password_grant = {'grant_type': 'password', 'username': self._username, 'password': self._password}
        response = self._token_request(revision, password_grant)
        served = self._unserved(response)
        if served is not None:
            revision = self._choose(served)
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
        if response.status_code != 400:
            return None
        body = self._json_or_none(response)
        message = error_text(body, '')
        revisions = served_revisions(message)
        if revisions and ((body or {}).get('errorCode') == 'NotImplemented' or 'version' in message.lower()):
            return revisions
        return None

    def _choose(self, served):
        if self._pinned is not None:
            raise VeeamOptionError('api_version: the server does not serve VBR REST API revision %s; it serves %s'
                                   % (self._pinned, ', '.join(str(revision) for revision in served)))
        for revision in SUPPORTED_REVISIONS:
            if revision in served:
                return revision
        raise VeeamUnsupportedError(
            'the server serves VBR REST API revisions %s; this collection needs %s or later (VBR %s and later). '
            'Upgrade the server, or set api_version to one of its revisions at your own risk'
            % (', '.join(str(revision) for revision in served), SUPPORTED_REVISIONS[-1],
               SUPPORTED_REVISIONS[-1].vbr_version))

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
        body = self._json_or_none(response)
        if response.status_code != 200:
            message = error_text(body, 'HTTP %s' % response.status_code)
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

    def _authorization(self):
        with self._token_lock:  # parallel workers share the pair: one of them renews it, once
            if self._access_token is None or self._clock() >= self._expires_at:
                self._refresh()
            return 'Bearer ' + self._access_token

    def _log_out(self):
        """Invalidate this run's token pair. Never raises: a failed logout is a warning."""
        if self._access_token is None and self._refresh_token is None:
            return
        try:
            for attempt in (1, 2):
                response = self.transport.send('POST', '/api/oauth2/logout', auth_request=True, idempotent=True,
                                               headers={'Authorization': self._authorization(),
                                                        'Accept': 'application/json'})
                if response.status_code == 401 and attempt == 1:
                    with self._token_lock:
                        self._access_token = None  # expired after all: renew it, then log out
                    continue
                if response.status_code >= 300:
                    self._warn('the VBR REST API did not log the token out (HTTP %s); it expires by itself'
                               % response.status_code)
                return
        except VeeamError as exc:
            self._warn('could not log out from the VBR REST API: %s' % exc.message)

    # -- requests ------------------------------------------------------------------------------
    @staticmethod
    def _json_or_none(response):
        try:
            return parse_body(response.headers.get('Content-Type') or 'application/json', response.text,
                              response.status_code)[1]
        except VeeamProtocolError:
            return None

    def send(self, method, path, params=None, json_body=None, idempotent=None):
        for attempt in (1, 2):
            authorization = self._authorization()
            response = self.transport.send(method, path, params=params, json_body=json_body, idempotent=idempotent,
                                           headers={'Authorization': authorization, 'Accept': 'application/json'})
            if response.status_code == 401 and attempt == 1:
                # the token expired or was revoked: nothing was done, renew it and send again
                with self._token_lock:
                    if authorization == 'Bearer %s' % self._access_token:
                        self._access_token = None
                continue
            return response

    def request(self, method, path, params=None, json_body=None, idempotent=None, expect=(200,)):
        """Send; return the parsed JSON answer (None for an empty one); raise for any other status."""
        response = self.send(method, path, params=params, json_body=json_body, idempotent=idempotent)
        what = '%s %s' % (method, path)
        if response.status_code not in expect:
            body = self._json_or_none(response)
            if body is None and response.status_code not in (401, 403, 404):
                parse_body(response.headers.get('Content-Type'), response.text, response.status_code)  # says what came
            raise http_error(what, response.status_code, error_text(body, None))
        return parse_body(response.headers.get('Content-Type') or 'application/json', response.text,
                          response.status_code)[1]

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def paged(self, path, params=None, keep=None):
        """Every item of a collection, ``limit`` 500 a page, until the server's ``pagination.total``.

        The first page tells the total; the other pages are then fetched a few at once, in order.
        ``keep(item)`` (in the worker that read the page) makes what is kept of each item smaller.
        """
        params = dict(params or {})
        first = self._page(path, params, 0, PAGE_LIMIT, keep)
        items, total = first
        if not items or total is None or len(items) >= total:
            return items
        step = len(items)  # the server may cap the page below the limit asked for
        with ThreadPoolExecutor(max_workers=PAGE_WORKERS) as pool:
            for more, dummy in pool.map(lambda skip: self._page(path, params, skip, step, keep),
                                        range(step, total, step)):
                items.extend(more)
        return items

    def _page(self, path, params, skip, limit, keep):
        """``(items, total)`` of one page."""
        page = self.get(path, dict(params, skip=skip, limit=limit)) or {}
        items = page.get('data') or []
        total = (page.get('pagination') or {}).get('total')
        return ([keep(item) for item in items] if keep else items), (None if total is None else int(total))

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
        wanted = backup_server.lower()
        return wanted in ((server.get('vbrId') or '').lower(), (server.get('name') or '').lower())

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

    def _type_filter(self, types):
        """The revision's words for the wanted types, and the one word to send as ``typeFilter`` (or None)."""
        words = set(self.revision.job_type_word(word) for word in types)
        known = words & self.revision.job_types()
        return words, (next(iter(known)) if len(words) == 1 and known else None)

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
        if backup_server and not self._server_matches(backup_server):
            return []
        wanted_types, type_word = self._type_filter(types) if types else (None, None)
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
        with ThreadPoolExecutor(max_workers=2) as pool:
            server = pool.submit(self.server_info)
            if job_id or name or type_word:
                # few jobs: the states and the models at the same time, with the same server-side filter
                models = pool.submit(self._job_model, job_id) if job_id else pool.submit(self.paged, JOBS, params)
                states = [state for state in self.paged(STATES, params) if wanted(state)]
                models = models.result()
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
        with ThreadPoolExecutor(max_workers=PAGE_WORKERS) as pool:
            def take(items):
                for state in items:
                    if wanted(state):
                        states.append(state)
                        counts[state.get('type')] = counts.get(state.get('type'), 0) + 1
                for word, count in counts.items():
                    while word in known and asked.get(word, 0) < count:
                        pending.append(pool.submit(self._page, JOBS, {'typeFilter': word}, asked.get(word, 0), PAGE_LIMIT,
                                                   keep))
                        asked[word] = asked.get(word, 0) + PAGE_LIMIT
            # at most PAGE_WORKERS state pages in flight, so that model pages are asked for in between
            in_flight = [pool.submit(self._page, STATES, {}, skip, step, None) for skip in islice(skips, PAGE_WORKERS)]
            take(first)
            while in_flight:
                items = in_flight.pop(0).result()[0]
                in_flight.extend(pool.submit(self._page, STATES, {}, skip, step, None) for skip in islice(skips, 1))
                take(items)
            for future in pending:
                models.update(((item.get('id') or '').lower(), item) for item in future.result()[0])
            missing = [state['id'] for state in states if (state.get('id') or '').lower() not in models]
            for found in pool.map(self._job_model, missing):
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

    # -- machines: what veeam_restore_point_info and veeam_quick_backup need ----------------------------
    def find_machines(self, name, kind='any', backup_server=None):
        """The machines ``/api/v1/backupObjects?nameFilter=`` finds (VMs and computers with backups; containers,
        templates and other objects are left out), one candidate per machine: a machine in several backups has a
        backup object in each, told apart from other machines by its platform and its objectId (VMs) or computerId.

        A revision shows only the backup objects its document has a model for (1.2-rev1 VMware VMs; 1.3-rev1 no
        Hyper-V VM and no Windows computer), while it lists every machine's restore points. When no backup object
        answers, the newest restore points named after ``name`` (a VM's point bears its name, a computer's
        ``<computer> <job>``) tell whether such a machine has backups all the same: one more request."""
        if backup_server and not self._server_matches(backup_server):
            return []
        pool = ThreadPoolExecutor(max_workers=2)
        try:
            server = pool.submit(self.server_info)
            # the machine's task sessions only need its name: asked for now and read by machine_state (when the
            # name found is the same), so the restore points need not wait for them
            self._tasks_by_name[name] = pool.submit(self._tasks_named, name)
            objects = self.paged('/api/v1/backupObjects', {'nameFilter': name})
            server = server.result() or {}
        finally:
            pool.shutdown(wait=False)
        groups = OrderedDict()
        for item in objects:
            found_kind = vbr_object_kind(item)
            if found_kind is not None and kind in ('any', found_kind):
                groups.setdefault(vbr_machine_key(item), []).append(item)
        if groups:
            return [candidate(items[0].get('name'), vbr_object_kind(items[0]), items[0].get('platformName'),
                              server.get('vbrId'), server.get('name'), ref={'objects': items})
                    for items in groups.values()]
        points = OrderedDict()
        for point in self._points_named(name):
            machine_name, machine_kind = vbr_point_machine(point, name)
            if machine_name and kind in ('any', machine_kind):
                points.setdefault(((point.get('platformName') or '').lower(), machine_name.lower()), []).append(point)
        return [candidate(vbr_point_machine(found[0], name)[0], vbr_point_machine(found[0], name)[1],
                          found[0].get('platformName'), server.get('vbrId'), server.get('name'),
                          ref={'objects': [], 'points': found, 'name': name})
                for found in points.values()]

    def _points_named(self, name, limit=POINT_PAGE):
        """The newest restore points whose name is ``name`` or begins with it (``*`` ends the pattern)."""
        params = {'nameFilter': name + '*', 'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0,
                  'limit': limit}
        return (self.get('/api/v1/restorePoints', params) or {}).get('data') or []

    def machine_state(self, found, limit=1, include_raw=False):
        """Its newest points (``/api/v1/restorePoints?backupObjectIdFilter=`` newest first, one request per backup
        object), its own latest task session (``/api/v1/taskSessions?nameFilter=``), then the job of its newest
        point (``/api/v1/backups/{backupId}``: ``jobId``, ``name``). Three requests for a machine in one backup."""
        ref = found['_ref']
        objects = ref['objects']
        newest_first = {'orderColumn': 'CreationTime', 'orderAsc': 'false', 'skip': 0, 'limit': max(limit, 1)}
        with ThreadPoolExecutor(max_workers=2 * len(objects) + 2) as pool:
            pages = [pool.submit(self.get, '/api/v1/restorePoints', dict(newest_first, backupObjectIdFilter=item['id']))
                     for item in objects]
            # 1.3-rev2 names the backup on the backup object: its job is read at the same time as the points
            prefetched = OrderedDict((item['backupId'], pool.submit(self._backup, item['backupId']))
                                     for item in objects if item.get('backupId'))
            if not objects:  # a machine known by its restore points only (the revision shows no backup object of it)
                named = ref.pop('points', None)
                pages.append(pool.submit(lambda: {'data': [
                    point for point in (named if named is not None else self._points_named(ref['name']))
                    if vbr_point_machine(point, ref['name'])[0] == found['name']]}))
            tasks = self._tasks_by_name.pop(found['name'], None)  # once: a later read (after a backup) asks again
            if tasks is None:
                tasks = pool.submit(self._tasks_named, found['name'])
            points = [point for page in pages for point in (page.result() or {}).get('data') or []]
        points.sort(key=lambda point: utc_time(point.get('creationTime')) or '', reverse=True)
        points = points[:max(limit, 1)]
        backup_ids = list(OrderedDict.fromkeys(point['backupId'] for point in points if point.get('backupId')))
        backups = dict(zip(prefetched, [backup.result() for backup in prefetched.values()]))
        missing = [backup_id for backup_id in backup_ids if backup_id not in backups]
        with ThreadPoolExecutor(max_workers=max(1, len(missing))) as pool:
            backups.update(zip(missing, pool.map(self._backup, missing)))
        restore_points = []
        for point in points:
            backup = backups.get(point.get('backupId')) or {}
            restore_points.append(restore_point(
                point.get('id'), utc_time(point.get('creationTime')), point.get('type'), backup.get('jobId'),
                backup.get('name') if backup.get('jobId') else None, point.get('backupId'),
                raw=point if include_raw else None))
        newest = backups.get(points[0].get('backupId')) if points else None
        job = None
        if newest and newest.get('jobId'):
            job = {'id': newest['jobId'], 'uid': newest['jobId'], 'name': newest.get('name'), 'type': newest.get('jobType')}
        last = vbr_last_task(tasks.result(), found['name'])
        outcome = (last or {}).get('result') or {}
        last_result = outcome.get('result') if outcome.get('result') in RESULTS else None
        return machine_state(
            restore_points, job_id=job['id'] if job else None, job_name=job['name'] if job else None,
            last_result=last_result,
            last_message=(outcome.get('message') or None) if last_result in ('Warning', 'Failed') else None,
            job=job, raw={'backup_objects': objects, 'task_session': last} if include_raw else None)

    def _tasks_named(self, name):
        """The newest backup task sessions of objects named ``name`` (the filter is a pattern: compared exactly later)."""
        return (self.get('/api/v1/taskSessions', {'nameFilter': name, 'typeFilter': 'Backup', 'orderColumn': 'CreationTime',
                                                  'orderAsc': 'false', 'skip': 0, 'limit': TASK_PAGE}) or {}).get('data') or []

    def _backup(self, backup_id):
        try:
            return self.get('/api/v1/backups/%s' % backup_id)
        except VeeamNotFoundError:
            return None

    def check_quick_backup(self, machine):
        """Refuse, before any request, what the revision in use cannot back up alone: vSphere VMs from 1.2-rev1,
        Hyper-V VMs and Veeam Agent computers from 1.3-rev2 only; and a machine whose request body cannot be built."""
        family = vbr_family(machine['platform'])
        if family is None:
            raise VeeamUnsupportedError(
                'the VBR REST API has no quick backup for %s machines (it has one for vSphere VMs, and from revision '
                '1.3-rev2 on for Hyper-V VMs and Veeam Agent computers)' % (machine['platform'] or 'these'))
        dummy, since = self.revision.quick_backup_endpoint(family)
        self.revision.require(QUICK_BACKUP_WORDS[family], since, pinned=self._pinned is not None)
        self._quick_backup_body(machine, family)

    def _quick_backup_body(self, machine, family):
        """The machine as the endpoint takes it, built from its backup object: a vSphere or Hyper-V VM's name,
        ``objectId`` and ``hostName`` (the first segment of its ``path``), or an agent computer's ``computerId`` and
        protection group. No inventory browsing: the inventory is refused to Backup Operators, who may run a
        quick backup."""
        objects = machine['_candidate']['_ref']['objects']
        platform = self.revision.inventory_platform(family)
        if family in ('vsphere', 'hyperv'):
            item = next((item for item in objects if item.get('objectId') and item.get('path')), None)
            if item is None:
                raise VeeamUnsupportedError(
                    "the server's backup object of %r has no objectId and path, from which the VM of a quick backup is "
                    "named (objectId, hostName)" % machine['name'])
            return {'platform': platform, 'type': 'VirtualMachine', 'name': item.get('name') or machine['name'],
                    'hostName': re.split(r'[\\/]', item['path'])[0], 'objectId': item['objectId']}
        item = next((item for item in objects if item.get('computerId') and item.get('protectionGroupIds')), None)
        if item is None:
            raise VeeamUnsupportedError(
                "the server's backup object of %r has no computerId and protection group, which a quick backup of a "
                "Veeam Agent computer needs" % machine['name'])
        windows = (item.get('platformName') or '').lower().startswith('windows')
        return {'platform': platform, 'id': item['computerId'], 'name': item.get('name') or machine['name'],
                'type': 'WindowsComputer' if windows else 'LinuxComputer',
                'protectionGroupId': item['protectionGroupIds'][0]}

    def quick_backup(self, machine):
        """``POST /api/v1/jobs/quickBackup/vSphere|hyperV`` answers 201 with the session of the job run it started;
        ``/agent`` answers with the job only (``{"jobId"}``), whose new session is then looked for."""
        family = vbr_family(machine['platform'])
        path, dummy = self.revision.quick_backup_endpoint(family)
        body = self.request('POST', path, json_body=self._quick_backup_body(machine, family), idempotent=False,
                            expect=(200, 201))
        body = body if isinstance(body, dict) else {}
        job = machine['_job']
        job_id = body.get('jobId')
        if job_id and (job is None or (job['id'] or '').lower() != job_id.lower()):
            job = {'id': job_id, 'uid': job_id, 'name': body.get('name') if body.get('id') else None, 'type': None}
        session = vbr_session(body, job) if body.get('id') else None
        return {'task': None, 'session': session, 'job': job}


def vbr_object_kind(item):
    """``vm``, ``computer``, or None for a backup object that is no machine (a container, a template, a tenant...)."""
    if (item.get('platformName') or '').lower() in AGENT_PLATFORMS:
        return 'computer'
    word = (item.get('type') or '').lower()
    if word == 'vm':
        return 'vm'
    subtype = item.get('viType') or item.get('hvType') or item.get('cloudDirectorType')
    return 'vm' if subtype == 'VirtualMachine' and word != 'template' else None


def vbr_machine_key(item):
    """What tells machines of one name apart: the platform, and the VM's objectId or the computer's id."""
    identity = item.get('objectId') or item.get('computerId') or item.get('biosUuid') or (item.get('name') or '')
    return ((item.get('platformName') or '').lower(), str(identity).lower())


def vbr_point_machine(point, name):
    """``(machine name, kind)`` of a restore point found by the name ``name``: a VM's point bears the VM's name, a
    computer's ``<computer> <job>`` (the documents' example: ``linbase02 AgentBackupJob``); ``(None, None)`` for a
    point of a machine whose name only begins with ``name``."""
    text = point.get('name') or ''
    computer = (point.get('platformName') or '').lower() in AGENT_PLATFORMS
    if computer:
        text = text[:len(name)] if text[len(name):len(name) + 1] in ('', ' ') else ''
    if text.lower() != name.lower():
        return None, None
    return text, 'computer' if computer else 'vm'


def vbr_family(platform):
    """The quick backup endpoint family of a backup object's platformName (1.2 examples write ``VmWare``)."""
    word = (platform or '').lower()
    if word in ('vmware', 'vsphere'):
        return 'vsphere'
    if word == 'hyperv':
        return 'hyperv'
    return 'agent' if word in AGENT_PLATFORMS else None


def vbr_last_task(tasks, name):
    """The newest ended task session of the machine called ``name`` (same name, else same name in another case)."""
    ended = [task for task in tasks if (task.get('state') or '').lower() == 'stopped']
    for same in (lambda text: text == name, lambda text: text.lower() == (name or '').lower()):
        for task in ended:
            if same(task.get('name') or ''):
                return task
    return None
