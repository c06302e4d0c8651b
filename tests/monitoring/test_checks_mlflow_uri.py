"""MON301: the MLflow tracking URI is judged from configuration alone: nothing imported, created or contacted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, Outcome, finding, snapshot

RunMonitor = Callable[..., Outcome]
CANARY = "pw-in-uri-5150"
TEXT_LABELS = {"ok": "ok", "info": "info", "WARN": "warning", "ERROR": "error"}


ONLY_URI = ("--select", "MON1", "--select", "MON2", "--select", "MON301")
"""These hosts do not exist: judge the URI alone (MON301); the server checks have their own module."""


@pytest.fixture
def monitor(monitor: RunMonitor) -> RunMonitor:
    return lambda *args: monitor(*ONLY_URI, *args)


def test_unset_uri_warns_and_creates_nothing(run_monitor: RunMonitor, workspace: Path, bare_config: Path) -> None:
    """MLflow's default is a ./mlruns store (or mlflow.db) created on first use; the monitor must not do that."""
    cwd = Path.cwd()
    before = snapshot(workspace)
    r = run_monitor("--config", bare_config, "--workspace", workspace, "--format", "json")
    assert r.code == 0
    found = finding(r, "MON301")
    assert found["severity"] == "warning"
    assert "not configured" in found["message"]
    assert "MLFLOW_TRACKING_URI" in found["message"]
    assert list(cwd.iterdir()) == []
    assert snapshot(workspace) == before
    for folder in (cwd, workspace):
        assert not (folder / "mlruns").exists()
        assert not (folder / "mlflow.db").exists()


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("http://mlflow.internal:5000", "http://mlflow.internal:5000"),
        ("https://mlflow.example.com/api/?token=abc#frag", "https://mlflow.example.com"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("file:///srv/mlruns", "file:///srv/mlruns"),
        ("databricks://my-profile", "databricks://my-profile"),
    ],
)
def test_a_well_formed_uri_is_ok_and_shown_without_path_or_query(monitor: RunMonitor, uri: str, shown: str) -> None:
    """scheme://host:port is enough to recognise the server; paths and queries may carry tokens."""
    r = monitor("--tracking-uri", uri, "--format", "json")
    assert r.code == 0
    found = finding(r, "MON301")
    assert found["severity"] == "ok"
    assert found["message"] == f"MLflow tracking URI is {shown}"
    assert "token=abc" not in r.text


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("source", ["env", "flag"])
def test_a_password_in_the_uri_warns_and_is_never_printed(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, fmt: str, source: str
) -> None:
    """MLflow echoes such URIs in its own errors; the monitor says so without echoing it itself."""
    uri = f"http://alice:{CANARY}@mlflow.internal:5000"
    if source == "env":
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        r = monitor("--format", fmt)
    else:
        r = monitor("--format", fmt, "--tracking-uri", uri)
    assert r.code == 0
    assert CANARY not in r.text
    if fmt == "json":
        severity, message = finding(r, "MON301")["severity"], finding(r, "MON301")["message"]
    else:
        line = next(line for line in r.out.splitlines() if " MON301 " in line)
        severity, message = TEXT_LABELS[line.split()[0]], line
    assert severity == "warning"
    assert "http://mlflow.internal:5000 embeds a password" in message


@pytest.mark.parametrize("uri", ["ftp://mlflow.internal/runs", "gopher://host:70", "localhost:5000"])
def test_an_unknown_scheme_is_an_error(monitor: RunMonitor, uri: str) -> None:
    """A typo in the scheme would make every later MLflow step fail; fail here, with the scheme named."""
    r = monitor("--tracking-uri", uri, "--format", "json")
    assert r.code == 1
    found = finding(r, "MON301")
    assert found["severity"] == "error"
    assert "unknown scheme" in found["message"]


