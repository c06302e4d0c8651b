"""The stdlib interpreter must say what the real ``jsonschema`` says, on the examples and on their mutants.

The monitor env has no ``jsonschema``; CI and producers do. If the two disagreed, a file could pass
CI and be refused by the monitor, or the reverse. So every mutation below is judged by both.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import regress
from check_jsonschema.formats.implementations import validate_rfc3339  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource

from mlops.contract import SCHEMAS, schema_name
from mlops.contract import validate as validate_module
from mlops.contract.validate import MAX_ERRORS, SCHEMA_DIR, SchemaError, load_schema, validate

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "mlops" / "example" / "workspace"
EXAMPLES = sorted(WORKSPACE.rglob("*.json"))
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
DATE_TIME_CHECKED = "date-time" in FORMAT_CHECKER.checkers
DATE_TIME_MESSAGE = "is not an RFC 3339 date-time with a timezone offset"
NO_OFFSET_MESSAGE = "has no timezone offset: end it with Z (UTC) or +HH:MM"

Pointer = tuple[str | int, ...]
Mutation = tuple[str, Any]

# Integral floats (2.0, and any float above 2**53) are integers to JSON Schema but not to us:
# they are left out here and pinned by test_integral_float_is_an_integer.
WRONG_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 7, 0.5, -2.5, 123.456, "", "x", "7", [], {}, [1], {"k": 1})
TIMESTAMPS = (
    "2026-11-20T12:00:00",
    "2026-11-20 12:00:00Z",
    "2026-11-20T12:00:00+0100",
    "2026-11-20t12:00:00z",
    "2026-11-20T12:00Z",
    "20261120T120000Z",
    "2026-11-20T12:00:00.Z",
    "2026-11-20T12:00:00.25+05:30",
    "2026-11-20T12:00:00.1234567Z",
    "2026-11-20T12:00:00-00:00",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2026-02-30T12:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-11-20T24:00:00Z",
    "2026-11-20T12:60:00Z",
    "2026-11-20T12:00:00+24:00",
    " 2026-11-20T12:00:00Z",
)
VERSIONS: tuple[Any, ...] = ("v3", "3.0", "", " 3", "3 ", "-3", "+3", "0x3", "3e2", "\uff13", "\u0663")
VERSIONS += ("03", "10", 3, 3.5)


def example_schema(path: Path) -> str:
    return str(schema_name(json.loads(path.read_text(encoding="utf-8"))["schema"]))


@functools.cache
def reference(name: str) -> Any:
    """The real validator, with every schema file registered under its ``$id`` so refs resolve offline."""
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_DIR.glob("*.schema.json")}
    resources = ((s.get("$id", file_name), Resource.from_contents(s)) for file_name, s in schemas.items())
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry, format_checker=FORMAT_CHECKER)


def ci_refuses_timestamp(value: str) -> bool:
    """check-jsonschema's verdict on a timestamp: the schema's pattern as ECMA-262 (via regress), then RFC 3339."""
    pattern = json.loads((SCHEMA_DIR / "common.v1.schema.json").read_text(encoding="utf-8"))
    regex = regress.Regex(pattern["$defs"]["timestamp"]["pattern"])
    return regex.find(value) is None or not validate_rfc3339(value)


def timestamp_only_ours_refuse(value: str) -> bool:
    """A timestamp jsonschema lets through and ours refuses: CI's referee must refuse it, and jsonschema may
    differ only where Python's "$" differs from ECMA-262's (before a final newline), when it checks at all."""
    return ci_refuses_timestamp(value) and (not DATE_TIME_CHECKED or value.endswith("\n"))


def ci_refuses_pattern(instance: Any, message: str) -> bool:
    """check-jsonschema's verdict on a pattern: the schema's regex under ECMA-262 rules (via regress)."""
    where, _, rest = message.partition(": ")
    regex = regress.Regex(rest.rsplit(" does not match ", 1)[1])
    return regex.find(resolve(instance, where)) is None


def walk(node: Any, at: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """Every node; of a list, only the first and last items (they are homogeneous, and this keeps it fast)."""
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*at, key))
    elif isinstance(node, list):
        for index in sorted({0, len(node) - 1} - {-1}):
            yield from walk(node[index], (*at, index))


def pointer(at: Pointer) -> str:
    return "/" + "/".join(str(t).replace("~", "~0").replace("/", "~1") for t in at)


def resolve(instance: Any, where: str) -> Any:
    """Follow a JSON pointer as our messages write it: the root is ``/``."""
    node = instance
    for escaped in where.split("/")[1:] if where != "/" else []:
        token = escaped.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def changed(doc: Any, at: Pointer, change: Callable[[Any, Any], None]) -> Any:
    new = copy.deepcopy(doc)
    parent = new
    for token in at[:-1]:
        parent = parent[token]
    change(parent, at[-1])
    return new


def replaced(doc: Any, at: Pointer, value: Any, *, share: bool = False) -> Any:
    """A copy of ``doc`` with ``value`` at ``at``; ``share`` skips copying a value nothing will mutate."""
    value = value if share else copy.deepcopy(value)
    if not at:
        return value
    return changed(doc, at, lambda parent, key: parent.__setitem__(key, value))


def deletions(doc: Any) -> Iterator[Mutation]:
    for at, _ in walk(doc):
        if at:
            yield f"delete {pointer(at)}", changed(doc, at, lambda parent, key: parent.__delitem__(key))


def wrong_types(doc: Any) -> Iterator[Mutation]:
    for at, _ in walk(doc):
        for value in WRONG_VALUES:
            yield f"{pointer(at)} = {value!r}", replaced(doc, at, value)


def numbers(doc: Any) -> Iterator[Mutation]:
    for at, node in walk(doc):
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            for value in (-1, -node - 1, node + 1, 0, 1e-9, -1e-9, 10**30, node + 0.25):
                yield f"{pointer(at)} = {value!r}", replaced(doc, at, value)


def timestamps(doc: Any) -> Iterator[Mutation]:
    for at, node in walk(doc):
        if isinstance(node, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT.*", node):
            for value in TIMESTAMPS:
                yield f"{pointer(at)} = {value!r}", replaced(doc, at, value)


def versions(doc: Any) -> Iterator[Mutation]:
    for at, _ in walk(doc):
        if at[-2:] == ("model", "version"):
            for value in VERSIONS:
                yield f"{pointer(at)} = {value!r}", replaced(doc, at, value)


def strings(doc: Any) -> Iterator[Mutation]:
    for at, node in walk(doc):
        if isinstance(node, str):
            for value in ("", "a" * 65, "a" * 129, "a" * 257, "a" * 1025, "\u00e9" * 64, node + "\n"):
                yield f"{pointer(at)} = {value[:12]!r}..({len(value)})", replaced(doc, at, value)


def extra_keys(doc: Any) -> Iterator[Mutation]:
    for at, node in walk(doc):
        if isinstance(node, dict):
            for key, value in (("unexpected", 1), ("", 1), ("a/b~c", 2), ("unexpected", "x")):
                yield f"{pointer(at)} + {key!r}: {value!r}", replaced(doc, at, {**node, key: value})
            many = {**node, **{f"k{i}": 1 for i in range(1001)}}
            yield f"{pointer(at)} + 1001 keys", replaced(doc, at, many)


def sizes(doc: Any) -> Iterator[Mutation]:
    for at, node in walk(doc):
        if isinstance(node, list) and node:
            for size in (0, 1, 2, 1000, 1001, 1002, *((100_001,) if at == ("alerts",) else ())):
                items = [node[i % len(node)] for i in range(size)]
                yield f"{pointer(at)} has {size} items", replaced(doc, at, items, share=True)


ONE_PER_SCHEMA = list({example_schema(p): p for p in reversed(EXAMPLES)}.values())
FAMILIES = {f.__name__: f for f in (deletions, wrong_types, numbers, timestamps, versions, strings, extra_keys, sizes)}


def _example_id(path: Path) -> str:
    return str(path.relative_to(WORKSPACE))


def test_every_schema_has_an_example() -> None:
    """The comparison below is only as wide as the examples: each format needs at least one."""
    assert {example_schema(p) for p in EXAMPLES} == set(SCHEMAS.values())


@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_examples_are_valid_for_both(path: Path) -> None:
    """The shipped examples are what producers copy: they must pass everywhere."""
    instance = json.loads(path.read_text(encoding="utf-8"))
    name = example_schema(path)
    assert validate(instance, name) == []
    assert list(reference(name).iter_errors(instance)) == []


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_mutations_judged_alike(path: Path, family: str) -> None:
    """Both validators agree, mutation by mutation, on valid versus invalid."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    name = example_schema(path)
    disagreements: list[str] = []
    verdicts: set[bool] = set()
    for label, instance in FAMILIES[family](doc):
        ours = validate(instance, name)
        theirs = reference(name).is_valid(instance)
        verdicts.add(theirs)
        if (not ours) == theirs:
            continue
        # jsonschema checks "format": "date-time" only with rfc3339-validator installed (moto brings it into
        # the tests env), and then with Python's re, where "$" also matches before a final newline; without
        # it, ours is the only one looking. Either way CI's referee, check-jsonschema, must refuse it too.
        if (
            theirs
            and all(DATE_TIME_MESSAGE in m or NO_OFFSET_MESSAGE in m for m in ours)
            and all(timestamp_only_ours_refuse(resolve(instance, m.partition(": ")[0])) for m in ours)
        ):
            continue
        # jsonschema applies "pattern" with Python's re, where "$" also matches before a final newline;
        # JSON Schema means ECMA-262, as check-jsonschema (CI's referee) and ours apply it.
        if theirs and all(" does not match " in m and ci_refuses_pattern(instance, m) for m in ours):
            continue
        disagreements.append(f"{label}: ours={ours or 'valid'} jsonschema={'valid' if theirs else 'invalid'}")
    assert disagreements == []
    assert False in verdicts, f"no {family} mutation of {path.name} was invalid: the family tests nothing"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("path", ONE_PER_SCHEMA, ids=_example_id)
