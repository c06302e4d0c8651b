"""Hostile versions of one monitoring file, each a small function of the pristine file's bytes.

A mutation rewrites one path of a workspace copy (its bytes, or what sits at that path: a link, a
folder, a pipe) and says what the monitor must conclude: ``UNREADABLE`` (refused while reading or
parsing), ``INVALID`` (parses, breaks the data contract), ``VALID`` (harmless) or ``EITHER`` (random
damage: the reader itself decides, and the monitor must agree with it). Everything is seeded.
"""

from __future__ import annotations

import copy
import enum
import json
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.contract.timestamps import parse_timestamp

HUGE = 200 * 1024 * 1024
DEEP = 100_000
LITERAL = "@@literal@@"
"""Stands for a raw JSON text (1e400, NaN, an escape) that ``json.dumps`` cannot write by itself."""

Pointer = tuple[str | int, ...]


class Expect(enum.Enum):
    UNREADABLE = "unreadable"
    INVALID = "invalid"
    VALID = "valid"
    EITHER = "either"


@dataclass(frozen=True)
class Mutation:
    name: str
    expect: Expect
    rewrite: Callable[[bytes, Any, random.Random], bytes | None] | None = None
    """New bytes from (pristine bytes, parsed data, seeded random); None: not applicable to this file."""
    place: Callable[[Path, bytes, Path], None] | None = None
    """Replace the path itself: (target, pristine bytes, a folder outside the workspace)."""
    huge: bool = False
    unreadable: bool = False

    def apply(self, target: Path, outside: Path) -> bool:
        """Mutate ``target`` in place; False when the mutation does not apply to this file."""
        raw = target.read_bytes()
        if self.place is not None:
            self.place(target, raw, outside)
            return True
        assert self.rewrite is not None
        new = self.rewrite(raw, json.loads(raw), random.Random(f"{self.name}:{target.name}"))
        if new is None:
            return False
        target.write_bytes(new)
        return True

    def applies(self, raw: bytes) -> bool:
        if self.place is not None:
            return True
        assert self.rewrite is not None
        return self.rewrite(raw, json.loads(raw), random.Random(0)) is not None


# --- walking parsed JSON ----------------------------------------------------------------------


