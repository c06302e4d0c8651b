"""MON201: recent alerts, counted by severity within ``alerts.window_hours`` before ``as_of``.

The example holds one critical alert three days old (lat-0412), one warning and one info within the
last 24 hours, judged as of 2026-11-20T12:05:00Z.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.monitoring.checks import compute_check
from mlops.monitoring.config import AlertsConfig, load_config
from mlops.monitoring.results import Severity
from tests.conftest import EXAMPLE_CONFIG, Outcome, finding, report

RunMonitor = Callable[..., Outcome]


def set_alerts(workspace: Path, alerts: list[dict[str, str]], *, keep: bool = True) -> None:
    """Add (or, with ``keep=False``, replace) alerts in the workspace's alerts.json."""
    path = workspace / "alerts.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["alerts"] = (doc["alerts"] if keep else []) + alerts
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def alert(id: str, raised_at: str, severity: str = "critical", title: str = "model server down") -> dict[str, str]:
    return {"id": id, "raised_at": raised_at, "severity": severity, "title": title, "source": "test"}


def test_the_example_counts_only_the_last_24_hours(monitor: RunMonitor) -> None:
    """The three-day-old critical is history; the recent warning is what shows."""
    r = monitor("--format", "json")
    assert r.code == 0
    found = finding(r, "MON201")
    assert found["severity"] == "warning"
    assert found["subject"] == "alerts.json"
    assert "2 alert(s) in the last 24 h (0 critical, 1 warning, 1 info)" in found["message"]
    assert "lat-0412" not in found["message"]


def test_a_recent_critical_alert_fails_the_run_and_is_named(monitor: RunMonitor, workspace: Path) -> None:
    """The operator needs the file and the alert ID to act, straight from the CI log."""
    set_alerts(workspace, [alert("crit-0042", "2026-11-20T11:30:00Z")])
    r = monitor()
    assert r.code == 1
    line = next(line for line in r.out.splitlines() if "MON201" in line)
    assert "ERROR" in line
    assert "alerts.json" in line
    assert "crit-0042" in line
    assert "1 critical" in line


@pytest.mark.parametrize(
    "raised_at", ["2026-11-19T12:05:00Z", "2026-11-18T00:00:00Z"], ids=["exactly-24-h-old", "days-old"]
)
def test_a_critical_alert_outside_the_window_is_not_counted(
    monitor: RunMonitor, workspace: Path, raised_at: str
) -> None:
    """Old alerts must not fail today's run: the window is (as_of - 24 h, as_of + tolerance]."""
    set_alerts(workspace, [alert("crit-out", raised_at)])
    r = monitor("--format", "json")
    assert r.code == 0
    found = finding(r, "MON201")
    assert "(0 critical, 1 warning, 1 info)" in found["message"]
    assert "crit-out" not in found["message"]


@pytest.mark.parametrize(
    ("severities", "tally", "severity"),
    [
        ((), "0 alert(s) in the last 24 h (0 critical, 0 warning, 0 info)", "ok"),
        (("info", "info"), "2 alert(s) in the last 24 h (0 critical, 0 warning, 2 info)", "ok"),
        (("warning", "info", "warning"), "3 alert(s) in the last 24 h (0 critical, 2 warning, 1 info)", "warning"),
        (
            ("critical", "info", "critical", "warning"),
            "4 alert(s) in the last 24 h (2 critical, 1 warning, 1 info)",
            "error",
        ),
    ],
)
def test_counts_by_severity_in_the_message(
    monitor: RunMonitor, workspace: Path, severities: tuple[str, ...], tally: str, severity: str
) -> None:
    """The tally is the summary a person reads; the worst severity alone decides the finding."""
    set_alerts(
        workspace,
        [alert(f"a-{i}", f"2026-11-20T0{i}:00:00Z", s) for i, s in enumerate(severities)],
        keep=False,
    )
    r = monitor("--format", "json")
    assert r.code == (1 if severity == "error" else 0)
    found = finding(r, "MON201")
    assert found["severity"] == severity
    assert tally in found["message"]


