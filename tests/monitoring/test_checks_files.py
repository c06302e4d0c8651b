"""MON1xx on broken workspaces: every bad input becomes a finding that names the file, and nothing is written.

The workspace is produced by other jobs and read by this one; it is never trusted, and a monitor that
crashes or edits it on bad input is worse than no monitor.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring.checks import compute_check, run_checks
from mlops.monitoring.checks.base import Check, Result
from mlops.monitoring.checks.inputs import Inputs
from mlops.monitoring.config import load_config
from mlops.monitoring.results import Severity
from mlops.monitoring.workspace import Workspace
from tests.conftest import EXAMPLE_CONFIG, ROOT, Outcome, finding, report, snapshot

RunMonitor = Callable[..., Outcome]
NEWEST = "windows/2026-11-20T120000Z.json"
"""The example's newest window: 11:00-12:00, judged as of 12:05."""
NOBODY = 65534


def assert_error(outcome: Outcome, check: str, fragment: str, subject: str | None = None) -> None:
    """Exit 1, and an error from ``check`` whose message names the file (``subject``) and the problem."""
    assert "Traceback" not in outcome.text
    assert outcome.code == 1, outcome.text
    errors = [f for f in report(outcome)["findings"] if f["check"] == check and f["severity"] == "error"]
    assert errors, outcome.out
    assert any(
        fragment in f["message"] and (subject is None or (f["subject"] == subject and subject in f["message"]))
        for f in errors
    ), errors


