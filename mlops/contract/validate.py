"""A JSON Schema interpreter for the subset of draft 2020-12 the contract uses, stdlib only.

The monitor env carries no ``jsonschema``; rather than keep a second, hand-written copy of each
format in Python, this module reads the published schema files themselves. A keyword outside
the subset is refused when the schema loads, so a schema can never be silently half-checked.
Tests compare it with the real ``jsonschema`` package on the same inputs.
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

from mlops.contract.timestamps import parse_timestamp

SCHEMA_DIR = Path(__file__).parent / "schemas"
MAX_ERRORS = 20

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment", "examples", "default"})
_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "maxProperties",
        "pattern",
        "format",
    }
)
_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaError(Exception):
    """A schema file uses something this interpreter does not implement."""


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>.schema.json`` and refuse keywords outside the subset."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    _audit(schema, name)
    return schema  # type: ignore[no-any-return]


def _audit(node: Any, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _KEYWORDS | _ANNOTATIONS:
                raise SchemaError(f"{where}: keyword {key!r} is not supported by mlops.contract.validate")
            if key in ("properties", "$defs"):
                for sub_key, sub in value.items():
                    _audit(sub, f"{where}/{key}/{sub_key}")
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                _audit(value, f"{where}/{key}")


def validate(instance: Any, schema_name: str) -> list[str]:
    """Return at most MAX_ERRORS messages, each naming the JSON pointer concerned; [] when valid."""
    errors: list[str] = []
    for error in _check(instance, load_schema(schema_name), schema_name, ""):
        errors.append(error)
        if len(errors) >= MAX_ERRORS:
            break
    return errors


@functools.cache
def _resolve(ref: str, base: str) -> tuple[dict[str, Any], str]:
    file_part, _, pointer = ref.partition("#")
    doc_name = file_part.removesuffix(".schema.json") if file_part else base
    node: Any = load_schema(doc_name)
    for token in filter(None, pointer.split("/")):
        node = node[token]
    return node, doc_name


def _describe(value: Any) -> str:
    for name, test in _TYPES.items():
        if name != "number" and test(value):
            return name
    return "number"


def _check(value: Any, schema: Mapping[str, Any], base: str, path: str) -> Iterator[str]:
    where = path or "/"
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
        parse_timestamp(value) is None or not _pattern(schema.get("pattern", "")).search(value)
    ):
        yield f"{where}: {_short(value)} {_why_not_a_time(value)}"  # a person reads this, not the regex
    elif "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        yield f"{where}: {_short(value)} does not match {schema['pattern']}"


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


def _all_pass(values: Collection[Any], schema: Mapping[str, Any], base: str) -> bool:
    """True when every value surely passes ``schema``: the fast path for long arrays of numbers.

    False means "not sure": the caller walks the values one by one to word the errors, so the
    messages never depend on this shortcut.
    """
    found = _TESTS.get(id(schema))
    if found is None or found[0] is not schema:
        found = _TESTS[id(schema)] = (schema, _scalar_test(schema, base))
    test = found[1]
    return test is not None and test(values)


_TESTS: dict[int, tuple[Mapping[str, Any], Callable[[Collection[Any]], bool] | None]] = {}
"""Predicates by schema node; the node is kept so that its id is never reused."""


def _scalar_test(schema: Mapping[str, Any], base: str) -> Callable[[Collection[Any]], bool] | None:
    """A test of many values at once against a schema that only bounds a number; None when it does more."""
    while set(schema) - _ANNOTATIONS == {"$ref"}:
        schema, base = _resolve(schema["$ref"], base)
    bounds_only = set(schema) - _ANNOTATIONS <= {"type", "minimum", "maximum"}
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
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """ECMA-262 ``$`` matches only at the very end; Python's also before a final newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