@pytest.mark.parametrize(("hours", "code", "tally"), [("24", 0, "0 critical"), ("100", 1, "1 critical")])
def test_window_hours_decides_what_is_recent(monitor: RunMonitor, hours: str, code: int, tally: str) -> None:
    """Widening the window to 100 h pulls in the example's 72-hour-old critical alert."""
    r = monitor("--set", f"alerts.window_hours={hours}", "--format", "json")
    assert r.code == code
    message = finding(r, "MON201")["message"]
    assert f"in the last {hours} h" in message
    assert tally in message
    assert ("lat-0412" in message) is (code == 1)


def test_an_invalid_alerts_file_is_skipped_not_counted(monitor: RunMonitor, workspace: Path) -> None:
    """MON102/MON103 already report the broken file; MON201 must not crash or count garbage."""
    set_alerts(workspace, [{"id": "x", "raised_at": "yesterday", "severity": "critical", "title": "t"}])
    r = monitor("--format", "json")
    assert r.code == 1
    found = finding(r, "MON201")
    assert found["severity"] == "info"
    assert "skipped" in found["message"]


def test_control_characters_in_an_alert_title_do_not_reach_the_terminal(monitor: RunMonitor, workspace: Path) -> None:
    set_alerts(
        workspace, [alert("crit-1", "2026-11-20T12:00:00Z", title="down\x1b[2J\n  ok    MON999  forged  all good")]
    )
    r = monitor("--format", "text")
    assert r.code == 1
    assert "\x1b" not in r.out
    assert "\n  ok    MON999" not in r.out


@pytest.mark.parametrize(
    ("now", "hours", "severity"),
    [
        (datetime(2026, 11, 20, 12, 5, tzinfo=UTC), 1e8, Severity.ERROR),  # reaches back past year 1: every alert
        (datetime(2026, 11, 20, 12, 5, tzinfo=UTC), 1e20, Severity.ERROR),  # past what a timedelta holds
        (datetime(1, 1, 1, 12, tzinfo=UTC), 24.0, Severity.OK),  # no alert was raised yet
    ],
)
def test_a_window_reaching_past_year_one_does_not_overflow(
    workspace: Path, now: datetime, hours: float, severity: Severity
) -> None:
    """Config bounds cap alerts.window_hours, but MON201's arithmetic must not depend on them."""
    config = load_config(EXAMPLE_CONFIG, env={}, overrides={"workspace": str(workspace)}, cwd=workspace)
    config = replace(config, as_of=now, alerts=AlertsConfig(window_hours=hours))
    (result,) = compute_check("MON201", config=config, now=now)
    assert result.severity is severity
    assert result.subject == "alerts.json"


# --- clock skew: a little ahead counts as now, far ahead is MON104 -----------------------------------


@pytest.mark.parametrize(
    ("raised_at", "counted"),
    [
        ("2026-11-19T12:05:01Z", True),  # one second inside the 24 h window
        ("2026-11-20T12:05:00Z", True),  # exactly at the judging time
        ("2026-11-20T12:07:00Z", True),  # two minutes ahead: clock skew, counts as now
        ("2026-11-20T12:10:00Z", True),  # exactly at the 300 s tolerance
        ("2026-11-20T12:10:01Z", False),  # beyond it: MON104's, not counted here
    ],
    ids=["oldest-counted", "at-as-of", "two-minutes-ahead", "at-tolerance", "beyond-tolerance"],
)
def test_the_alert_window_reaches_the_clock_skew_tolerance(
    monitor: RunMonitor, workspace: Path, raised_at: str, counted: bool
) -> None:
    """A producer whose clock runs two minutes ahead raised a critical alert that must fail the run."""
    set_alerts(workspace, [alert("crit-skew", raised_at)])
    r = monitor("--format", "json")
    found = finding(r, "MON201")
    assert (found["severity"] == "error") is counted, found
    assert ("crit-skew" in found["message"]) is counted
    mon104 = [f for f in report(r)["findings"] if f["check"] == "MON104"]
    assert any(f["severity"] == "error" for f in mon104) is not counted
    assert ("not counted (MON104)" in found["message"]) is not counted  # never both counted and "not counted"
    if not counted:
        assert "1 raised in the future beyond the clock-skew tolerance, not counted (MON104)" in found["message"]
    assert r.code == 1