def edit(ws: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    """Rewrite one JSON file of the workspace through ``change`` (which mutates the parsed document)."""
    path = ws / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def outside(ws: Path) -> Path:
    """A valid window file beside the workspace, for links that lead out of it."""
    target = ws.parent / "outside" / "window.json"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(ws / NEWEST, target)
    return target


def remove_windows(ws: Path) -> None:
    for path in (ws / "windows").iterdir():
        path.unlink()


def windows_as_file(ws: Path) -> None:
    shutil.rmtree(ws / "windows")
    (ws / "windows").write_text("not a folder\n", encoding="utf-8")


def baseline_as_folder(ws: Path) -> None:
    (ws / "baseline.json").unlink()
    (ws / "baseline.json").mkdir()


def replace_with_link(ws: Path, name: str, target: Path | str) -> None:
    (ws / name).unlink(missing_ok=True)
    (ws / name).symlink_to(target)


def replace_with_fifo(ws: Path, name: str) -> None:
    (ws / name).unlink()
    os.mkfifo(ws / name)


def truncate(ws: Path, name: str) -> None:
    raw = (ws / name).read_bytes()
    (ws / name).write_bytes(raw[: len(raw) // 2])


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], object]
    check: str
    subject: str
    fragment: str
    args: tuple[str, ...] = ()
    marks: tuple[pytest.MarkDecorator, ...] = ()


CASES = [
    Case("empty", lambda ws: (ws / "alerts.json").write_bytes(b""), "MON102", "alerts.json", "is empty"),
    Case("blank", lambda ws: (ws / "alerts.json").write_bytes(b" \n\t\n"), "MON102", "alerts.json", "is empty"),
    Case("truncated", lambda ws: truncate(ws, NEWEST), "MON102", NEWEST, "is not valid JSON"),
    Case(
        "not-utf8",
        lambda ws: (ws / "baseline.json").write_bytes(
            (ws / "baseline.json").read_bytes().replace(b"shapes-detector", b"shapes-d\xe9tector")
        ),
        "MON102",
        "baseline.json",
        "is not UTF-8",
    ),
    Case("nan", lambda ws: (ws / "alerts.json").write_bytes(b'{"schema": NaN}'), "MON102", "alerts.json", "NaN"),
    Case("top-level-list", lambda ws: (ws / "alerts.json").write_bytes(b"[]"), "MON103", "alerts.json", "object"),
    Case(
        "wrong-schema-id",
        lambda ws: edit(ws, "baseline.json", lambda d: d.update(schema="mlops.window")),
        "MON103",
        "baseline.json",
        "expected 'mlops.baseline'",
    ),
    Case(
        "no-schema-id",
        lambda ws: edit(ws, "alerts.json", lambda d: d.pop("schema")),
        "MON103",
        "alerts.json",
        "no 'schema' key",
    ),
    Case(
        "wrong-field-type",
        lambda ws: edit(ws, NEWEST, lambda d: d["signals"].update(images="many")),
        "MON103",
        NEWEST,
        "/signals/images: expected integer",
    ),
    Case(
        "naive-timestamp",
        lambda ws: edit(ws, NEWEST, lambda d: d["window"].update(end="2026-11-20T12:00:00")),
        "MON103",
        NEWEST,
        "/window/end",
    ),
    Case(
        "future-window",
        lambda ws: edit(
            ws,
            NEWEST,
            lambda d: d.update(
                window={"start": "2026-11-20T12:00:00Z", "end": "2026-11-20T13:00:00Z"},
                generated_at="2026-11-20T13:01:00Z",
            ),
        ),
        "MON104",
        NEWEST,
        "window.end = 2026-11-20T13:00:00+00:00 is in the future",
    ),
    Case(
        "ends-before-start",
        lambda ws: edit(
            ws, NEWEST, lambda d: d.update(window={"start": "2026-11-20T12:00:00Z", "end": "2026-11-20T11:30:00Z"})
        ),
        "MON104",
        NEWEST,
        "window ends before it starts",
    ),
    Case(
        "over-size",
        lambda ws: None,
        "MON102",
        "alerts.json",
        "over the 100-byte limit",
        ("--set", "files.max_bytes=100"),
    ),
    Case("baseline-is-folder", baseline_as_folder, "MON102", "baseline.json", "is a folder"),
    Case(
        "window-is-folder",
        lambda ws: (ws / "windows" / "2026-11-20T130000Z.json").mkdir(),
        "MON102",
        "windows/2026-11-20T130000Z.json",
        "is a folder",
    ),
    Case("windows-is-file", windows_as_file, "MON101", "windows/", "windows/"),
    Case("missing-baseline", lambda ws: (ws / "baseline.json").unlink(), "MON101", "baseline.json", "is missing"),
    Case("no-windows", remove_windows, "MON101", "windows/*.json", "is missing"),
    Case(
        "window-link-outside",
        lambda ws: (ws / "windows" / "2026-11-20T130000Z.json").symlink_to(outside(ws)),
        "MON102",
        "windows/2026-11-20T130000Z.json",
        "leads outside the workspace",
    ),
    Case(
        "alerts-link-outside",
        lambda ws: replace_with_link(ws, "alerts.json", outside(ws)),
        "MON102",
        "alerts.json",
        "leads outside the workspace",
    ),
    Case(
        "link-loop",
        lambda ws: (ws / "windows" / "loop.json").symlink_to("loop.json"),
        "MON102",
        "windows/loop.json",
        "cannot be resolved",
    ),
    Case(
        "dangling-link",
        lambda ws: replace_with_link(ws, "baseline.json", "gone.json"),
        "MON102",
        "baseline.json",
        "does not exist",
    ),
    Case("fifo", lambda ws: replace_with_fifo(ws, "alerts.json"), "MON102", "alerts.json", "not a regular file"),
]


@pytest.fixture
def monitor(monitor: RunMonitor) -> RunMonitor:
    """The shared fixture, reported as JSON."""
    return lambda *args: monitor("--format", "json", *args)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input_is_a_finding_naming_the_file_and_nothing_is_written(
    monitor: RunMonitor, workspace: Path, case: Case
) -> None:
    """Each broken file fails the run with a sentence that says which file and why, and leaves it as it was."""
    case.mutate(workspace)
    before = snapshot(workspace)
    assert_error(monitor(*case.args), case.check, case.fragment, case.subject)
    text = monitor("--format", "text", *case.args)
    assert text.code == 1
    assert "Traceback" not in text.text
    assert case.subject in text.out
    assert snapshot(workspace) == before


@pytest.mark.parametrize(("tolerance", "flagged"), [("300", False), ("60", True)])
def test_future_tolerance_absorbs_clock_skew(
    monitor: RunMonitor, workspace: Path, tolerance: str, flagged: bool
) -> None:
    """A producer whose clock runs four minutes ahead is skew, not an error, unless the tolerance says so."""
    edit(workspace, NEWEST, lambda d: d["window"].update(end="2026-11-20T12:09:00Z"))
    r = monitor("--set", f"files.future_tolerance_seconds={tolerance}")
    assert "Traceback" not in r.text
    assert (finding(r, "MON104")["severity"] == "error") is flagged
    assert r.code == int(flagged)


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_workspace_that_is_not_a_folder_is_named_by_mon100(
    run_monitor: RunMonitor, tmp_path: Path, kind: str
) -> None:
    """A wrong --workspace must be obvious at once, and the per-file checks must not pile on."""
    root = tmp_path / "not-a-workspace"
    if kind == "file":
        root.write_text("{}", encoding="utf-8")
    r = run_monitor("--config", EXAMPLE_CONFIG, "--workspace", root, "--format", "json")
    assert_error(r, "MON100", "does not exist" if kind == "missing" else "is not a folder", str(root))
    assert finding(r, "MON101")["severity"] == "info"
    assert root.exists() is (kind == "file")


# --- unreadable files ---------------------------------------------------------------------------

CHILD = """\
import contextlib, io, os, sys
from mlops.monitoring.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["--example", "--format", "json"])  # while root: every lazy import happens now
os.setgroups([])
os.setgid({uid})
os.setuid({uid})
raise SystemExit(main(sys.argv[1:]))
"""


def run_as_nobody(folder: Path, *args: str) -> Outcome:
    """Run the monitor as uid 65534 in a child process.

    ``subprocess.run(user=65534)`` cannot exec the interpreter when it lives under a private home
    (pyenv in /root), so the child starts as root, imports what it needs, then drops to 65534 for good
    before it reads the workspace: the permission check is the kernel's, not a mock.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(uid=NOBODY), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def shared_workspace() -> Iterator[Path]:
    """A workspace copy that uid 65534 can reach: /tmp, world-searchable, unlike pytest's private tmp_path."""
    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="mlops-nobody-"))
    try:
        folder.chmod(0o755)
        shutil.copytree(ROOT / "mlops" / "example" / "workspace", folder / "ws")
        shutil.copy(EXAMPLE_CONFIG, folder / "monitor.yaml")  # the checkout itself may be private (mktemp -d)
        yield folder / "ws"
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("alerts.json", ("MON102", "alerts.json cannot be opened (Permission denied)", "alerts.json")),
        (NEWEST, ("MON102", f"{NEWEST} cannot be opened (Permission denied)", NEWEST)),
        ("windows", ("MON100", "windows/ cannot be listed (Permission denied)", None)),
    ],
)
def test_an_unreadable_file_is_a_finding(
    run_monitor: RunMonitor, shared_workspace: Path, target: str, expected: tuple[str, str, str | None]
) -> None:
    """A producer that writes with umask 077 must show up as a named file, not as a crash or a pass."""
    path = shared_workspace / target
    mode = path.stat().st_mode & 0o777
    before = snapshot(shared_workspace)
    config = shared_workspace.parent / "monitor.yaml"
    args = ("--config", str(config), "--workspace", str(shared_workspace), "--format", "json")
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            outcome = run_as_nobody(shared_workspace.parent, *args)
        elif os.access(path, os.R_OK):
            pytest.skip("this user reads files whatever their mode (a capability such as CAP_DAC_OVERRIDE)")
        else:
            outcome = run_monitor(*args)
    finally:
        path.chmod(mode)
    assert_error(outcome, *expected)
    assert snapshot(shared_workspace) == before


