# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  api:
    description:
      - Which Veeam REST API to talk to.
      - V(em) is the Veeam Backup Enterprise Manager REST API (C(https://HOST:9398/api)). The module logs on
        once, and deletes its logon session before it exits, whether it succeeded or failed.
      - V(vspc) is the Veeam Service Provider Console REST API v3 (C(https://HOST:1280/api/v3)). With
        O(username) and O(password) the module takes a bearer token once and refreshes it when it expires.
        The token is kept in memory only and is not revoked at exit, because VSPC can only revoke every
        token of the user at once, which would log out other sessions of the same account (such as
        parallel AWX jobs). It expires by itself.
      - If not set, the value of the E(VEEAM_API) environment variable is used.
    type: str
    choices: [em, vspc]
    default: em
  server:
    description:
      - Host name or address of the Enterprise Manager or Service Provider Console server, as V(host),
        V(host:port) or V(https://host[:port]).
      - If not set, the value of the E(VEEAM_SERVER) environment variable is used.
    type: str
    required: true
  port:
    description:
      - TCP port of the API. A port given in O(server) wins over this option.
      - Defaults to V(9398) for O(api=em) and V(1280) for O(api=vspc).
      - If not set, the value of the E(VEEAM_PORT) environment variable is used.
    type: int
  username:
    description:
      - User to log on as, for example V(CORP\\backup-operator). Requires O(password).
      - Starting, stopping or changing jobs on Enterprise Manager needs the Portal Administrator role.
      - If not set, the value of the E(VEEAM_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username). Any character may be used.
      - If not set, the value of the E(VEEAM_PASSWORD) environment variable is used.
    type: str
  api_key:
    description:
      - "Only for O(api=vspc). A VSPC API key or an access token, sent as C(Authorization: Bearer)."
      - Excludes O(username) and O(password).
      - If not set, the value of the E(VEEAM_API_KEY) environment variable is used.
    type: str
    aliases: [token]
  validate_certs:
    description:
      - Whether to check the server's TLS certificate. Set it to V(false) only for a lab server.
      - If not set, the value of the E(VEEAM_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the server's certificate, for example the
        company CA that signed it. Without it the system's trusted CAs are used.
      - If not set, the value of the E(VEEAM_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the answer to one HTTP request.
      - If not set, the value of the E(VEEAM_TIMEOUT) environment variable is used.
    type: int
    default: 30
notes:
  - Either O(username) and O(password), or (for O(api=vspc)) O(api_key), must be given; a missing or
    conflicting set fails before any request is sent.
  - Reads are retried after connection failures and HTTP 500, 502, 503, 504 and 520 answers, with a short
    backoff; an HTTP 429 answer is retried after the wait the server asks for. Requests that change a job
    (start, stop, retry, schedule changes) are never sent twice after a failure.
  - An expired Enterprise Manager session or VSPC token is replaced by logging on again.
  - No password, token, API key or session id is returned, logged or written to disk.
requirements:
  - requests
  - xmltodict
'''
