"""A JSON Schema interpreter for the subset of draft 2020-12 the contract uses, stdlib only.

The monitor env carries no ``jsonschema``; rather than keep a second, hand-written copy of each
format in Python, this module reads the published schema files themselves. Anything outside the
subset (a keyword, a ``$ref`` it cannot follow, a regex feature Python's ``re`` would read
differently) is refused with :class:`SchemaError` when the schema loads, so a schema can never be
silently half-checked. Tests compare it with the real ``jsonschema`` package on the same inputs and
run the official JSON-Schema-Test-Suite against it (tests/contract/test_validate_suite.py).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mlops.contract.ecma_regex import compile_pattern
from mlops.contract.timestamps import parse_timestamp

SCHEMA_DIR = Path(__file__).parent / "schemas"
MAX_ERRORS = 20

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}
    | {"contentEncoding", "contentMediaType", "contentSchema"}  # annotations only in 2020-12
)
_INERT = _ANNOTATIONS | {"$schema", "$id", "$defs"}
"""Keys that never change whether a value passes."""
_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _is_count(value: Any) -> bool:
    return bool(_TYPES["integer"](value)) and value >= 0


def _names_types(value: Any) -> bool:
    if isinstance(value, str):
        return value in _TYPES
    return isinstance(value, list) and bool(value) and all(isinstance(t, str) and t in _TYPES for t in value)


_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "$schema": (lambda v: v == DIALECT, f"must be {DIALECT!r}: no other dialect is supported"),
    "$id": (lambda v: isinstance(v, str), "must be a string"),
    "$defs": (lambda v: isinstance(v, dict), "must be an object of schemas"),
    "$ref": (lambda v: isinstance(v, str), "must be a string"),
    "type": (_names_types, f"must name JSON types ({', '.join(_TYPES)})"),
    "properties": (lambda v: isinstance(v, dict), "must be an object of schemas"),
    "required": (lambda v: isinstance(v, list) and all(isinstance(k, str) for k in v), "must be a list of strings"),
    "additionalProperties": (lambda v: isinstance(v, (dict, bool)), "must be a schema"),
    "items": (lambda v: isinstance(v, (dict, bool)), "must be a schema"),
    "enum": (lambda v: isinstance(v, list), "must be a list"),
    "const": (lambda v: True, ""),
    "minimum": (_TYPES["number"], "must be a number"),
    "maximum": (_TYPES["number"], "must be a number"),
    "minItems": (_is_count, "must be a non-negative integer"),
    "maxItems": (_is_count, "must be a non-negative integer"),
    "minLength": (_is_count, "must be a non-negative integer"),
    "maxLength": (_is_count, "must be a non-negative integer"),
    "maxProperties": (_is_count, "must be a non-negative integer"),
    "pattern": (lambda v: isinstance(v, str), "must be a string"),
    # CI's check-jsonschema asserts formats, so the monitor must refuse what CI refuses: it asserts
    # the one format it implements (the suite treats format as an annotation: a listed difference).
    "format": (lambda v: v == "date-time", "must be 'date-time', the only format this module asserts"),
}
_ROOT_ONLY = frozenset({"$schema", "$id"})
_SUBSCHEMA = frozenset({"items", "additionalProperties"})
_SUBSCHEMA_MAP = frozenset({"properties", "$defs"})
_SIBLING_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.schema\.json", re.ASCII)


class SchemaError(Exception):
    """A schema file uses something this interpreter does not implement."""


_LOADING: dict[str, Any] = {}
"""Schemas whose audit is under way, so that two files that refer to each other can both load."""


@functools.cache
def load_schema(name: str) -> Any:
    """Load ``schemas/<name>.schema.json`` (an object or a boolean) and refuse anything outside the subset."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    _LOADING[name] = schema
    try:
        _audit(schema, name)
    finally:
        del _LOADING[name]
    return schema


def _document(name: str) -> Any:
    return _LOADING[name] if name in _LOADING else load_schema(name)


def _audit(schema: Any, name: str) -> None:
    """Refuse what this module would check wrongly or crash on; then follow every ``$ref`` once."""
    refs: list[tuple[str, str]] = []
    _audit_node(schema, name, refs, root=True)
    own_id = schema.get("$id") if isinstance(schema, dict) else None
    for where, ref in refs:
        try:
            if ref.partition("#")[0] and own_id not in (None, f"{name}.schema.json"):
                raise ValueError(f"is not supported: the $id {own_id!r} makes a base other than this folder")
            _follow_chain(ref, name)
        except ValueError as error:
            raise SchemaError(f"{where}: $ref {ref!r} {error}") from None


