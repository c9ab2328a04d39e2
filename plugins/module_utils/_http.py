# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport shared by both Veeam APIs: TLS, timeouts, retries, the check-mode guard.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import time

try:
    import requests
    import urllib3
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
    except ValueError:
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
    module cannot change a server in check mode even by mistake.
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30, check_mode=False,
                 retry_policy=None, sleep=time.sleep, pool_size=16):
        self.base_url = base_url.rstrip('/')
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
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        self.requests_sent = 0

    def url(self, path):
        if path.startswith('https://') or path.startswith('http://'):
            return path
        return self.base_url + path

    def send(self, method, path, params=None, data=None, json_body=None, headers=None,
             idempotent=None, auth_request=False):
        """Send one request (with retries where safe) and return the ``requests.Response``, whatever its status."""
        method = method.upper()
        if self.check_mode and method in CHANGING_METHODS and not auth_request:
            raise VeeamCheckModeError('refused to send %s %s in check mode' % (method, path))
        if idempotent is None:
            idempotent = method not in CHANGING_METHODS
        url = self.url(path)
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests_sent += 1
                response = self.session.request(method, url, params=params, data=data, json=json_body,
                                                headers=headers, timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise VeeamConnectionError(
                    'TLS connection to %s failed: %s. Trust the server with ca_path (a PEM CA bundle), or set '
                    'validate_certs to false to skip certificate checks' % (self.base_url, _reason(exc)))
            except requests.exceptions.ReadTimeout:
                raise VeeamConnectionError(
                    '%s %s: the server did not answer within %s seconds (option timeout)' % (method, path, self.timeout))
            except requests.exceptions.ConnectionError as exc:
                delay = self.retry_policy.delay(attempt, idempotent, connection_error=True)
                if delay is None:
                    raise VeeamConnectionError(
                        'cannot reach %s (%s %s): %s' % (self.base_url, method, path, _reason(exc)),
                        details={'attempts': attempt})
                self.sleep(delay)
                continue
            status = response.status_code
            if status == 429 or status in RETRY_READ_STATUSES:
                hint = retry_after_seconds(response) if status == 429 else None
                delay = self.retry_policy.delay(attempt, idempotent, status=status, retry_after=hint)
                if delay is not None:
                    response.close()
                    self.sleep(delay)
                    continue
            return response

    def close(self):
        self.session.close()


def _reason(exc):
    """The innermost readable reason of a requests/urllib3 exception, without the noise."""
    reason = exc
    for _dummy in range(5):
        inner = getattr(reason, 'reason', None) or (reason.args[0] if getattr(reason, 'args', None) else None)
        if inner is None or inner is reason or isinstance(inner, str):
            break
        reason = inner
    return str(reason)
