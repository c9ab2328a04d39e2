# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: connection options, checking them, opening the right
client, and the one place where client errors become ``fail_json``.

Internal to this collection, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re

try:
    from urllib.parse import quote, quote_plus, urlsplit
except ImportError:  # pragma: no cover
    from urllib import quote, quote_plus
    from urlparse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.backupops.veeam.plugins.module_utils._client import DEFAULT_PORTS
from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamError, VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._http import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    Transport,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import (
    HAS_XMLTODICT,
    XMLTODICT_IMPORT_ERROR,
    is_guid,
    since_time,
)
from ansible_collections.backupops.veeam.plugins.module_utils._wait import WaitSettings, wait_argument_spec

# the VBR REST API has its tokens under /api/oauth2 and everything else under /api/v1: the client writes whole paths
BASE_PATHS = {'em': '/api', 'vspc': '/api/v3', 'vbr': ''}
APIS = ('em', 'vspc', 'vbr')
_API_VERSION = re.compile(r'^v?\d+\.\d+-rev\d+$')
_HOST = re.compile(r'^[A-Za-z0-9._-]+$')
_URN = re.compile(r'^urn:veeam:[A-Za-z]+:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def connection_argument_spec():
    """The connection options of INTERFACE.md section 1 (documented in the ``connection`` doc fragment)."""
    return dict(
        api=dict(type='str', default='em', choices=list(APIS), fallback=(env_fallback, ['VEEAM_API'])),
        server=dict(type='str', required=True, fallback=(env_fallback, ['VEEAM_SERVER'])),
        port=dict(type='int', fallback=(env_fallback, ['VEEAM_PORT'])),
        username=dict(type='str', fallback=(env_fallback, ['VEEAM_USERNAME'])),
        password=dict(type='str', no_log=True, fallback=(env_fallback, ['VEEAM_PASSWORD'])),
        api_key=dict(type='str', no_log=True, aliases=['token'], fallback=(env_fallback, ['VEEAM_API_KEY'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['VEEAM_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['VEEAM_CA_PATH'])),
        timeout=dict(type='int', default=30, fallback=(env_fallback, ['VEEAM_TIMEOUT'])),
        api_version=dict(type='str', fallback=(env_fallback, ['VEEAM_API_VERSION'])),
    )


def base_url(api, server, port=None):
    """``https://host:port/api[/v3]`` from the ``server`` and ``port`` options; a port in ``server`` wins."""
    text = (server or '').strip()
    if not text:
        raise VeeamOptionError('server (VEEAM_SERVER): give the host name or address of the Veeam server')
    if '://' in text:
        parts = urlsplit(text)
        if parts.scheme.lower() != 'https':
            raise VeeamOptionError('server (VEEAM_SERVER): %r uses %s; the Veeam APIs are served over https only' % (server, parts.scheme))
        if parts.path.rstrip('/') not in ('', '/api', '/api/v3', '/api/v1'):
            raise VeeamOptionError('server (VEEAM_SERVER): %r has a path; give https://host[:port] only' % server)
        host = parts.hostname or ''
        try:
            url_port = parts.port
        except ValueError:
            raise VeeamOptionError('server (VEEAM_SERVER): %r has an invalid port' % server)
    elif text.startswith('['):
        host, dummy, rest = text[1:].partition(']')
        url_port = _port_text(rest[1:], server) if rest.startswith(':') else None
        if rest and not rest.startswith(':'):
            raise VeeamOptionError('server (VEEAM_SERVER): %r is not a host, host:port or https://host[:port]' % server)
    elif text.count(':') == 1:
        host, dummy, port_text = text.partition(':')
        url_port = _port_text(port_text, server)
    else:
        host, url_port = text, None  # a bare IPv6 address has several colons and no port
    if not host or not (_HOST.match(host) or ':' in host):
        raise VeeamOptionError('server (VEEAM_SERVER): %r is not a host, host:port or https://host[:port]' % server)
    chosen = url_port if url_port is not None else port if port is not None else DEFAULT_PORTS[api]
    if not 0 < chosen < 65536:
        raise VeeamOptionError('port (VEEAM_PORT): %s is not a TCP port (1-65535)' % chosen)
    if ':' in host:
        host = '[%s]' % host
    return 'https://%s:%d%s' % (host, chosen, BASE_PATHS[api])


def _port_text(text, server):
    if not text.isdigit():
        raise VeeamOptionError('server (VEEAM_SERVER): %r has an invalid port' % server)
    return int(text)


def check_credentials(params):
    """Exactly one credential set for the chosen API, before anything is sent."""
    api = params['api']
    has_user, has_password, has_key = bool(params.get('username')), bool(params.get('password')), bool(params.get('api_key'))
    if has_key and api != 'vspc':
        raise VeeamOptionError('api_key is for api=vspc only; %s (api=%s) needs username and password (check the '
                               'VEEAM_API_KEY environment variable too)' % (API_NAMES[api], api))
    if has_key and (has_user or has_password):
        raise VeeamOptionError('give either api_key, or username and password, not both '
                               '(check the VEEAM_API_KEY, VEEAM_USERNAME and VEEAM_PASSWORD environment variables too)')
    if has_key:
        return
    if not has_user and not has_password:
        raise VeeamOptionError('missing credentials: set username and password%s (or the VEEAM_USERNAME and '
                               'VEEAM_PASSWORD environment variables)' % (', or api_key,' if api == 'vspc' else ''))
    if not has_user:
        raise VeeamOptionError('username (VEEAM_USERNAME) is required with password (VEEAM_PASSWORD)')
    if not has_password:
        raise VeeamOptionError('password (VEEAM_PASSWORD) is required with username (VEEAM_USERNAME)')


API_NAMES = {'em': 'Enterprise Manager', 'vspc': 'the Service Provider Console', 'vbr': 'the VBR REST API'}


def check_api_version(params):
    """``api_version`` is for vbr only, and looks like ``1.3-rev1``; returns it without a ``v`` prefix (or None)."""
    value = params.get('api_version')
    if value is None or not value.strip():
        return None  # an AWX credential injects an empty VEEAM_API_VERSION when the field is empty
    if params['api'] != 'vbr':
        raise VeeamOptionError('api_version is for api=vbr only (the VBR REST API revision); %s (api=%s) has none '
                               '(check the VEEAM_API_VERSION environment variable too)' % (API_NAMES[params['api']], params['api']))
    text = value.strip()
    if not _API_VERSION.match(text):
        raise VeeamOptionError('api_version (VEEAM_API_VERSION): %r is not a VBR REST API revision such as 1.3-rev1' % value)
    return text.lstrip('vV')


def check_job_id(value, option):
    """A job id option is a GUID or an EM URN (``urn:veeam:Job:<GUID>``)."""
    if value is not None and not (is_guid(value) or _URN.match(value)):
        raise VeeamOptionError('%s: %r is not a job id (a GUID, or an EM UID such as urn:veeam:Job:<GUID>)'
                               % (option, value))


_TYPE_WORD = re.compile(r'^[A-Za-z][A-Za-z0-9]*$')


def check_type_words(values, option):
    """Job type words are letters and digits (``Backup``, ``BackupVm``): nothing that could alter a filter."""
    for value in values or []:
        if not _TYPE_WORD.match(value):
            raise VeeamOptionError('%s: %r is not a Veeam type word (letters and digits only, such as Backup)'
                                   % (option, value))


def choose_words(values, accepted, option):
    """Match each word of a list option against the accepted words (any case); return them as the server spells them."""
    if not values:
        return None
    by_lower = dict((word.lower(), word) for word in accepted)
    chosen = []
    for value in values:
        word = by_lower.get(str(value).strip().lower())
        if word is None:
            raise VeeamOptionError('%s: %r is not one of %s' % (option, value, ', '.join(accepted)))
        chosen.append(word)
    return chosen


def check_since(value, option):
    """The ``since`` option as a UTC datetime (or None)."""
    if value is None:
        return None
    try:
        return since_time(value)
    except ValueError as exc:
        raise VeeamOptionError('%s: %s' % (option, exc))


def check_positive(params, *options):
    for option in options:
        value = params.get(option)
        if value is not None and value <= 0:
            raise VeeamOptionError('%s: must be a positive number, got %s' % (option, value))


def check_not_empty(params, *options):
    for option in options:
        value = params.get(option)
        if isinstance(value, str) and not value.strip():
            raise VeeamOptionError('%s: must not be empty' % option)
        if isinstance(value, list) and any(not str(item).strip() for item in value):
            raise VeeamOptionError('%s: must not contain empty values' % option)


def client_class(api):
    """The client class of ``api`` (the job protocol of ``VeeamClient``). Imported here, only the one in use:
    modules still load (and report the missing library) without requests/xmltodict, and a module run does not
    compile the other clients (AnsiballZ ships no bytecode)."""
    if api == 'em':
        from ansible_collections.backupops.veeam.plugins.module_utils._em import EMClient
        return EMClient
    if api == 'vbr':
        from ansible_collections.backupops.veeam.plugins.module_utils._vbr import VBRClient
        return VBRClient
    from ansible_collections.backupops.veeam.plugins.module_utils._vspc import VSPCClient
    return VSPCClient


def open_client(params, check_mode=False, register_secret=None, warn=None, clients=None):
    """The EM, VSPC or VBR client for the module's connection options (not yet logged on), of the class
    ``clients(api)`` (default ``client_class``; the machine modules pass ``_machines.machine_client_class``)."""
    api = params['api']
    if params['timeout'] is None or params['timeout'] <= 0:
        raise VeeamOptionError('timeout (VEEAM_TIMEOUT): must be a positive number of seconds, got %s' % params['timeout'])
    url = base_url(api, params['server'], params.get('port'))
    check_credentials(params)
    api_version = check_api_version(params)
    ca_path = params.get('ca_path')
    if ca_path and params['validate_certs'] and not os.path.isfile(ca_path):
        raise VeeamOptionError('ca_path (VEEAM_CA_PATH): %s is not a readable file (it should hold the PEM certificates of the CAs to trust)'
                               % ca_path)
    transport = Transport(url, validate_certs=params['validate_certs'], ca_path=params.get('ca_path'),
                          timeout=params['timeout'], check_mode=check_mode)
    client = (clients or client_class)(api)
    if api == 'em':
        return client(transport, params['username'], params['password'], register_secret=register_secret, warn=warn)
    if api == 'vbr':
        return client(transport, params['username'], params['password'], api_version=api_version,
                      register_secret=register_secret, warn=warn)
    return client(transport, username=params.get('username'), password=params.get('password'),
                  api_key=params.get('api_key'), register_secret=register_secret, warn=warn)


# Options that only the collection's own action plugins set (plugins/plugin_utils/_waiting.py), never a user:
# they are in no argument spec, so no documentation and no invocation shows them. A module takes the ones it
# names in VeeamModule(internal=...) and refuses the others.
INTERNAL_OPTIONS = ('_veeam_progress',)


class _AnsibleModule(AnsibleModule):
    """An AnsibleModule that takes the internal options out of its parameters before they are checked."""

    def _load_params(self):
        super(_AnsibleModule, self)._load_params()
        self.internal = dict((name, self.params.pop(name)) for name in INTERNAL_OPTIONS if name in self.params)
        if self.params.get('server') is None and not os.environ.get('VEEAM_SERVER'):
            # AnsibleModule's own "missing required arguments" would not name the environment variable
            self.fail_json(msg='server (VEEAM_SERVER): missing; give the host name or address of the Veeam server')


class VeeamModule:
    """An AnsibleModule with the connection options, that runs the module's work on a logged-on client.

    ``internal`` names the internal options the module accepts; their values are in ``self.internal``.
    ``wait_default``, for a module that waits for runs, adds the wait options (``_wait.wait_argument_spec``, the
    ``wait`` doc fragment) with that default of ``wait``; ``run`` then checks them into ``self.waiting``
    (a ``WaitSettings``) before any request. Other modules have ``self.waiting`` None.
    """

    def __init__(self, argument_spec, internal=(), wait_default=None, **kwargs):
        spec = connection_argument_spec()
        if wait_default is not None:
            spec.update(wait_argument_spec(wait_default))
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        self.module = _AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.internal = self.module.internal
        self.waits = wait_default is not None
        self.waiting = None
        self.warnings = []
        refused = sorted(set(self.internal) - set(internal))
        if refused:
            self.module.fail_json(msg='Unsupported parameters for (%s) module: %s' % (self.module._name, ', '.join(refused)))
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))
        if not HAS_XMLTODICT:
            self.module.fail_json(msg=missing_required_lib('xmltodict'), exception=str(XMLTODICT_IMPORT_ERROR))

    def warn(self, text):
        """A warning of the module's work: shown when the module exits, masked, on success and on failure alike."""
        self.warnings.append(text)

    def register_secret(self, value):
        """Mask a session id or token, in every form it could be written in, wherever the module writes text."""
        for form in secret_forms(value):
            self.module.no_log_values.add(form)

    def masked(self, text):
        """``text`` with every secret replaced: for what Ansible does not mask itself (warnings)."""
        return mask(text, self.module.no_log_values)

    def run(self, work, check=None, clients=None):
        """Check the options (``check(params)``, then the wait options into ``self.waiting``, before any
        request), open the client (of the class ``clients(api)``, see ``open_client``), ``work(client)``, close
        the client (EM logoff, VBR logout, also on failure), then exit with the result ``work`` returned. The one
        exit of every module: failures and warnings leave here, masked. A result whose ``failed`` is true fails
        the module with its ``msg`` and the rest of the result.
        """
        api = self.params['api']
        for option in ('password', 'api_key'):
            self.register_secret(self.params.get(option))
        if self.params.get('username') and self.params.get('password'):
            # the Basic logon header EM gets, which a server may echo back
            self.register_secret(basic_credentials(self.params['username'], self.params['password']))
        failure = None
        try:
            if check is not None:
                check(self.params)
            if self.waits:
                self.waiting = WaitSettings.from_params(self.params)
            client = open_client(self.params, check_mode=self.module.check_mode,
                                 register_secret=self.register_secret, warn=self.warn, clients=clients)
            with client:
                result = work(client)
            if result.pop('failed', False):
                failure = result
        except VeeamError as error:
            failure = dict(error.result(), msg=error.message)
        except RecursionError:
            failure = dict(msg='an answer of the server was nested too deeply to read: it is not the Veeam API')
        for warning in self.warnings:
            self.module.warn(self.masked(warning))
        if failure is not None:
            self.module.fail_json(api=api, **failure)
        result.setdefault('changed', False)
        self.module.exit_json(api=api, **result)


def basic_credentials(username, password):
    """``user:password`` base64-encoded as in a Basic Authorization header (UTF-8, as Veeam decodes it)."""
    return base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode('ascii')


def secret_forms(value):
    """A secret and the forms a server may echo it in: URL-encoded, base64, XML- and JSON-escaped."""
    if not value:
        return set()
    text = str(value)
    forms = set([text, quote(text, safe=''), quote_plus(text), xml_text(text),
                 json.dumps(text)[1:-1], base64.b64encode(text.encode('utf-8')).decode('ascii')])
    return set(form for form in forms if form)


def xml_text(text):
    """``text`` as XML writes it in an element or a quoted attribute. (Not xml.sax.saxutils.escape: importing it
    costs every module run 10 ms, a fifth of what a lookup adds to a bare GET.)"""
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')


def mask(text, secrets):
    """``text`` with each of ``secrets`` replaced by ``********``, the longest first (one may contain another)."""
    if not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, '********')
    return text