def _audit_node(node: Any, where: str, refs: list[tuple[str, str]], *, root: bool = False) -> None:
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise SchemaError(f"{where}: a schema must be an object or a boolean, not {_describe(node)}")
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key not in _SHAPES:
            raise SchemaError(f"{where}: keyword {key!r} is not supported by mlops.contract.validate")
        if key in _ROOT_ONLY and not root:
            raise SchemaError(f"{where}: keyword {key!r} is supported only at the root of a schema file")
        test, shape = _SHAPES[key]
        if not test(value):
            raise SchemaError(f"{where}: {key} {shape}")
        if key in _SUBSCHEMA_MAP:
            for sub_key, sub in value.items():
                _audit_node(sub, f"{where}/{key}/{sub_key}", refs)
        elif key in _SUBSCHEMA:
            _audit_node(value, f"{where}/{key}", refs)
        elif key == "$ref":
            refs.append((where, value))
        elif key == "pattern":
            try:
                compile_pattern(value)
            except ValueError as error:
                raise SchemaError(f"{where}: pattern {value!r} is not supported: {error}") from None


def _follow_chain(ref: str, base: str) -> None:
    """Follow ``ref`` and the ``$ref`` of each schema it lands on: a loop would never reach a value."""
    seen: list[Any] = []
    node, name = _locate(ref, base)
    while isinstance(node, dict) and "$ref" in node:
        if any(node is earlier for earlier in seen):
            raise ValueError("leads to a loop of $ref that never reaches a value")
        seen.append(node)
        node, name = _locate(node["$ref"], name)


def _locate(ref: str, base: str) -> tuple[Any, str]:
    """The schema ``ref`` points at and the file it lies in; ValueError says why it cannot be followed."""
    file_part, _, fragment = ref.partition("#")
    if file_part and not _SIBLING_FILE.fullmatch(file_part):
        raise ValueError("is not supported: only '#/...' pointers and '<name>.schema.json' files in the same folder")
    if file_part and not (SCHEMA_DIR / file_part).is_file():
        raise ValueError(f"names {file_part}, which is not in the schema folder")
    name = file_part.removesuffix(".schema.json") if file_part else base
    node = _document(name)
    pointer = unquote(fragment, errors="strict")
    if pointer and not pointer.startswith("/"):
        raise ValueError("is an anchor, which is not supported: use a JSON pointer such as '#/$defs/x'")
    in_map = False  # True: the next token names a member of "properties" or "$defs"
    for token in pointer.split("/")[1:]:
        if re.search("~(?![01])", token):
            raise ValueError(f"has {token!r}, not a JSON pointer token (~ must be written ~0, / as ~1)")
        key = token.replace("~1", "/").replace("~0", "~")
        if not (in_map or key in _SUBSCHEMA | _SUBSCHEMA_MAP) or not isinstance(node, dict) or key not in node:
            raise ValueError(f"does not point at a schema: nothing to follow at {key!r}")
        node, in_map = node[key], key in _SUBSCHEMA_MAP and not in_map
    if in_map:
        raise ValueError("points at a map of schemas, not at a schema")
    return node, name


def validate(instance: Any, schema_name: str) -> list[str]:
    """Return at most MAX_ERRORS messages, each naming the JSON pointer concerned; [] when valid."""
    errors: list[str] = []
    for error in _check(instance, load_schema(schema_name), schema_name, ""):
        errors.append(error)
        if len(errors) >= MAX_ERRORS:
            break
    return errors


_REFS: dict[tuple[int, str], tuple[Any, Any, str]] = {}
"""Followed references by (schema file, ref); the file's schema is kept so that its id is never reused."""


def _resolve(ref: str, base: str) -> tuple[Any, str]:
    document = load_schema(base)
    found = _REFS.get((id(document), ref))
    if found is None or found[0] is not document:
        found = _REFS[id(document), ref] = (document, *_locate(ref, base))
    return found[1], found[2]


def _describe(value: Any) -> str:
    for name, test in _TYPES.items():
        if name != "number" and test(value):
            return name
    return "number"


def _check(value: Any, schema: Mapping[str, Any] | bool, base: str, path: str) -> Iterator[str]:
    where = path or "/"
    if isinstance(schema, bool):
        if not schema:
            yield f"{where}: no value is allowed here (the schema is false)"
        return
    if "$ref" in schema:
        target, target_base = _resolve(schema["$ref"], base)
        yield from _check(value, target, target_base, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            yield f"{where}: expected {' or '.join(types)}, got {_describe(value)}"
            return
    if "const" in schema and not _equal(value, schema["const"]):
        yield f"{where}: expected {json.dumps(schema['const'])}, got {_short(value)}"
    if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
        yield f"{where}: {_short(value)} is not one of {', '.join(map(json.dumps, schema['enum']))}"
    if _TYPES["number"](value):
        if isinstance(value, float) and not math.isfinite(value):
            yield f"{where}: {value} is not a finite number"
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where}: {_short(value)} is below the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where}: {_short(value)} is above the maximum {schema['maximum']}"
    elif isinstance(value, str):
        yield from _check_string(value, schema, where)
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield f"{where}: {len(value)} items, at least {schema['minItems']} expected"
        if len(value) > schema.get("maxItems", math.inf):
            yield f"{where}: {len(value)} items, at most {schema['maxItems']} allowed"
        elif "items" in schema and not _all_pass(value, schema["items"], base):
            for index, item in enumerate(value):
                yield from _check(item, schema["items"], base, f"{path}/{index}")
    elif isinstance(value, dict):
        yield from _check_object(value, schema, base, path, where)