# --- freshness and the model -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "severity", "code", "wording"),
    [
        ("2026-11-20T12:05:00Z", "ok", 0, "ended 0.1 h ago"),
        ("2026-11-20T20:00:00Z", "warning", 0, "warning after 6 h"),
        ("2026-11-21T20:00:00Z", "error", 1, "over the 26 h limit"),
    ],
)
def test_freshness_of_the_newest_window(
    monitor: RunMonitor, as_of: str, severity: str, code: int, wording: str
) -> None:
    """A producer that stopped is the failure a monitor exists for: 8 h late warns, 32 h late fails."""
    r = monitor("--as-of", as_of)
    assert r.code == code
    mon105 = finding(r, "MON105")
    assert mon105["severity"] == severity
    assert mon105["subject"] == NEWEST
    assert NEWEST in mon105["message"]
    assert wording in mon105["message"]


def test_freshness_reads_the_time_inside_the_file_not_its_mtime(monitor: RunMonitor, workspace: Path) -> None:
    """A git checkout or a copy resets mtimes; only the window's own end time says how old the data is."""
    for path in (workspace / "windows").iterdir():
        os.utime(path, (0, 0))
    r = monitor()
    assert r.code == 0
    assert finding(r, "MON105")["severity"] == "ok"


def test_the_newest_window_is_chosen_by_content_not_by_file_name(monitor: RunMonitor, workspace: Path) -> None:
    """A late-arriving old window with a name that sorts last must not make the data look stale."""
    shutil.copyfile(workspace / "windows" / "2026-11-20T070000Z.json", workspace / "windows" / "zzz-backfill.json")
    r = monitor()
    assert r.code == 0
    assert finding(r, "MON105")["subject"] == NEWEST


