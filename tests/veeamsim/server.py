# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS listeners: request parsing, logging, counting, fault injection and dispatch."""

from __future__ import annotations

import re
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import control, em, vbr, vspc

_ID_SEGMENT = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|task-\d+|\d+|"
                         r"urn:veeam:.*)$")

DROP = object()


def normalize_path(path):
    """The counter key path: ids (GUIDs, task-N, numbers, URNs) become {id}, no trailing slash."""
    parts = [("{id}" if _ID_SEGMENT.match(p) else p) for p in path.split("/")]
    out = "/".join(parts).rstrip("/")
    return out or "/"


class Request(object):
    def __init__(self, api, method, raw_path, headers, body, base_url):
        self.api = api
        self.method = method
        split = urlsplit(raw_path)
        self.raw_path = raw_path
        self.path = split.path
        self.query_string = split.query
        self.query = parse_qsl(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.base_url = base_url

    def arg(self, name, default=None, ci=True):
        for key, value in self.query:
            if key == name or (ci and key.lower() == name.lower()):
                return value
        return default

    def header(self, name, default=None):
        value = self.headers.get(name)
        return default if value is None else value

    def text(self):
        return self.body.decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 300
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers (40 ms on Linux) on every response.
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):   # noqa: A002 (signature from the base class)
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.server.api, format % args))

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        if length:
            return self.rfile.read(int(length))
        return b""

    def _handle(self):
        model = self.server.model
        body = self._read_body()
        host = self.headers.get("Host") or "%s:%s" % (self.server.server_address[0], self.server.server_address[1])
        req = Request(self.server.api, self.command, self.path, self.headers, body, "https://" + host)
        try:
            if req.path.startswith("/_sim/") or req.path == "/_sim":
                resp = control.handle(model, req)
            else:
                resp = self._api(model, req)
        except Exception:   # a bug in the simulator must still answer, as a real server's 500 would
            traceback.print_exc()
            resp = self.server.app.internal_error(req)
        if resp is DROP:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def _api(self, model, req):
        key = "%s %s" % (req.method, normalize_path(req.path))
        with model.lock:
            counters = model.counters
            counters["requests"][key] = counters["requests"].get(key, 0) + 1
            counters["requests_total"] += 1
            model.log.append({
                "api": req.api,
                "method": req.method,
                "path": req.path,
                "query": req.query_string,
                "headers": dict(req.headers.items()),
                "body": req.text(),
                "time": time.time(),
            })
            fault = model.take_fault(req.api, req.method, req.path)
        app = self.server.app
        if fault is not None:
            if fault.get("latency"):
                time.sleep(float(fault["latency"]))
            if fault.get("drop"):
                return DROP
        if fault is not None and fault.get("status"):
            resp = app.fault_response(req, fault)
        else:
            # prepare (VBR: version and document checks) and finish (VBR: answer validation) run outside
            # the lock: they read Veeam's documents, not the model
            prepare = getattr(app, "prepare", None)
            resp = prepare(model, req) if prepare is not None else None
            if resp is None:
                with model.lock:
                    resp = app.handle(model, req)
                    if fault is not None and fault.get("async") and req.api == "vspc":
                        resp = vspc.defer(model, req, resp)
        finish = getattr(app, "finish", None)
        return finish(model, req, resp) if finish is not None else resp

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, api, app, model, ctx, verbose=False):
        self.api = api
        self.app = app
        self.model = model
        self.verbose = verbose
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        ThreadingHTTPServer.__init__(self, address, Handler)
        self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, socket.timeout, OSError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


def start(host, em_port, vspc_port, vbr_port, model, ctx, verbose=False):
    """Bind the three listeners and serve each in a thread; return (em_server, vspc_server, vbr_server)."""
    servers = (SimServer((host, em_port), "em", em, model, ctx, verbose),
               SimServer((host, vspc_port), "vspc", vspc, model, ctx, verbose),
               SimServer((host, vbr_port), "vbr", vbr, model, ctx, verbose))
    for srv in servers:
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
    return servers
