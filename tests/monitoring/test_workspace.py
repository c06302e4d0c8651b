"""The window folder is streamed: every file is read and checked, only the windows drift judges keep signals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.monitoring.config import load_config
from mlops.monitoring.workspace import Workspace, load_workspace
from tests.conftest import EXAMPLE_CONFIG, report
from tests.monitoring.conftest import RunMonitor


def load(workspace: Path, **drift: object) -> Workspace:
    config = load_config(None, env={}, overrides={"workspace": str(workspace), "drift": drift}, cwd=workspace)
    return load_workspace(config, config.as_of or datetime.now(UTC))


def with_signals(ws: Workspace) -> list[str]:
    return [d.shown for d in ws.windows if d.valid and "signals" in d.data]


def test_only_the_newest_windows_keep_their_signals(workspace: Path) -> None:
    ws = load(workspace, windows=2)
    assert len(ws.windows) == 6 and all(d.valid for d in ws.windows)
    assert with_signals(ws) == ["windows/2026-11-20T110000Z.json", "windows/2026-11-20T120000Z.json"]
    assert [d.shown for _, d in ws.by_end][-2:] == with_signals(ws)


def test_newest_is_the_time_inside_the_file_not_the_name(workspace: Path) -> None:
    """A file whose name sorts first but whose window ended last is the one drift must judge."""
    path = workspace / "windows" / "2026-11-20T070000Z.json"
    doc = json.loads(path.read_text())
    doc["window"] = {"start": "2026-11-20T12:00:00Z", "end": "2026-11-20T12:30:00Z"}
    path.write_text(json.dumps(doc))
    assert with_signals(load(workspace, windows=1)) == ["windows/2026-11-20T070000Z.json"]


def test_equal_end_times_keep_the_file_that_sorts_last(workspace: Path) -> None:
    """Ties follow the same order as Workspace.by_end, so drift never picks a window without signals."""
    newest = json.loads((workspace / "windows" / "2026-11-20T120000Z.json").read_text())
    (workspace / "windows" / "2026-11-20T120000Z_b.json").write_text(json.dumps(newest))
    ws = load(workspace, windows=1)
    assert with_signals(ws) == ["windows/2026-11-20T120000Z_b.json"] == [ws.by_end[-1][1].shown]


def test_since_drops_older_windows_signals(workspace: Path) -> None:
    ws = load(workspace, windows=10, since="2026-11-20T10:00:00Z")
    assert with_signals(ws) == ["windows/2026-11-20T110000Z.json", "windows/2026-11-20T120000Z.json"]


def test_windows_zero_keeps_every_window(workspace: Path) -> None:
    assert len(with_signals(load(workspace, windows=0))) == 6


@pytest.mark.parametrize("windows", [1, 3, 0])
def test_streaming_judges_as_if_every_window_were_kept(run_monitor: RunMonitor, workspace: Path, windows: int) -> None:
    """MON401's statistics equal those of the same windows copied alone into a fresh workspace."""

    def drift(ws: Path, n: int) -> list[object]:
        args = ("--config", EXAMPLE_CONFIG, "--workspace", ws, "--windows", str(n), "--format", "json")
        out = run_monitor(*args, "--select", "MON4")
        return [(f["subject"], f["details"]) for f in report(out)["findings"] if f["check"] == "MON401"]

    names = sorted(p.name for p in (workspace / "windows").iterdir())
    kept = names if windows == 0 else names[-windows:]
    alone = workspace.parent / "alone"
    (alone / "windows").mkdir(parents=True)
    for name in ("baseline.json", "alerts.json"):
        (alone / name).write_bytes((workspace / name).read_bytes())
    for name in kept:
        (alone / "windows" / name).write_bytes((workspace / "windows" / name).read_bytes())
    judged = drift(workspace, windows)
    assert len(judged) == 7 and judged == drift(alone, 0)


def test_an_invalid_window_keeps_only_its_error(workspace: Path) -> None:
    """A broken 10 MB file costs no memory beyond the sentence that names it."""
    path = workspace / "windows" / "2026-11-20T090000Z.json"
    path.write_text(json.dumps({"schema": "mlops.window", "junk": ["x" * 1000] * 1000}))
    doc = next(d for d in load(workspace).windows if d.path == path)
    assert doc.schema_errors and doc.data is None
