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
    folder = workspace / "reports"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("*.py"))
    return folder


def findings(monitor: RunMonitor, check: str) -> list[dict[str, object]]:
    return [f for f in report(monitor("--format", "json", "--select", check))["findings"] if f["check"] == check]


@pytest.mark.usefixtures("reports")
def test_evidently_failures_keep_their_test_names_and_criticality(monitor: RunMonitor) -> None:
    found = findings(monitor, "MON501")
    by_name = {str(f["message"]).split("'")[1]: f["severity"] for f in found}
    assert by_name == {
        "Share of Drifted Columns: Less 0.500": "error",  # is_critical: true
        "Value Drift for column brightness": "warning",
        "Value Drift for column boxes": "warning",
    }
    assert all(f["subject"] == "reports/evidently-0.7-drift.json" for f in found)


@pytest.mark.usefixtures("reports")
def test_great_expectations_failures_name_the_expectation_and_column(monitor: RunMonitor) -> None:
    (failed,) = findings(monitor, "MON502")
    assert failed["severity"] == "error"
    assert "expect_column_mean_to_be_between on 'brightness' failed, observed 163.2" in str(failed["message"])


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