def _check_string(value: str, schema: Mapping[str, Any], where: str) -> Iterator[str]:
    if len(value) < schema.get("minLength", 0):
        yield f"{where}: string shorter than {schema['minLength']}"
    if len(value) > schema.get("maxLength", math.inf):
        yield f"{where}: string longer than {schema['maxLength']}"
    elif schema.get("format") == "date-time" and (
        not _RFC3339.fullmatch(value)
        or parse_timestamp(value) is None
        or not compile_pattern(schema.get("pattern", "")).search(value)
    ):
        yield f"{where}: {_short(value)} {_why_not_a_time(value)}"  # a person reads this, not the regex
    elif "pattern" in schema and not compile_pattern(schema["pattern"]).search(value):
        yield f"{where}: {_short(value)} does not match {schema['pattern']}"


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})")
"""RFC 3339 ``date-time``, less what ``parse_timestamp`` cannot hold: lowercase t and z, leap seconds.

Python's ``fromisoformat`` alone also takes "2026-11-20 12:00Z" and "20261120T120000Z"; every time the
monitor accepts it must also compute with, hence both.
"""


def _why_not_a_time(value: str) -> str:
    try:
        naive = len(value) <= 64 and datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        naive = False
    if naive:
        return "has no timezone offset: end it with Z (UTC) or +HH:MM"
    return "is not an RFC 3339 date-time with a timezone offset, such as 2026-11-20T12:00:00Z"


def _check_object(value: dict[str, Any], schema: Mapping[str, Any], base: str, path: str, where: str) -> Iterator[str]:
    for key in schema.get("required", ()):
        if key not in value:
            yield f"{where}: missing required key {key!r}"
    if len(value) > schema.get("maxProperties", math.inf):
        yield f"{where}: {len(value)} keys, at most {schema['maxProperties']} allowed"
        return
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if not properties and isinstance(extra, dict) and _all_pass(value.values(), extra, base):
        return
    for key, item in value.items():
        if key in properties:
            yield from _check(item, properties[key], base, f"{path}/{_escape(key)}")
        elif extra is False:
            yield f"{where}: unexpected key {_short(key)}"
        elif isinstance(extra, dict):
            yield from _check(item, extra, base, f"{path}/{_escape(key)}")


def _all_pass(values: Collection[Any], schema: Mapping[str, Any] | bool, base: str) -> bool:
    """True when every value surely passes ``schema``: the fast path for long arrays of numbers.

    False means "not sure": the caller walks the values one by one to word the errors, so the
    messages never depend on this shortcut.
    """
    found = _TESTS.get(id(schema))
    if found is None or found[0] is not schema:
        found = _TESTS[id(schema)] = (schema, _scalar_test(schema, base))
    test = found[1]
    return test is not None and test(values)


_TESTS: dict[int, tuple[Mapping[str, Any] | bool, Callable[[Collection[Any]], bool] | None]] = {}
"""Predicates by schema node; the node is kept so that its id is never reused."""


def _scalar_test(schema: Mapping[str, Any] | bool, base: str) -> Callable[[Collection[Any]], bool] | None:
    """A test of many values at once against a schema that only bounds a number; None when it does more."""
    while isinstance(schema, Mapping) and set(schema) - _INERT == {"$ref"}:
        schema, base = _resolve(schema["$ref"], base)
    if isinstance(schema, bool):
        verdict = schema
        return lambda values: verdict or not values
    bounds_only = set(schema) - _INERT <= {"type", "minimum", "maximum"}
    if not bounds_only or schema.get("type") not in ("number", "integer"):
        return None
    low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
    # 2.0 counts as an integer in JSON Schema: it fails this test and the slow path accepts it
    kinds = {int} if schema["type"] == "integer" else {int, float}

    def test(values: Collection[Any]) -> bool:
        found = set(map(type, values))
        if not found <= kinds:
            return False
        if float in found:
            try:  # NaN and infinities fail here; so do integers too large for a float (OverflowError)
                if not all(map(math.isfinite, values)):
                    return False
            except OverflowError:
                return False
        return not values or (low <= min(values) and max(values) <= high)

    return test


def _equal(a: Any, b: Any) -> bool:
    """JSON equality, also inside arrays and objects: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        same_keys = isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
        return same_keys and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