@pytest.mark.parametrize(
    ("model", "severity", "wording"),
    [
        ({"version": "4"}, "warning", "version 4"),
        ({"name": "other-detector"}, "error", "'other-detector'"),
    ],
)
def test_newest_window_describes_the_baseline_model(
    monitor: RunMonitor, workspace: Path, model: dict[str, str], severity: str, wording: str
) -> None:
    """Another version drifts against a stale baseline (warn); another model makes the comparison meaningless (fail)."""
    edit(workspace, NEWEST, lambda d: d["model"].update(model))
    r = monitor("--ignore", "MON3")  # MON310 would rightly object to the registry too
    assert r.code == (1 if severity == "error" else 0)
    mon106 = finding(r, "MON106")
    assert mon106["severity"] == severity
    assert mon106["subject"] == NEWEST
    assert wording in mon106["message"]


# --- nothing to look at: skipped, never ok ------------------------------------------------------


def unparsable(ws: Path) -> None:
    for path in [ws / "baseline.json", ws / "alerts.json", *(ws / "windows").iterdir()]:
        path.write_text("{", encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "skipped"),
    [
        ("missing", ("MON102", "MON103", "MON104")),
        ("empty", ("MON102", "MON103", "MON104")),
        ("unparsable", ("MON103", "MON104")),
    ],
)
def test_a_check_that_looked_at_no_file_says_skipped_not_ok(
    run_monitor: RunMonitor, workspace: Path, tmp_path: Path, case: str, skipped: tuple[str, ...]
) -> None:
    """An ok stands for something checked: with no file to read, MON102-MON104 must not count as passes."""
    args: tuple[str | Path, ...] = ("--workspace", workspace)
    if case == "missing":
        args = ("--workspace", tmp_path / "nonexist")
    elif case == "empty":
        (tmp_path / "empty").mkdir()
        args = ("--workspace", tmp_path / "empty")
    else:
        unparsable(workspace)
    r = run_monitor("--config", EXAMPLE_CONFIG, *args, "--select", "MON1", "--format", "json")
    assert "Traceback" not in r.text
    assert r.code == 1, r.text
    for check in skipped:
        found = finding(r, check)
        assert found["severity"] == "info", found
        assert found["message"].startswith("skipped: "), found
    passed = {f["check"] for f in report(r)["findings"] if f["severity"] == "ok"}
    assert passed <= {"MON100", "MON101"}  # a readable folder, files present: what was really checked


