# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport shared by the three Veeam API clients: TLS, redirects refused, deadlines, size cap, retries,
the check-mode guard.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import socket
import threading
import time

try:
    from urllib.parse import urlsplit, urlunsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit, urlunsplit

try:
    import requests
    import urllib3
    import urllib3.connection
    import urllib3.connectionpool
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    from http.cookiejar import DefaultCookiePolicy
except ImportError:  # pragma: no cover
    DefaultCookiePolicy = None

from ansible_collections.backupops.veeam.plugins.module_utils._errors import (
    VeeamCheckModeError,
    VeeamConnectionError,
    VeeamProtocolError,
)

CHANGING_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))
USER_AGENT = 'backupops.veeam-ansible-collection'

# Statuses after which a read is sent again:
# 500 - EM answers 500 for passing database and collection errors; a read cannot do harm by repeating
# 502, 504 - a proxy or load balancer in front of the server lost the backend for a moment
# 503 - the service is starting or overloaded
# 520 - VSPC folds every 5xx into 520 (VEEAM_API.md B.5)
RETRY_READ_STATUSES = frozenset((500, 502, 503, 504, 520))


class RetryPolicy:
    """Decides whether a request is sent again, and after how long. Pure logic, no I/O.

    ``attempts`` counts every send, the first one included.
    """

    def __init__(self, attempts=4, backoff=0.5, max_delay=8.0, max_retry_after=120.0):
        self.attempts = attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after

    def backoff_delay(self, attempt):
        return min(self.backoff * (2 ** (attempt - 1)), self.max_delay)

    def delay(self, attempt, idempotent, status=None, retry_after=None, connection_error=False):
        """Seconds to wait before sending again after send number ``attempt`` (1-based), or None to give up."""
        if attempt >= self.attempts:
            return None
        if status == 429:
            # Throttled: the server refused the request without acting on it, so resending is safe even
            # for a job start. VSPC puts the wait in the body (retryAfter), not always in a header.
            if retry_after is not None:
                return min(max(float(retry_after), 0.0), self.max_retry_after)
            return self.backoff_delay(attempt)
        if not idempotent:
            # A start that got no answer, or a 5xx, may still have started the job: never send it twice.
            return None
        if connection_error or status in RETRY_READ_STATUSES:
            return self.backoff_delay(attempt)
        return None


