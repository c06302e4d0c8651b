"""The official JSON-Schema-Test-Suite (draft 2020-12) against the stdlib validator, offline.

The module promises to refuse at load what it cannot check. So for every suite schema either
``load_schema`` raises ``SchemaError``, or every case gets the suite's answer; never another exception.
The few cases where the module answers otherwise on purpose are listed, with why, in EXPECTED_DIFFERENT.

Run as a script for the tally: ``python3 tests/contract/test_validate_suite.py``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

if __name__ == "__main__":  # the tally, run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mlops.contract import validate as validate_module
from mlops.contract.validate import SchemaError, load_schema, validate
from tests.contract.test_validate import resolve

SUITE = Path(__file__).parent / "suite" / "tests" / "draft2020-12"

FORMAT_ASSERTED = (
    "format is asserted, not an annotation: CI's check-jsonschema asserts formats, and a file CI refuses "
    "must not pass the monitor (any format but date-time is refused at load)"
)
NO_LEAP_SECOND = "refused: Python's datetime has no second 60, and the monitor computes with every time it accepts"
UPPER_T_AND_Z = (
    "refused: Python 3.11's datetime.fromisoformat reads only upper-case T and Z, and the monitor computes "
    "with every time it accepts"
)
DATE_TIME = ("optional/format/date-time.json", "validation of date-time strings")
EXPECTED_DIFFERENT: dict[tuple[str, str, str], str] = {
    ("format.json", "date-time format", "invalid date-time string is only an annotation by default"): FORMAT_ASSERTED,
    (*DATE_TIME, "a valid date-time with a leap second, UTC"): NO_LEAP_SECOND,
    (*DATE_TIME, "a valid date-time with a leap second, with minus offset"): NO_LEAP_SECOND,
    (*DATE_TIME, "case-insensitive T and Z"): UPPER_T_AND_Z,
}
"""Suite cases (file, schema description, case description) answered otherwise on purpose, and why."""

TALLY = {"right": 462, "expected different": 4, "refused at load": 902}
"""Cases of the vendored suite by outcome: a change here is a change in what the validator supports."""


@dataclass(frozen=True)
class Group:
    """One suite schema and its cases."""

    file: str
    index: int
    description: str
    schema: Any
    tests: tuple[dict[str, Any], ...]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.index}"


def groups() -> Iterator[Group]:
    for path in sorted(SUITE.rglob("*.json")):
        for index, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            rel = path.relative_to(SUITE).as_posix()
            yield Group(rel, index, group["description"], group["schema"], tuple(group["tests"]))


GROUPS = list(groups())


def judge(group: Group, folder: Path, *, keep_going: bool = False) -> Counter[str]:
    """Outcomes of the group's cases. AssertionError names each case answered wrongly; with
    ``keep_going`` (the script's tally) wrong answers and crashes are counted instead."""
    name = f"suite{group.index}"
    (folder / f"{name}.schema.json").write_text(json.dumps(group.schema), encoding="utf-8")
    load_schema.cache_clear()
    try:
        load_schema(name)
    except SchemaError as error:
        assert str(error).startswith(name), error  # it names where in the schema
        return Counter({"refused at load": len(group.tests)})
    except Exception:
        if not keep_going:
            raise
        return Counter({"crash": len(group.tests)})
    wrong: list[str] = []
    outcomes: Counter[str] = Counter()
    for case in group.tests:
        try:
            errors = validate(case["data"], name)
            for message in errors:  # a person needs to know where: each message starts with a pointer that exists
                resolve(case["data"], message.partition(": ")[0])
        except Exception:
            if not keep_going:
                raise
            outcomes["crash"] += 1
            continue
        reason = EXPECTED_DIFFERENT.get((group.file, group.description, case["description"]))
        if (not errors) == case["valid"]:
            outcomes["right"] += 1
            if reason:
                wrong.append(f"{case['description']!r} is listed as different ({reason}) but now agrees")
        elif reason:
            outcomes["expected different"] += 1
        else:
            outcomes["wrong"] += 1
            wrong.append(f"{case['description']!r}: suite says valid={case['valid']}, ours {errors or 'valid'}")
    assert keep_going or not wrong, f"{group.file} {group.description!r}:\n" + "\n".join(wrong)
    return outcomes


@pytest.mark.parametrize("group", GROUPS, ids=[g.id for g in GROUPS])
def test_suite_schema_refused_or_right(group: Group, schema_dir: Path) -> None:
    """Refused at load with SchemaError, or every case as the suite says (bar EXPECTED_DIFFERENT)."""
    judge(group, schema_dir)


def test_tally(schema_dir: Path) -> None:
    """The validator checks most of what it loads, and the suite is really there (not an empty folder)."""
    total: Counter[str] = Counter()
    for group in GROUPS:
        total += judge(group, schema_dir)
    assert dict(total) == TALLY


def test_expected_differences_exist() -> None:
    """Each listed difference names a real case, so a renamed case cannot hide one."""
    cases = {(g.file, g.description, t["description"]) for g in GROUPS for t in g.tests}
    assert set(EXPECTED_DIFFERENT) <= cases


@pytest.mark.parametrize(
    ("file", "description"),
    [
        ("boolean_schema.json", "boolean schema 'true'"),
        ("boolean_schema.json", "boolean schema 'false'"),
        ("items.json", "items with boolean schema (false)"),
        ("properties.json", "properties with boolean schema"),
        ("ref.json", "escaped pointer ref"),
        ("ref.json", "refs with quote"),
        ("ref.json", "$ref to boolean schema false"),
        ("const.json", "const with [false] does not match [0]"),
        ("enum.json", "enum with [1] does not match [true]"),
        ("optional/ecmascript-regex.json", "ECMA 262 \\s matches whitespace"),
        ("optional/ecmascript-regex.json", "ECMA 262 \\d matches ascii digits only"),
        ("optional/non-bmp-regex.json", "Proper UTF-16 surrogate pair handling: pattern"),
    ],
)
def test_supported_features_load(file: str, description: str, schema_dir: Path) -> None:
    """What the issue found crashing or wrong is now checked, not merely refused."""
    (group,) = [g for g in GROUPS if (g.file, g.description) == (file, description)]
    assert judge(group, schema_dir)["right"] == len(group.tests)


@pytest.mark.parametrize(
    ("file", "description", "refusal"),
    [
        ("refRemote.json", "remote ref", "is not supported: only '#/...' pointers"),
        ("ref.json", "Recursive references between schemas", "keyword '$id' is supported only at the root"),
        ("optional/ecmascript-regex.json", "patterns always use unicode semantics with pattern", "Unicode property"),
        ("format.json", "email format", "format must be 'date-time'"),
        ("vocabulary.json", "ignore unrecognized optional vocabulary", "no other dialect is supported"),
        ("anchor.json", "Location-independent identifier", "keyword '$anchor' is not supported"),
    ],
)
def test_unsupported_features_are_named(file: str, description: str, refusal: str, schema_dir: Path) -> None:
    """A refusal says what is unsupported, so a schema author knows what to change."""
    (group,) = [g for g in GROUPS if (g.file, g.description) == (file, description)]
    (schema_dir / "s.schema.json").write_text(json.dumps(group.schema), encoding="utf-8")
    with pytest.raises(SchemaError, match=re.escape(refusal)):
        load_schema("s")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        validate_module.SCHEMA_DIR = Path(folder)
        tally: Counter[str] = sum((judge(g, Path(folder), keep_going=True) for g in GROUPS), Counter())
    print(dict(tally), f"of {sum(len(g.tests) for g in GROUPS)} cases in {len(GROUPS)} schemas")