def test_messages_name_a_pointer_into_the_instance(path: Path, family: str) -> None:
    """A person fixing the file needs to know where: each message starts with a pointer that exists."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    name = example_schema(path)
    checked = 0
    for label, instance in FAMILIES[family](doc):
        for message in validate(instance, name):
            where, sep, reason = message.partition(": ")
            assert where.startswith("/") and sep and reason, f"{label}: {message!r}"
            resolve(instance, where)  # raises if the pointer leads nowhere
            checked += 1
    assert checked


@pytest.mark.parametrize(
    ("at", "value", "expected"),
    [
        (("signals", "confidence", "counts"), None, "/signals/confidence: missing required key 'counts'"),
        (("model", "version"), "v3", '/model/version: "v3" does not match ^[0-9]+$'),
        (("signals", "images"), -1, "/signals/images: -1 is below the minimum 0"),
        (("signals", "images"), True, "/signals/images: expected integer, got boolean"),
        (("signals", "classes", "a/b~c"), "x", "/signals/classes/a~1b~0c: expected integer, got string"),
        (("generated_at",), "2026-11-20T12:00:00", f'/generated_at: "2026-11-20T12:00:00" {NO_OFFSET_MESSAGE}'),
        (("window", "end"), "2026-02-30T12:00:00Z", f'/window/end: "2026-02-30T12:00:00Z" {DATE_TIME_MESSAGE}'),
        (("surplus",), 1, '/: unexpected key "surplus"'),
    ],
)
def test_message_names_the_place(at: Pointer, value: Any, expected: str) -> None:
    """The pointer is the one of the offending value (or of the object missing or carrying a key)."""
    doc = json.loads((WORKSPACE / "windows" / "2026-11-20T120000Z.json").read_text(encoding="utf-8"))
    if value is None:
        instance = changed(doc, at, lambda parent, key: parent.__delitem__(key))
    else:
        instance = changed(doc, at, lambda parent, key: parent.__setitem__(key, value))
    errors = validate(instance, "window.v1")
    assert len(errors) == 1
    assert errors[0].startswith(expected)


def _many_errors(count: int) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((WORKSPACE / "baseline.json").read_text(encoding="utf-8"))
    doc["signals"]["classes"] = {f"class{i}": "many" for i in range(count)}
    return doc


def test_at_most_max_errors() -> None:
    """A file broken everywhere yields a readable report, not thousands of lines."""
    instance = _many_errors(10 * MAX_ERRORS)
    assert sum(1 for _ in reference("baseline.v1").iter_errors(instance)) == 10 * MAX_ERRORS
    assert len(validate(instance, "baseline.v1")) == MAX_ERRORS


def test_max_errors_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap is the module constant, not a copy taken at import."""
    monkeypatch.setattr(validate_module, "MAX_ERRORS", 3)
    assert len(validate(_many_errors(10), "baseline.v1")) == 3
    assert len(validate(_many_errors(2), "baseline.v1")) == 2


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("at", [("signals", "latency_ms", "p50"), ("signals", "confidence", "edges", 0)])
def test_non_finite_numbers_are_refused(at: Pointer, value: float) -> None:
    """Deliberately stricter than jsonschema (which takes inf and nan as numbers): a drift score of nan helps nobody.

    ``1e400`` in a file parses to inf, so this is reachable from JSON.
    """
    doc = json.loads((WORKSPACE / "windows" / "2026-11-20T120000Z.json").read_text(encoding="utf-8"))
    errors = validate(replaced(doc, at, value), "window.v1")
    assert any(e.startswith(f"{pointer(at)}: ") for e in errors), errors