def retry_after_seconds(response):
    """The server's retry hint: VSPC's ``errors[].retryAfter`` body field, else a Retry-After header."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        for error in body.get('errors') or []:
            if isinstance(error, dict) and error.get('retryAfter') is not None:
                try:
                    return float(error['retryAfter'])
                except (TypeError, ValueError):
                    pass
    header = response.headers.get('Retry-After')
    if header:
        try:
            return float(header)
        except ValueError:
            moment = email.utils.parsedate_to_datetime(header)
            if moment is not None:
                return max(0.0, moment.timestamp() - time.time())
    return None


class Transport:
    """A requests session bound to one server: base URL, TLS settings, timeout, retries.

    In check mode it refuses every changing request that is not part of logging on or off, so a
    module cannot change a server in check mode even by mistake. It follows no redirect, bounds each
    attempt of a request (body included) by ``timeout`` seconds and reads at most ``MAX_ANSWER_BYTES``
    of one answer.
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30, check_mode=False,
                 retry_policy=None, sleep=time.sleep, pool_size=16):
        self.base_url = base_url.rstrip('/')
        parts = urlsplit(self.base_url)
        self.root = '%s://%s' % (parts.scheme, parts.netloc)  # scheme, host and port: where everything goes
        self.timeout = timeout
        self.check_mode = check_mode
        self.retry_policy = retry_policy or RetryPolicy()
        self.sleep = sleep
        self.session = requests.Session()
        if DefaultCookiePolicy is not None:
            # EM sets an X-RestSvcSessionId cookie and lets it win over the header; keep no cookies at all
            self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # given on every request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override session.verify
        self.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        if self.verify is False:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.session.headers['User-Agent'] = USER_AGENT
        # https only: the default http:// adapter goes too, so nothing can be sent in clear text
        self.session.adapters.clear()
        self.session.mount('https://', _DeadlineAdapter(pool_connections=1, pool_maxsize=pool_size))
        self.requests_sent = 0

    def url(self, path):
        if path.startswith('https://') or path.startswith('http://'):
            # a link the server wrote (a VSPC async action's Location) names the server as the server knows itself,
            # which may not be the name we reach it by: only its path is followed, and only on this server
            parts = urlsplit(path)
            return self.root + parts.path + ('?' + parts.query if parts.query else '')
        return self.base_url + path

    def send(self, method, path, params=None, data=None, json_body=None, headers=None,
             idempotent=None, auth_request=False):
        """Send one request (with retries where safe) and return the ``requests.Response`` with its body
        read, whatever its status; a redirect is an error."""
        method = method.upper()
        if self.check_mode and method in CHANGING_METHODS and not auth_request:
            raise VeeamCheckModeError('refused to send %s %s in check mode' % (method, path))
        if idempotent is None:
            idempotent = method not in CHANGING_METHODS
        url = self.url(path)
        attempt = 0
        while True:
            attempt += 1
            self.requests_sent += 1
            try:
                response = self._exchange(method, path, url, params=params, data=data, json=json_body,
                                          headers=headers)
            except _Dropped as dropped:
                delay = self.retry_policy.delay(attempt, idempotent, connection_error=True)
                if delay is None:
                    raise dropped.error(self.base_url, method, path, attempt, idempotent)
                self.sleep(delay)
                continue
            status = response.status_code
            if 300 <= status < 400 and status != 304:
                raise _redirect_error(method, path, response)
            if status == 429 or status in RETRY_READ_STATUSES:
                hint = retry_after_seconds(response) if status == 429 else None
                delay = self.retry_policy.delay(attempt, idempotent, status=status, retry_after=hint)
                if delay is not None:
                    self.sleep(delay)
                    continue
            return response

    def _exchange(self, method, path, url, **kwargs):
        """One attempt: send, and read the whole answer within ``timeout`` seconds from the start.

        requests' own timeout is per socket read, so a server that sends a byte at a time would never
        trip it: a timer shuts the connection down when the time is up, wherever the exchange is.
        """
        watch = _Watch()
        timer = threading.Timer(self.timeout, watch.expire)
        timer.daemon = True
        _CURRENT.watch = watch
        timer.start()
        response = None
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, stream=True,
                                            allow_redirects=False, **kwargs)
            if not (300 <= response.status_code < 400):
                response._content = _read_capped(response, method, path)
            return response
        except requests.exceptions.SSLError as exc:
            if watch.expired:
                raise self._timed_out(method, path)
            raise VeeamConnectionError(
                'TLS connection to %s failed: %s. Trust the server with ca_path (VEEAM_CA_PATH, a PEM CA bundle), '
                'or set validate_certs (VEEAM_VALIDATE_CERTS) to false to skip certificate checks' % (self.base_url, _reason(exc)))
        except requests.exceptions.ConnectTimeout as exc:
            if watch.expired:
                raise self._timed_out(method, path)
            raise _Dropped(exc, answered=False)
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError):
            raise self._timed_out(method, path)
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired:
                raise self._timed_out(method, path)
            raise _Dropped(exc, answered=response is not None)
        finally:
            timer.cancel()
            _CURRENT.watch = None
            if response is not None:
                response.close()

    def _timed_out(self, method, path):
        return VeeamConnectionError(
            '%s %s: the server did not answer completely within %s seconds (option timeout)'
            % (method, path, self.timeout))

    def close(self):
        self.session.close()


# What one answer may weigh (INTERFACE.md section 1). The largest answer the clients ask for, a page of 500
# jobs or task sessions, is a few MB.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_CHUNK = 256 * 1024


def _read_capped(response, method, path):
    """The body of a streamed answer, refused once it passes ``MAX_ANSWER_BYTES`` (before it is all read)."""
    declared = response.headers.get('Content-Length')
    if declared and declared.strip().isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise _too_large(method, path, int(declared))
    chunks = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _too_large(method, path)
        chunks.append(chunk)
    return b''.join(chunks)


def _too_large(method, path, declared=None):
    return VeeamProtocolError('the answer to %s %s is larger than %d MiB%s, the most the collection reads of one '
                              'answer: is the server address right?'
                              % (method, path, MAX_ANSWER_BYTES // (1024 * 1024),
                                 ' (%d bytes announced)' % declared if declared else ''))


