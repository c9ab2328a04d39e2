# -*- coding: utf-8 -*-
# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning Veeam answers (EM XML or JSON, VSPC JSON) into plain data, and reading that data.

Internal to this collection, may change without notice.

EM answers in XML unless asked for JSON; the two forms differ in ways the readers below hide:
XML attributes and child elements both become keys (xmltodict with an empty attribute prefix),
XML repeats an element where JSON nests a list one level deeper (``Jobs/Job`` vs ``Jobs.Jobs[]``),
a single XML element is not a list, and EM's key casing is not something to rely on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

try:
    from importlib.util import find_spec
except ImportError:  # pragma: no cover
    find_spec = None

# xmltodict is imported when the first XML answer is parsed: only Enterprise Manager answers in XML, and a module
# run against the other APIs need not pay for the import. Whether it is installed is known without importing it.
HAS_XMLTODICT = find_spec is not None and find_spec('xmltodict') is not None
XMLTODICT_IMPORT_ERROR = None if HAS_XMLTODICT else ImportError('No module named xmltodict')

from ansible_collections.backupops.veeam.plugins.module_utils._errors import VeeamProtocolError

UTC = datetime.timezone.utc
_GUID = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
_ISO_TIME = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$', re.IGNORECASE)

# a time in UTC as the servers mostly write it, in the form utc_time gives, but for a fraction of a second
_PLAIN_UTC = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$')


# Veeam's answers nest a dozen levels at most; a deeper one is not the API, and would exhaust the stack of
# whatever reads it next
MAX_DEPTH = 64


class _TooDeep(Exception):
    pass


def _depth_guard(path, key, value):
    """Passed to xmltodict as ``force_list``, which it asks (with the element's path) for the first child of each
    name in every element, so at every depth reached: refuses what is nested too deep, forces no list. (As a
    postprocessor, called for every element and attribute as well, it doubled the time of parsing a page of jobs.)
    """
    if len(path) >= MAX_DEPTH:
        raise _TooDeep()
    return False


def parse_xml(text):
    """Parse an XML document; return ``(root element name, root content)``.

    EM writes its elements in the default namespace, so tag names come out plain without xmltodict's
    (slow) namespace processing. ``<NextRun xsi:nil="true"/>`` becomes ``{"xsi:nil": "true"}``, which
    the readers below (to_text, to_bool, utc_time...) read as "no value".
    """
    import xmltodict
    try:
        document = xmltodict.parse(text, attr_prefix='', force_list=_depth_guard)
    except _TooDeep:
        raise VeeamProtocolError('the server answered with XML nested deeper than %d levels, which is not the Veeam API'
                                 % MAX_DEPTH)
    except Exception as exc:  # expat raises its own ExpatError; anything else is equally unparsable
        raise VeeamProtocolError('the server answered with XML that cannot be parsed: %s' % exc)
    if not isinstance(document, dict) or len(document) != 1:
        raise VeeamProtocolError('the server answered with an XML document without a single root element')
    root, content = next(iter(document.items()))
    if content is None:
        content = {}
    elif not isinstance(content, dict):
        content = {'#text': content}
    return root.rsplit(':', 1)[-1], content


def parse_body(content_type, text, status=None):
    """Parse an answer by its content type. Returns ``(root name or None, data)``; empty body gives ``(None, None)``."""
    if text is None or not text.strip():
        return None, None
    media_type = (content_type or '').split(';')[0].strip().lower()
    if media_type.endswith('json'):
        try:
            return None, json.loads(text)
        except ValueError as exc:
            raise VeeamProtocolError('the server answered with JSON that cannot be parsed: %s' % exc, status=status)
        except RecursionError:
            raise VeeamProtocolError('the server answered with JSON nested too deeply to parse, which is not the Veeam API',
                                     status=status)
    if media_type.endswith('xml'):
        return parse_xml(text)
    snippet = ' '.join(text.strip().split())[:120]
    raise VeeamProtocolError(
        'the server answered with %s instead of the Veeam API (is the server address and port right?): %s'
        % (media_type or 'an unknown content type', snippet), status=status)


EM_NAMESPACE = 'http://www.veeam.com/ent/v1.0'