@pytest.mark.parametrize("value", ["2026-11-20T12:00:00", "2026-11-20T12:00:00.5", "2026-11-20"])
def test_naive_times_are_refused(value: str) -> None:
    """Checked on its own because jsonschema may not check date-time here; the pattern alone must catch these."""
    doc = json.loads((WORKSPACE / "alerts.json").read_text(encoding="utf-8"))
    for at in (("generated_at",), ("alerts", 0, "raised_at")):
        errors = validate(replaced(doc, at, value), "alerts.v1")
        assert errors and errors[0].startswith(f"{pointer(at)}: "), errors
        assert not reference("alerts.v1").is_valid(replaced(doc, at, value))


@pytest.mark.parametrize(
    "at",
    [("signals", "images"), ("schema_version",), ("signals", "classes", "circle"), ("signals", "latency_ms", "n")],
)
def test_integral_float_is_an_integer(at: Pointer) -> None:
    """check-jsonschema in CI accepts these files; the monitor then refuses them."""
    doc = json.loads((WORKSPACE / "windows" / "2026-11-20T120000Z.json").read_text(encoding="utf-8"))
    instance = replaced(doc, at, float(resolve(doc, pointer(at))))
    assert reference("window.v1").is_valid(instance)
    assert validate(instance, "window.v1") == []


