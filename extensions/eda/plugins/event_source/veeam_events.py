# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-Driven Ansible source ``backupops.veeam.veeam_events`` (INTERFACE.md section 6)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: veeam_events
short_description: Events from Veeam, a job run that failed or warned, a machine that failed in it, a malware detection
version_added: 1.0.0
description:
  - An event source of ansible-rulebook and EDA controller. Every O(interval) seconds it asks the Veeam server, through
    the collection's own client (the same logon, TLS, retry and no-secret rules as the modules), what happened since the
    last poll, and puts one event on the queue for each new thing.
  - "Each event is C({veeam: {type, api, server, session, task, malware}, meta: {hosts}}): RV(veeam.type) is
    V(session_ended), V(task_failed) or V(malware_detected); RV(veeam.session) a session dict as
    M(backupops.veeam.veeam_session_info) returns it (without its C(tasks)); RV(veeam.task) the failed machine's task
    dict (task_failed) or null; RV(veeam.malware) the malware event as the VBR REST API gives it (malware_detected)
    or null; C(meta.hosts) the machine's name (task_failed, malware_detected), which ansible-rulebook's C(run_playbook)
    and C(run_job_template) use as the limit. ansible-rulebook adds its own keys to C(meta) (C(source), C(received_at),
    C(uuid)) and keeps C(hosts)."
  - "O(events=session_ended): a job run that ended with one of O(results) (O(api=em) C(BackupJobSession) and
    C(ReplicaJobSession) by their end time; O(api=vbr) C(/api/v1/sessions); O(api=vspc) the latest run of each job)."
  - "O(events=task_failed): one event per machine whose task ended C(Failed) in a run that ended (O(api=em)
    C(BackupTaskSession), O(api=vbr) the run's task sessions, O(api=vspc) the job objects)."
  - "O(events=malware_detected): O(api=vbr) only, C(/api/v1/malwareDetection/events) detected after the cursor."
  - Each poll logs on and off (Enterprise Manager), takes a token and logs it out (VBR) or takes a token (VSPC, which
    cannot revoke one token alone), so nothing stays open between polls. The blocking requests run in a thread, off
    the event loop.
  - A poll that fails (the server down, a 5xx answer, a timeout, expired or refused credentials) is logged and tried
    again at the next interval; it never ends the source. The runs and the malware detections are read each from its
    own cursor, so a malware listing that fails (a role that may not read it, say) holds back neither the runs nor,
    once it answers again, its own events. Bad arguments end it at start with one line naming the argument, before
    any request.
  - "What is remembered: the time of the last successful poll (the cursor, one for the runs and one for the malware
    detections) and the ids (and end times) of what was
    seen in the hour before it. Each poll looks back one hour before the cursor (runs that a server shows late, such
    as Enterprise Manager's collection lag), and leaves out what it has seen. With O(state_file) both are written
    after every poll (a temporary file renamed over the old one, so a crash never leaves half a file), without any
    secret, so a restarted source neither misses what happened while it was down nor repeats what it sent."
  - Each poll lists the ended runs created in the day before the window (at most 1000, newest first, the results
    filtered by the server); a run that lasted longer than a day is not seen.
author:
  - backupops.veeam contributors (@backupops)
options:
  api:
    description: The Veeam API, as the modules' O(api) (environment C(VEEAM_API)).
    type: str
    choices: [em, vspc, vbr]
    default: em
  server:
    description: The Veeam server, C(host), C(host:port) or C(https://host[:port]) (environment C(VEEAM_SERVER)).
    type: str
    required: true
  port:
    description: The port (environment C(VEEAM_PORT)); 9398 for em, 1280 for vspc, 9419 for vbr.
    type: int
  username:
    description: The user (environment C(VEEAM_USERNAME)).
    type: str
  password:
    description: The password (environment C(VEEAM_PASSWORD)).
    type: str
  api_key:
    description: O(api=vspc) only, an API key or access token (environment C(VEEAM_API_KEY)).
    type: str
    aliases: [token]
  validate_certs:
    description: Check the server's certificate (environment C(VEEAM_VALIDATE_CERTS)).
    type: bool
    default: true
  ca_path:
    description: A PEM bundle of the CAs to trust (environment C(VEEAM_CA_PATH)).
    type: path
  timeout:
    description: Seconds for one HTTP request (environment C(VEEAM_TIMEOUT)).
    type: int
    default: 30
  api_version:
    description: O(api=vbr) only, the REST API revision (environment C(VEEAM_API_VERSION)).
    type: str
  interval:
    description: Seconds between polls.
    type: float
    default: 60
  events:
    description:
      - The kinds of event to send. Default, every kind the API can tell (V(malware_detected) on O(api=vbr) only);
        V(malware_detected) asked for on another API is refused at start.
    type: list
    elements: str
    choices: [session_ended, task_failed, malware_detected]
  results:
    description: The results of an ended run that make a V(session_ended) event.
    type: list
    elements: str
    choices: [Success, Warning, Failed]
    default: [Warning, Failed]
  since:
    description:
      - Where the first poll starts, an ISO 8601 time or a duration back from now (V(90m), V(24h), V(7d)). Default,
        now, so that a start does not replay history. A O(state_file) that exists wins over it.
    type: str
  state_file:
    description:
      - A file to keep the cursor and the ids recently seen in (JSON, no secret), so that a restart neither misses nor
        repeats events. Written after every poll, atomically. A file that is there but not this source's state ends
        the source at start.
    type: path
'''

EXAMPLES = r'''
# rulebook.yml, run with: ansible-rulebook --rulebook rulebook.yml -i inventory.yml
# (VEEAM_SERVER, VEEAM_USERNAME, VEEAM_PASSWORD in the environment, or an EDA credential)
- name: Back up again what failed
  hosts: all
  sources:
    - backupops.veeam.veeam_events:
        api: vbr
        interval: 60
        events: [task_failed, malware_detected]
        state_file: /var/lib/eda/veeam_events.json
  rules:
    - name: A machine failed in a backup run
      condition: event.veeam.type == "task_failed"
      action:
        run_playbook:
          name: backupops.veeam.fresh_backup
    - name: Malware found in a restore point
      condition: event.veeam.type == "malware_detected"
      action:
        debug:
          msg: "{{ event.meta.hosts }}: {{ event.veeam.malware.type }} ({{ event.veeam.malware.severity }})"
'''

import asyncio
import datetime
import json
import logging
import math
import os
import sys
import tempfile

try:
    from ansible_collections.backupops.veeam.plugins.module_utils import _module  # noqa: F401 pylint: disable=unused-import
except ImportError:  # pragma: no cover - ansible-rulebook loads the file without the collection root on sys.path
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 7))))

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamError, VeeamOptionError
from ansible_collections.backupops.veeam.plugins.module_utils._module import (
    basic_credentials,
    check_since,
    choose_words,
    mask,
    open_client,
    secret_forms,
)
from ansible_collections.backupops.veeam.plugins.module_utils._parse import UTC, format_time, parse_time
from ansible_collections.backupops.veeam.plugins.module_utils._sessions import session_client_class

LOG = logging.getLogger('backupops.veeam.veeam_events')

CONNECTION = ('api', 'server', 'port', 'username', 'password', 'api_key', 'validate_certs', 'ca_path', 'timeout',
              'api_version')
OWN = ('interval', 'events', 'results', 'since', 'state_file')
EVENT_TYPES = ('session_ended', 'task_failed', 'malware_detected')
RESULTS = ('Success', 'Warning', 'Failed')
# each poll looks this far back before the cursor (runs shown late), and remembers the ids seen that long
OVERLAP = datetime.timedelta(hours=1)
# ended runs are listed among the runs created this long before the window
LOOKBACK = datetime.timedelta(days=1)
# at most this many runs a listing
LIMIT = 1000
# a run that failed and shows no machine yet is read again until it ended this long ago (Enterprise Manager shows
# the machines of a run after the run)
TASK_GRACE = datetime.timedelta(minutes=10)
STATE_VERSION = 1
# what a poll reads, each from its own cursor: the runs (session_ended, task_failed) and the malware detections
STEPS = ('sessions', 'malware')
_TRUE = ('1', 'true', 'yes', 'on', 'y', 't')
_FALSE = ('0', 'false', 'no', 'off', 'n', 'f')


def _env_name(option):
    return 'VEEAM_' + option.upper()


def _named(option):
    return '%s (%s)' % (option, _env_name(option)) if option in CONNECTION else option


def _as_int(option, value):
    if isinstance(value, bool):
        raise VeeamOptionError('%s: %r is not a whole number' % (_named(option), value))
    try:
        return int(str(value).strip())
    except ValueError:
        raise VeeamOptionError('%s: %r is not a whole number' % (_named(option), value))


def _as_bool(option, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise VeeamOptionError('%s: %r is not true or false' % (_named(option), value))


def _as_list(option, value):
    if isinstance(value, str):
        value = [part.strip() for part in value.split(',')]
    if not isinstance(value, (list, tuple)) or not value or any(not str(item).strip() for item in value):
        raise VeeamOptionError('%s: give a non-empty list' % option)
    return list(value)


def connection_params(args, environ=None):
    """The connection options of INTERFACE.md section 1 from ``args``, the ``VEEAM_*`` environment filling what is
    not given (an empty variable is not given, as an EDA credential injects empty fields), typed and defaulted."""
    environ = os.environ if environ is None else environ
    params = {}
    for option in CONNECTION:
        value = args.get(option)
        if value is None and option == 'api_key':
            value = args.get('token')
        if value is None or (isinstance(value, str) and not value.strip() and option != 'server'):
            value = environ.get(_env_name(option)) or None
        params[option] = value
    params['api'] = str(params['api'] or 'em').strip().lower()
    if params['api'] not in ('em', 'vspc', 'vbr'):
        raise VeeamOptionError('api (VEEAM_API): %r is not one of em, vspc, vbr' % params['api'])
    if params['server'] is None:
        raise VeeamOptionError('server (VEEAM_SERVER): missing; give the host name or address of the Veeam server')
    for option in ('port', 'timeout'):
        if params[option] is not None:
            params[option] = _as_int(option, params[option])
    if params['timeout'] is None:
        params['timeout'] = 30
    params['validate_certs'] = True if params['validate_certs'] is None else _as_bool('validate_certs',
                                                                                      params['validate_certs'])
    if params['ca_path']:
        params['ca_path'] = os.path.expanduser(str(params['ca_path']))
    return params


class Source:
    """The checked arguments, what is remembered, and one poll (blocking: run it in a thread)."""

    def __init__(self, args, environ=None, now=None):
        if not isinstance(args, dict):
            raise VeeamOptionError('the source takes a mapping of arguments')
        unknown = sorted(set(args) - set(CONNECTION) - set(OWN) - set(['token']))
        if unknown:
            raise VeeamOptionError('%s: not an argument of backupops.veeam.veeam_events (it takes %s)'
                                   % (unknown[0], ', '.join(CONNECTION + OWN)))
        self.params = connection_params(args, environ)
        self.secrets = set()
        for option in ('password', 'api_key'):
            self.register_secret(self.params.get(option))
        if self.params.get('username') and self.params.get('password'):
            self.register_secret(basic_credentials(self.params['username'], self.params['password']))
        self.api = self.params['api']
        self.server = self.params['server']
        self.clients = session_client_class(self.api)
        open_client(self.params, clients=lambda api: self.clients)  # checks every connection option, sends nothing
        interval = args.get('interval', 60)
        try:
            self.interval = float(interval)
        except (TypeError, ValueError):
            raise VeeamOptionError('interval: %r is not a number of seconds' % (interval,))
        if isinstance(interval, bool) or not math.isfinite(self.interval) or self.interval <= 0:
            raise VeeamOptionError('interval: must be a positive number of seconds, got %r' % (interval,))
        if args.get('events') is None:
            self.events = [kind for kind in EVENT_TYPES
                           if kind != 'malware_detected' or self.clients.serves_malware_events]
        else:
            self.events = choose_words(_as_list('events', args['events']), EVENT_TYPES, 'events')
            if 'malware_detected' in self.events and not self.clients.serves_malware_events:
                raise VeeamOptionError('events: malware_detected needs the VBR REST API (api=vbr); api=%s lists no '
                                       'malware detections' % self.api)
        results = args.get('results')
        self.results = choose_words(_as_list('results', results), RESULTS, 'results') if results is not None \
            else ['Warning', 'Failed']
        now = now or datetime.datetime.now(UTC)
        since = args.get('since')
        if since is not None and not str(since).strip():
            raise VeeamOptionError('since: must not be empty')
        self.floor = check_since(str(since), 'since') if since is not None else now
        self.cursors = dict((step, self.floor) for step in STEPS)
        self.seen = {}
        self.state_file = args.get('state_file')
        if self.state_file is not None:
            if not str(self.state_file).strip():
                raise VeeamOptionError('state_file: must not be empty')
            self.state_file = os.path.abspath(os.path.expanduser(str(self.state_file)))
            folder = os.path.dirname(self.state_file)
            if not os.path.isdir(folder):
                raise VeeamOptionError('state_file: the folder %s does not exist' % folder)
            self._load()

    # -- secrets and messages --------------------------------------------------------------------------
    def register_secret(self, value):
        self.secrets.update(secret_forms(value))

    def masked(self, text):
        return mask(str(text), self.secrets)

    def warn(self, text):
        LOG.warning('veeam_events: %s', self.masked(text))

    # -- what is remembered ----------------------------------------------------------------------------
    def _load(self):
        try:
            with open(self.state_file) as handle:
                state = json.load(handle)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            raise VeeamOptionError('state_file: %s cannot be read as this source\'s state (%s)'
                                   % (self.state_file, error))
        floor, cursors = None, {}
        if isinstance(state, dict) and isinstance(state.get('cursors'), dict):
            floor = parse_time(state.get('floor'))
            cursors = dict((step, parse_time(state['cursors'].get(step))) for step in STEPS)
        if not isinstance(state, dict) or state.get('version') != STATE_VERSION or floor is None \
                or None in cursors.values() or not isinstance(state.get('seen'), dict):
            raise VeeamOptionError('state_file: %s is not the state of a backupops.veeam.veeam_events source'
                                   % self.state_file)
        if state.get('api') != self.api or state.get('server') != self.server:
            LOG.warning('veeam_events: state_file %s is of api=%s server=%s, not of this source: starting afresh',
                        self.state_file, state.get('api'), state.get('server'))
            return
        self.floor, self.cursors = floor, cursors
        self.seen = dict((str(key), str(value)) for key, value in state['seen'].items())

    def save(self):
        """The state written to ``state_file`` (a temporary file beside it, then renamed over it)."""
        if not self.state_file:
            return
        state = {'version': STATE_VERSION, 'api': self.api, 'server': self.server, 'floor': format_time(self.floor),
                 'cursors': dict((step, format_time(when)) for step, when in self.cursors.items()), 'seen': self.seen}
        folder = os.path.dirname(self.state_file)
        handle, temporary = tempfile.mkstemp(prefix='.veeam_events.', dir=folder)
        try:
            with os.fdopen(handle, 'w') as stream:
                json.dump(state, stream, indent=1, sort_keys=True)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.state_file)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def window(self, step):
        """Where this poll's ``step`` (sessions, malware) starts: an hour before its cursor, never before the start
        (``since``)."""
        return max(self.floor, self.cursors[step] - OVERLAP)

    # -- one poll ----------------------------------------------------------------------------------------
    def poll(self, now=None):
        """Ask the server (a fresh logon, ended before returning) what happened after the window; returns
        ``(events, keys, started, done)``: the new events oldest first, the keys to remember, when the poll began and
        the steps that were read. A step that fails (the malware listing refused, say) is logged and read again next
        time, from its own cursor, while the other goes on; when every step fails the error is raised. Changes
        nothing: ``commit`` does, once the events are queued."""
        started = now or datetime.datetime.now(UTC)
        steps = []
        if 'session_ended' in self.events or 'task_failed' in self.events:
            steps.append(('sessions', self._sessions))
        if 'malware_detected' in self.events:
            steps.append(('malware', self._malware))
        client = open_client(self.params, register_secret=self.register_secret, warn=self.warn,
                             clients=lambda api: self.clients)
        found, keys, done, failure = [], {}, [], None
        with client:
            for step, read in steps:
                mine, more = [], {}
                try:
                    read(client, self.window(step), started, mine, more)
                except (VeeamError, RecursionError) as error:
                    failure = error
                    if len(steps) > 1:
                        LOG.warning('veeam_events: %s not read, trying again in %ss: %s', step, self.interval,
                                    self.masked(getattr(error, 'message', None) or type(error).__name__))
                    continue
                found.extend(mine)
                keys.update(more)
                done.append(step)
        if not done and failure is not None:
            raise failure
        found.sort(key=lambda pair: pair[0])
        return [event for dummy, event in found], keys, started, done

    def _malware(self, client, window, started, found, keys):
        for malware in client.find_malware_events(since=window):
            key = 'malware:%s' % (malware.get('id') or '').lower()
            when = parse_time(malware.get('detectionTimeUtc'))
            if when is None or when < window or key in self.seen:
                continue
            machine = malware.get('machine') if isinstance(malware.get('machine'), dict) else {}
            found.append((when, self.event('malware_detected', malware=malware, hosts=machine.get('displayName'))))
            keys[key] = format_time(when)

    def _sessions(self, client, window, started, found, keys):
        wanted = set(self.results if 'session_ended' in self.events else ())
        if 'task_failed' in self.events:
            wanted.update(('Warning', 'Failed'))
        listed = client.find_sessions(states=['Stopped'], results=sorted(wanted), since=window - LOOKBACK,
                                      limit=LIMIT)
        with_tasks = []
        for session in listed:
            ended = parse_time(session.get('end_time'))
            if ended is None or ended < window:
                continue
            key = session_key(session)
            if 'session_ended' in self.events and session['result'] in self.results \
                    and 'session:' + key not in self.seen:
                found.append((ended, self.event('session_ended', session=session)))
                keys['session:' + key] = format_time(ended)
            if 'task_failed' in self.events and session['result'] in ('Warning', 'Failed') \
                    and 'tasks:' + key not in self.seen:
                with_tasks.append(session)
        if not with_tasks:
            return
        earliest = min(parse_time(session['creation_time']) or window - LOOKBACK for session in with_tasks)
        detailed = client.find_sessions(states=['Stopped'], results=['Warning', 'Failed'], since=earliest,
                                        limit=LIMIT, include_tasks=True)
        by_key = dict((session_key(session), session) for session in detailed)
        for session in with_tasks:
            key = session_key(session)
            full = by_key.get(key)
            tasks = (full or {}).get('tasks') or []
            ended = parse_time(session['end_time'])
            if not tasks and ended > started - TASK_GRACE:
                continue  # its machines are not shown yet: read again next poll
            shown = dict(full or session, tasks=None)
            for each in tasks:
                if each.get('result') == 'Failed':
                    found.append((parse_time(each.get('end_time')) or ended,
                                  self.event('task_failed', session=shown, task=each, hosts=each.get('name'))))
            keys['tasks:' + key] = format_time(ended)

    def event(self, kind, session=None, task=None, malware=None, hosts=None):
        meta = {'hosts': hosts} if hosts else {}
        return {'veeam': {'type': kind, 'api': self.api, 'server': self.server, 'session': session, 'task': task,
                          'malware': malware}, 'meta': meta}

    def commit(self, keys, started, done=STEPS):
        """After a poll's events are queued: remember their keys, move the cursors of the steps ``done`` to the
        poll's start, forget what is older than every window, and write the state file."""
        self.seen.update(keys)
        for step in done:
            self.cursors[step] = max(self.cursors[step], started)
        oldest = format_time(min(self.window(step) for step in STEPS))
        self.seen = dict((key, when) for key, when in self.seen.items() if when >= oldest)
        self.save()


def session_key(session):
    """A run's identity: its id, or (VSPC, whose sessions are a job's latest run) its job and end time."""
    if session.get('id'):
        return str(session['id']).lower()
    return '%s@%s' % ((session.get('job_id') or '').lower(), session.get('end_time'))


async def main(queue, args):
    """The entry point of ansible-rulebook: check the arguments (a bad one ends the source here, in one line), then
    poll every ``interval`` seconds for ever, each poll in a thread."""
    try:
        source = Source(args or {})
    except VeeamError as error:
        raise ValueError('backupops.veeam.veeam_events: %s' % error.message) from None
    LOG.info('veeam_events: polling %s (api=%s) every %ss for %s', source.server, source.api, source.interval,
             ', '.join(source.events))
    while True:
        try:
            events, keys, started, done = await asyncio.to_thread(source.poll)
        except VeeamError as error:
            LOG.warning('veeam_events: poll failed, trying again in %ss: %s', source.interval,
                        source.masked(error.message))
        except RecursionError:
            LOG.warning('veeam_events: poll failed, trying again in %ss: an answer was nested too deeply to read',
                        source.interval)
        except Exception as error:  # pylint: disable=broad-except
            LOG.warning('veeam_events: poll failed, trying again in %ss: %s: %s', source.interval,
                        type(error).__name__, source.masked(error))
        else:
            for event in events:
                await queue.put(event)
            try:
                source.commit(keys, started, done)
            except OSError as error:
                LOG.warning('veeam_events: state_file %s not written: %s', source.state_file, error)
        await asyncio.sleep(source.interval)
