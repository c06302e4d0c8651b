"""The wheel other repositories install: the contract for their producers, ``mlops-monitor`` for their CI.

Built from this checkout with ``uv build`` into a temporary folder and installed into a fresh venv
that cannot see the checkout, as a serving repository would install it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT, clean_environ

PRODUCER = """
import sys
from datetime import UTC, datetime, timedelta
from mlops.contract.alerts import add_alert
from mlops.contract.baseline import write_baseline
from mlops.contract.signals import Signals
from mlops.contract.writer import WindowWriter

ws = sys.argv[1]
model = {"model_name": "shapes-detector", "model_version": "7"}
baseline = Signals()
for i in range(50):
    baseline.add(width=640, height=480, brightness=90 + i % 40, detections=[("circle", 0.8)], latency_ms=9.0)
write_baseline(ws, dataset="val", signals=baseline, run_id="r1", **model)
window = WindowWriter(ws, start=datetime.now(UTC) - timedelta(minutes=30), **model)
for i in range(50):
    window.add(width=640, height=480, brightness=90 + i % 40, detections=[("circle", 0.8)], latency_ms=9.0)
print(window.close())
add_alert(ws, severity="warning", title="p99 latency over 250 ms", source="replica-1", **model)
import mlops
print(mlops.__file__)
"""


def names(requirements: list[str]) -> list[str]:
    return sorted(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower() for line in requirements)


def test_the_wheels_dependencies_are_the_monitors_inputs() -> None:
    """One list to keep: requirements/monitoring.in, the slim set the monitor session is locked from."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    inputs = [line.split("#")[0].strip() for line in (ROOT / "requirements" / "monitoring.in").read_text().splitlines()]
    extras = project["optional-dependencies"]
    declared = project["dependencies"] + extras["mlflow"] + extras["storage"]
    assert names(declared) == names([line for line in inputs if line])
    assert project["scripts"] == {"mlops-monitor": "mlops.monitoring.cli:main"}


def test_the_producers_guide_imports_what_exists() -> None:
    """docs/producers.md is what another repository copies from: every name it imports must exist."""
    guide = (ROOT / "docs" / "producers.md").read_text(encoding="utf-8")
    imports = re.findall(r"^from (mlops\.[\w.]+) import ([\w, ]+)$", guide, re.M)
    assert len(imports) >= 4
    for module, listed in imports:
        for name in listed.split(","):
            assert hasattr(importlib.import_module(module), name.strip()), f"{module}.{name.strip()}"


@pytest.mark.slow
def test_the_wheel_installs_and_runs_elsewhere(tmp_path: Path) -> None:
    """Build, install into a fresh venv, run ``mlops-monitor --example``, then write a workspace with the contract."""
    env = clean_environ() | {"PYTHON_DOTENV_DISABLED": "1"}
    env.pop("PYTHONPATH", None)
    uv = [sys.executable, "-m", "uv"]

    def run(*command: str | Path, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [os.fspath(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    built = run(*uv, "build", "--wheel", "--out-dir", tmp_path / "dist", ROOT)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("mlops_split-*-py3-none-any.whl")
    files = zipfile.ZipFile(wheel).namelist()
    for needed in ("window", "baseline", "alerts", "common"):
        assert f"mlops/contract/schemas/{needed}.v1.schema.json" in files
    assert {"mlops/monitoring/cli.py", "mlops/monitoring/default.yaml", "mlops/example/monitor.yaml"} <= set(files)
    assert not [f for f in files if f.startswith("mlops/training/")]  # the heavy side stays in the checkout

    venv = tmp_path / "venv"
    assert run(*uv, "venv", "--quiet", venv).returncode == 0
    installed = run(*uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel)
    assert installed.returncode == 0, installed.stderr[-3000:]

    example = run(venv / "bin" / "mlops-monitor", "--example")
    assert example.returncode == 0, example.stdout[-3000:] + example.stderr[-3000:]
    assert "-> healthy" in example.stdout
    assert f"{venv}/lib/" in example.stdout  # the example bundled in the wheel, not the checkout's

    workspace = tmp_path / "ws"
    produced = run(venv / "bin" / "python", "-c", PRODUCER, workspace)
    assert produced.returncode == 0, produced.stderr[-3000:]
    window_path, package = produced.stdout.split()
    assert package.startswith(str(venv)) and Path(window_path).parent == workspace / "windows"

    as_of = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    checked = run(
        venv / "bin" / "mlops-monitor", "--workspace", workspace, "--select", "MON1,MON2,MON4", "--as-of", as_of,
        "--format", "json",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    findings = {(f["check"], f["severity"]) for f in json.loads(checked.stdout)["findings"]}
    assert ("MON201", "warning") in findings  # the alert the producer raised
    assert not [f for f in findings if f[1] == "error"], findings
    assert {c for c, _ in findings} >= {"MON101", "MON102", "MON103", "MON104", "MON105", "MON106", "MON401"}
