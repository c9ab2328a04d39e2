# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the three API clients: what every client does the same way, and what every API must answer.

The layout of ``module_utils``: talking to an API is ``_<api>.py`` (``_em.py``, ``_vspc.py``, ``_vbr.py``: one
subclass of ``VeeamClient`` each); what that API's answers mean is ``_<api>_shapes.py``; that API's machine lookups
are ``_<api>_machines.py`` (``EMMachineClient(MachineClient, EMClient)`` and so on: the steps of ``_machines``
behind its abstract ``MachineClient``, shipped only with the modules that think in machines); what the three share
is here (the client), in ``_http.py`` (the transport), ``_parse.py`` (bodies and values) and ``_normalize.py`` (the
dicts of INTERFACE.md section 2). A fourth API is one more subclass, one more shapes file and one more machines
file.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import abc
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamError, VeeamProtocolError, http_error
from ansible_collections.backupops.veeam.plugins.module_utils._parse import answering_api, close_words, parse_body

# pages after the first (which tells how many there are) are read this many at a time
PAGE_WORKERS = 4
# requests asked for in advance (a lookup's task sessions, the server's name) run on this many threads
ADVANCE_WORKERS = 4
# each API's name in a message about the wrong door, and its default port
DEFAULT_PORTS = {'em': 9398, 'vspc': 1280, 'vbr': 9419}
API_NAMES = {'em': 'Veeam Backup Enterprise Manager', 'vspc': 'Veeam Service Provider Console',
             'vbr': 'the VBR REST API'}


