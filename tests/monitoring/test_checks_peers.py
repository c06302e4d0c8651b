"""MON501-MON503: real Evidently 0.7 and Great Expectations 1.x outputs, read without their libraries.

The fixtures were written once by the libraries themselves (tests/fixtures/peers/make_fixtures.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, finding, report
from tests.monitoring.conftest import RunMonitor

FIXTURES = ROOT / "tests" / "fixtures" / "peers"


@pytest.fixture
def reports(workspace: Path) -> Path:
    """The two top-level reports; the fixture subfolders are copied by the tests that use them."""
    folder = workspace / "reports"
    folder.mkdir()
    for path in FIXTURES.glob("*.json"):
        shutil.copy(path, folder)
    return folder


def only(workspace: Path, *fixtures: str) -> None:
    """A reports folder holding just these fixture files (paths under tests/fixtures/peers)."""
    folder = workspace / "reports"
    folder.mkdir()
    for name in fixtures:
        shutil.copy(FIXTURES / name, folder / Path(name).name)


def findings(monitor: RunMonitor, check: str) -> list[dict[str, object]]:
    return [f for f in report(monitor("--format", "json", "--select", check))["findings"] if f["check"] == check]


@pytest.mark.usefixtures("reports")
def test_evidently_failures_keep_their_test_names_and_criticality(monitor: RunMonitor) -> None:
    found = findings(monitor, "MON501")
    by_name = {str(f["message"]).split("'")[1]: f["severity"] for f in found}
    assert by_name == {
        "Share of Drifted Columns: Less 0.500": "error",  # is_critical: true in its test_config
        "Value Drift for column brightness": "error",  # empty test_config, but Evidently writes FAIL only if critical
        "Value Drift for column boxes": "error",
    }
    assert all(f["subject"] == "reports/evidently-0.7-drift.json" for f in found)


@pytest.mark.usefixtures("reports")
def test_great_expectations_failures_name_the_expectation_and_column(monitor: RunMonitor) -> None:
    (failed,) = findings(monitor, "MON502")
    assert failed["severity"] == "error"
    assert "expect_column_mean_to_be_between on 'brightness' failed, observed 163.2" in str(failed["message"])


def test_a_presets_column_drift_failure_is_an_error(monitor: RunMonitor, workspace: Path) -> None:
    """DataDriftPreset on the whole dataset: one column of three drifts, so its only failure is that column's
    "Value Drift" test, whose test_config is empty. Evidently wrote it FAIL: critical, so an error (exit 1)."""
    only(workspace, "evidently-preset/whole-dataset.json")
    snapshot = json.loads((FIXTURES / "evidently-preset" / "whole-dataset.json").read_text())
    (failed,) = [t for t in snapshot["tests"] if t["status"] != "SUCCESS"]
    assert failed["test_config"] == {} and failed["status"] == "FAIL"
    outcome = monitor("--format", "json", "--select", "MON501")
    assert outcome.code == 1
    (found,) = report(outcome)["findings"]
    assert found["severity"] == "error"
    assert "Evidently test 'Value Drift for column brightness' FAIL" in found["message"]


def test_a_single_column_preset_fails_on_the_column_and_the_share(monitor: RunMonitor, workspace: Path) -> None:
    only(workspace, "evidently-preset/single-column.json")
    found = findings(monitor, "MON501")
    assert {str(f["message"]).split("'")[1]: f["severity"] for f in found} == {
        "Share of Drifted Columns: Less 0.500": "error",
        "Value Drift for column brightness": "error",
    }


def test_a_non_critical_failure_is_a_warning(monitor: RunMonitor, workspace: Path) -> None:
    """``gt(0.05, is_critical=False)`` on a drift p-value: Evidently itself writes the failure as WARNING."""
    only(workspace, "evidently-preset/non-critical.json")
    outcome = monitor("--format", "json", "--select", "MON501")
    assert outcome.code == 0
    (found,) = report(outcome)["findings"]
    assert found["severity"] == "warning"
    assert "'Value drift for brightness: Greater 0.050' WARNING" in found["message"]


def test_expectations_on_several_columns_name_them(monitor: RunMonitor, workspace: Path) -> None:
    only(workspace, "gx-columns/validation.json")
    messages = sorted(str(f["message"]) for f in findings(monitor, "MON502"))
    prefix = "reports/validation.json: expectation "
    assert messages == [
        prefix + "expect_column_pair_values_a_to_be_greater_than_b on column_A 'max_boxes' and column_B 'min_boxes'"
        " failed, 300 unexpected value(s)",
        prefix + "expect_compound_columns_to_be_unique on columns 'boxes', 'min_boxes' failed, 300 unexpected value(s)",
        prefix + "expect_multicolumn_sum_to_equal on columns 'boxes', 'min_boxes' failed, 255 unexpected value(s)",
    ]


def test_passing_reports_are_ok(monitor: RunMonitor, reports: Path) -> None:
    for name in ("evidently-0.7-drift.json", "gx-1-validation.json"):
        doc = json.loads((reports / name).read_text())
        for item in doc.get("tests", []):
            item["status"] = "SUCCESS"
        for item in doc.get("results", []):
            item["success"] = True
        doc["success"] = True if "success" in doc else None
        (reports / name).write_text(json.dumps({k: v for k, v in doc.items() if v is not None}))
    assert [f["severity"] for f in findings(monitor, "MON501")] == ["ok"]
    assert [f["severity"] for f in findings(monitor, "MON502")] == ["ok"]


def test_unknown_or_broken_reports_are_warnings_not_crashes(monitor: RunMonitor, reports: Path) -> None:
    (reports / "other.json").write_text('{"tests": "not a list"}')
    (reports / "broken.json").write_text('{"tests": [')
    (reports / "evidently-0.7-drift.json").write_text('{"metrics": [], "tests": [42, {"status": null}]}')
    outcome = monitor("--format", "json", "--select", "MON5")
    assert "Traceback" not in outcome.text
    warned = {f["subject"] for f in report(outcome)["findings"] if f["check"] == "MON503"}
    assert warned == {"reports/other.json", "reports/broken.json"}
    assert finding(outcome, "MON501")["severity"] == "ok"


def test_neither_library_is_imported(reports: Path) -> None:
    """In a fresh interpreter: the test process itself may have imported pandas for other tests."""
    code = (
        "import sys, contextlib, io\n"
        "from mlops.monitoring.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(sys.argv[1:])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'evidently', 'great_expectations', 'pandas'}))\n"
    )
    args = ["--example", "--workspace", str(reports.parent), "--select", "MON5"]
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_no_reports_folder_is_fine(monitor: RunMonitor) -> None:
    assert all(f["severity"] == "info" for f in findings(monitor, "MON501") + findings(monitor, "MON502"))
