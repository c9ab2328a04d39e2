# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP response objects shared by the EM, VSPC and control handlers."""

from __future__ import annotations

import json


class Response(object):
    def __init__(self, status, body=b"", content_type=None, headers=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.headers = list(headers or [])
        if content_type and body:
            self.headers.append(("Content-Type", content_type))


def json_response(status, obj, headers=None):
    return Response(status, json.dumps(obj, ensure_ascii=False), "application/json; charset=utf-8", headers)
