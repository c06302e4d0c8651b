"""The producers' window writer: valid windows, none ever lost to another writer, none ever seen half-written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.reader import load_document
from mlops.contract.timestamps import parse_timestamp
from mlops.contract.writer import WindowWriter
from mlops.monitoring.config import load_config
from mlops.monitoring.workspace import load_workspace
from tests.conftest import ROOT, Outcome, finding, in_threads

WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from mlops.contract.writer import WindowWriter
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
for i in range(int(sys.argv[2])):
    w = WindowWriter(sys.argv[1], model_name="m", model_version="1", start=start + timedelta(minutes=i))
    for j in range(200):
        w.add(width=640, height=480, brightness=j % 255, detections=[("a", 0.5), ("b", 0.9)] * (j % 4), latency_ms=j)
    w.close(end=start + timedelta(minutes=i + 1))
"""
NAME = r"^\d{4}-\d{2}-\d{2}T\d{6}\.\d{6}Z-[0-9a-f]{8}\.json$"
END = datetime(2026, 11, 20, 12, tzinfo=UTC)


def window(folder: Path, start: datetime | None = None) -> WindowWriter[Path]:
    writer = WindowWriter(folder, model_name="shapes", model_version="3", start=start)
    writer.add(width=640, height=480, brightness=100.0, detections=[("circle", 0.8)], latency_ms=9.0)
    return writer


def read(path: Path, root: Path) -> dict[str, Any]:
    doc = load_document(path, root=root, shown=path.name, expect="mlops.window", max_bytes=1 << 20)
    assert doc.valid and not doc.rule_errors, (doc.error, doc.schema_errors, doc.rule_errors)
    data: dict[str, Any] = doc.data
    return data


def windows(root: Path) -> list[Path]:
    return sorted((root / "windows").glob("*.json"))


def test_a_window_is_valid_contract_data(tmp_path: Path) -> None:
    path = window(tmp_path, start=END - timedelta(hours=1)).close(end=END)
    assert path.parent == tmp_path / "windows"
    assert path.name.startswith("2026-11-20T120000.000000Z-")
    assert re.fullmatch(NAME, path.name), path.name
    data = read(path, tmp_path)
    assert data["window"] == {"start": "2026-11-20T11:00:00.000000Z", "end": "2026-11-20T12:00:00.000000Z"}
    assert [p.name for p in (tmp_path / "windows").iterdir()] == [path.name]  # no temporary file left


def test_two_writers_closing_at_the_same_moment_both_keep_their_window(tmp_path: Path) -> None:
    """Two replicas of one model, one end time: each window gets its own file, neither replaces the other."""
    first, second = window(tmp_path, start=END - timedelta(hours=1)), window(tmp_path, start=END - timedelta(hours=1))
    second.add(width=320, height=240, brightness=20.0, detections=[], latency_ms=3.0)
    paths = {first.close(end=END), second.close(end=END)}
    assert len(paths) == 2 and set(windows(tmp_path)) == paths
    assert sorted(read(p, tmp_path)["signals"]["images"] for p in paths) == [1, 2]


def test_writers_in_many_threads_lose_no_window(tmp_path: Path) -> None:
    """Eight threads close 40 windows each, released together; half use one shared end time."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def produce(n: int) -> None:
        try:
            barrier.wait()
            for i in range(40):
                end = END + timedelta(seconds=i) if n % 2 else None  # None: now, to the microsecond
                window(tmp_path, start=END - timedelta(hours=1)).close(end=end)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    in_threads(produce, 8)
    assert errors == []
    found = windows(tmp_path)
    assert len(found) == 8 * 40
    assert all(read(p, tmp_path)["signals"]["images"] == 1 for p in found)
    assert [p for p in (tmp_path / "windows").iterdir() if p.name.startswith(".")] == []


def test_writers_in_four_processes_lose_no_window(tmp_path: Path) -> None:
    """Four processes write the same 100 end times (the old names collided on every one of them)."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "100"], env=env) for _ in range(4)]
    assert [proc.wait(timeout=300) for proc in procs] == [0] * 4
    found = windows(tmp_path)
    assert len(found) == 400
    ends = [parse_timestamp(read(p, tmp_path)["window"]["end"]) for p in found]
    assert all(ends.count(end) == 4 for end in ends)