def test_a_check_that_yields_nothing_is_reported_as_skipped(workspace: Path) -> None:
    """The runner's fallback for a silent check: a check that said nothing has checked nothing."""

    def silent(workspace: Workspace) -> Iterator[Result]:
        """A check with nothing to say."""
        yield from ()

    config = load_config(EXAMPLE_CONFIG, env={}, overrides={"workspace": str(workspace)}, cwd=workspace)
    inputs = Inputs(config=config, now=datetime(2026, 11, 20, 12, 5, tzinfo=UTC))
    chk = Check(id="MON999", family="files", title="silent", func=silent, needs=("workspace",))
    (found,) = run_checks(inputs, [chk])
    assert found.severity is Severity.INFO
    assert found.message.startswith("skipped: ")


# --- the ends of time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "in_future"),
    [(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), False), (datetime(1, 1, 1, tzinfo=UTC), True)],
)
def test_timestamps_near_the_ends_of_time_do_not_overflow(workspace: Path, now: datetime, in_future: bool) -> None:
    """Config bounds keep as_of away from year 1 and 9999, but MON104's arithmetic must not depend on them."""
    config = load_config(EXAMPLE_CONFIG, env={}, overrides={"workspace": str(workspace)}, cwd=workspace)
    config = replace(config, as_of=now)
    results = compute_check("MON104", config=config, now=now)
    assert results
    assert any(r.severity is Severity.ERROR and "is in the future" in r.message for r in results) is in_future
    assert all(r.severity is Severity.OK for r in results) is not in_future


# --- boundaries: the clock-skew tolerance, zero-length windows, the age limits ---------------------


def add_window(ws: Path, name: str, start: str, end: str, generated_at: str, **model: str) -> None:
    """A copy of the newest window under ``name`` with other times (and, if given, another model)."""
    doc = json.loads((ws / NEWEST).read_text(encoding="utf-8"))
    doc.update(window={"start": start, "end": end}, generated_at=generated_at)
    doc["model"].update(model)
    (ws / "windows" / name).write_text(json.dumps(doc, indent=1), encoding="utf-8")


@pytest.mark.parametrize(
    ("as_of", "severity", "wording"),
    [
        ("2026-11-20T18:00:00Z", "ok", "ended 6.0 h ago"),  # exactly warn_age_hours: still ok
        ("2026-11-20T18:00:01Z", "warning", "warning after 6 h"),
        ("2026-11-21T14:00:00Z", "warning", "ended 26.0 h ago (warning after 6 h)"),  # exactly max_age_hours
        ("2026-11-21T14:00:01Z", "error", "over the 26 h limit"),
    ],
    ids=["at-warn", "over-warn", "at-max", "over-max"],
)
def test_freshness_limits_are_inclusive(monitor: RunMonitor, as_of: str, severity: str, wording: str) -> None:
    """An age exactly at a limit is on the lenient side of it (documented in default.yaml and the contract)."""
    found = finding(monitor("--as-of", as_of, "--select", "MON105"), "MON105")
    assert found["severity"] == severity, found
    assert wording in found["message"]


def test_a_window_ending_in_the_future_is_never_fresh(monitor: RunMonitor, workspace: Path) -> None:
    """Two days after the last real window, a window dated three days ahead must not hide a dead producer."""
    add_window(workspace, "future.json", "2026-11-25T11:00:00Z", "2026-11-25T12:00:00Z", "2026-11-25T12:01:00Z")
    r = monitor("--as-of", "2026-11-22T12:05:00Z", "--select", "MON105")
    found = finding(r, "MON105")
    assert found["severity"] == "error", found
    assert found["subject"] == NEWEST
    assert "ended 2.0 days ago" in found["message"]
    assert "1 window(s) ending further in the future left out (MON104)" in found["message"]
    assert r.code == 1


def test_when_every_window_ends_in_the_future_freshness_is_an_error(monitor: RunMonitor) -> None:
    r = monitor("--as-of", "2026-11-19T12:00:00Z", "--select", "MON105")
    found = finding(r, "MON105")
    assert found["severity"] == "error", found
    assert "no window has ended by 2026-11-19T12:00:00+00:00: all 6 end in the future" in found["message"]
    assert found["subject"] == "windows/2026-11-20T120000Z.json"  # the newest: the file an annotation points at
    assert r.code == 1


