"""The reader faces files nobody vetted: each bad input must become a sentence, never a traceback or a hang."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.reader import Document, load_document, parse_json, read_bytes
from tests.conftest import snapshot

MAX_BYTES = 1_000_000
WINDOW = "windows/2026-11-20T120000Z.json"
DEEP = 100_000


def read(path: Path, root: Path, max_bytes: int = MAX_BYTES) -> bytes:
    return read_bytes(path, root=root, max_bytes=max_bytes)


def load(path: Path, root: Path, expect: str = "mlops.window", max_bytes: int = MAX_BYTES) -> Document:
    return load_document(path, root=root, shown=path.name, expect=expect, max_bytes=max_bytes)


def state(root: Path) -> dict[str, tuple[tuple[int, str], int]]:
    """What a reader could change: content and mode (from conftest's snapshot) plus the mtime."""
    return {name: (info, (root / name).lstat().st_mtime_ns) for name, info in snapshot(root).items()}


# --- parse_json -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "is empty"),
        (b" \n\t\r\n ", "is empty"),
        (b"\xef\xbb\xbf \n", "is empty"),
        (b'{"schema": "mlops.window", "signals": {', "is not valid JSON: Expecting property name"),
        (b'{"schema": "mlops.window", ', "is not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"a": [1, 2', "is not valid JSON: Expecting ',' delimiter at line 1 column 12"),
        (b'{"a": 1}\n{"b": 2}', "is not valid JSON: Extra data at line 2 column 1"),
        (b"\xff\xfe{\x00}\x00", "is not UTF-8 (byte 0)"),
        (b'{"a": "caf\xe9"}', "is not UTF-8 (byte 10)"),
        (b'{"a": "\xed\xa0\x80"}', "is not UTF-8 (byte 7)"),
        (b"NaN", "is not valid JSON: NaN is not valid JSON"),
        (b'{"p50": NaN}', "is not valid JSON: NaN is not valid JSON"),
        (b'{"p50": Infinity}', "is not valid JSON: Infinity is not valid JSON"),
        (b'{"p50": [-Infinity]}', "is not valid JSON: -Infinity is not valid JSON"),
        (b"[" * DEEP + b"]" * DEEP, "is nested too deeply"),
        (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "is nested too deeply"),
        (b"[" * DEEP, "is nested too deeply"),
        (b"1" * 10_000, "is not valid JSON: Exceeds the limit"),
        (b'{"images": -' + b"9" * 10_000 + b"}", "is not valid JSON: Exceeds the limit"),
    ],
    ids=lambda v: repr(v[:24]) if isinstance(v, bytes) else None,
)
def test_parse_json_refuses(raw: bytes, reason: str) -> None:
    """Each refusal says why, in words the finding can carry; nothing but ValueError escapes."""
    with pytest.raises(ValueError) as info:
        parse_json(raw)
    assert str(info.value).startswith(reason)
    assert type(info.value) is ValueError  # not a JSONDecodeError or RecursionError in disguise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        (b'  {"a": "caf\xc3\xa9"}\n', {"a": "caf\u00e9"}),
        (b"[" * 200 + b"]" * 200, json.loads("[" * 200 + "]" * 200)),
        (b"1" * 4300, int("1" * 4300)),
        (b'"NaN"', "NaN"),
    ],
)
def test_parse_json_accepts(raw: bytes, expected: Any) -> None:
    """Windows editors write a BOM; reasonable depth and big-but-legal integers are fine."""
    assert parse_json(raw) == expected


@pytest.mark.parametrize("raw", [b"1e400", b'{"p50": -1e400}', b"1" * 400 + b".0"])
def test_parse_json_refuses_overflow_to_infinity(raw: bytes) -> None:
    """parse_json's docstring says 'no NaN/Infinity'; an overflowing literal is Infinity by another name.

    Low impact: validate() refuses non-finite numbers wherever the schemas allow a number.
    """
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_json(raw)


