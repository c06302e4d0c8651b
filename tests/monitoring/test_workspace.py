"""The window folder is streamed: every file is read and checked, only the windows drift judges keep signals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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


# files.scan: recent reads what the checks judge, named by window end; --scan all reads every file.

AS_OF = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def history(workspace: Path, *, hours: int, newest: datetime, invalid_before: datetime | None = None) -> list[str]:
    """Replace the windows with ``hours`` hourly ones ending at ``newest`` and before, named by their end;
    those ending before ``invalid_before`` are broken JSON (a reader that opened them would say so)."""
    folder = workspace / "windows"
    template = json.loads(next(folder.iterdir()).read_text())
    for path in folder.iterdir():
        path.unlink()
    names = []
    for back in range(hours):
        end = newest - timedelta(hours=back)
        doc = dict(template, window={"start": _z(end - timedelta(hours=1)), "end": _z(end)})
        name = f"{end:%Y-%m-%dT%H%M%S}Z.json"
        broken = invalid_before is not None and end < invalid_before
        (folder / name).write_text("{not json" if broken else json.dumps(doc))
        names.append(name)
    return sorted(names)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_as_of(workspace: Path, overrides: dict[str, object] | None = None) -> Workspace:
    config = load_config(None, env={}, overrides={"workspace": str(workspace), **(overrides or {})}, cwd=workspace)
    return load_workspace(config, AS_OF)


def read(ws: Workspace) -> list[str]:
    return sorted(d.shown.removeprefix("windows/") for d in ws.windows)


def test_recent_reads_only_the_windows_ending_within_the_freshness_span(workspace: Path) -> None:
    """Three days of hourly windows, the old ones broken: the default run opens none of those."""
    names = history(workspace, hours=72, newest=AS_OF, invalid_before=AS_OF - timedelta(hours=30))
    ws = load_as_of(workspace)
    span = [n for n in names if n > f"{AS_OF - timedelta(hours=26, seconds=1):%Y-%m-%dT%H%M%S}"]
    assert read(ws) == span and len(span) == 27  # ends at as_of - 26 h .. as_of, both limits included
    assert all(d.valid for d in ws.windows) and ws.scan == "recent"


def test_scan_all_reads_every_window_file(workspace: Path) -> None:
    names = history(workspace, hours=72, newest=AS_OF, invalid_before=AS_OF - timedelta(hours=30))
    ws = load_as_of(workspace, {"files.scan": "all"})
    assert read(ws) == names and ws.scan == "all"
    assert sum(not d.valid for d in ws.windows) == 72 - 31  # those ending more than 30 h before


def test_a_stale_workspace_steps_back_to_its_newest_window(workspace: Path) -> None:
    """Nothing in the last 26 h: the loader looks further back until freshness has a window to judge."""
    newest = AS_OF - timedelta(days=10)
    names = history(workspace, hours=24 * 30, newest=newest)
    ws = load_as_of(workspace)
    assert names[-1] in read(ws) and len(read(ws)) < len(names)
    assert ws.by_end[-1][0] == newest


def test_drift_windows_beyond_the_span_are_read(workspace: Path) -> None:
    """`--windows 40` on hourly windows needs 40 of them: more than the 26-hour span holds."""
    names = history(workspace, hours=24 * 10, newest=AS_OF)
    ws = load_as_of(workspace, {"drift.windows": 40})
    assert len(with_signals(ws)) == 40 and set(names[-40:]) <= set(read(ws))
    assert len(read(ws)) < len(names)


def test_windows_zero_without_since_reads_every_window(workspace: Path) -> None:
    """Drift over every window ever written needs every window: the user asked for a sum over history."""
    names = history(workspace, hours=24 * 5, newest=AS_OF)
    assert read(load_as_of(workspace, {"drift.windows": 0})) == names


def test_windows_zero_with_since_reads_back_to_since(workspace: Path) -> None:
    names = history(workspace, hours=24 * 5, newest=AS_OF)
    since = AS_OF - timedelta(hours=48)
    ws = load_as_of(workspace, {"drift.windows": 0, "drift.since": _z(since)})
    key = f"{since:%Y-%m-%dT%H%M%S}"
    assert [n for n in names if n >= key] == [n for n in read(ws) if n >= key]
    assert len(with_signals(ws)) == 48  # ending after since, strictly


def test_windows_in_the_future_and_names_that_sort_after_times_are_always_read(workspace: Path) -> None:
    """A window dated ahead of the clock must reach MON104; a name that is no time sorts after every
    time (letters after digits) and is read too, so a producer's other naming never hides a file."""
    history(workspace, hours=72, newest=AS_OF - timedelta(hours=1))
    folder = workspace / "windows"
    future = folder / f"{AS_OF + timedelta(days=3):%Y-%m-%dT%H%M%S}Z.json"
    future.write_text("{}")
    (folder / "replica-b.json").write_text("{}")
    assert {future.name, "replica-b.json"} <= set(read(load_as_of(workspace)))