def test_a_window_within_one_second_ends_after_it_starts(tmp_path: Path, run_monitor: Callable[..., Outcome]) -> None:
    """Written to the second, 12:04:00.1 to 12:04:00.9 read as a window that ends when it starts (MON104)."""
    start = datetime(2026, 11, 20, 12, 4, 0, 100_000, tzinfo=UTC)
    path = window(tmp_path, start=start).close(end=start + timedelta(milliseconds=800))
    data = read(path, tmp_path)
    end, begin = parse_timestamp(data["window"]["end"]), parse_timestamp(data["window"]["start"])
    assert end is not None and begin is not None and end - begin == timedelta(milliseconds=800)
    as_of = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()  # generated_at is now: not in the future
    outcome = run_monitor("--workspace", tmp_path, "--select", "MON104", "--format", "json", "--as-of", as_of)
    assert finding(outcome, "MON104")["severity"] == "ok", outcome.text
    assert outcome.code == 0, outcome.text


def test_a_window_closed_at_once_still_ends_after_it_starts(tmp_path: Path) -> None:
    data = read(window(tmp_path).close(), tmp_path)
    end, begin = parse_timestamp(data["window"]["end"]), parse_timestamp(data["window"]["start"])
    assert end is not None and begin is not None and end > begin


def test_start_backfills_a_past_window(tmp_path: Path) -> None:
    start = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    data = read(window(tmp_path, start=start).close(end=start + timedelta(hours=1)), tmp_path)
    assert data["window"] == {"start": "2025-03-01T08:30:00.000000Z", "end": "2025-03-01T09:30:00.000000Z"}


@pytest.mark.parametrize("end", [END - timedelta(hours=1), END - timedelta(hours=2)])
def test_an_end_not_after_the_start_is_refused(tmp_path: Path, end: datetime) -> None:
    """The old writer moved the start onto the end: a zero-length window MON104 then refused."""
    writer = window(tmp_path, start=END - timedelta(hours=1))
    with pytest.raises(ValueError, match="before it starts"):
        writer.close(end=end)
    assert not (tmp_path / "windows").exists() or windows(tmp_path) == []


@pytest.mark.parametrize("where", ["start", "end"])
def test_a_naive_time_is_refused(tmp_path: Path, where: str) -> None:
    """A time without offset would be read in the machine's zone: hours off, silently."""
    naive = datetime(2026, 11, 20, 12)
    with pytest.raises(ValueError, match=f"{where} must be a timezone-aware datetime"):
        if where == "start":
            window(tmp_path, start=naive)
        else:
            window(tmp_path, start=END - timedelta(hours=1)).close(end=naive)


def test_a_window_is_written_once(tmp_path: Path) -> None:
    writer = window(tmp_path, start=END - timedelta(hours=1))
    path = writer.close(end=END)
    with pytest.raises(RuntimeError, match="already written"):
        writer.close(end=END + timedelta(hours=1))
    assert windows(tmp_path) == [path] and writer.path == path


def test_the_monitor_reads_old_and_new_names_in_time_order(tmp_path: Path) -> None:
    """Workspaces keep their old ``<end-second>Z.json`` files: both kinds are found and ordered by the time inside."""
    old = window(tmp_path, start=END - timedelta(hours=2)).close(end=END - timedelta(hours=1))
    old = old.rename(old.with_name("2026-11-20T110000Z.json"))
    newest = window(tmp_path, start=END - timedelta(hours=1)).close(end=END)
    older_name = window(tmp_path, start=END - timedelta(hours=3)).close(end=END - timedelta(hours=2))
    legacy = tmp_path / "windows" / "2026-11-20T113000Z.json"  # written by the old writer: to the second
    doc = json.loads(old.read_text())
    doc["window"] = {"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T11:30:00Z"}
    legacy.write_text(json.dumps(doc))
    config = load_config(None, env={}, overrides={"workspace": str(tmp_path)}, cwd=tmp_path)
    loaded = load_workspace(config, config.as_of or datetime.now(UTC))
    assert [d.path for _, d in loaded.by_end] == [older_name, old, legacy, newest]


def test_a_reader_never_sees_a_partial_window(tmp_path: Path) -> None:
    """One process writes 1,000 windows while this one reads every file it finds, in a loop."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "1000"], env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    )
    reads = partial = 0
    seen: set[str] = set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = proc.poll() is not None
        folder = tmp_path / "windows"
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            doc = load_document(path, root=tmp_path, shown=path.name, expect="mlops.window", max_bytes=1 << 20)
            reads += 1
            if not doc.valid and "does not exist" not in (doc.error or ""):
                partial += 1
            seen.add(path.name)
        if done:
            break
    assert proc.wait(timeout=60) == 0
    assert partial == 0
    assert len(seen) == 1000 and reads >= 1000
    assert not [p for p in (tmp_path / "windows").iterdir() if p.name.startswith(".")]
    assert json.loads(sorted((tmp_path / "windows").glob("*.json"))[-1].read_text())["signals"]["images"] == 200
