# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted server behind a Transport-like ``send``, for the clients' unit tests: routes answer requests,
and every request is recorded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import threading


class Answer:
    def __init__(self, status, body=None, content_type='application/json', headers=None):
        self.status_code = status
        if body is None:
            self.text = ''
        elif isinstance(body, str):
            self.text = body
        else:
            self.text = json.dumps(body)
        self.headers = dict(headers or {}, **{'Content-Type': content_type})


def xml(status, text, headers=None):
    return Answer(status, text, 'application/xml; charset=utf-8', headers)


class Request:
    def __init__(self, method, path, params, body):
        self.method = method
        self.path = path
        self.params = dict(params or {})
        self.body = body

    def __repr__(self):
        return '%s %s %s' % (self.method, self.path, self.params)


class Scripted:
    """``route(method, pattern, answer)``: ``answer`` is an Answer or ``f(request, match) -> Answer``; the
    last route added wins. An unrouted request is answered 599 and recorded in ``unrouted``."""

    def __init__(self):
        self.routes = []
        self.sent = []
        self.unrouted = []
        self.session = type('Session', (), {'headers': {}})()
        self.check_mode = False
        self.closed = False
        self.lock = threading.Lock()

    def route(self, method, pattern, answer):
        self.routes.insert(0, (method, re.compile(pattern + r'$'), answer))

    def send(self, method, path, params=None, data=None, json_body=None, headers=None, idempotent=None,
             auth_request=False):
        body = json_body if json_body is not None else (data.decode('utf-8') if isinstance(data, bytes) else data)
        request = Request(method, path, params, body)
        with self.lock:
            self.sent.append(request)
        for route_method, pattern, answer in self.routes:
            match = pattern.match(path.split('?')[0]) if route_method == method else None
            if match:
                return answer(request, match) if callable(answer) else answer
        self.unrouted.append(request)
        return Answer(599, {'message': 'no route for %s %s' % (method, path)})

    def requests(self, method=None, path=None):
        return [request for request in self.sent if (method is None or request.method == method)
                and (path is None or re.match(path + r'$', request.path.split('?')[0]))]

    def close(self):
        self.closed = True
