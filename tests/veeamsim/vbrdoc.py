# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Veeam's OpenAPI documents of the VBR REST API (schema/vbr-rest-*.json): request checks and response validation.

openapi-core does the checking. A document is loaded on the first request of a revision it serves, and
changed in memory only, in two ways:
- `servers` becomes "/", so the simulator's host and port match;
- every polymorphic schema (oneOf with a discriminator, e.g. JobModel) gets a copy without the oneOf that
  its members' allOf refer to instead of the schema itself. As Veeam writes them, a member (BackupJobModel)
  is allOf [JobModel, ...] and JobModel is oneOf [BackupJobModel, ...]: validating either never ends.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.unmarshalling.request.unmarshallers import V30RequestBodyUnmarshaller, V30RequestParametersUnmarshaller
from openapi_core.validation.request.exceptions import ParameterValidationError
from openapi_core.validation.schemas import oas30_read_schema_validators_factory
from werkzeug.datastructures import Headers, ImmutableMultiDict

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema")
SCHEMA_REF = "#/components/schemas/"
BASE_SUFFIX = "_Base"   # the name of a polymorphic schema's copy without its oneOf

# every revision of the VBR REST API, oldest first, and the document each one is checked against
REVISIONS = ("1.0-rev1", "1.0-rev2", "1.1-rev0", "1.1-rev1", "1.2-rev1", "1.3-rev0", "1.3-rev1", "1.3-rev2")
DOCUMENT_OF = {
    "1.0-rev1": "1.2-rev1", "1.0-rev2": "1.2-rev1", "1.1-rev0": "1.2-rev1", "1.1-rev1": "1.2-rev1",
    "1.2-rev1": "1.2-rev1", "1.3-rev0": "1.3-rev1", "1.3-rev1": "1.3-rev1", "1.3-rev2": "1.3-rev2",
}
TOKEN_PATH = "/api/oauth2/token"
MAX_ERRORS = 5   # schema errors quoted in one message
MAX_MESSAGE = 300   # characters quoted of one (a discriminator error quotes the whole object)
VERDICTS_KEPT = 4096   # requests whose document check is remembered, per document

# `format: time` is not an OpenAPI 3.0 format; JSON Schema's (RFC 3339 full-time, 20:00:00+01:00) is not what
# VBR writes. Every example in the three documents writes a local time of day: 20:00, 4:00, 05:00.
VEEAM_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$")


def is_veeam_time(value):
    return not isinstance(value, str) or VEEAM_TIME.match(value) is not None


FORMATS = {"time": is_veeam_time}


class Refused(Exception):
    """A request the revision's document does not allow: answered 400 with this errorCode and message."""

    def __init__(self, error_code, message):
        super(Refused, self).__init__(message)
        self.error_code = error_code
        self.message = message


class Call(object):
    """A request that passed the document check: its operation and its unmarshalled parameters."""

    __slots__ = ("template", "path_params", "query")

    def __init__(self, template, path_params, query):
        self.template = template
        self.path_params = path_params
        self.query = query


class _Request(object):
    """The request as openapi-core reads it (its Request protocol)."""

    def __init__(self, host_url, method, path, query, headers, body, content_type):
        self.host_url = host_url
        self.method = method.lower()
        self.path = path
        self.parameters = RequestParameters(query=ImmutableMultiDict(query), header=Headers(headers),
                                            cookie=ImmutableMultiDict())
        self.body = body or None
        self.content_type = (content_type or "").lower()


class _Response(object):
    """The answer as openapi-core reads it (its Response protocol)."""

    def __init__(self, status, body, content_type, headers):
        self.status_code = status
        self.data = body
        self.content_type = (content_type or "").lower()
        self.headers = Headers(headers)


def break_polymorphic_cycles(spec):
    """Give each oneOf + discriminator schema a copy without them and point its members' allOf at the copy."""
    schemas = spec["components"]["schemas"]
    for name in list(schemas):
        schema = schemas[name]
        if "discriminator" not in schema:
            continue
        members = set(schema["discriminator"].get("mapping", {}).values())
        members.update(item["$ref"] for item in schema.get("oneOf", []) + schema.get("anyOf", []) if "$ref" in item)
        base_name = name + BASE_SUFFIX
        assert base_name not in schemas, base_name
        schemas[base_name] = dict((key, value) for key, value in schema.items()
                                  if key not in ("oneOf", "anyOf", "discriminator"))
        for ref in members:
            for part in schemas[ref[len(SCHEMA_REF):]].get("allOf", []):
                if part.get("$ref") == SCHEMA_REF + name:
                    part["$ref"] = SCHEMA_REF + base_name


