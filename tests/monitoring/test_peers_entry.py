"""Through the README's entry point: a critical Evidently column-drift failure fails the run.

``python3 noxfile.py -s monitor`` (the ``nox_monitor`` fixture) on a user's workspace whose only problem
is a ``DataDriftPreset(include_tests=True)`` snapshot written by Evidently 0.7.23: one column's "Value
Drift" test FAILed, its ``test_config`` empty. Read as a warning, the run was green (exit 0).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT, NoxMonitor, json_from

pytestmark = [pytest.mark.nox]

SNAPSHOT = ROOT / "tests" / "fixtures" / "peers" / "evidently-preset" / "whole-dataset.json"


def test_a_critical_column_drift_failure_exits_1(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE / "workspace", project / "ws")
    (project / "mlops.yaml").write_text('workspace: ws\nas_of: "2026-11-20T12:05:00Z"\n', encoding="utf-8")
    healthy = nox_monitor("--format", "json", cwd=project)
    assert healthy.code == 0, healthy.text  # the workspace alone is green: the snapshot is the only failure

    (project / "ws" / "reports").mkdir()
    shutil.copy(SNAPSHOT, project / "ws" / "reports" / "drift.json")
    r = nox_monitor("--format", "json", cwd=project)
    assert r.code == 1, r.text
    errors = [f for f in json_from(r)["findings"] if f["severity"] == "error"]
    assert [(f["check"], f["subject"]) for f in errors] == [("MON501", "reports/drift.json")]
    assert "'Value Drift for column brightness' FAIL" in errors[0]["message"]