# --- load_schema: a schema this interpreter cannot fully check must not load ------------------


def write_schema(folder: Path, name: str, schema: dict[str, Any]) -> None:
    (folder / f"{name}.schema.json").write_text(json.dumps(schema), encoding="utf-8")


def test_private_schema_dir_is_used(schema_dir: Path) -> None:
    """Proves the monkeypatch takes effect, so the refusals below are about the keyword, not a missing file."""
    write_schema(schema_dir, "ok.v1", {"type": "object", "required": ["a"], "title": "fine"})
    assert validate({}, "ok.v1") == ["/: missing required key 'a'"]
    assert validate({"a": 1}, "ok.v1") == []


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "object", "oneOf": [{"type": "object"}]}, "x.v1"),
        ({"properties": {"a": {"anyOf": [{"type": "string"}]}}}, "x.v1/properties/a"),
        ({"$defs": {"d": {"type": "integer", "multipleOf": 2}}}, "x.v1/$defs/d"),
        ({"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}}, "x.v1/items"),
        ({"additionalProperties": {"not": {"type": "null"}}}, "x.v1/additionalProperties"),
        ({"properties": {"a": {"properties": {"b": {"uniqueItems": True}}}}}, "x.v1/properties/a/properties/b"),
        ({"type": "object", "require": ["a"]}, "x.v1"),
        ({"patternProperties": {"^a": {}}}, "x.v1"),
        ({"if": {"type": "object"}, "then": {"required": ["a"]}}, "x.v1"),
        ({"unevaluatedProperties": False}, "x.v1"),
        ({"minProperties": 1}, "x.v1"),
    ],
)
def test_load_schema_refuses_unsupported_keyword(schema_dir: Path, schema: dict[str, Any], where: str) -> None:
    """Silently skipping a keyword would pass files the published schema refuses."""
    write_schema(schema_dir, "x.v1", schema)
    with pytest.raises(SchemaError, match=f"^{re.escape(where)}: keyword '") as info:
        load_schema("x.v1")
    assert "not supported" in str(info.value)