def answering_api(root, body):
    """Which Veeam API wrote an answer, told by its envelope: ``'em'`` (XML in EM's namespace, or EM's JSON error
    with ``StatusCode`` and ``Message``), ``'vbr'`` (an Error model with ``errorCode``), ``'vspc'`` (an ``errors``
    list, at the top or under ``meta``); None when the envelope is none of these (an OAuth error, HTML, empty)."""
    if not isinstance(body, dict):
        return None
    if root is not None:
        return 'em' if body.get('xmlns') == EM_NAMESPACE else None
    if 'StatusCode' in body and 'Message' in body:
        return 'em'
    if 'errorCode' in body:
        return 'vbr'
    meta = body.get('meta')
    errors = body.get('errors', meta.get('errors') if isinstance(meta, dict) else None)
    return 'vspc' if isinstance(errors, list) else None


def close_words(word, words, cutoff):
    """Up to three of ``words`` close to ``word`` (any case), closest first, as ``words`` write them."""
    import difflib
    folded = dict((candidate.casefold(), candidate) for candidate in words if candidate)
    return [folded[found] for found in difflib.get_close_matches(word.casefold(), list(folded), n=3, cutoff=cutoff)]


def ci_get(mapping, key, default=None):
    """``mapping[key]``, matching the key without regard to case."""
    if not isinstance(mapping, dict):
        return default
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for candidate, value in mapping.items():
        if candidate.lower() == lowered:
            return value
    return default


def dig(mapping, *keys):
    """Follow ``keys`` down nested dicts (case-insensitive); None when a step is missing."""
    for key in keys:
        mapping = ci_get(mapping, key)
        if mapping is None:
            return None
    return mapping


def as_list(value):
    """None becomes [], a single dict becomes [dict], a list stays a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def guid_of(value):
    """The GUID in a URN (``urn:veeam:Job:<guid>``) or an Href; None when there is none."""
    if not value:
        return None
    found = _GUID.findall(str(value))
    return found[-1] if found else None


def is_guid(value):
    return bool(value) and _GUID.fullmatch(str(value)) is not None


def to_bool(value):
    """EM XML gives 'true'/'false' strings, JSON gives booleans."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', '1'):
        return True
    if text in ('false', '0'):
        return False
    return None


def to_int(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def to_text(value):
    """A plain string value, or None (XML gives None for empty elements, dicts for complex ones)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def message_text(value):
    """A message without the trailing white space real servers add (VSPC ends alarm and job messages with a blank
    line, ``...failed.\\n\\n``); None when nothing is left."""
    text = to_text(value)
    return (text.rstrip() or None) if text else None


def parse_time(value):
    """Parse an ISO 8601 time as the three APIs write it (any fraction length, Z, offsets, or none = UTC)."""
    if not value or not isinstance(value, str):
        return None
    match = _ISO_TIME.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                               int((fraction or '0')[:6].ljust(6, '0')))
    offset = datetime.timedelta(0)
    if zone and zone.upper() != 'Z':
        sign = -1 if zone[0] == '-' else 1
        digits = zone[1:].replace(':', '')
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - offset).replace(tzinfo=UTC)


def format_time(moment):
    """A UTC datetime as ``2026-11-22T10:15:00Z``."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def utc_time(value):
    """Any server time string as ``2026-11-22T10:15:00Z`` in UTC; None when absent or unreadable."""
    if isinstance(value, str) and _PLAIN_UTC.match(value):
        return value[:19] + 'Z'  # already UTC: a listing of 50 000 jobs has 100 000 of these
    return format_time(parse_time(value))


_DURATION = re.compile(r'^\s*(\d+)\s*([smhdw])\s*$', re.IGNORECASE)
_DURATION_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def since_time(value, now=None):
    """A moment given as ISO 8601 (UTC when no zone is given) or as a duration back from now
    (``90m``, ``24h``, ``7d``; also ``s`` and ``w``). Raises ValueError with the accepted forms."""
    now = now or datetime.datetime.now(UTC)
    match = _DURATION.match(value or '')
    if match:
        moment = now - datetime.timedelta(seconds=int(match.group(1)) * _DURATION_SECONDS[match.group(2).lower()])
    else:
        moment = parse_time(value)
        if moment is None:
            raise ValueError('%r is neither an ISO 8601 time (2026-11-22T06:00:00Z) nor a duration back from now '
                             '(90m, 24h, 7d)' % value)
    if moment > now:
        raise ValueError('%r is in the future' % value)
    return moment
