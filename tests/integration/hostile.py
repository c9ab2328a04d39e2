# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile servers for the integration tests: loopback only, in threads of the test process, each with a
bounded lifetime (use them as context managers).

- ``RecordingSink``: an http or https server that answers 200 to everything and records every connection and
  request it gets. It is the target of the redirects the tests send: it must get nothing.
- ``HostileProxy``: an https reverse proxy in front of one simulator listener. It forwards every request (method,
  path, query, headers, body) and returns the simulator's answer, except the requests a rule picks (by method and
  path prefix, optionally only the Nth match), which it answers itself: a redirect, a body dribbled a byte at a
  time, a chunked body that never ends, a huge body, deeply nested JSON or XML, an Enterprise Manager logon
  whose body cannot be parsed, an error that echoes every secret the proxy has seen, a dropped connection. It
  records what it forwarded and what it answered, so a test can find the session ids and tokens issued.

Every loop and wait here is bounded: a stream ends when the client goes away, when the proxy is closed, or
after ``STREAM_SECONDS``; a forwarded request waits ``FORWARD_TIMEOUT`` seconds at most.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
import http.client
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import traceback
import time
import zlib
from xml.sax.saxutils import escape as xml_escape

try:
    from urllib.parse import parse_qs, quote, quote_plus, urlsplit
except ImportError:  # pragma: no cover
    from urllib import quote, quote_plus
    from urlparse import parse_qs, urlsplit

LOOPBACK = '127.0.0.1'
# the longest any one stream (dribble, endless chunks, huge body) is kept up, whatever the client does
STREAM_SECONDS = 60.0
# the most a huge body sends in all, whatever the client does
STREAM_BYTES_CAP = 512 * 1024 * 1024
FORWARD_TIMEOUT = 60.0
# how long a connection to one of these servers may stay silent before it is closed
IDLE_SECONDS = 30.0
HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
                        'trailers', 'transfer-encoding', 'upgrade', 'content-length'))
MiB = 1024 * 1024
# where each API takes its logon / token, and the media type of its answers
LOGON_PATH = {'em': '/api/sessionMngr', 'vspc': '/api/v3/token', 'vbr': '/api/oauth2/token'}
MEDIA_TYPE = {'em': 'application/xml; charset=utf-8', 'vspc': 'application/json; charset=utf-8',
              'vbr': 'application/json; charset=utf-8'}
SESSION_HEADER = 'X-RestSvcSessionId'


def tls_context(simulator):
    """A server context with the simulator's certificate (DNS:localhost, IP:127.0.0.1 and ::1)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(simulator.state_dir, 'server.pem'),
                            os.path.join(simulator.state_dir, 'server-key.pem'))
    return context


class _Server(http.server.ThreadingHTTPServer):
    """A threading server on the loopback address, https when given a context; quiet about clients that go away."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, context=None, host=LOOPBACK):
        http.server.ThreadingHTTPServer.__init__(self, (host, 0), handler)
        if context is not None:
            # the handshake happens in the handler's thread (on its first read), not in the accepting one
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0
        self.errors = []

    def verify_request(self, request, client_address):
        with self.lock:
            self.connections += 1
        return True

    def handle_error(self, request, client_address):
        # a client that hangs up mid-stream, or refuses the certificate, is what these servers are for; anything
        # else is a bug of the server itself, which close() reports
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            with self.lock:
                self.errors.append(traceback.format_exc())


