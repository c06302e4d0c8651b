"""The producers' writer: valid windows, and a reader running beside it never sees half a file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mlops.contract.reader import load_document
from mlops.contract.writer import WindowWriter
from tests.conftest import ROOT

WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from mlops.contract.writer import WindowWriter
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
for i in range(int(sys.argv[2])):
    w = WindowWriter(sys.argv[1], model_name="m", model_version="1")
    for j in range(200):
        w.add(width=640, height=480, brightness=j % 255, detections=[("a", 0.5), ("b", 0.9)] * (j % 4), latency_ms=j)
    w.start = start + timedelta(minutes=i)
    w.close(end=start + timedelta(minutes=i + 1))
"""


def test_a_window_is_valid_contract_data(tmp_path: Path) -> None:
    writer = WindowWriter(tmp_path, model_name="shapes", model_version="3")
    writer.add(width=640, height=480, brightness=100.0, detections=[("circle", 0.8)], latency_ms=9.0)
    path = writer.close(end=datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert path.name == "2026-11-20T120000Z.json"
    doc = load_document(path, root=tmp_path, shown=path.name, expect="mlops.window", max_bytes=1 << 20)
    assert doc.valid, doc.schema_errors
    assert [p.name for p in (tmp_path / "windows").iterdir()] == [path.name]  # no temporary file left


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
