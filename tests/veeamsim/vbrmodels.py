# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Complete VBR models (jobs, server info) made from the examples in Veeam's own documents.

Veeam's examples do not all fit Veeam's schemas: lower-case enum words where the enum is capitalised
(`sunday` for `Sunday`), nulls where the schema allows none, `VMware` where the enum says `VSphere`, missing
required properties, and 1.3-rev1's vSphere backup example still typed `Backup`. A template is the example
mended until the revision's schema has nothing left to say: each error the validator reports is mended the
least way (the enum word of the same letters, else the enum's first word; a null dropped; a missing required
property given its schema's default, first enum word, or empty value). Templates are made on first use and
kept; what was mended is kept beside them (`mends`).
"""

from __future__ import annotations

import copy
import json
import threading

from . import vbrdoc

# the example each 1.3 job type (and 1.2's `Backup`) starts from
JOB_EXAMPLES = {
    "Backup": "vSphereBackupJobModelExample",
    "VSphereBackup": "vSphereBackupJobModelExample",
    "HyperVBackup": "HyperVBackupJobModelExample",
    "VSphereReplica": "vSphereReplicaJobModelExample",
    "BackupCopy": "BackupCopyJobModelExample",
    "WindowsAgentBackup": "WindowsAgentManagementBackupJobModelExample",
    "LinuxAgentBackup": "LinuxAgentManagementBackupJobModelExample",
}
# where an example a document lacks is taken from (1.3-rev1 has no backup copy or agent job example)
EXAMPLE_SOURCES = ("1.3-rev2", "1.3-rev1", "1.2-rev1")
FORMAT_VALUES = {
    "date-time": "2026-01-05T22:00:00+01:00",
    "date": "2026-01-05",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "time": "22:00",
}
MAX_ROUNDS = 50

_TEMPLATES = {}
_LOCK = threading.Lock()


class Template(object):
    __slots__ = ("value", "mends", "source")

    def __init__(self, value, mends, source):
        self.value = value
        self.mends = mends
        self.source = source


def _example(doc, name):
    for source in (doc.name,) + EXAMPLE_SOURCES:
        examples = vbrdoc.document(source).examples if source != doc.name else doc.examples
        if name in examples:
            return copy.deepcopy(examples[name]["value"]), "%s %s" % (source, name)
    raise KeyError(name)


def _template(doc, key, schema_name, example_name, overlay):
    with _LOCK:
        found = _TEMPLATES.get((doc.name, key))
        if found is None:
            value, source = _example(doc, example_name)
            value.update(overlay)
            value, mends = conform(doc, schema_name, value)
            found = _TEMPLATES[(doc.name, key)] = Template(value, mends, source)
    return found


def job_template(doc, job_type):
    """The template JobModel of one type word (`Backup`, `VSphereBackup`, ...) for a document."""
    return _template(doc, job_type, "JobModel", JOB_EXAMPLES[job_type], {"type": job_type})


def server_info_template(doc):
    return _template(doc, "ServerInfoModel", "ServerInfoModel", "ServerInfoModelExample", {})


# --------------------------------------------------------------------------- mending
def _resolve(doc, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = doc.schemas[schema["$ref"][len(vbrdoc.SCHEMA_REF):]]
    return schema


def default(doc, schema):
    """The least value that has the schema's type: its default, first enum word, {} / [] / False / 0 / ''."""
    schema = _resolve(doc, schema) or {}
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if schema.get("enum"):
        return schema["enum"][0]
    if "discriminator" in schema:
        return {schema["discriminator"]["propertyName"]: next(iter(schema["discriminator"]["mapping"]))}
    if "allOf" in schema:
        merged = {}
        for part in schema["allOf"]:
            value = default(doc, part)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {}
    if kind == "array":
        return []
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return FORMAT_VALUES.get(schema.get("format"), "")


def _locate(root, path):
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    return parent, path[-1]


def _mend(doc, root, error, mends):
    path = list(error.absolute_path)
    where = "/".join(str(p) for p in path) or "(top)"
    instance = error.instance
    kind = error.validator
    if kind == "required":
        for name in error.validator_value:
            if isinstance(instance, dict) and name not in instance:
                instance[name] = default(doc, error.schema.get("properties", {}).get(name, {}))
                mends.append("%s: added required %s" % (where, name))
        return
    if kind in ("oneOf", "anyOf", "allOf") and "discriminator" in error.schema:
        prop = error.schema["discriminator"]["propertyName"]
        mapping = error.schema["discriminator"].get("mapping", {})
        if isinstance(instance, dict) and instance.get(prop) not in mapping:
            instance[prop] = next(iter(mapping))
            mends.append("%s: %s set to %s" % (where, prop, instance[prop]))
        return
    if kind in ("oneOf", "anyOf") and error.context:
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for sub in min(branches.values(), key=len):
            _mend(doc, root, sub, mends)
        return
    if not path:
        raise ValueError("cannot mend %s: %s" % (where, error.message))
    parent, key = _locate(root, path)
    if kind == "type" and instance is None and isinstance(parent, dict):
        del parent[key]
        mends.append("%s: null dropped" % where)
    elif kind == "type":
        parent[key] = default(doc, error.schema)
        mends.append("%s: %r replaced by %r" % (where, instance, parent[key]))
    elif kind == "enum":
        words = error.validator_value
        same = [w for w in words if isinstance(instance, str) and w.lower() == instance.lower()]
        parent[key] = same[0] if same else words[0]
        mends.append("%s: %r replaced by %r" % (where, instance, parent[key]))
    elif kind == "format":
        parent[key] = FORMAT_VALUES[error.validator_value]
        mends.append("%s: %r replaced by %r" % (where, instance, parent[key]))
    elif kind in ("minimum", "maximum"):
        parent[key] = error.validator_value
        mends.append("%s: %r replaced by %r" % (where, instance, parent[key]))
    else:
        raise ValueError("cannot mend %s: %s" % (where, error.message))


def conform(doc, schema_name, value):
    """(value, mends): the value mended until it is a valid `schema_name` of the document."""
    validator = doc.validator(schema_name)
    mends = []
    for dummy in range(MAX_ROUNDS):
        errors = list(validator.iter_errors(value))
        if not errors:
            return value, mends
        before = json.dumps(value, sort_keys=True)
        for error in errors:
            try:
                _mend(doc, value, error, mends)
            except (KeyError, IndexError, TypeError):
                pass    # an earlier mend of this round moved what the error points at
        if json.dumps(value, sort_keys=True) == before:
            break
    raise ValueError("%s %s cannot be mended: %s" % (doc.name, schema_name,
                                                     vbrdoc.describe_schema_errors(validator.iter_errors(value))))