def test_overflow_to_infinity_is_refused_with_the_file(workspace: Path) -> None:
    """An overflowing literal never reaches the checks: the document is refused, naming the key.

    The parser lets it become infinity (no Python call per number); the schema check refuses it.
    """
    path = workspace / WINDOW
    path.write_text(path.read_text(encoding="utf-8").replace('"p50": 20.04', '"p50": 1e400'), encoding="utf-8")
    document = load(path, workspace)
    assert not document.valid
    assert document.schema_errors == ("/signals/latency_ms/p50: inf is not a finite number",)


def test_overflow_in_a_file_without_schema_is_a_parse_error(workspace: Path) -> None:
    """Peers' reports are not schema-checked, so their parser refuses the overflow itself."""
    with pytest.raises(ValueError, match="1e400 overflows a float"):
        parse_json(b'{"value": 1e400}')


def test_parse_json_example_round_trip(workspace: Path) -> None:
    """The positive case, so the refusals above are not just a parser that refuses everything."""
    raw = (workspace / WINDOW).read_bytes()
    assert parse_json(raw) == json.loads(raw)


# --- read_bytes -------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^does not exist$"):
        read(tmp_path / "absent.json", tmp_path)


def test_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "absent.json")
    with pytest.raises(ValueError, match=r"^does not exist$"):
        read(tmp_path / "link.json", tmp_path)


def test_folder(tmp_path: Path) -> None:
    """A folder named like a window (windows/x.json/) is a plausible mistake; it must be a finding."""
    (tmp_path / "baseline.json").mkdir()
    with pytest.raises(ValueError, match=r"^is a folder, a file was expected$"):
        read(tmp_path / "baseline.json", tmp_path)


def test_path_through_a_file(tmp_path: Path) -> None:
    (tmp_path / "windows").write_text("{}")
    with pytest.raises(ValueError, match=r"^cannot be resolved \(Not a directory\)$"):
        read(tmp_path / "windows" / "a.json", tmp_path)


@pytest.mark.parametrize("loop", [("a.json", "a.json"), ("a.json", "b.json")])
def test_symlink_loop(tmp_path: Path, loop: tuple[str, str]) -> None:
    """A loop is a resolve error (RuntimeError on 3.11, OSError later), reported as one."""
    first, second = (tmp_path / name for name in loop)
    if first != second:
        second.symlink_to(first)
    first.symlink_to(second)
    with pytest.raises(ValueError, match=r"^cannot be resolved \("):
        read(first, tmp_path)


@pytest.mark.parametrize("target", ["outside.json", "outside_dir/data.json"])
def test_link_leading_outside_the_root(tmp_path: Path, target: str) -> None:
    """A producer must not be able to make the monitor read (and quote) /etc/shadow."""
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / target).parent.mkdir(exist_ok=True)
    (tmp_path / target).write_text('{"secret": 1}')
    (root / "baseline.json").symlink_to(tmp_path / target)
    with pytest.raises(ValueError, match=r"^is a link that leads outside the workspace$"):
        read(root / "baseline.json", root)
    with pytest.raises(ValueError, match=r"^is a link that leads outside the workspace$"):
        read(root / ".." / target, root)


def test_link_inside_the_root_is_followed(tmp_path: Path) -> None:
    """Links within the workspace are legitimate (e.g. latest.json -> a dated window)."""
    (tmp_path / "real.json").write_bytes(b"{}")
    (tmp_path / "latest.json").symlink_to("real.json")
    assert read(tmp_path / "latest.json", tmp_path) == b"{}"