def nodes(data: Any, at: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """Every (path, value) of a JSON document, depth first, the document itself included."""
    yield at, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from nodes(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from nodes(value, (*at, index))


def put(data: Any, at: Pointer, value: Any) -> Any:
    """Set the value at ``at`` in place (the whole document when ``at`` is empty); return the document."""
    if not at:
        return value
    node = data
    for key in at[:-1]:
        node = node[key]
    node[at[-1]] = value
    return data


def with_value(data: Any, at: Pointer, value: Any) -> Any:
    return put(copy.deepcopy(data), at, value)


def dumps(data: Any, literal: str = "") -> bytes:
    """The document as producers write it (indent 1), with ``LITERAL`` replaced by raw JSON text."""
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return text.replace(json.dumps(LITERAL), literal).encode()


def _numbers(data: Any) -> list[Pointer]:
    found = [at for at, v in nodes(data) if isinstance(v, int | float) and not isinstance(v, bool)]
    versions = [at for at in found if at and at[-1] == "schema_version"]
    return [at for at in found if at not in versions] or versions


def _timestamps(data: Any) -> list[Pointer]:
    return [at for at, v in nodes(data) if isinstance(v, str) and parse_timestamp(v) is not None]


def _texts(data: Any) -> list[Pointer]:
    """Free-text strings: not the format name, not a timestamp, not a number-like version."""
    return [
        at
        for at, v in nodes(data)
        if isinstance(v, str) and at and at[-1] != "schema" and parse_timestamp(v) is None and not v.isdigit()
    ]


def value_at(
    pick: Callable[[Any], list[Pointer]], make: Callable[[Any], Any], *, every: bool = True, literal: str = ""
) -> Callable[..., bytes | None]:
    """Replace the value at the first (or every) place ``pick`` finds by ``make(old value)``."""

    def rewrite(raw: bytes, data: Any, rng: random.Random) -> bytes | None:
        places = pick(data)
        if not places:
            return None
        data = copy.deepcopy(data)
        for at in places if every else places[:1]:
            data = put(data, at, make(_get(data, at)))
        return dumps(data, literal)

    return rewrite


def literal_at(
    pick: Callable[[Any], list[Pointer]], literal: str, *, every: bool = False
) -> Callable[..., bytes | None]:
    """Raw JSON text that no Python value dumps to (NaN, 1e400, a lone surrogate) at the places found."""
    return value_at(pick, lambda _: LITERAL, every=every, literal=literal)


def _get(data: Any, at: Pointer) -> Any:
    for key in at:
        data = data[key]
    return data


def data_change(change: Callable[[Any], Any | None]) -> Callable[..., bytes | None]:
    def rewrite(raw: bytes, data: Any, rng: random.Random) -> bytes | None:
        new = change(copy.deepcopy(data))
        return None if new is None else dumps(new)

    return rewrite


def raw_change(change: Callable[[bytes, random.Random], bytes | None]) -> Callable[..., bytes | None]:
    return lambda raw, data, rng: change(raw, rng)


# --- data-level changes -----------------------------------------------------------------------


def _drop_first(data: Any) -> Any | None:
    if not isinstance(data, dict) or not data:
        return None
    return {k: v for k, v in list(data.items())[1:]}


def _drop_nested(data: Any) -> Any | None:
    """Remove the first key of the first object nested inside the document."""
    for at, value in nodes(data):
        if at and isinstance(value, dict) and value:
            return with_value(data, at, dict(list(value.items())[1:]))
    return None


def _add_key(data: Any, value: Any = "surprise") -> Any | None:
    return {**data, "unexpected": value} if isinstance(data, dict) else None


def _schema_version(value: Any) -> Callable[[Any], Any | None]:
    return lambda data: (
        {**data, "schema_version": value} if isinstance(data, dict) and "schema_version" in data else None
    )


def _other_schema(data: Any) -> Any | None:
    if not isinstance(data, dict) or "schema" not in data:
        return None
    return {**data, "schema": "mlops.alerts" if data["schema"] != "mlops.alerts" else "mlops.window"}


def _histograms(data: Any) -> list[Pointer]:
    return [at for at, v in nodes(data) if isinstance(v, dict) and isinstance(v.get("counts"), list) and "edges" in v]


def _disagree(data: Any) -> Any | None:
    found = _histograms(data)
    if not found:
        return None
    hist = _get(data, found[0])
    return with_value(data, found[0], {"edges": hist["edges"], "counts": hist["counts"][:-1] or [0, 0]})


def _edges_reversed(data: Any) -> Any | None:
    found = _histograms(data)
    if not found:
        return None
    hist = _get(data, found[0])
    return with_value(data, found[0], {"edges": list(reversed(hist["edges"])), "counts": hist["counts"]})


def _more_empty(data: Any) -> Any | None:
    signals = data.get("signals") if isinstance(data, dict) else None
    if not isinstance(signals, dict) or "empty_images" not in signals:
        return None
    return with_value(data, ("signals", "empty_images"), signals["images"] + 1)


def _negative(data: Any) -> Any | None:
    counts = [at for at, v in nodes(data) if type(v) is int and at and at[-1] != "schema_version"]
    for at in counts:
        data = put(data, at, -1)
    return data if counts else None


def _backwards(data: Any) -> Any | None:
    window = data.get("window") if isinstance(data, dict) else None
    if not isinstance(window, dict) or not {"start", "end"} <= set(window):
        return None
    return with_value(data, ("window",), {"start": window["end"], "end": window["start"]})


def _long_array(data: Any) -> Any | None:
    arrays = [at for at, v in nodes(data) if isinstance(v, list)]
    return with_value(data, arrays[0], [0] * 100_001) if arrays else None


def _many_keys(data: Any) -> Any | None:
    return {**data, **{f"k{i}": i for i in range(20_000)}} if isinstance(data, dict) else None


def _deep_valid(data: Any) -> Any | None:
    return _add_key(data, json.loads("[" * 500 + "]" * 500))


def _nulls(data: Any) -> Any | None:
    leaves = [at for at, v in nodes(data) if at and not isinstance(v, dict | list)]
    for at in leaves:
        data = put(data, at, None)
    return data if leaves else None


def _surrogate_in_key(raw: bytes, data: Any, rng: random.Random) -> bytes | None:
    """A lone surrogate (valid JSON escape, invalid Unicode) as a class name the drift check reads."""
    classes = [at for at, v in nodes(data) if isinstance(v, dict) and at and at[-1] == "classes"]
    if not classes:
        return None
    data = with_value(data, classes[0], {**_get(data, classes[0]), LITERAL: 1})
    return dumps(data, '"\\ud800 class"')


# --- byte-level changes -----------------------------------------------------------------------


def _truncate(slot: int) -> Callable[[bytes, random.Random], bytes]:
    def cut(raw: bytes, rng: random.Random) -> bytes:
        points = sorted(rng.sample(range(1, len(raw) - 2), 3))
        return raw[: points[slot]]

    return cut


def _flip(bits: int) -> Callable[[bytes, random.Random], bytes]:
    def flip(raw: bytes, rng: random.Random) -> bytes:
        out = bytearray(raw)
        for _ in range(bits):
            at = rng.randrange(len(out))
            out[at] ^= 1 << rng.randrange(8)
        return bytes(out)

    return flip


def _splice(raw: bytes, insert: bytes) -> bytes:
    """Insert bytes inside the first string value (after the first ``": "``)."""
    at = raw.index(b'": "') + 4
    return raw[:at] + insert + raw[at:]


def _duplicate(raw: bytes, rng: random.Random) -> bytes:
    """The first key again, with another value: parsers disagree on which one wins."""
    first = next(iter(json.loads(raw)))
    return b"{" + json.dumps(first).encode() + b': "shadowed",' + raw.lstrip()[1:]


# --- what replaces the file -------------------------------------------------------------------


def _empty_dir(target: Path, raw: bytes, outside: Path) -> None:
    target.unlink()
    target.mkdir()
    (target / "inside.json").write_bytes(raw)


def _loop(target: Path, raw: bytes, outside: Path) -> None:
    target.unlink()
    target.symlink_to(target.name)


def _loop2(target: Path, raw: bytes, outside: Path) -> None:
    partner = target.with_name(f".{target.name}.loop")
    target.unlink()
    target.symlink_to(partner.name)
    partner.symlink_to(target.name)


def _out(target: Path, raw: bytes, outside: Path) -> None:
    outside.mkdir(parents=True, exist_ok=True)
    real = outside / target.name
    real.write_bytes(raw)  # the same, valid content: only where it lives is wrong
    target.unlink()
    target.symlink_to(real)


def _dangling(target: Path, raw: bytes, outside: Path) -> None:
    target.unlink()
    target.symlink_to(f"{target.name}.gone")


def _inside_link(target: Path, raw: bytes, outside: Path) -> None:
    real = target.with_name(f".{target.name}.real")  # dot-names are never read as windows or reports
    real.write_bytes(raw)
    target.unlink()
    target.symlink_to(real.name)


def _device(target: Path, raw: bytes, outside: Path) -> None:
    target.unlink()
    target.symlink_to("/dev/zero")


def _fifo(target: Path, raw: bytes, outside: Path) -> None:
    target.unlink()
    os.mkfifo(target)


def _sparse(target: Path, raw: bytes, outside: Path) -> None:
    with target.open("r+b") as fh:
        fh.truncate(HUGE)  # a hole, not 200 MB written


def _no_read(target: Path, raw: bytes, outside: Path) -> None:
    target.chmod(0)


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("empty", Expect.UNREADABLE, raw_change(lambda raw, rng: b"")),
    Mutation("whitespace-only", Expect.UNREADABLE, raw_change(lambda raw, rng: b" \n\t\r\n")),
    *(Mutation(f"truncated-{i}", Expect.UNREADABLE, raw_change(_truncate(i))) for i in range(3)),
    Mutation("bit-flip-1", Expect.EITHER, raw_change(_flip(1))),
    Mutation("bit-flip-16", Expect.EITHER, raw_change(_flip(16))),
    Mutation("invalid-utf8", Expect.UNREADABLE, raw_change(lambda raw, rng: _splice(raw, b"\xff\xfe"))),
    Mutation("latin-1", Expect.UNREADABLE, raw_change(lambda raw, rng: _splice(raw, "café".encode("latin-1")))),
    Mutation("utf-16", Expect.UNREADABLE, raw_change(lambda raw, rng: raw.decode().encode("utf-16"))),
    Mutation("utf8-bom", Expect.VALID, raw_change(lambda raw, rng: b"\xef\xbb\xbf" + raw)),
    Mutation("crlf-and-tabs", Expect.VALID, raw_change(lambda raw, rng: raw.replace(b"\n", b"\r\n\t"))),
    Mutation("top-level-array", Expect.INVALID, data_change(lambda d: [d])),
    Mutation("top-level-string", Expect.INVALID, raw_change(lambda raw, rng: b'"baseline"')),
    Mutation("top-level-null", Expect.INVALID, raw_change(lambda raw, rng: b"null")),
    Mutation("missing-field", Expect.INVALID, data_change(_drop_first)),
    Mutation("missing-nested-field", Expect.INVALID, data_change(_drop_nested)),
    Mutation("extra-field", Expect.INVALID, data_change(_add_key)),
    Mutation("schema-version-2", Expect.INVALID, data_change(_schema_version(2))),
    Mutation("schema-version-string", Expect.INVALID, data_change(_schema_version("1"))),
    Mutation("schema-version-true", Expect.INVALID, data_change(_schema_version(True))),
    Mutation("schema-version-1.0", Expect.VALID, data_change(_schema_version(1.0))),
    Mutation("other-schema", Expect.INVALID, data_change(_other_schema)),
    Mutation("nan", Expect.UNREADABLE, literal_at(_numbers, "NaN")),
    Mutation("infinity", Expect.UNREADABLE, literal_at(_numbers, "-Infinity")),
    Mutation("1e400", Expect.INVALID, literal_at(_numbers, "1e400")),
    Mutation("int-5000-digits", Expect.UNREADABLE, literal_at(_numbers, "1" + "0" * 5000)),
    Mutation("int-200000-digits", Expect.UNREADABLE, literal_at(_numbers, "9" * 200_000)),
    Mutation("int-10**400", Expect.INVALID, literal_at(_numbers, "1" + "0" * 400, every=True)),
    Mutation("number-as-string", Expect.INVALID, value_at(_numbers, str, every=False)),
    Mutation("number-as-bool", Expect.INVALID, value_at(_numbers, lambda v: True, every=False)),
    Mutation("all-leaves-null", Expect.INVALID, data_change(_nulls)),
    Mutation("negative-counts", Expect.INVALID, data_change(_negative)),
    Mutation("histogram-edges-counts-disagree", Expect.INVALID, data_change(_disagree)),
    Mutation("histogram-edges-reversed", Expect.INVALID, data_change(_edges_reversed)),
    Mutation("more-empty-than-images", Expect.INVALID, data_change(_more_empty)),
    Mutation("window-ends-before-start", Expect.INVALID, data_change(_backwards)),
    Mutation("nested-100000-deep", Expect.UNREADABLE, raw_change(lambda raw, rng: b"[" * DEEP + b"]" * DEEP)),
    Mutation(
        "nested-100000-deep-inside",
        Expect.UNREADABLE,
        raw_change(lambda raw, rng: b'{"deep": ' + b"[" * DEEP + b"]" * DEEP + b", " + raw.lstrip()[1:]),
    ),
    Mutation("deep-but-valid-json", Expect.INVALID, data_change(_deep_valid)),
    Mutation("future-timestamps", Expect.INVALID, value_at(_timestamps, lambda v: "2999-12-31T23:59:59Z")),
    Mutation("naive-timestamps", Expect.INVALID, value_at(_timestamps, lambda v: v[:19])),
    Mutation("timestamp-offset-25h", Expect.INVALID, value_at(_timestamps, lambda v: v[:19] + "+25:00")),
    Mutation("timestamp-beyond-utc", Expect.INVALID, value_at(_timestamps, lambda v: "9999-12-31T23:59:59-01:00")),
    Mutation("timestamp-year-0", Expect.INVALID, value_at(_timestamps, lambda v: "0000" + v[4:], every=False)),
    Mutation("duplicate-key", Expect.UNREADABLE, raw_change(_duplicate)),
    Mutation("raw-control-character", Expect.UNREADABLE, raw_change(lambda raw, rng: _splice(raw, b"\x01\x1b"))),
    Mutation("escaped-control-characters", Expect.EITHER, value_at(_texts, lambda v: v + "\u0000\u001b[31m\r")),
    Mutation("lone-surrogate-in-text", Expect.UNREADABLE, literal_at(_texts, '"\\udc80 text"', every=True)),
    Mutation("lone-surrogate-class-name", Expect.UNREADABLE, _surrogate_in_key),
    Mutation("very-long-strings", Expect.EITHER, value_at(_texts, lambda v: "x" * 4_000_000, every=False)),
    Mutation("trailing-garbage", Expect.UNREADABLE, raw_change(lambda raw, rng: raw + b"}{")),
    Mutation("second-document", Expect.UNREADABLE, raw_change(lambda raw, rng: raw + raw)),
    Mutation("trailing-comma", Expect.UNREADABLE, raw_change(lambda raw, rng: raw.rstrip()[:-1] + b",}")),
    Mutation("comment", Expect.UNREADABLE, raw_change(lambda raw, rng: b"// made by hand\n" + raw)),
    Mutation("long-array", Expect.INVALID, data_change(_long_array)),
    Mutation("20000-keys", Expect.INVALID, data_change(_many_keys)),
    Mutation("size-200MB-sparse", Expect.UNREADABLE, place=_sparse, huge=True),
    Mutation("symlink-loop", Expect.UNREADABLE, place=_loop),
    Mutation("symlink-loop-of-two", Expect.UNREADABLE, place=_loop2),
    Mutation("symlink-out-of-workspace", Expect.UNREADABLE, place=_out),
    Mutation("symlink-to-dev-zero", Expect.UNREADABLE, place=_device),
    Mutation("dangling-symlink", Expect.UNREADABLE, place=_dangling),
    Mutation("symlink-inside-workspace", Expect.VALID, place=_inside_link),
    Mutation("folder-instead-of-file", Expect.UNREADABLE, place=_empty_dir),
    Mutation("named-pipe", Expect.UNREADABLE, place=_fifo),
    Mutation("no-read-permission", Expect.UNREADABLE, place=_no_read, unreadable=True),
)