def describe_schema_errors(errors):
    """'where: what' for the first few jsonschema errors."""
    texts = []
    for error in list(errors)[:MAX_ERRORS]:
        where = "/".join(str(part) for part in error.absolute_path)
        message = error.message if len(error.message) <= MAX_MESSAGE else error.message[:MAX_MESSAGE] + "..."
        texts.append("%s: %s" % (where, message) if where else message)
    return "; ".join(texts)


def describe(exc):
    """A readable account of an openapi-core error, without the (possibly huge) value it complains about."""
    text = str(exc)
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None)
    if errors:
        if isinstance(exc, ParameterValidationError):
            head = text
        else:   # "Request body validation error: Value {...} not valid ...": keep the words before the value
            head = text.split(": Value ", 1)[0] if ": Value " in text else type(exc).__name__
        return "%s: %s" % (head, describe_schema_errors(errors))
    if cause is not None and str(cause) not in text:
        return "%s: %s" % (text, cause)
    return text


class Document(object):
    """One of Veeam's documents, ready to check requests and answers."""

    def __init__(self, name):
        self.name = name
        with open(os.path.join(SCHEMA_DIR, "vbr-rest-%s.json" % name), encoding="utf-8") as handle:
            self.spec = json.load(handle)
        self.spec["servers"] = [{"url": "/"}]
        break_polymorphic_cycles(self.spec)
        self.schemas = self.spec["components"]["schemas"]
        self.examples = self.spec["components"]["examples"]
        # the document itself is not checked against the OpenAPI schema: that takes seconds, and the
        # validation of requests and answers needs only what it uses
        self.api = OpenAPI.from_dict(self.spec, config=Config(spec_validator_cls=None, extra_format_validators=FORMATS))
        # parameters and body, not security: a missing token is answered 401 after the document check
        self._parameters = V30RequestParametersUnmarshaller(self.api.spec, extra_format_validators=FORMATS)
        self._body = V30RequestBodyUnmarshaller(self.api.spec, extra_format_validators=FORMATS)
        self._routes = {}
        for template in self.spec["paths"]:
            parts = template.strip("/").split("/")
            self._routes.setdefault(len(parts), []).append((parts, template))
        for routes in self._routes.values():    # literal segments win over {templates}: /jobs/states, /jobs/{id}
            routes.sort(key=lambda route: -sum(1 for part in route[0] if not part.startswith("{")))
        self._parameter_names = {}
        self._verdicts = OrderedDict()
        self._validators = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the document's own definitions
    def match(self, path):
        """(template, path parameters) of the document's path that `path` is, or (None, None)."""
        parts = path.strip("/").split("/")
        for want, template in self._routes.get(len(parts), ()):
            variables = {}
            for expected, got in zip(want, parts):
                if expected.startswith("{"):
                    if not got:
                        break
                    variables[expected[1:-1]] = got
                elif expected != got:
                    break
            else:
                return template, variables
        return None, None

    def operation(self, template, method):
        return self.spec["paths"][template].get(method.lower())

    def methods(self, template):
        return sorted(m.upper() for m in self.spec["paths"][template] if m in ("get", "put", "post", "delete", "patch"))

    def parameter_names(self, template, method, where):
        """The names of the operation's parameters that go in `where` (query, header)."""
        key = (template, method, where)
        names = self._parameter_names.get(key)
        if names is None:
            params = self.spec["paths"][template].get("parameters", []) + self.operation(template, method).get(
                "parameters", [])
            names = set()
            for param in params:
                if "$ref" in param:
                    param = self.spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
                if param.get("in") == where:
                    names.add(param["name"])
            self._parameter_names[key] = names
        return names

    def query_names(self, template, method):
        return self.parameter_names(template, method, "query")

    def header_names(self, template, method):
        return sorted(self.parameter_names(template, method, "header"))

    def enum(self, schema_name):
        return self.schemas[schema_name].get("enum", [])

    def properties(self, schema_name):
        """The names of the properties a (flat) schema defines."""
        return set(self.schemas[schema_name].get("properties", {}))

    def validator(self, schema_name):
        """The jsonschema validator openapi-core uses for answers, for one component schema."""
        with self._lock:
            found = self._validators.get(schema_name)
            if found is None:
                path = self.api.spec / "components" / "schemas" / schema_name
                found = oas30_read_schema_validators_factory.create(self.api.spec, path,
                                                                    extra_format_validators=FORMATS).validator
                self._validators[schema_name] = found
        return found

    def schema_problem(self, schema_name, value):
        """None when `value` is a valid `schema_name`, else what is wrong with it."""
        errors = list(self.validator(schema_name).iter_errors(value))
        return describe_schema_errors(errors) if errors else None

    # ------------------------------------------------------------------ requests
    def check_request(self, req):
        """The Call for a request of this document's revisions; raise Refused when the document does not allow it."""
        path = req.path.rstrip("/") or "/"
        template, _variables = self.match(path)
        if template is None:
            raise Refused("InvalidURI", "The path %s is not part of the VBR REST API revision %s." % (path, self.name))
        if self.operation(template, req.method) is None:
            raise Refused("MethodNotAllowed", "%s %s is not part of the VBR REST API revision %s (the path allows %s)."
                          % (req.method, path, self.name, ", ".join(self.methods(template))))
        known = self.query_names(template, req.method)
        unknown = sorted(set(name for name, _value in req.query if name not in known))
        if unknown:
            raise Refused("InvalidURI", "%s %s does not take the query parameter%s %s in revision %s (it takes: %s)."
                          % (req.method, template, "s" if len(unknown) > 1 else "", ", ".join(unknown), self.name,
                             ", ".join(sorted(known)) or "none"))
        body = req.body
        if template == TOKEN_PATH and body:
            body = self._canonical_grant(body)
        # openapi-core's verdict depends on nothing but these, and costs milliseconds per parameter: a request
        # seen before (the same path, query, declared headers and body) is answered with the verdict it got then
        headers = tuple((name, req.header(name)) for name in self.header_names(template, req.method))
        key = (req.method, path, tuple(req.query), headers, body, req.header("Content-Type"))
        with self._lock:
            verdict = self._verdicts.pop(key, None)
            if verdict is not None:
                self._verdicts[key] = verdict
        if verdict is None:
            verdict = self._verdict(req, template, path, body)
            with self._lock:
                self._verdicts[key] = verdict
                while len(self._verdicts) > VERDICTS_KEPT:
                    self._verdicts.popitem(last=False)
        if verdict[0] == "refused":
            raise Refused(verdict[1], verdict[2])
        return Call(template, dict(verdict[1]), dict(verdict[2]))

    def _verdict(self, req, template, path, body):
        core = _Request(req.base_url, req.method, path, req.query, list(req.headers.items()), body,
                        req.header("Content-Type"))
        params = self._parameters.unmarshal(core)
        errors = list(params.errors) + list(self._body.unmarshal(core).errors)
        for error in errors:
            location = error.location if isinstance(error, ParameterValidationError) else "body"
            code = "InvalidURI" if location in ("query", "path") else "UnexpectedContent"
            return ("refused", code, "%s %s, revision %s: %s" % (req.method, template, self.name, describe(error)))
        return ("call", dict(params.parameters.path), dict(params.parameters.query))

    def _canonical_grant(self, body):
        # The 1.3 documents spell ELoginGrantType Password, Refresh_token, ...; Veeam's docs and clients send
        # password, refresh_token. The grant word is checked in any case, as the enum word that matches.
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        words = dict((word.lower(), word) for word in self.enum("ELoginGrantType"))
        form = [(key, words.get(value.lower(), value) if key == "grant_type" else value) for key, value in form]
        return urlencode(form).encode("utf-8")

    # ------------------------------------------------------------------ answers
    def response_problem(self, req, status, content_type, body, headers):
        """None when the answer fits the response of its status in this document, else what is wrong."""
        path = req.path.rstrip("/") or "/"
        core = _Request(req.base_url, req.method, path, req.query, list(req.headers.items()), req.body,
                        req.header("Content-Type"))
        try:
            self.api.validate_response(core, _Response(status, body, content_type, headers))
        except (ResponseNotFound, PathError) as exc:
            if status < 400:
                return describe(exc)
            # Errors the document lists no response for (a refused path, a 400 on a GET, a 503) are Error models
            try:
                value = json.loads(body.decode("utf-8"))
            except ValueError:
                return "status %d: the body is not JSON" % status
            return self.schema_problem("Error", value)
        except OpenAPIError as exc:
            return describe(exc)
        return None


_DOCUMENTS = {}
_LOADING = threading.Lock()


def document(revision):
    """The document a revision is checked against (loaded on first use)."""
    name = DOCUMENT_OF[revision]
    with _LOADING:
        found = _DOCUMENTS.get(name)
        if found is None:
            found = _DOCUMENTS[name] = Document(name)
    return found
