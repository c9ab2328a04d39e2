# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser and evaluator for the EM query service filter language.

Grammar (EM docs "filter", "special symbols"):

    expr       := and_expr ( "," and_expr )*          "," is OR
    and_expr   := term ( ";" term )*                  ";" is AND, binds tighter than ","
    term       := "(" expr ")" | comparison
    comparison := FIELD OP VALUE                      OP is one of == != <= >= < >
    VALUE      := "quoted ""with"" doubled quotes" | unquoted text up to ; , ) or the end

Field names are case-insensitive. String comparison is case-insensitive (EM's SQL collation).
Result compares by enum index Success < Warning < Failed (None, for running sessions, is below Success).
Dates are ISO 8601, UTC unless an offset is given. A comparison with a missing value (e.g. EndTime of a
running session) is false, except `!=` which is true.
"""

from __future__ import annotations

import datetime
import re

OPS = ("==", "!=", "<=", ">=", "<", ">")
_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")

RESULT_ORDER = {"none": -1, "success": 0, "warning": 1, "failed": 2}
STATE_ORDER = {"starting": 0, "stopping": 1, "working": 2, "pausing": 3, "resuming": 4, "stopped": 5}


class FilterError(ValueError):
    pass


def parse_date(text):
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?([+-]\d{2}:?\d{2})?$", value)
    if not match:
        raise FilterError("Cannot convert value '%s' to DateTime" % text)
    day, clock, frac, offset = match.groups()
    clock = clock or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    stamp = datetime.datetime.strptime(day + "T" + clock, "%Y-%m-%dT%H:%M:%S")
    if offset:
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        stamp = stamp - sign * delta
    seconds = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
    if frac:
        seconds += float(frac)
    return seconds


class _Parser(object):
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def error(self, what):
        raise FilterError("Failed to parse filter expression '%s': %s at position %d" % (self.text, what, self.pos))

    def skip(self):
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self):
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self):
        node = self.expr()
        if self.peek():
            self.error("unexpected '%s'" % self.peek())
        return node

    def expr(self):
        nodes = [self.and_expr()]
        while self.peek() == ",":
            self.pos += 1
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def and_expr(self):
        nodes = [self.term()]
        while self.peek() == ";":
            self.pos += 1
            nodes.append(self.term())
        return nodes[0] if len(nodes) == 1 else ("and", nodes)

    def term(self):
        if self.peek() == "(":
            self.pos += 1
            node = self.expr()
            if self.peek() != ")":
                self.error("missing ')'")
            self.pos += 1
            return node
        self.skip()
        match = _FIELD_RE.match(self.text, self.pos)
        if not match:
            self.error("field name expected")
        field = match.group(0)
        self.pos = match.end()
        self.skip()
        for op in OPS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                break
        else:
            self.error("comparison operator expected after '%s'" % field)
        self.skip()
        value = self.value()
        return ("cmp", field, op, value)

    def value(self):
        if self.pos < len(self.text) and self.text[self.pos] == '"':
            self.pos += 1
            out = []
            while True:
                if self.pos >= len(self.text):
                    self.error("unterminated quoted value")
                char = self.text[self.pos]
                if char == '"':
                    if self.text.startswith('""', self.pos):
                        out.append('"')
                        self.pos += 2
                        continue
                    self.pos += 1
                    break
                out.append(char)
                self.pos += 1
            return "".join(out)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ";,)":
            if self.text[self.pos] == '"':
                self.error("unexpected quote in unquoted value")
            self.pos += 1
        raw = self.text[start:self.pos].strip()
        if not raw:
            self.error("value expected")
        return raw


def parse(text):
    """The syntax tree of a filter, or None for an empty one."""
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()


def compile_filter(text, fields):
    """Parse `text` for an entity with `fields` {lower name: (kind, getter)}; return a predicate."""
    return compile_tree(parse(text), fields)


def compile_tree(tree, fields):
    if tree is None:
        return lambda item: True
    return _compile(tree, fields)


def required_equal(tree, field):
    """The value `field` must equal for the whole filter to hold (a top-level `field==v` term), else None.

    Lets the caller narrow the candidates through an index before evaluating the filter.
    """
    if tree is None:
        return None
    terms = tree[1] if tree[0] == "and" else [tree]
    for term in terms:
        if term[0] == "cmp" and term[1].lower() == field and term[2] == "==":
            return term[3]
    return None


def field_names(tree):
    """The field names (lower case) a filter compares."""
    if tree is None:
        return set()
    if tree[0] == "cmp":
        return {tree[1].lower()}
    return set().union(*(field_names(node) for node in tree[1]))


def _coerce(kind, raw, field):
    if kind in ("str", "uid", "enum"):
        return raw.lower()
    if kind == "result":
        key = raw.lower()
        if key not in RESULT_ORDER:
            raise FilterError("Unknown value '%s' for %s" % (raw, field))
        return RESULT_ORDER[key]
    if kind == "state":
        key = raw.lower()
        if key not in STATE_ORDER:
            raise FilterError("Unknown value '%s' for %s" % (raw, field))
        return STATE_ORDER[key]
    if kind == "bool":
        key = raw.lower()
        if key not in ("true", "false"):
            raise FilterError("Cannot convert value '%s' to Boolean" % raw)
        return key == "true"
    if kind == "date":
        return parse_date(raw)
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise FilterError("Cannot convert value '%s' to Int32" % raw)
    raise FilterError("Unsupported field kind")


def _item_value(kind, value):
    if value is None:
        return None
    if kind in ("str", "uid", "enum"):
        return str(value).lower()
    if kind == "result":
        return RESULT_ORDER.get(str(value).lower(), -1)
    if kind == "state":
        return STATE_ORDER.get(str(value).lower(), -1)
    return value


_CMP = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _compile(tree, fields):
    if tree[0] == "and":
        parts = [_compile(t, fields) for t in tree[1]]
        return lambda item: all(p(item) for p in parts)
    if tree[0] == "or":
        parts = [_compile(t, fields) for t in tree[1]]
        return lambda item: any(p(item) for p in parts)
    field, op, raw = tree[1:]
    spec = fields.get(field.lower())
    if spec is None:
        raise FilterError("Unknown filter field '%s'" % field)
    kind, getter = spec
    wanted = _coerce(kind, raw, field)
    if kind == "bool" and op not in ("==", "!="):
        raise FilterError("Operator '%s' is not valid for Boolean field %s" % (op, field))
    compare = _CMP[op]

    def predicate(item):
        value = _item_value(kind, getter(item))
        if value is None:
            return op == "!="
        return compare(value, wanted)
    return predicate


def sort_key(fields, name):
    spec = fields.get(name.lower())
    if spec is None:
        raise FilterError("Unknown sort field '%s'" % name)
    kind, getter = spec

    def key(item):
        value = _item_value(kind, getter(item))
        return (value is not None, value if value is not None else 0)
    return key
