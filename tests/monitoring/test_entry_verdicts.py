"""No wrong "healthy" through the README's entry point, ``python3 noxfile.py -s monitor -- ...`` (issue 12, items
5-8, 10 and 25): each case is a user's own workspace, judged by a real nox process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NoxMonitor, Outcome, json_from

pytestmark = [pytest.mark.nox]

AS_OF = "2026-11-20T12:05:00Z"
NEWEST = "windows/2026-11-20T120000Z.json"
CHAMPION_RUN = "aca30a5b17ac44a894bc7fc0d4b7a1c6"


def edit(folder: Path, name: str, change: Callable[[dict[str, Any]], object]) -> None:
    path = folder / "ws" / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def critical(raised_at: str, id: str = "crit-skew") -> Callable[[dict[str, Any]], object]:
    alert = {"id": id, "raised_at": raised_at, "severity": "critical", "title": "model server down", "source": "t"}
    return lambda d: d["alerts"].append(alert)


def findings(outcome: Outcome, check: str) -> list[dict[str, Any]]:
    return [f for f in json_from(outcome)["findings"] if f["check"] == check]


def only(outcome: Outcome, check: str) -> dict[str, Any]:
    (found,) = findings(outcome, check)
    return found


@pytest.fixture
def judge(nox_monitor: NoxMonitor, user_dir: Path) -> Callable[..., Outcome]:
    """The user's ``ws`` judged through nox as of the example's snapshot time, reported as JSON."""

    def run(*args: str) -> Outcome:
        outcome = nox_monitor("--workspace", "ws", "--as-of", AS_OF, "--format", "json", *args, cwd=user_dir)
        assert "Traceback" not in outcome.text
        return outcome

    return run


def test_the_bundled_example_stays_three_warnings_exit_0(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    r = nox_monitor(cwd=tmp_path)
    assert r.code == 0, r.text
    assert "24 checks, 30 findings: 0 error(s), 3 warning(s), 3 info, 24 ok -> healthy" in r.out
    warned = sorted({line.split()[1] for line in r.out.splitlines() if line.startswith("  WARN")})
    assert warned == ["MON201", "MON308", "MON401"]
    assert f"(source run {CHAMPION_RUN}), the one @champion points to" in r.out
    assert "ok    MON202  alerts freshness    alerts.json was generated 0.8 h ago (limit 26 h)" in r.out


# --- 5. clock skew ----------------------------------------------------------------------------------


def test_a_critical_alert_two_minutes_ahead_fails_the_run(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, "alerts.json", critical("2026-11-20T12:07:00Z"))
    r = judge("--select", "MON1,MON2")
    assert r.code == 1, r.text
    assert only(r, "MON201")["severity"] == "error"
    assert "crit-skew" in only(r, "MON201")["message"]
    assert only(r, "MON104")["severity"] == "ok"  # within the tolerance: skew, not an error


def test_an_alert_raised_in_2062_is_a_mon104_error_naming_file_and_key(
    judge: Callable[..., Outcome], user_dir: Path
) -> None:
    edit(user_dir, "alerts.json", critical("2062-01-01T00:00:00Z", id="crit-2062"))
    r = judge("--select", "MON1,MON2")
    assert r.code == 1, r.text
    (found,) = [f for f in findings(r, "MON104") if f["severity"] == "error"]
    assert found["subject"] == "alerts.json"
    assert "alerts[3].raised_at (crit-2062) = 2062-01-01T00:00:00+00:00 is in the future" in found["message"]


def test_an_alert_raised_exactly_at_the_judging_time_counts(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, "alerts.json", critical(AS_OF))
    r = judge("--select", "MON201")
    assert r.code == 1, r.text
    assert "1 critical" in only(r, "MON201")["message"]


# --- 6. a window in the future is never fresh ---------------------------------------------------


def test_a_window_ending_days_ahead_does_not_make_a_dead_producer_look_fresh(
    judge: Callable[..., Outcome], user_dir: Path
) -> None:
    """Two days after the last real window; one window is dated three days ahead."""
    edit(user_dir, NEWEST, lambda d: d.update(window={"start": "2026-11-25T11:00:00Z", "end": "2026-11-25T12:00:00Z"},
                                              generated_at="2026-11-25T12:01:00Z"))  # fmt: skip
    r = judge("--as-of", "2026-11-22T12:05:00Z", "--select", "MON105")
    assert r.code == 1, r.text
    found = only(r, "MON105")
    assert found["severity"] == "error"
    assert "windows/2026-11-20T110000Z.json ended 2.0 days ago" in found["message"]
    assert "-2." not in found["message"]


# --- 7. MON310: name, version and run --------------------------------------------------------------


def test_files_of_another_model_with_the_champions_version_number_fail(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    """my-detector v3 against shapes-detector@champion v3, through the example's config and MLflow store."""
    for path in [user_dir / "ws" / "baseline.json", *(user_dir / "ws" / "windows").iterdir()]:
        edit(user_dir, str(path.relative_to(user_dir / "ws")), lambda d: d["model"].update(name="my-detector"))
    config = nox_monitor.repo / "mlops" / "example" / "monitor.yaml"
    r = nox_monitor("--config", config, "--workspace", "ws", "--format", "json", "--select", "MON310", cwd=user_dir)
    assert r.code == 1, r.text
    messages = [f["message"] for f in findings(r, "MON310") if f["severity"] == "error"]
    assert any("production serves model 'my-detector', @champion is on 'shapes-detector'" in m for m in messages)