class VeeamClient(abc.ABC):
    """One logged-on connection to a Veeam API, used as a context manager: ``with client:`` logs on, and the exit
    logs off (EM) or out (VBR), on success and on failure alike, after any request asked for in advance is back.

    What a subclass gives: ``api`` and ``title``; the credential (``log_on``, ``credential_headers``, ``renew``,
    ``log_off``); what its errors say (``error_message``); how it pages (``read_page``); and the protocol below,
    which every module relies on and which no module branches on (the machine steps are ``_machines.MachineClient``'s).

    What it gets: ``send`` (the credential on every request, renewed once under a lock when a request is answered
    401, so that parallel workers renew it once), ``request`` (parsed answer, an HTTP failure raised as the
    collection's error), ``paged`` (every item of a collection, the pages after the first read side by side),
    ``side_by_side`` and ``in_advance``: the only thread pools of the clients and of what runs on them.
    """

    api = None  # 'em', 'vspc' or 'vbr': the value of the api option
    title = None  # the API's name in messages: 'Enterprise Manager'
    accept = 'application/json'
    page_workers = PAGE_WORKERS
    action_roles = {}  # {action: the roles that may do it}, from the API's documents (roles_for)

    def __init__(self, transport, register_secret=None, warn=None, clock=time.monotonic):
        self.transport = transport
        self._register_secret = register_secret or (lambda value: None)
        self._warn = warn or (lambda message: None)
        self._clock = clock
        self._auth_lock = threading.Lock()
        self._pools = {}  # the pools of the requests asked for in advance, by their number of threads (made on first use)
        self._asked = []  # the futures not yet done: the exit waits for them, so the credential outlives them
        self._asked_lock = threading.Lock()
        self._unknown_servers = set()  # the backup_server values warned about

    # -- the context: log on, log off ---------------------------------------------------------------
    def __enter__(self):
        self.log_on()
        return self

    def __exit__(self, *exc_info):
        try:
            wait(self._asked)
            for pool in self._pools.values():
                pool.shutdown(wait=True)
            self.log_off()
        finally:
            self.forget_credentials()
            self.transport.close()
        return False

    @abc.abstractmethod
    def log_on(self):
        """Take the credential (logon session, token); raise VeeamAuthError when it is refused."""

    def log_off(self):
        """End the credential where the API allows it. Never raises: a failure is a warning."""

    def forget_credentials(self):
        """Drop every credential from memory (after ``log_off``, whatever happened)."""

    @abc.abstractmethod
    def credential_headers(self):
        """The headers that authenticate the next request, renewing a credential known to have expired."""

    @abc.abstractmethod
    def renew(self, sent):
        """A request sent with the headers ``sent`` was answered 401: renew the credential, unless another worker
        already has (it is then no longer the one ``sent`` carries). Called under the authentication lock."""

    def can_renew(self):
        """Whether a 401 is worth a renewal (an API key, say, cannot be renewed)."""
        return True

    # -- requests ---------------------------------------------------------------------------------------
    def send(self, method, path, params=None, data=None, json_body=None, headers=None, idempotent=None):
        """Send with the credential and return the answer, whatever its status. A 401 means nothing was done:
        the credential is renewed and the request sent once more."""
        for attempt in (1, 2):
            sent = self.credential_headers()
            all_headers = {'Accept': self.accept}
            all_headers.update(sent)
            all_headers.update(headers or {})
            response = self.transport.send(method, path, params=params, data=data, json_body=json_body,
                                           headers=all_headers, idempotent=idempotent)
            if response.status_code == 401 and attempt == 1 and self.can_renew():
                with self._auth_lock:
                    self.renew(sent)
                continue
            return response

    def request(self, method, path, params=None, data=None, json_body=None, headers=None, idempotent=None,
                expect=(200,)):
        """Send, and return the parsed answer (None for an empty one); any status not in ``expect`` raises."""
        response = self.send(method, path, params=params, data=data, json_body=json_body, headers=headers,
                             idempotent=idempotent)
        if response.status_code not in expect:
            raise self.failure(response, '%s %s' % (method, path))
        return self.parse(response)[1]

    def get(self, path, params=None):
        return self.request('GET', path, params=params)

    def parse(self, response):
        """``(root element or None, body)`` of an answer, by its content type."""
        return parse_body(response.headers.get('Content-Type') or self.accept, response.text, response.status_code)

    def body_or_none(self, response):
        """The parsed body of an answer, or None when it cannot be parsed."""
        try:
            return self.parse(response)[1]
        except VeeamError:
            return None

    def failure(self, response, what):
        """The collection's error for an error answer, with the server's own message. An answer that is no error
        body of the API (HTML from a proxy, an empty page) says what it was."""
        status = response.status_code
        message = self.error_message(self.body_or_none(response))
        if message is None and status not in (401, 403, 404):
            parse_body(response.headers.get('Content-Type'), response.text, status)  # raises, saying what came
        return http_error(what, status, message)

    def check_door(self, response):
        """Raise when a refused logon was answered by another Veeam API than this one (INTERFACE.md section 1: the
        wrong door is named as such, not reported as a refused password); return when it was this API or none."""
        try:
            root, body = self.parse(response)
        except VeeamError:
            return
        other = answering_api(root, body)
        if other is None and response.status_code == 404:
            raise VeeamProtocolError(
                '%s answered the logon with HTTP 404: %s is not there; check server (VEEAM_SERVER) and port '
                '(VEEAM_PORT, %d by default for api: %s)' % (self.transport.root, API_NAMES[self.api],
                                                             DEFAULT_PORTS[self.api], self.api), status=404)
        if other is None or other == self.api:
            return
        raise VeeamProtocolError(
            '%s is %s, not %s (it answered the logon with HTTP %s; no credential was checked): set api: %s (VEEAM_API) '
            'to use it, or port (VEEAM_PORT) to the port of %s, %d by default'
            % (self.transport.root, API_NAMES[other], API_NAMES[self.api], response.status_code, other,
               API_NAMES[self.api], DEFAULT_PORTS[self.api]), status=response.status_code)

    def warn_unknown_server(self, backup_server, names):
        """Warn once that ``backup_server`` names no backup server of ``names`` (those this API has), so an empty
        answer is not silent, with the names that are close to it or, when there are few, all of them. False: the
        value matched no server."""
        if backup_server in self._unknown_servers:
            return False
        self._unknown_servers.add(backup_server)
        names = sorted(set(name for name in names if name))
        close = close_words(backup_server, names, cutoff=0.5)
        close += [name for name in names if name.casefold().split('.')[0] == backup_server.casefold() and name not in close]
        if close:
            hint = '; did you mean %s?' % ', '.join(repr(name) for name in close)
        elif names and len(names) <= 5:
            hint = '; its backup servers are %s' % ', '.join(repr(name) for name in names)
        else:
            hint = ''
        self._warn('backup_server %r names no backup server of %s, so nothing on it was found%s'
                   % (backup_server, self.title, hint))
        return False

    def warn_unknown_types(self, types, words):
        """Warn when a ``type`` word is none of ``words`` (this API's job type words): each API has its own words
        (veeam_job_info's notes show them side by side), and a word of another API would find nothing in silence."""
        unknown = [word for word in types or () if word not in words]
        if unknown:
            self._warn('type: %s %s not among the job type words of %s (%s); each API has its own words, shown '
                       'side by side in the notes of veeam_job_info' % (', '.join(repr(word) for word in unknown),
                                                                        'is' if len(unknown) == 1 else 'are',
                                                                        self.title, ', '.join(sorted(words))))

    def roles_for(self, action):
        """The Veeam role(s) that may ``action`` a job (start, stop, retry, enable, disable), as the API's documents
        say, for a 403's message; None where they do not say."""
        return self.action_roles.get(action)

    @staticmethod
    @abc.abstractmethod
    def error_message(body):
        """The server's message in an error body of this API, or None."""

    # -- paging and side by side ----------------------------------------------------------------------
    def read_page(self, path, params, start, size):
        """``(items, total)`` of one page: ``size`` items from the ``start``-th; ``total`` None when unknown."""
        raise NotImplementedError('%s pages its own way' % self.title)

    def paged(self, path, params=None, keep=None, page_size=500):
        """Every item of a collection. The first page tells the total; the others are then read side by side, and
        their items kept in order. ``keep(item)`` (run in the worker that read the page) makes each item smaller."""
        params = dict(params or {})

        def page(start, size):
            items, total = self.read_page(path, params, start, size)
            return ([keep(item) for item in items] if keep else list(items)), total
        items, total = page(0, page_size)
        if not items or total is None or len(items) >= total:
            return items
        step = len(items)  # the server may cap a page below the size asked for
        for more, dummy in self.side_by_side(lambda start: page(start, step), range(step, total, step)):
            items.extend(more)
        return items

    def side_by_side(self, function, items, workers=None):
        """``function(item)`` for every item, a few at a time, as a list in the order of ``items``."""
        items = list(items)
        workers = min(workers or self.page_workers, len(items))
        if workers <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(function, items))

    def in_advance(self, function, *args, workers=ADVANCE_WORKERS, **kwargs):
        """Start ``function(*args, **kwargs)`` now, for a result that may be needed later: a future. It runs on the
        client's pool of ``workers`` threads: a caller that pipelines its own requests names the number it keeps to
        (VBR's job listing: two pages at a time). The client's exit waits for it, so the credential is not ended
        under it."""
        with self._asked_lock:
            pool = self._pools.get(workers)
            if pool is None:
                pool = self._pools[workers] = ThreadPoolExecutor(max_workers=workers)
            future = pool.submit(function, *args, **kwargs)
            # the futures already done are dropped, and their answers with them
            self._asked = [asked for asked in self._asked if not asked.done()] + [future]
        return future

    # -- the protocol: what every API answers, with the same names ----------------------------------
    @abc.abstractmethod
    def find_jobs(self, agent=False, job_id=None, name=None, backup_server=None, types=None,
                  include_last_session=False, include_raw=False):
        """The job dicts (INTERFACE.md section 2) of the jobs that match every criterion (agent jobs with ``agent``);
        ``include_last_session`` fills ``last_run``, ``last_result`` and ``running``."""

    @abc.abstractmethod
    def find_agent_sessions(self, job_id=None, job_name=None, states=None, results=None, since=None, limit=100,
                            include_raw=False):
        """The session dicts of agent jobs that match, newest first, at most ``limit``."""

    @abc.abstractmethod
    def check_action(self, action, agent=False):
        """Raise VeeamUnsupportedError, before any change, when the API or server cannot do ``action``."""

    @abc.abstractmethod
    def read_job(self, job):
        """The job dict of ``job`` as the server has it now."""

    @abc.abstractmethod
    def latest_session(self, job):
        """The session dict of the job's latest run, or None."""

    @abc.abstractmethod
    def read_session(self, job, session):
        """The session dict of ``session`` (a session dict of the job) as the server has it now."""

    @abc.abstractmethod
    def act(self, job, action, task_timeout=600):
        """Start, stop, retry, enable or disable the job; ``{'task': ..., 'session': session dict or None}``."""