class _Base(object):
    """Start a _Server in a daemon thread; ``close()`` (or leaving the ``with`` block) stops it and its streams."""

    scheme = 'https'

    def _start(self, handler, context):
        self.server = _Server(handler, context)
        self.server.owner = self
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
        self.thread.start()

    def url(self, path='', host=None):
        return '%s://%s:%d%s' % (self.scheme, host or self.host, self.port, path)

    def close(self):
        self.server.stopping.set()  # every stream loop waits on this event: they all end now
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        self.close()
        if exc_type is None and self.server.errors:
            raise AssertionError('%s failed while serving:\n%s' % (type(self).__name__, '\n'.join(self.server.errors)))
        return False


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'hostile'
    sys_version = ''
    timeout = IDLE_SECONDS
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            chunks = []
            for dummy in range(100000):  # bounded like everything else here
                size = int(self.rfile.readline().strip().split(b';')[0] or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b''.join(chunks)
        length = self.headers.get('Content-Length')
        return self.rfile.read(int(length)) if length else b''

    def answer(self, status, body=b'', headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if body and self.command != 'HEAD':
            self.wfile.write(body)


# -- the recording sink -----------------------------------------------------------------------------
class RecordingSink(_Base):
    """Answers 200 to every request and records it (method, path, headers, body), and counts every connection,
    TLS or not, before a byte is read. Plain http without ``simulator``; https with its certificate with one."""

    def __init__(self, simulator=None):
        self.scheme = 'https' if simulator is not None else 'http'
        self.requests = []

        class Handler(_Handler):
            def handle_any(self):
                body = self.read_body()
                sink = self.server.owner
                with self.server.lock:
                    sink.requests.append({'method': self.command, 'path': self.path,
                                          'headers': dict(self.headers.items()), 'body': body.decode('utf-8', 'replace')})
                self.answer(200, b'{"data": []}', [('Content-Type', 'application/json')])

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

        self._start(Handler, tls_context(simulator) if simulator is not None else None)

    @property
    def connections(self):
        return self.server.connections

    def untouched(self):
        """True when nothing at all reached the sink: no connection, no request."""
        return self.server.connections == 0 and not self.requests


# -- the reverse proxy ------------------------------------------------------------------------------
class Rule(object):
    """Answer the requests of ``method`` whose path starts with ``prefix`` (the ``nth`` of them only, when
    given, counting from 1) with ``action`` instead of forwarding them."""

    def __init__(self, label, method, prefix, action, nth=None, **options):
        self.label = label
        self.method = method.upper()
        self.prefix = prefix
        self.action = action
        self.nth = nth
        self.options = options
        self.matched = 0

    def applies(self, method, path):
        """Called under the proxy's lock for each request, in order: counts the matches."""
        if method != self.method or not path.startswith(self.prefix):
            return False
        self.matched += 1
        return self.nth is None or self.matched == self.nth


class HostileProxy(_Base):
    """An https reverse proxy in front of the simulator's ``api`` listener, with the simulator's certificate.

    ``rule(label, method, prefix, action, nth=None, **options)`` picks requests to answer itself, see the
    ``_action_*`` methods. ``records`` lists every request it got, in order: method, path, query, headers, body,
    the label of the rule that answered it (None: forwarded), and for a forwarded one the simulator's status,
    headers and body. ``streams`` lists what each stream action sent: bytes, seconds, how it ended.
    """

    def __init__(self, simulator, api):
        self.simulator = simulator
        self.api = api
        self.target = (simulator.host, simulator.port(api))
        self.client_context = ssl.create_default_context(cafile=simulator.ca_path)
        self.rules = []
        self.records = []
        self.streams = []
        proxy = self

        class Handler(_Handler):
            def handle_any(self):
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

        self._start(Handler, tls_context(simulator))

    def rule(self, label, method, prefix, action, nth=None, **options):
        assert hasattr(self, '_action_' + action), action
        with self.server.lock:
            self.rules.append(Rule(label, method, prefix, action, nth, **options))

    # -- what the proxy saw ---------------------------------------------------------------------
    def matching(self, method, prefix):
        """The records of the requests of ``method`` whose path starts with ``prefix``."""
        with self.server.lock:
            return [r for r in self.records if r['method'] == method.upper() and r['path'].startswith(prefix)]

    def answered_by(self, label):
        with self.server.lock:
            return [r for r in self.records if r['rule'] == label]

    def stream(self, label):
        """What the (only) stream of that rule sent: ``{'bytes', 'seconds', 'ended'}``; waits (bounded) for its end."""
        deadline = time.monotonic() + STREAM_SECONDS + 5
        while time.monotonic() < deadline:
            with self.server.lock:
                found = [s for s in self.streams if s['label'] == label]
            if found and found[-1]['ended']:
                return found[-1]
            self.server.stopping.wait(0.05)
        raise AssertionError('the stream of rule %r did not end' % label)

    def secrets_seen(self, this_logon=False):
        """Every credential, session id and token that went through the proxy, as ``[(what, value, whole)]``;
        with ``this_logon``, only those from the latest logon / token request on (a module run knows its own).

        ``whole`` marks a secret of its own: a password (as the token requests and Basic headers carried it), the
        base64 credentials of a Basic header, a session header, a logon session id, an access or refresh token.
        The others hold secrets: an Authorization header (``Bearer <token>``), the raw body of a token request,
        the ``user:password`` of a Basic header."""
        with self.server.lock:
            records = list(self.records)
        if this_logon:
            logons = [index for index, record in enumerate(records)
                      if record['method'] == 'POST' and record['path'].startswith(LOGON_PATH[self.api])]
            records = records[logons[-1]:] if logons else records
        found = []

        def add(what, value, whole):
            if value and (what, value, whole) not in found:
                found.append((what, value, whole))
        for record in records:
            headers = dict((key.lower(), value) for key, value in record['headers'].items())
            add('authorization header', headers.get('authorization'), False)
            add('session header', headers.get(SESSION_HEADER.lower()), True)
            scheme, dummy, value = (headers.get('authorization') or '').partition(' ')
            if scheme.lower() == 'basic' and value:
                user_password = base64.b64decode(value).decode('utf-8')
                add('basic credentials', value, True)
                add('basic user:password', user_password, False)
                add('password', user_password.partition(':')[2], True)
            if record['path'].startswith(LOGON_PATH[self.api]) and record['body']:
                add('token request body', record['body'], False)
                form = parse_qs(record['body'])
                for key in ('password', 'refresh_token'):
                    for sent in form.get(key, []):
                        add(key, sent, True)
            answer = dict((key.lower(), value) for key, value in record.get('answer_headers') or [])
            add('session header given', answer.get(SESSION_HEADER.lower()), True)
            if answer.get('location') and '/logonSessions/' in answer['location']:
                add('logon session id', answer['location'].rstrip('/').rsplit('/', 1)[-1], True)
            if record['path'].startswith(LOGON_PATH[self.api]) and record.get('answer_body', '').startswith('{'):
                tokens = json.loads(record['answer_body'])
                add('access token given', tokens.get('access_token'), True)
                add('refresh token given', tokens.get('refresh_token'), True)
        return found

    def seen(self, what):
        """The values of one kind of ``secrets_seen``, e.g. ``seen('access token given')``."""
        return [value for kind, value, dummy in self.secrets_seen() if kind == what]

    # -- serving ----------------------------------------------------------------------------------
    def _handle(self, handler):
        body = handler.read_body()
        split = urlsplit(handler.path)
        record = {'method': handler.command, 'path': split.path, 'query': split.query,
                  'headers': dict(handler.headers.items()), 'body': body.decode('utf-8', 'replace'),
                  'rule': None, 'time': time.time()}
        with self.server.lock:
            chosen = None
            for rule in self.rules:
                if rule.applies(handler.command, split.path) and chosen is None:
                    chosen = rule
            record['rule'] = chosen.label if chosen else None
            self.records.append(record)
        if chosen is None:
            self._forward(handler, body, record)
        else:
            getattr(self, '_action_' + chosen.action)(handler, record, chosen, **chosen.options)

    def _exchange(self, handler, body):
        """Send the request on to the simulator as it came; return (status, headers, body) of its answer."""
        connection = http.client.HTTPSConnection(self.target[0], self.target[1], timeout=FORWARD_TIMEOUT,
                                                 context=self.client_context)
        try:
            connection.putrequest(handler.command, handler.path, skip_host=True, skip_accept_encoding=True)
            for name, value in handler.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    connection.putheader(name, value)
            if body or handler.command in ('POST', 'PUT', 'PATCH'):
                connection.putheader('Content-Length', str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _forward(self, handler, body, record):
        status, headers, answer = self._exchange(handler, body)
        with self.server.lock:
            record.update(status=status, answer_headers=headers, answer_body=answer.decode('utf-8', 'replace'))
        handler.answer(status, answer, [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP])

    # -- streams ----------------------------------------------------------------------------------
    def _stream(self, handler, rule, status, headers, pieces, interval=0.0, chunked=False, close=False):
        """Send ``headers``, then each piece of ``pieces`` (an iterator), ``interval`` seconds apart, until the
        client goes away, the proxy closes, the pieces run out, or STREAM_SECONDS / STREAM_BYTES_CAP are reached.
        ``close``: say ``Connection: close`` in the headers (the connection is closed after the stream anyway)."""
        entry = {'label': rule.label, 'bytes': 0, 'seconds': None, 'ended': None}
        with self.server.lock:
            self.streams.append(entry)
        began = time.monotonic()
        ended = 'complete'
        handler.close_connection = True
        try:
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            if chunked:
                handler.send_header('Transfer-Encoding', 'chunked')
            if close:
                handler.send_header('Connection', 'close')
            handler.end_headers()
            handler.wfile.flush()
            for piece in pieces:
                if self.server.stopping.is_set():
                    ended = 'proxy closed'
                    break
                if time.monotonic() - began > STREAM_SECONDS or entry['bytes'] >= STREAM_BYTES_CAP:
                    ended = 'limit'
                    break
                handler.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece) if chunked else piece)
                handler.wfile.flush()
                entry['bytes'] += len(piece)
                if interval and self.server.stopping.wait(interval):
                    ended = 'proxy closed'
                    break
            else:
                if chunked:
                    handler.wfile.write(b'0\r\n\r\n')
        except (OSError, ssl.SSLError):
            ended = 'client went away'
        finally:
            entry['seconds'] = time.monotonic() - began
            entry['ended'] = ended
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _endless(piece):
        while True:
            yield piece

    # -- actions (each takes the handler, the request's record, the rule and the rule's options) -----------------
    def _action_redirect(self, handler, record, rule, status=302, location=''):
        """A redirect: ``status`` and ``Location`` (or ``location(record)``, a function of the request's record),
        with a small HTML body as servers send."""
        if callable(location):
            location = location(record)
        body = b'<html><body>Moved <a href="%s">here</a></body></html>' % location.encode('utf-8')
        handler.answer(status, body, [('Location', location), ('Content-Type', 'text/html')])

    def _action_dribble(self, handler, record, rule, interval=2.0, length=4096, close=False):
        """200 with a Content-Length of ``length`` bytes, sent one byte every ``interval`` seconds (``close``: with
        ``Connection: close``)."""
        self._stream(handler, rule, 200, [('Content-Type', MEDIA_TYPE[self.api]), ('Content-Length', str(length))],
                     (b' ' for dummy in range(length)), interval=interval, close=close)

    def _action_endless_chunks(self, handler, record, rule, interval=1.0, close=False, chunks=None):
        """200 with a chunked body that never ends: a one-byte chunk every ``interval`` seconds (``close``: with
        ``Connection: close``). ``chunks``: end it after that many after all, properly (with the last chunk)."""
        pieces = self._endless(b' ') if chunks is None else (b' ' for dummy in range(chunks))
        self._stream(handler, rule, 200, [('Content-Type', MEDIA_TYPE[self.api])], pieces,
                     interval=interval, chunked=True, close=close)

    def _action_huge(self, handler, record, rule, announce=None, gzipped=None):
        """200 with a body that does not end (as fast as the client reads it, 1 MiB a write), chunked, or with a
        Content-Length of ``announce`` bytes. ``gzipped``: instead a gzip body that unpacks to that many bytes
        (of blanks: about a thousandth of it is sent)."""
        headers = [('Content-Type', MEDIA_TYPE[self.api])]
        if gzipped:
            headers.append(('Content-Encoding', 'gzip'))
            packed = _gzip_of_blanks(gzipped)
            headers.append(('Content-Length', str(len(packed))))
            self._stream(handler, rule, 200, headers, iter([packed]))
            return
        if announce:
            headers.append(('Content-Length', str(announce)))
        self._stream(handler, rule, 200, headers, self._endless(b' ' * MiB), chunked=not announce)

    def _action_nested(self, handler, record, rule, depth=100000):
        """200 with a JSON (vspc, vbr) or XML (em) document nested ``depth`` levels deep."""
        if self.api == 'em':
            body = b'<?xml version="1.0" encoding="utf-8"?>' + b'<Nested>' * depth + b'x' + b'</Nested>' * depth
        else:
            body = b'{"data": ' + b'[' * depth + b']' * depth + b'}'
        headers = [('Content-Type', MEDIA_TYPE[self.api])]
        if self.api == 'em' and record['path'].startswith(LOGON_PATH['em']):
            status = 201
        else:
            status = 200
        handler.answer(status, body, headers)

    def _action_garbage_logon(self, handler, record, rule, body=b'<LogonSession><broken'):
        """Log on at the simulator for real, then answer 201 with its session header and Location, but with a
        body that cannot be parsed (application/xml)."""
        status, headers, answer = self._exchange(handler, record['body'].encode('utf-8'))
        with self.server.lock:
            record.update(status=status, answer_headers=headers, answer_body=answer.decode('utf-8', 'replace'))
        kept = [(name, value) for name, value in headers if name.lower() in (SESSION_HEADER.lower(), 'location')]
        handler.answer(status, body, kept + [('Content-Type', 'application/xml; charset=utf-8')])

    def _action_echo(self, handler, record, rule, status=409):
        """An error answer, in the API's own format, whose message is every secret the proxy has seen since the
        latest logon (see ``secrets_seen``: those of the module run that sent the request): each as it was sent,
        and each secret of its own also URL-encoded (``quote`` and ``quote_plus``) and base64-encoded, as a
        careless server could write it."""
        parts = []
        for what, value, whole in self.secrets_seen(this_logon=True):
            forms = [value]
            if whole:
                forms += [quote(value, safe=''), quote_plus(value), base64.b64encode(value.encode('utf-8')).decode('ascii')]
            parts.append('%s: %s' % (what, ' | '.join(forms)))
        message = 'Conflict. You sent: ' + ' ;; '.join(parts)
        if self.api == 'em':
            body = ('<?xml version="1.0" encoding="utf-8"?><Error xmlns="http://www.veeam.com/ent/v1.0" '
                    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                    '<Message>%s</Message><StatusCode>%d</StatusCode><Status>Conflict</Status></Error>'
                    % (xml_escape(message), status)).encode('utf-8')
        elif self.api == 'vspc':
            body = json.dumps({'errors': [{'message': message, 'type': 'logical', 'code': status}]}).encode('utf-8')
        else:
            body = json.dumps({'errorCode': 'InvalidOperation', 'message': message}).encode('utf-8')
        with self.server.lock:
            record.update(status=status, echoed=message)
        handler.answer(status, body, [('Content-Type', MEDIA_TYPE[self.api])])

    def _action_drop(self, handler, record, rule):
        """Close the connection without an answer."""
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@functools.lru_cache(maxsize=4)
def _gzip_of_blanks(size):
    """A gzip stream that unpacks to ``size`` blanks, made a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b' ' * MiB
    parts = [packer.compress(block) for dummy in range(size // MiB)]
    parts.append(packer.compress(b' ' * (size % MiB)))
    parts.append(packer.flush())
    return b''.join(parts)