def test_unsupported_keyword_in_a_referenced_schema(schema_dir: Path) -> None:
    """A ``$ref`` into another file audits that file too, when the referring one loads."""
    write_schema(schema_dir, "bad.v1", {"$defs": {"n": {"type": "integer", "multipleOf": 3}}})
    write_schema(schema_dir, "main.v1", {"properties": {"n": {"$ref": "bad.v1.schema.json#/$defs/n"}}})
    with pytest.raises(SchemaError, match="multipleOf"):
        load_schema("main.v1")
    with pytest.raises(SchemaError, match="multipleOf"):
        validate({"n": 4}, "main.v1")


@pytest.mark.parametrize("name", sorted({*SCHEMAS.values(), "common.v1"}))
def test_shipped_schemas_load(name: str) -> None:
    """The published schemas stay inside the subset (and the cache is not poisoned by the tests above)."""
    schema = load_schema(name)
    assert schema.get("$id", f"{name}.schema.json") == f"{name}.schema.json"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    ("at", "values"),
    [
        (("signals", "confidence", "edges"), [0, 10**400, 0.5]),  # an int too large for a float, beside floats
        (("signals", "confidence", "edges"), [0.0, 10**400]),
        (("signals", "confidence", "counts"), [1, 2.0, 3, 0, 0, 0, 0, 0, 0, 0]),  # 2.0 is an integer
        (("signals", "confidence", "counts"), [1, True, 3, 0, 0, 0, 0, 0, 0, 0]),  # true is not
        (("signals", "confidence", "counts"), [1, -1, 3, 0, 0, 0, 0, 0, 0, 0]),
        (("signals", "classes"), {"a": 1, "b": -2, "c": 2.0, "d": "3"}),
        (("signals", "classes"), {}),
    ],
)
def test_whole_array_shortcut_agrees_with_jsonschema(at: Pointer, values: Any) -> None:
    """Long arrays of numbers are checked in one pass; any doubt falls back to the item-by-item walk."""
    doc = json.loads((WORKSPACE / "windows" / "2026-11-20T120000Z.json").read_text(encoding="utf-8"))
    instance = replaced(doc, at, values)
    errors = validate(instance, "window.v1")
    assert (not errors) == reference("window.v1").is_valid(instance), errors
    assert all(e.startswith(pointer(at)) for e in errors), errors
