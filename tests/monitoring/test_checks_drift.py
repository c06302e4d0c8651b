"""MON401/MON402 on real workspace files: drift shows, noise does not, and bad histograms are findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import finding, report
from tests.monitoring.conftest import RunMonitor

NEWEST = "windows/2026-11-20T120000Z.json"


def edit(workspace: Path, name: str, change: object) -> None:
    path = workspace / name
    doc = json.loads(path.read_text())
    assert callable(change)
    change(doc)
    path.write_text(json.dumps(doc))


def drift_findings(monitor: RunMonitor, *args: str) -> dict[str, dict[str, object]]:
    doc = report(monitor("--format", "json", "--select", "MON4", *args))
    return {str(f["subject"]): f for f in doc["findings"] if f["check"] == "MON401"}


def test_the_example_shows_its_brightness_drift_and_nothing_else(monitor: RunMonitor) -> None:
    found = drift_findings(monitor)
    assert found["brightness"]["severity"] == "warning"
    assert {s for s, f in found.items() if f["severity"] != "ok"} == {"brightness"}


def test_a_window_identical_to_the_baseline_does_not_drift(monitor: RunMonitor, workspace: Path) -> None:
    signals = json.loads((workspace / "baseline.json").read_text())["signals"]
    edit(workspace, NEWEST, lambda d: d.update(signals=signals))
    assert {f["severity"] for f in drift_findings(monitor).values()} == {"ok"}
    assert finding(monitor("--format", "json", "--select", "MON4"), "MON402")["severity"] == "ok"


def test_a_shifted_window_drifts_and_the_dataset_with_it(monitor: RunMonitor, workspace: Path) -> None:
    def shift(doc: dict[str, Any]) -> None:
        signals = doc["signals"]
        for key in ("confidence", "brightness", "boxes_per_image", "input_width"):
            counts = signals[key]["counts"]
            signals[key]["counts"] = counts[len(counts) // 2 :] + counts[: len(counts) // 2]
        signals["classes"] = {"circle": 900, "square": 10, "triangle": 10}

    edit(workspace, NEWEST, shift)
    outcome = monitor("--format", "json", "--select", "MON4")
    assert outcome.code == 1
    assert finding(outcome, "MON402")["severity"] == "warning"
    assert drift_findings(monitor)["classes"]["severity"] == "warning"


def test_a_small_window_is_too_small_to_judge(monitor: RunMonitor) -> None:
    outcome = monitor("--format", "json", "--select", "MON4", "--set", "drift.min_images=10000")
    assert outcome.code == 0
    assert "too small to judge" in finding(outcome, "MON401")["message"]


def test_the_last_n_windows_are_judged_together(monitor: RunMonitor) -> None:
    message = str(
        finding(monitor("--format", "json", "--select", "MON402", "--set", "drift.windows=3"), "MON402")["message"]
    )
    assert "3 window(s)" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["signals"]["brightness"].update(edges=[0, 64, 128, 192, 256, 300, 400, 500, 600]),
            "bin edges differ",
        ),
        (lambda d: d["signals"]["confidence"]["edges"].pop(), "edges for"),
    ],
    ids=["other-edges", "edges-and-counts-disagree"],
)
def test_histograms_that_cannot_be_compared_are_findings(
    monitor: RunMonitor, workspace: Path, change: object, expected: str
) -> None:
    edit(workspace, NEWEST, change)
    outcome = monitor("--format", "json", "--select", "MON4")
    assert outcome.code == 1
    assert any(expected in str(f["message"]) for f in report(outcome)["findings"])
    assert "Traceback" not in outcome.text


def test_windows_and_since_flags_choose_the_windows_judged(monitor: RunMonitor) -> None:
    three = report(monitor("--format", "json", "--select", "MON402", "--windows", "3"))
    assert "3 window(s)" in str(three["findings"][0]["message"])
    recent = report(monitor("--format", "json", "--select", "MON402", "--windows", "0", "--since", "2026-11-20T09:30Z"))
    assert "3 window(s)" in str(recent["findings"][0]["message"])  # those ending 10:00, 11:00 and 12:00
    bad = monitor("--select", "MON402", "--since", "yesterday")
    assert bad.code == 2 and "drift.since" in bad.err


def test_the_statistics_reach_every_report(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    doc = report(monitor("--format", "json", "--select", "MON401"))
    brightness = next(f for f in doc["findings"] if f["subject"] == "brightness")
    assert set(brightness["details"]) == {"psi", "js", "ks_d", "ks_p"}
    assert 0.1 <= brightness["details"]["psi"] < 0.25
    text = monitor("--select", "MON401").out
    row = next(line for line in text.splitlines() if line.strip().startswith("brightness "))
    assert row.split()[-1] == "WARN" and f"{brightness['details']['psi']:.3g}" in row
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monitor("--select", "MON401")
    written = summary.read_text()
    assert "| signal | psi | js | ks_d | ks_p | chi2 | chi2_p | trend | |" in written  # the trend: per window
    row = next(line for line in written.splitlines() if line.startswith("| brightness |"))
    assert f"| {brightness['details']['psi']:.3g} |" in row and "`psi " in row


def test_a_since_after_every_window_names_drift_since(monitor: RunMonitor) -> None:
    """Valid windows that all end before drift.since are the user's choice, not "no valid window"."""
    doc = report(monitor("--format", "json", "--select", "MON4", "--since", "2030-01-01T00:00:00Z"))
    for found in doc["findings"]:
        assert found["severity"] == "info", found
        assert "no window ends after drift.since = 2030-01-01T00:00:00Z" in found["message"], found
        assert "2026-11-20T12:00:00Z" in found["message"]  # the newest window's end, for comparison
    assert {f["check"] for f in doc["findings"]} == {"MON401", "MON402"}


def test_windows_of_another_version_are_left_out_of_the_sum_and_counted(monitor: RunMonitor, workspace: Path) -> None:
    """With --windows 3, two windows of version 2 must not be summed into version 3's comparison."""
    for name in ("2026-11-20T100000Z.json", "2026-11-20T110000Z.json"):
        edit(workspace, f"windows/{name}", lambda d: d["model"].update(version="2"))
    doc = report(monitor("--format", "json", "--select", "MON4", "--windows", "3"))
    left = "1 window(s) ending 2026-11-20T12:00:00Z, 340 images; 2 window(s) of another model or version than"
    for found in doc["findings"]:
        assert left in found["message"], found
        assert "the baseline's 'shapes-detector' version 3 (MON106) left out" in found["message"]
    alone = report(monitor("--format", "json", "--select", "MON401", "--windows", "1"))
    assert [f["details"] for f in doc["findings"] if f["check"] == "MON401"] == [
        f["details"] for f in alone["findings"]
    ]  # the same numbers as the newest window judged alone


def test_when_every_chosen_window_is_another_model_drift_is_skipped_not_ok(
    monitor: RunMonitor, workspace: Path
) -> None:
    """Drift rows of another model against this baseline would all read "ok": they must say skipped."""
    for path in (workspace / "windows").iterdir():
        edit(workspace, f"windows/{path.name}", lambda d: d["model"].update(name="my-detector"))
    outcome = monitor("--format", "json", "--select", "MON4", "--windows", "3")
    for found in report(outcome)["findings"]:
        assert found["severity"] == "info", found
        assert found["message"].startswith("skipped: all 3 window(s) chosen describe another model or version")
    assert outcome.code == 0