def _redirect_error(method, path, response):
    location = response.headers.get('Location')
    where = ('to %s' % _shown_url(location)) if location else 'without a Location'
    return VeeamProtocolError(
        '%s %s was answered with HTTP %s, a redirect %s. The collection never follows redirects: the credentials, '
        'session or token would go with them. If that address is your Veeam server, set server (VEEAM_SERVER) '
        'and port (VEEAM_PORT) to it' % (method, path, response.status_code, where),
        status=response.status_code, details={'location': _shown_url(location) if location else None})


def _shown_url(url):
    """A URL fit for a message: no user:password@ part, and not endless."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rpartition('@')[2]
    shown = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return shown if len(shown) <= 300 else shown[:300] + '...'


class _Dropped(Exception):
    """The connection failed during one attempt (before or while the answer was read)."""

    def __init__(self, exc, answered):
        super(_Dropped, self).__init__(str(exc))
        self.exc = exc
        self.answered = answered

    def error(self, base_url, method, path, attempts, idempotent):
        if self.answered and not idempotent:
            return VeeamConnectionError(
                'the connection to %s broke while the answer to %s %s was read (%s): the server may have carried '
                'it out, so it is not sent again; check the server before you run the task again'
                % (base_url, method, path, _reason(self.exc)), details={'attempts': attempts})
        return VeeamConnectionError('cannot reach %s (%s %s): %s' % (base_url, method, path, _reason(self.exc)),
                                    details={'attempts': attempts})


# -- the deadline of one exchange ------------------------------------------------------------------
# Each thread sends one request at a time; the connection that carries it registers itself with the
# thread's current watch, which shuts it down when the exchange's time is up.
_CURRENT = threading.local()


class _Watch:
    def __init__(self):
        self.expired = False
        self.connections = []
        self.lock = threading.Lock()

    def attach(self, connection):
        # the socket itself too: an answer that closes the connection (Connection: close, HTTP/1.0) makes http.client
        # drop connection.sock while the body is still read from that socket
        with self.lock:
            self.connections.append((connection, getattr(connection, 'sock', None)))
            expired = self.expired
        if expired:
            _shut(connection, getattr(connection, 'sock', None))

    def expire(self):
        with self.lock:
            self.expired = True
            connections = list(self.connections)
        for connection, sock in connections:
            _shut(connection, sock)


def _shut(connection, sock=None):
    for each in set(filter(None, (sock, getattr(connection, 'sock', None)))):
        try:
            # the plain socket's shutdown: a blocked read in another thread returns at once
            socket.socket.shutdown(each, socket.SHUT_RDWR)
        except (OSError, TypeError):
            pass


def _watched(connection):
    watch = getattr(_CURRENT, 'watch', None)
    if watch is not None:
        watch.attach(connection)


if HAS_REQUESTS:
    class _WatchedConnection(urllib3.connection.HTTPSConnection):
        def connect(self):
            _watched(self)
            return super(_WatchedConnection, self).connect()

        def request(self, *args, **kwargs):
            _watched(self)
            return super(_WatchedConnection, self).request(*args, **kwargs)

    class _WatchedPool(urllib3.connectionpool.HTTPSConnectionPool):
        ConnectionCls = _WatchedConnection

    class _DeadlineAdapter(HTTPAdapter):
        """An HTTPAdapter whose https connections answer to the thread's deadline watch."""

        def init_poolmanager(self, *args, **kwargs):
            super(_DeadlineAdapter, self).init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = dict(self.poolmanager.pool_classes_by_scheme, https=_WatchedPool)

        def proxy_manager_for(self, *args, **kwargs):
            manager = super(_DeadlineAdapter, self).proxy_manager_for(*args, **kwargs)
            manager.pool_classes_by_scheme = dict(manager.pool_classes_by_scheme, https=_WatchedPool)
            return manager


def _reason(exc):
    """The innermost readable reason of a requests/urllib3 exception, without the noise."""
    reason = exc
    for _dummy in range(5):
        inner = getattr(reason, 'reason', None) or (reason.args[0] if getattr(reason, 'args', None) else None)
        if inner is None or inner is reason or isinstance(inner, str):
            break
        reason = inner
    return str(reason)
