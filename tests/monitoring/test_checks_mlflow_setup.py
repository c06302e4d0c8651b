"""MON302 when this machine's MLflow setup is wrong: a CA bundle that cannot be read, Databricks without
credentials. Only an answer from MLflow passes MON302; anything else is a finding that names what to fix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, Outcome, finding, free_port

RunMonitor = Callable[..., Outcome]
BUDGET = ("--set", "mlflow.budget_seconds=120")
"""Generous: the mlflow-skinny path imports mlflow first, which takes seconds on a loaded machine."""


def ca_bundle(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "ca.pem"
    if kind == "not-pem":
        path.write_text("not a certificate\n", encoding="utf-8")
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("client", ["rest", "mlflow"])
@pytest.mark.parametrize("kind", ["missing", "not-pem", "folder"])
@pytest.mark.parametrize("source", ["env", "config"])
def test_an_unusable_ca_bundle_is_named(
    run_monitor: RunMonitor,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    client: str,
    kind: str,
    source: str,
) -> None:
    """A typo in MLFLOW_TRACKING_SERVER_CERT_PATH must read as that, not as an unexpected FileNotFoundError."""
    path = ca_bundle(tmp_path, kind)
    extra: tuple[str, ...] = ()
    if source == "env":
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", os.fspath(path))
    else:
        extra = ("--set", f"mlflow.server_cert_path={path}")
    r = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", f"https://127.0.0.1:{free_port()}",
        "--select", "MON3", "--format", "json", "--set", f"mlflow.client={client}", *BUDGET, *extra,
    )  # fmt: skip
    assert "Traceback" not in r.text
    assert r.code == 1
    found = finding(r, "MON302")
    assert found["severity"] == "error"
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in found["message"]
    assert str(path) in found["message"]
    assert "unexpectedly" not in found["message"]


def test_databricks_without_credentials_is_not_a_healthy_server(
    run_monitor: RunMonitor, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mlflow-skinny's version is no answer from Databricks: MON302 passes only when the workspace answered."""
    for name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", os.fspath(tmp_path))  # no ~/.databrickscfg
    r = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", "databricks",
        "--select", "MON3", "--format", "json", *BUDGET,
    )  # fmt: skip
    assert "Traceback" not in r.text
    assert r.code == 1
    found = finding(r, "MON302")
    assert found["severity"] == "error", found
    assert found["subject"] == "databricks"
    assert "DATABRICKS_HOST" in found["message"]
    assert finding(r, "MON303")["severity"] == "info"
