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
      - V(vbr) is the Veeam Backup & Replication REST API of the backup server itself
        (C(https://HOST:9419/api/v1)), which every VBR 12 and 13 server has, with or without Enterprise Manager.
        The module takes an OAuth2 token once, renews it with its refresh token when it expires, and logs it
        out (C(POST /api/oauth2/logout)) before it exits, whether it succeeded or failed; that ends this run's
        tokens only. Every request carries the REST API revision in C(x-api-version) (see O(api_version)).
        Supported servers are VBR 12.3 (revision C(1.2-rev1)) and VBR 13.0, 13.0.1 and 13.1 (C(1.3-rev0) to
        C(1.3-rev2)).
      - If not set, the value of the E(VEEAM_API) environment variable is used.
    type: str
    choices: [em, vspc, vbr]
    default: em
  server:
    description:
      - Host name or address of the Enterprise Manager server, the Service Provider Console server or the
        Veeam Backup & Replication server, as V(host), V(host:port) or V(https://host[:port]).
      - If not set, the value of the E(VEEAM_SERVER) environment variable is used.
    type: str
    required: true
  port:
    description:
      - TCP port of the API. A port given in O(server) wins over this option.
      - Defaults to V(9398) for O(api=em), V(1280) for O(api=vspc) and V(9419) for O(api=vbr).
      - If not set, the value of the E(VEEAM_PORT) environment variable is used.
    type: int
  username:
    description:
      - User to log on as, for example V(CORP\\backup-operator). Requires O(password).
      - Starting, stopping or changing jobs on Enterprise Manager needs the Portal Administrator role. On
        O(api=vbr), a Veeam Backup Operator may start, stop and retry jobs; enabling and disabling them, and
        reading the backup server's name and id, needs a Veeam Backup Administrator.
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
      - Seconds one attempt of an HTTP request may take from the moment it is sent to the last byte of the
        answer, connecting and the whole body included. A server that answers more slowly, or sends its answer
        a little at a time, fails the request with a message naming this option; a request that timed out is
        not sent again.
      - A read may be sent up to four times (see the notes), so one request ends within four times this value
        plus 3.5 seconds of backoff, and any wait an HTTP 429 answer asks for (at most 120 seconds each).
      - If not set, the value of the E(VEEAM_TIMEOUT) environment variable is used.
    type: int
    default: 30
  api_version:
    description:
      - Only for O(api=vbr). The VBR REST API revision to use, sent in the C(x-api-version) header of every
        request, for example V(1.3-rev1). The server must serve it.
      - If not set, the newest revision this collection supports (C(1.3-rev2), C(1.3-rev1), C(1.3-rev0) or
        C(1.2-rev1)) that the server serves. Finding it costs nothing on a VBR 13.1 server and one more
        token request on older ones (the server answers a revision it does not serve with the list of those it
        serves).
      - Veeam Agent jobs and O(backupops.veeam.veeam_job_action#module:action=retry) need revision C(1.3-rev0)
        (VBR 13.0) or later; with an older revision they fail before anything is changed.
      - If not set, the value of the E(VEEAM_API_VERSION) environment variable is used.
    type: str
notes:
  - Either O(username) and O(password), or (for O(api=vspc)) O(api_key), must be given; a missing or
    conflicting set, O(api_key) with another API than V(vspc), or O(api_version) with another API than V(vbr),
    fails before any request is sent.
  - Reads are retried after connection failures and HTTP 500, 502, 503, 504 and 520 answers, with a short
    backoff; an HTTP 429 answer is retried after the wait the server asks for. Requests that change a job
    (start, stop, retry, schedule changes) are never sent twice after a failure.
  - An expired Enterprise Manager session or VSPC token is replaced by logging on again; an expired VBR token
    is renewed with its refresh token, which works once.
  - Redirects are never followed. Veeam's APIs do not redirect, and a request that followed one would carry the
    password, session id or token to wherever the server points, even to plain C(http://). Any HTTP 3xx answer
    fails the module with a message naming the status and the C(Location), so a user who gave the wrong address
    sees where the server points. Only C(https://) is ever used.
  - One answer may be at most 64 MiB, and nested at most 64 levels (XML) or as deep as Python can parse (JSON); a
    larger or deeper answer is not the Veeam API, and fails the module without being read whole.
  - No password, token, API key or session id is returned, logged or written to disk. The password, the Basic
    credentials built from it, tokens and session ids are also masked in their URL-encoded, base64, XML- and
    JSON-escaped forms, in results, messages and warnings, including text a server echoes back.
  - The security model (what is sent where, what is kept, what is masked) is in the collection's
    C(docs/security.md).
  - Enumerated values (job types, states, results, malware status) are the server's own words. A word the
    documents know but the server writes in another case (C(failed), C(RUNNING)) is given in the documents'
    spelling, so that a playbook's C(== 'Failed') works whatever the server wrote; a word the documents do not
    know is given as the server wrote it. Messages are trimmed of the trailing white space some servers add.
requirements:
  - requests
  - xmltodict
'''