def test_a_window_ahead_within_the_tolerance_counts_as_now(monitor: RunMonitor, workspace: Path) -> None:
    edit(workspace, NEWEST, lambda d: d.update(window={"start": "2026-11-20T11:09:00Z", "end": "2026-11-20T12:09:00Z"},
                                               generated_at="2026-11-20T12:09:30Z"))  # fmt: skip
    r = monitor()
    found = finding(r, "MON105")
    assert found["severity"] == "ok"
    assert "ends 240 s after the judging time, within the clock-skew tolerance: counted as now" in found["message"]
    assert finding(r, "MON104")["severity"] == "ok"
    assert r.code == 0


def test_a_zero_length_window_is_allowed(monitor: RunMonitor, workspace: Path) -> None:
    """A window opened and closed in the same instant is empty, not disordered."""
    edit(workspace, NEWEST, lambda d: d["window"].update(start="2026-11-20T12:00:00Z"))
    r = monitor("--select", "MON104")
    assert finding(r, "MON104")["severity"] == "ok"
    assert r.code == 0


@pytest.mark.parametrize(
    ("name", "change", "key"),
    [
        (NEWEST, lambda d: d.update(generated_at="2026-11-20T13:00:00Z"), "generated_at"),
        (NEWEST, lambda d: d["window"].update(start="2026-11-20T12:30:00Z", end="2026-11-20T13:00:00Z"), "window.end"),
        (NEWEST, lambda d: d["window"].update(start="2026-11-20T12:30:00Z"), "window.start"),
        ("baseline.json", lambda d: d.update(created_at="2026-11-21T00:00:00Z"), "created_at"),
        ("alerts.json", lambda d: d.update(generated_at="2026-11-20T12:10:01Z"), "generated_at"),
    ],
    ids=["window-generated-at", "window-end", "window-start", "baseline-created-at", "alerts-generated-at"],
)
def test_every_timestamp_key_is_checked_for_the_future(
    monitor: RunMonitor, workspace: Path, name: str, change: Callable[[dict[str, Any]], object], key: str
) -> None:
    """Each key on its own: dropping any one from MON104 must make a test fail."""
    edit(workspace, name, change)
    r = monitor("--select", "MON104")
    assert_error(r, "MON104", f"{name}: {key} = ", name)
    assert "beyond the 300 s clock-skew tolerance (files.future_tolerance_seconds)" in r.out


# --- MON106 on every judged window -----------------------------------------------------------------


def test_mon106_checks_every_window_drift_judges(monitor: RunMonitor, workspace: Path) -> None:
    """With --windows 3, older windows of version 2 are named, not hidden behind a matching newest window."""
    for name in ("2026-11-20T100000Z.json", "2026-11-20T110000Z.json"):
        edit(workspace, f"windows/{name}", lambda d: d["model"].update(version="2"))
    r = monitor("--windows", "3", "--ignore", "MON3")
    (found,) = [f for f in report(r)["findings"] if f["check"] == "MON106"]
    assert found["severity"] == "warning", found
    assert found["subject"] == "windows/2026-11-20T110000Z.json"
    assert "describes model 'shapes-detector' version 2, the baseline 'shapes-detector' version 3" in found["message"]
    assert "(2 of the 3 window(s) checked): drift leaves them out" in found["message"]
    ok = finding(monitor("--windows", "1", "--ignore", "MON3"), "MON106")
    assert ok["severity"] == "ok"
    assert "in the 1 window(s) checked (the newest and those drift judges)" in ok["message"]  # counted once


def test_mon106_checks_the_newest_window_even_when_drift_judges_none(monitor: RunMonitor, workspace: Path) -> None:
    """drift.since after every window leaves drift nothing to judge: MON106 still checks the newest."""
    edit(workspace, "windows/2026-11-20T120000Z.json", lambda d: d["model"].update(version="2"))
    r = monitor("--since", "2026-11-21T00:00:00Z", "--ignore", "MON3")
    found = finding(r, "MON106")
    assert found["severity"] == "warning", found
    assert "(1 of the 1 window(s) checked)" in found["message"]