def test_a_baseline_from_another_run_than_the_versions_source_run_warns(
    nox_monitor: NoxMonitor, user_dir: Path
) -> None:
    edit(user_dir, "baseline.json", lambda d: d["model"].update(run_id="0123456789abcdef0123456789abcdef"))
    config = nox_monitor.repo / "mlops" / "example" / "monitor.yaml"
    r = nox_monitor("--config", config, "--workspace", "ws", "--format", "json", "--select", "MON310", cwd=user_dir)
    assert r.code == 0, r.text
    found = only(r, "MON310")
    assert found["severity"] == "warning"
    assert f"version 3's source run is {CHAMPION_RUN}" in found["message"]


# --- 8. every judged window; other models never summed ---------------------------------------------


def test_older_windows_of_another_version_are_named_and_left_out_of_drift(
    judge: Callable[..., Outcome], user_dir: Path
) -> None:
    for name in ("windows/2026-11-20T100000Z.json", "windows/2026-11-20T110000Z.json"):
        edit(user_dir, name, lambda d: d["model"].update(version="2"))
    r = judge("--windows", "3", "--select", "MON106,MON4")
    assert only(r, "MON106")["severity"] == "warning"
    assert "(2 of the 3 window(s) checked)" in only(r, "MON106")["message"]
    for found in findings(r, "MON401"):
        assert "1 window(s) ending 2026-11-20T12:00:00Z, 340 images; 2 window(s) of another model" in found["message"]


def test_older_windows_of_another_model_fail_the_run(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, "windows/2026-11-20T110000Z.json", lambda d: d["model"].update(name="other-detector"))
    r = judge("--windows", "3", "--select", "MON106")
    assert r.code == 1, r.text
    assert "describes model 'other-detector'" in only(r, "MON106")["message"]


# --- 10. a stale alerts file ---------------------------------------------------------------------


def test_an_alerts_file_62_days_old_is_a_dead_producer(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, "alerts.json", lambda d: d.update(generated_at="2026-09-19T12:05:00Z", alerts=[]))
    r = judge("--select", "MON2")
    assert r.code == 1, r.text
    assert only(r, "MON201")["severity"] == "ok"  # no alert in it: MON202 is the one that sees the dead producer
    found = only(r, "MON202")
    assert found["severity"] == "error"
    assert "alerts.json was generated 62.0 days ago, over the 26 h limit (alerts.max_age_hours)" in found["message"]


# --- 25. boundaries -----------------------------------------------------------------------------


def test_a_zero_length_window_passes(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, NEWEST, lambda d: d["window"].update(start="2026-11-20T12:00:00Z"))
    r = judge("--select", "MON104,MON105")
    assert r.code == 0, r.text
    assert only(r, "MON104")["severity"] == "ok"


@pytest.mark.parametrize(
    ("as_of", "severity", "code"),
    [("2026-11-20T18:00:00Z", "ok", 0), ("2026-11-21T14:00:00Z", "warning", 0), ("2026-11-21T14:00:01Z", "error", 1)],
    ids=["at-warn-age", "at-max-age", "past-max-age"],
)
def test_freshness_exactly_at_its_limits(judge: Callable[..., Outcome], as_of: str, severity: str, code: int) -> None:
    r = judge("--as-of", as_of, "--select", "MON105")
    assert r.code == code, r.text
    assert only(r, "MON105")["severity"] == severity


def test_a_window_generated_in_the_future_is_a_mon104_error(judge: Callable[..., Outcome], user_dir: Path) -> None:
    edit(user_dir, NEWEST, lambda d: d.update(generated_at="2026-11-20T13:00:00Z"))
    r = judge("--select", "MON104")
    assert r.code == 1, r.text
    assert f"{NEWEST}: generated_at = 2026-11-20T13:00:00+00:00 is in the future" in only(r, "MON104")["message"]


def test_mon106_with_no_valid_baseline_is_skipped_not_ok(judge: Callable[..., Outcome], user_dir: Path) -> None:
    (user_dir / "ws" / "baseline.json").write_text("{", encoding="utf-8")
    found = only(judge("--select", "MON106"), "MON106")
    assert found["severity"] == "info"
    assert found["message"] == "skipped: no valid baseline"
