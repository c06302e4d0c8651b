"""The contract's parsers never crash, and what producers write reads back the same.

No input, however broken, makes ``parse_json``, ``load_document``, ``validate`` or
``parse_timestamp`` raise anything but the ``ValueError`` (with a message) or the refusal value
each one documents; valid inputs round-trip: JSON values through ``parse_json``, windows written by
``WindowWriter`` through ``load_document``, times through ``format_timestamp``/``parse_timestamp``.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.contract import CURRENT, schema_name
from mlops.contract.reader import Document, load_document, parse_json
from mlops.contract.signals import Signals
from mlops.contract.timestamps import format_timestamp, parse_timestamp
from mlops.contract.validate import MAX_ERRORS, validate
from mlops.contract.writer import WindowWriter
from tests.conftest import EXAMPLE

EXAMPLES = settings(max_examples=1000, deadline=None, database=None)
WINDOW = EXAMPLE / "workspace" / "windows" / "2026-11-20T120000Z.json"
TEMPLATES = {
    "mlops.window": json.loads(WINDOW.read_bytes()),
    "mlops.baseline": json.loads((EXAMPLE / "workspace" / "baseline.json").read_bytes()),
    "mlops.alerts": json.loads((EXAMPLE / "workspace" / "alerts.json").read_bytes()),
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
TRICKY = [
    b"NaN", b"-Infinity", b"1e400", b"-1e400", b"9" * 5000, b'"\\ud800"', b'"\\udc80\\ud800"', b'"\\ud83d\\ude00"',
    b'{"a": 1, "a": 2}', b"[" * 3000, b"]", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"//", b"\t",
    b'"\x01"', b"1e-400", b"-0", b"0.0e+0", b"true", b"nul", b"{", b"}", b",", b":", b'"', b"\\", b" ",
]  # fmt: skip
raw_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(TRICKY), max_size=12).map(b"".join),
    json_values.map(lambda v: json.dumps(v).encode()),
)


def assert_refusal(exc: ValueError) -> None:
    assert str(exc).strip(), "a refusal without a reason"


# --- parse_json ---------------------------------------------------------------------------------


@EXAMPLES
@given(raw=raw_bytes, finite_later=st.booleans())
def test_parse_json_returns_a_value_or_a_reason(raw: bytes, finite_later: bool) -> None:
    try:
        parse_json(raw, finite_later=finite_later)
    except ValueError as exc:
        assert_refusal(exc)


@EXAMPLES
@given(value=json_values, ascii_only=st.booleans(), bom=st.booleans(), indent=st.sampled_from([None, 0, 1, "\t"]))
def test_json_values_round_trip(value: Any, ascii_only: bool, bom: bool, indent: int | str | None) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    assert parse_json(("\ufeff" if bom else "").encode() + text.encode()) == value


@EXAMPLES
@given(value=json_values, key=st.text(max_size=5))
def test_a_key_written_twice_is_refused_wherever_it_is(value: Any, key: str) -> None:
    member = json.dumps(key) + ": 1"
    text = "[" + json.dumps(value) + ", {" + member + ", " + member + "}]"
    try:
        parse_json(text.encode())
    except ValueError as exc:
        assert "twice" in str(exc)
    else:
        raise AssertionError("a duplicate key was accepted")


# --- validate and load_document -----------------------------------------------------------------


@st.composite
def perturbed(draw: st.DrawFn, expect: str) -> Any:
    """A valid file with one value somewhere replaced by anything at all."""
    doc = json.loads(json.dumps(TEMPLATES[expect]))
    node: Any = doc
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(json_values | st.sampled_from([10**400, -1, 2**53, 1.5, "", "x" * 300]))
            break
        node = node[key]
    return doc


@EXAMPLES
@given(expect=st.sampled_from(sorted(CURRENT)), data=st.data())
def test_validate_returns_messages_never_raises(expect: str, data: st.DataObject) -> None:
    instance = data.draw(perturbed(expect) | json_values)
    errors = validate(instance, str(schema_name(expect)))
    assert len(errors) <= MAX_ERRORS
    assert all(isinstance(e, str) and e.startswith("/") for e in errors)


@EXAMPLES
@given(expect=st.sampled_from(sorted(CURRENT)), data=st.data())
def test_load_document_returns_a_document_never_raises(expect: str, data: st.DataObject) -> None:
    raw = data.draw(perturbed(expect).map(lambda d: json.dumps(d).encode()) | raw_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f.json").write_bytes(raw)
        doc = load_document(root / "f.json", root=root, shown="f.json", expect=expect, max_bytes=100_000)
    assert isinstance(doc, Document)
    if doc.error is not None:
        assert doc.error.startswith("f.json ") and doc.data is None and not doc.schema_errors
    elif doc.valid:
        assert doc.data["schema"] == expect


# --- windows written by producers read back the same --------------------------------------------

images = st.fixed_dictionaries(
    {
        "width": st.integers(min_value=1, max_value=10_000),
        "height": st.integers(min_value=1, max_value=10_000),
        "brightness": st.floats(min_value=0, max_value=255),
        "detections": st.lists(
            st.tuples(st.text(min_size=1, max_size=12), st.floats(min_value=0, max_value=1)), max_size=6
        ),
        "latency_ms": st.floats(min_value=0, max_value=1e6),
    }
)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)


@EXAMPLES
@given(
    seen=st.lists(images, max_size=12),
    name=st.text(min_size=1, max_size=256),
    version=st.integers(min_value=0, max_value=10**9).map(str),
    end=moments,
    minutes=st.integers(min_value=1, max_value=10_000),
)
def test_a_window_written_by_the_writer_reads_back_equal(
    seen: list[dict[str, Any]], name: str, version: str, end: datetime, minutes: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        writer = WindowWriter(Path(tmp), model_name=name, model_version=version)
        for image in seen:
            writer.add(**image)
        writer.start = end - timedelta(minutes=minutes)
        path = writer.close(end=end)
        doc = load_document(path, root=Path(tmp), shown=path.name, expect="mlops.window", max_bytes=16 << 20)
    assert doc.valid and not doc.rule_errors, (doc.error, doc.schema_errors, doc.rule_errors)
    expected = Signals()
    for image in seen:
        expected.add(**image)
    assert doc.data["signals"] == json.loads(json.dumps(expected.to_dict()))
    assert doc.data["model"] == {"name": name, "version": version}
    assert parse_timestamp(doc.data["window"]["end"]) == end
    assert parse_timestamp(doc.data["window"]["start"]) == end - timedelta(minutes=minutes)


# --- timestamps ---------------------------------------------------------------------------------

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(timezones=st.just(UTC) | offsets)


@EXAMPLES
@given(value=st.text(max_size=70) | st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z"))
def test_parse_timestamp_gives_an_aware_time_or_none(value: str) -> None:
    parsed = parse_timestamp(value)
    if parsed is not None:
        assert parsed.utcoffset() is not None
        assert format_timestamp(parsed)  # any time it accepts can be written back


@EXAMPLES
@given(value=st.none() | st.integers() | st.floats() | st.binary() | st.lists(st.text(), max_size=3))
def test_parse_timestamp_refuses_what_is_not_a_string(value: object) -> None:
    assert parse_timestamp(value) is None


@EXAMPLES
@given(moment=aware)
def test_a_written_time_reads_back_as_the_same_instant(moment: datetime) -> None:
    try:
        written = format_timestamp(moment)
    except OverflowError:  # the instant has no UTC form (year 1 east of Greenwich, 9999 west of it)
        assert parse_timestamp(moment.isoformat()) is None
        return
    parsed = parse_timestamp(written)
    assert parsed is not None
    assert parsed == moment.replace(microsecond=0)
    assert format_timestamp(parsed) == written
    assert written.endswith("Z") and len(written) == 20


@EXAMPLES
@given(moment=aware)
def test_any_offset_reads_as_its_instant_and_writes_as_utc(moment: datetime) -> None:
    parsed = parse_timestamp(moment.isoformat())
    if parsed is None:  # no UTC form: see the test above
        return
    assert parsed == moment
    assert parse_timestamp(format_timestamp(parsed)) == moment - timedelta(microseconds=moment.microsecond)