def test_mon106_another_model_in_an_older_judged_window_is_an_error(monitor: RunMonitor, workspace: Path) -> None:
    edit(workspace, "windows/2026-11-20T090000Z.json", lambda d: d["model"].update(name="other-detector"))
    r = monitor("--windows", "0", "--ignore", "MON3")
    assert_error(r, "MON106", "describes model 'other-detector' version 3", "windows/2026-11-20T090000Z.json")
    assert "(1 of the 6 window(s) checked)" in finding(r, "MON106")["message"]


def test_mon106_names_the_newest_window_of_another_model(monitor: RunMonitor, workspace: Path) -> None:
    for name in ("windows/2026-11-20T080000Z.json", "windows/2026-11-20T100000Z.json"):
        edit(workspace, name, lambda d: d["model"].update(name="other-detector"))
    found = finding(monitor("--windows", "0", "--ignore", "MON3"), "MON106")
    assert (found["severity"], found["subject"]) == ("error", "windows/2026-11-20T100000Z.json")
    assert "(2 of the 6 window(s) checked)" in found["message"]


@pytest.mark.parametrize("missing", ["baseline", "windows"])
def test_mon106_skipped_is_never_ok(monitor: RunMonitor, workspace: Path, missing: str) -> None:
    """Nothing to compare is "skipped", and a skipped MON106 must not read as a pass."""
    if missing == "baseline":
        (workspace / "baseline.json").write_text("{", encoding="utf-8")
    else:
        for path in (workspace / "windows").iterdir():
            path.write_text("{", encoding="utf-8")
    found = finding(monitor("--select", "MON106"), "MON106")
    assert found["severity"] == "info", found
    assert found["message"] == f"skipped: no valid {'baseline' if missing == 'baseline' else 'window file'}"


# --- verdicts pinned where the mutation run found them loose (nox -s mutate) ------------------------

FILE_CHECKS = ("MON100", "MON101", "MON102", "MON103", "MON104", "MON105", "MON106")


def test_a_healthy_workspace_gives_each_file_check_one_ok(monitor: RunMonitor) -> None:
    """An ok turned into a warning (which --fail-on warning would fail on), or one lost, changes a verdict."""
    r = monitor("--fail-on", "warning", "--select", "MON1")
    for check in FILE_CHECKS:
        found = [f["severity"] for f in report(r)["findings"] if f["check"] == check]
        assert found == ["ok"], (check, found)
    assert r.code == 0


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("alerts.json", lambda d: d.update(surplus=1)),  # the schema refuses it
        (NEWEST, lambda d: d["signals"]["confidence"]["edges"].append(2.0)),  # valid JSON Schema, broken rule
    ],
    ids=["schema", "rule"],
)
def test_a_file_breaking_the_contract_fails_the_run_through_mon103_alone(
    monitor: RunMonitor, workspace: Path, name: str, change: Callable[[dict[str, Any]], object]
) -> None:
    """MON103 by itself must fail the run, and never say ok beside its error."""
    edit(workspace, name, change)
    r = monitor("--select", "MON103")
    assert [f["severity"] for f in report(r)["findings"]] == ["error"]
    assert r.code == 1


def test_a_window_ending_exactly_at_the_tolerance_is_neither_future_nor_stale(
    monitor: RunMonitor, workspace: Path
) -> None:
    """as_of 12:05 plus 300 s: a window ending at 12:10:00 counts as now, for MON104 and for MON105."""
    edit(workspace, NEWEST, lambda d: d["window"].update(end="2026-11-20T12:10:00Z"))
    r = monitor("--select", "MON104,MON105")
    assert finding(r, "MON104")["severity"] == "ok"
    mon105 = finding(r, "MON105")
    assert mon105["severity"] == "ok"
    assert mon105["subject"] == NEWEST
    assert "counted as now" in mon105["message"]
    assert r.code == 0


def test_a_window_ending_before_it_starts_gets_an_error_and_no_ok(monitor: RunMonitor, workspace: Path) -> None:
    edit(workspace, NEWEST, lambda d: d["window"].update(start="2026-11-20T12:00:01Z"))
    r = monitor("--select", "MON104")
    assert [f["severity"] for f in report(r)["findings"]] == ["error"]
    assert r.code == 1