def test_the_flag_beats_the_environment(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """--tracking-uri is the command line layer, above MLFLOW_TRACKING_URI."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env-host:5000")
    r = monitor("--tracking-uri", "http://flag-host:5000", "--format", "json")
    assert finding(r, "MON301")["message"] == "MLflow tracking URI is http://flag-host:5000"
    assert "env-host" not in r.text


def test_the_environment_beats_the_config_file(
    run_monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workspace: Path
) -> None:
    """A checked-in mlflow.tracking_uri is a default that each machine's MLFLOW_TRACKING_URI replaces."""
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f'workspace: "{workspace}"\nas_of: "2026-11-20T12:05:00Z"\nmlflow:\n  tracking_uri: http://file-host:5000\n',
        encoding="utf-8",
    )
    assert "file-host" in finding(run_monitor("--config", config, *ONLY_URI, "--format", "json"), "MON301")["message"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env-host:5000")
    assert "env-host" in finding(run_monitor("--config", config, *ONLY_URI, "--format", "json"), "MON301")["message"]


@pytest.mark.parametrize("uri", ["http://mlflow.internal:99999", "http://mlflow.internal:50OO"])
def test_a_uri_with_a_bad_port_is_not_ok(monitor: RunMonitor, uri: str) -> None:
    r = monitor("--tracking-uri", uri, "--format", "json")
    assert finding(r, "MON301")["severity"] == "error"
    assert r.code == 1


def test_bare_databricks_is_a_known_tracking_uri(monitor: RunMonitor) -> None:
    r = monitor("--tracking-uri", "databricks", "--format", "json")
    assert finding(r, "MON301")["severity"] == "ok"
    assert finding(r, "MON301")["message"] == "MLflow tracking URI is databricks"  # a name, not a secret
    assert r.code == 0


@pytest.mark.parametrize("uri", ["http://", "https://", "http:///api", "http://:5000", f"http://alice:{CANARY}@/x"])
def test_a_uri_without_a_host_is_an_error(monitor: RunMonitor, uri: str) -> None:
    """``http://`` would otherwise be tried as localhost:80 and reported as a server that is down."""
    r = monitor("--tracking-uri", uri, "--format", "json")
    assert r.code == 1
    found = finding(r, "MON301")
    assert found["severity"] == "error"
    assert "names no host" in found["message"]
    assert CANARY not in r.text


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        (f"postgresql://alice:{CANARY}@db.internal:5432/mlflow", "postgresql://db.internal:5432"),
        (f"mysql+pymysql://alice:{CANARY}@db.internal/mlflow", "mysql+pymysql://db.internal"),
        ("mssql://db.internal/mlflow", "mssql://db.internal"),
    ],
)
def test_a_database_uri_points_to_the_tracking_server(
    run_monitor: RunMonitor, workspace: Path, uri: str, shown: str
) -> None:
    """The slim env has no SQLAlchemy, and opening a store may create or migrate tables: say what to do instead,
    without asking MLflow anything or creating a database file."""
    cwd = Path.cwd()
    r = run_monitor("--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", uri, "--format", "json")
    assert "Traceback" not in r.text
    assert r.code == 1
    found = finding(r, "MON301")
    assert found["severity"] == "error"
    assert found["subject"] == shown
    assert f"{shown} is a database" in found["message"]
    assert "mlflow server --backend-store-uri" in found["message"]
    assert "http(s)" in found["message"]
    assert CANARY not in r.text
    assert finding(r, "MON302")["severity"] == "info"
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("uri", ["databricks-uc", "uc", "databricks-uc://profile"])
def test_a_unity_catalog_uri_is_not_a_tracking_uri(monitor: RunMonitor, uri: str) -> None:
    """MLflow refuses these as tracking URIs; say so before importing it, rather than fail 'unexpectedly'."""
    r = monitor("--tracking-uri", uri, "--format", "json")
    assert r.code == 1
    found = finding(r, "MON301")
    assert found["severity"] == "error"
    assert "Unity Catalog" in found["message"]