def test_root_given_through_a_link(tmp_path: Path) -> None:
    """The root is compared resolved too, or every file under a linked workspace would be 'outside'."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.json").write_bytes(b"{}")
    (tmp_path / "ws").symlink_to("real")
    assert read(tmp_path / "ws" / "a.json", tmp_path / "ws") == b"{}"


def _call_with_timeout(path: Path, root: Path, seconds: float) -> BaseException | bytes | None:
    """Run read_bytes in a thread; None means it was still blocked after ``seconds``."""
    result: list[BaseException | bytes] = []

    def target() -> None:
        try:
            result.append(read(path, root))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_promptly(tmp_path: Path) -> None:
    """A blocking open() on a FIFO would hang the monitor forever waiting for a writer."""
    fifo = tmp_path / "window.json"
    os.mkfifo(fifo)
    outcome = _call_with_timeout(fifo, tmp_path, seconds=10)
    if outcome is None:  # unblock the reader so the thread can end, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("read_bytes blocked on a FIFO")
    assert isinstance(outcome, ValueError)
    assert str(outcome) == "is not a regular file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused() -> None:
    """/dev/zero never ends: it must be refused by type, not read up to the limit."""
    outcome = _call_with_timeout(Path("/dev/zero"), Path("/dev"), seconds=10)
    assert isinstance(outcome, ValueError)
    assert str(outcome) == "is not a regular file"


def test_over_max_bytes_refused_before_reading(tmp_path: Path) -> None:
    """The size comes from fstat, so a sparse 5 GiB file is refused without reading a byte of it.

    Only the pre-read check knows the exact size; the while-reading check would say 'grew past'.
    """
    big = tmp_path / "window.json"
    with big.open("wb") as fh:
        fh.truncate(5 * 2**30)
    with pytest.raises(ValueError, match=r"^is 5,368,709,120 bytes, over the 1,000,000-byte limit$"):
        read(big, tmp_path)


@pytest.mark.parametrize(("size", "accepted"), [(999, True), (1000, True), (1001, False)])
def test_max_bytes_boundary(tmp_path: Path, size: int, accepted: bool) -> None:
    """``max_bytes`` is the largest size accepted, not the first one refused."""
    path = tmp_path / "a.json"
    path.write_bytes(b" " * size)
    if accepted:
        assert len(read(path, tmp_path, max_bytes=1000)) == size
    else:
        with pytest.raises(ValueError, match=r"^is 1,001 bytes, over the 1,000-byte limit$"):
            read(path, tmp_path, max_bytes=1000)


def test_large_file_read_whole(tmp_path: Path) -> None:
    """A file over any internal chunk size comes back byte for byte."""
    path = tmp_path / "big.json"
    content = os.urandom(3 * 2**20 + 5)
    path.write_bytes(content)
    assert read(path, tmp_path, max_bytes=len(content)) == content


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors through /proc")
def test_refusals_close_what_they_open(tmp_path: Path) -> None:
    """The monitor may stay up for hours over a folder of bad files: no descriptor may leak."""
    (tmp_path / "dir.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "big.json").write_bytes(b" " * 20)
    (tmp_path / "ok.json").write_bytes(b"{}")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        for name in ("dir.json", "fifo.json", "big.json", "ok.json", "absent.json"):
            with contextlib.suppress(ValueError):
                read(tmp_path / name, tmp_path, max_bytes=10)
    assert len(os.listdir("/proc/self/fd")) == before


# --- load_document ----------------------------------------------------------------------------


def test_example_loads_valid(workspace: Path) -> None:
    path = workspace / WINDOW
    document = load(path, workspace)
    assert document.valid
    assert document.error is None and document.schema_errors == ()
    assert document.data == json.loads(path.read_bytes())
    assert (document.path, document.shown) == (path, path.name)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b'{"schema": "mlops.window"', "is not valid JSON: Expecting ',' delimiter"),
        (b'{"schema": "mlops.w\xffindow"}', "is not UTF-8 (byte 19)"),
        (b'{"schema": "mlops.window", "p50": NaN}', "is not valid JSON: NaN is not valid JSON"),
        (b"[" * DEEP + b"]" * DEEP, "is nested too deeply"),
        (b'{"images": ' + b"7" * 10_000 + b"}", "is not valid JSON: Exceeds the limit"),
        (b" " * (MAX_BYTES + 1), f"is {MAX_BYTES + 1:,} bytes, over the {MAX_BYTES:,}-byte limit"),
    ],
    ids=lambda v: repr(v[:20]) if isinstance(v, bytes) else None,
)
def test_load_document_error(tmp_path: Path, content: bytes | None, reason: str) -> None:
    """A file that cannot be read or parsed: ``error`` names the file and the reason; no data."""
    path = tmp_path / "w.json"
    if content is not None:
        path.write_bytes(content)
    document = load(path, tmp_path)
    assert (document.error or "").startswith(f"w.json {reason}")
    assert document.data is None
    assert document.schema_errors == ()
    assert not document.valid


def test_load_document_error_for_folder(tmp_path: Path) -> None:
    """load_document promises a Document, never a traceback."""
    (tmp_path / "dir.json").mkdir()
    assert load(tmp_path / "dir.json", tmp_path).error == "dir.json is a folder, a file was expected"


def test_load_document_error_for_link_outside(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "secret.json").write_bytes(b'{"schema": "mlops.window"}')
    (root / "out.json").symlink_to(tmp_path / "secret.json")
    document = load(root / "out.json", root)
    assert document.error == "out.json is a link that leads outside the workspace"
    assert document.data is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", "/: expected object"),
        (b'"mlops.window"', "/: expected object"),
        (b"null", "/: expected object"),
        (b'{"schema": "mlops.alerts"}', "/schema: expected 'mlops.window', got \"mlops.alerts\""),
        (b'{"schema": "mlops.window.v2"}', "/schema: expected 'mlops.window', got \"mlops.window.v2\""),
        (b'{"schema": 1}', "/schema: expected 'mlops.window', got 1"),
        (b'{"schema": null}', "/schema: expected 'mlops.window', got no 'schema' key"),
        (b'{"model": {}}', "/schema: expected 'mlops.window', got no 'schema' key"),
        (b'{"schema": "' + b"x" * 200 + b'"}', "/schema: expected 'mlops.window', got \"" + "x" * 59),
    ],
)
def test_load_document_wrong_shape(tmp_path: Path, content: bytes, message: str) -> None:
    """Parsed but not the expected format: data is kept, ``error`` stays None, one schema error says why."""
    path = tmp_path / "w.json"
    path.write_bytes(content)
    document = load(path, tmp_path)
    assert document.error is None
    assert document.data == json.loads(content)
    assert document.schema_errors == (message,)
    assert not document.valid


def test_load_document_checks_the_schema(workspace: Path) -> None:
    """A file with the right identifier is validated in full."""
    path = workspace / WINDOW
    data = json.loads(path.read_bytes())
    del data["signals"]["images"]
    data["model"]["version"] = "three"
    path.write_text(json.dumps(data), encoding="utf-8")
    document = load(path, workspace)
    assert document.error is None and document.data == data
    assert document.schema_errors == (
        '/model/version: "three" does not match ^[0-9]+$',
        "/signals: missing required key 'images'",
    )


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        (Document(path=Path("a"), shown="a"), True),
        (Document(path=Path("a"), shown="a", data={"x": 1}), True),
        (Document(path=Path("a"), shown="a", error="a is empty"), False),
        (Document(path=Path("a"), shown="a", error=""), False),
        (Document(path=Path("a"), shown="a", data={}, schema_errors=("/: expected object",)), False),
        (Document(path=Path("a"), shown="a", error="x", schema_errors=("y",)), False),
    ],
)
def test_document_valid(document: Document, valid: bool) -> None:
    """Valid means read and schema-clean; an empty error string still counts as an error."""
    assert document.valid is valid


def test_reading_never_modifies_files(workspace: Path) -> None:
    """The monitor runs against production folders: reading must leave every byte, mode and mtime as it was."""
    (workspace / "empty.json").write_bytes(b"")
    (workspace / "nan.json").write_bytes(b'{"p50": NaN}')
    (workspace / "deep.json").write_bytes(b"[" * DEEP)
    (workspace / "list.json").write_bytes(b"[]")
    (workspace / "loop.json").symlink_to("loop.json")
    shutil.copy(workspace / "alerts.json", workspace / "windows" / "wrong.json")
    os.chmod(workspace / "baseline.json", 0o444)
    before = state(workspace)
    paths = [p for p in sorted(workspace.rglob("*")) if p.is_file() or p.is_symlink()]
    outcomes = [
        load(path, workspace, expect=expect, max_bytes=max_bytes)
        for path in paths
        for expect in ("mlops.window", "mlops.baseline", "mlops.alerts")
        for max_bytes in (MAX_BYTES, 10)
    ]
    assert any(d.valid for d in outcomes) and any(d.error for d in outcomes) and any(d.schema_errors for d in outcomes)
    assert state(workspace) == before