@pytest.mark.parametrize(("tolerance", "counted"), [("0", False), ("60", True)])
def test_the_tolerance_is_the_configured_one(
    monitor: RunMonitor, workspace: Path, tolerance: str, counted: bool
) -> None:
    set_alerts(workspace, [alert("crit-skew", "2026-11-20T12:06:00Z")])
    r = monitor("--format", "json", "--set", f"files.future_tolerance_seconds={tolerance}", "--select", "MON201")
    assert (finding(r, "MON201")["severity"] == "error") is counted
    assert r.code == int(counted)


def test_an_alert_raised_decades_ahead_is_a_mon104_error_naming_file_and_key(
    monitor: RunMonitor, workspace: Path
) -> None:
    set_alerts(workspace, [alert("crit-2062", "2062-01-01T00:00:00Z")])
    r = monitor("--format", "json")
    assert r.code == 1
    (found,) = [f for f in report(r)["findings"] if f["check"] == "MON104" and f["severity"] == "error"]
    assert found["subject"] == "alerts.json"
    assert (
        "alerts.json: alerts[3].raised_at (crit-2062) = 2062-01-01T00:00:00+00:00 is in the future" in found["message"]
    )


# --- MON202: a dead alert producer ------------------------------------------------------------------


def set_generated_at(workspace: Path, when: str) -> None:
    path = workspace / "alerts.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["generated_at"] = when
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


@pytest.mark.parametrize(
    ("generated_at", "severity", "wording"),
    [
        ("2026-11-20T11:15:00Z", "ok", "was generated 0.8 h ago (limit 26 h)"),  # the example
        ("2026-11-19T10:05:00Z", "ok", "was generated 26.0 h ago (limit 26 h)"),  # exactly at the limit
        ("2026-11-19T10:04:59Z", "error", "over the 26 h limit (alerts.max_age_hours)"),
        ("2026-09-19T12:05:00Z", "error", "was generated 62.0 days ago, over the 26 h limit"),
        ("2026-11-20T12:09:00Z", "ok", "was generated 0.0 h ago"),  # four minutes ahead: clock skew
        ("2026-11-20T12:10:00Z", "ok", "was generated 0.0 h ago"),  # exactly at the 300 s tolerance
        ("2026-11-20T13:00:00Z", "error", "is in the future (MON104): its age cannot be judged"),
    ],
    ids=["fresh", "at-limit", "just-over", "62-days", "skew", "at-tolerance", "future"],
)
def test_a_stale_alerts_file_is_a_dead_producer(
    monitor: RunMonitor, workspace: Path, generated_at: str, severity: str, wording: str
) -> None:
    """No alert in a file nobody rewrote for days is not "healthy": the producer that would raise them is gone."""
    set_generated_at(workspace, generated_at)
    set_alerts(workspace, [], keep=False)
    r = monitor("--format", "json", "--select", "MON2")
    found = finding(r, "MON202")
    assert found["severity"] == severity, found
    assert found["subject"] == "alerts.json"
    assert wording in found["message"]
    assert r.code == (1 if severity == "error" else 0)


def test_alerts_max_age_hours_is_the_limit(monitor: RunMonitor, workspace: Path) -> None:
    set_generated_at(workspace, "2026-11-18T12:05:00Z")
    assert finding(monitor("--format", "json", "--select", "MON202"), "MON202")["severity"] == "error"
    r = monitor("--format", "json", "--select", "MON202", "--set", "alerts.max_age_hours=48")
    assert finding(r, "MON202")["severity"] == "ok"
    assert r.code == 0


def test_mon202_skips_an_invalid_alerts_file_and_never_says_ok(monitor: RunMonitor, workspace: Path) -> None:
    (workspace / "alerts.json").write_text("{", encoding="utf-8")
    found = finding(monitor("--format", "json"), "MON202")
    assert found["severity"] == "info"
    assert found["message"].startswith("skipped: ")
