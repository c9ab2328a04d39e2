# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EM representations: one tree, rendered as XML (XSD element order) or as EM-style JSON.

A Node is described level by level, from the XSD base type to the derived type, each level holding
its attributes and its child elements. XML puts all attributes on the element and the children base
first (that is the XSD sequence order). JSON follows the real capture: the most derived level first,
each level's elements then its attributes, so a BackupJobSession comes out as IsRetry, JobUid, ...,
FailureMessage, Name, UID, Links, Href, Type. Missing values are explicit nulls in JSON.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

NS = "http://www.veeam.com/ent/v1.0"

OPT = "opt"    # omitted from XML when None
REQ = "req"    # empty element in XML when None
JSON = "json"  # JSON only (e.g. the null entity buckets)


class Node(object):
    __slots__ = ("tag", "levels")

    def __init__(self, tag, levels):
        self.tag = tag
        self.levels = levels   # [(attrs [(name, value)], elems [(name, value, mode)])], base first


class Repeat(object):
    """Repeated child elements: XML writes each item in place; JSON writes {key: [items]}."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class Links(object):
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items   # list of dicts Rel, Href, Name, Type


def link(rel, href, type_=None, name=None):
    return {"Rel": rel, "Href": href, "Name": name, "Type": type_}


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(node):
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _xml(node, out, True)
    return "".join(out)


def _xml_open(tag, attrs, root):
    parts = ["<", tag]
    if root:
        parts.append(' xmlns="%s"' % NS)
    for name, value in attrs:
        if value is not None:
            parts.append(" %s=%s" % (name, quoteattr(_scalar(value))))
    return "".join(parts)


def _xml(node, out, root=False):
    attrs = [a for level in node.levels for a in level[0]]
    elems = [e for level in node.levels for e in level[1]]
    children = []
    for name, value, mode in elems:
        if mode == JSON:
            continue
        if value is None:
            if mode == REQ:
                children.append("<%s />" % name)
            continue
        if isinstance(value, Repeat):
            for item in value.items:
                _xml(item, children)
        elif isinstance(value, Links):
            buf = ["<Links>"]
            for lk in value.items:
                buf.append(_xml_open("Link", [("Href", lk["Href"]), ("Name", lk.get("Name")), ("Type", lk.get("Type")),
                                              ("Rel", lk["Rel"])], False) + " />")
            buf.append("</Links>")
            children.append("".join(buf))
        elif isinstance(value, Node):
            _xml(value, children)
        else:
            children.append("<%s>%s</%s>" % (name, escape(_scalar(value)), name))
    opening = _xml_open(node.tag, attrs, root)
    if children:
        out.append(opening + ">" + "".join(children) + "</%s>" % node.tag)
    else:
        out.append(opening + " />")


def to_json_obj(node):
    obj = {}
    for attrs, elems in reversed(node.levels):
        for name, value, _mode in elems:
            obj[name] = _json_value(value)
        for name, value in attrs:
            obj[name] = value
    return obj


def _json_value(value):
    if isinstance(value, Repeat):
        return [to_json_obj(item) for item in value.items]
    if isinstance(value, Links):
        return [{"Rel": lk["Rel"], "Href": lk["Href"], "Name": lk.get("Name"), "Type": lk.get("Type")}
                for lk in value.items]
    if isinstance(value, Node):
        return to_json_obj(value)
    return value


def to_json(node):
    return json.dumps(to_json_obj(node), ensure_ascii=False)
