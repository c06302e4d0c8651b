"""The README's entry point, ``python3 noxfile.py -s monitor [-- ARGS]``, keeps every promise the README makes.

Each test runs nox as a real process (the ``nox_monitor`` fixture) from the folder a user would run it
in: the example is checked only when nothing configures a run, paths and ``.env`` belong to that
folder, the exit codes are the monitor's own, signals end the run with 130 and no secret is echoed.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NoxMonitor, Outcome, json_from, snapshot

pytestmark = [pytest.mark.nox]

WAIT = 120
"""Seconds a step may take before the test gives up: a hang guard, never a timing claim."""
CANARY = "canary-Pa55w0rd-7f3e"


def header(outcome: Outcome) -> str:
    return outcome.out.split("\n\n", 1)[0]


# --- 1. the example is the fallback only when nothing else configures a run -------------------------


def test_nothing_configured_checks_the_example_and_says_why(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    r = nox_monitor(cwd=tmp_path)
    assert r.code == 0, r.text
    assert "the bundled example, since no --config, MLOPS_CONFIG" in header(r)
    assert "as of 2026-11-20T12:05:00" in header(r)


@pytest.mark.parametrize("how", ["MLOPS_CONFIG", "--config", "./mlops.yaml", ".env"])
def test_a_config_the_user_names_is_used_instead_of_the_example(
    nox_monitor: NoxMonitor, user_dir: Path, how: str
) -> None:
    """A config whose workspace is broken: checking the example instead would say healthy (exit 0)."""
    (user_dir / "ws" / "alerts.json").unlink()
    name = "mlops.yaml" if how == "./mlops.yaml" else "my.yaml"
    (user_dir / name).write_text('workspace: ws\nas_of: "2026-11-20T12:05:00Z"\n', encoding="utf-8")
    args: tuple[str, ...] = ("--config", name) if how == "--config" else ()
    env = {"MLOPS_CONFIG": name} if how == "MLOPS_CONFIG" else {}
    if how == ".env":
        (user_dir / ".env").write_text(f"MLOPS_CONFIG={name}\n", encoding="utf-8")
    r = nox_monitor(*args, cwd=user_dir, env=env)
    assert r.code == 1, r.text
    assert "alerts.json is missing from the workspace" in r.out
    expected = {"MLOPS_CONFIG": "from MLOPS_CONFIG", "--config": "from --config", ".env": "from MLOPS_CONFIG"}
    assert f"config     {name} ({expected.get(how, 'found in the current folder')})" in header(r)
    assert "bundled example" not in r.out


@pytest.mark.parametrize("how", ["MLOPS_WORKSPACE", "--workspace"])
def test_a_workspace_alone_is_judged_now_on_the_defaults(nox_monitor: NoxMonitor, user_dir: Path, how: str) -> None:
    """Not as of the example's snapshot time: as of now, the example's windows are weeks old (MON105)."""
    args = ("--workspace", "ws", "--format", "json") if how == "--workspace" else ("--format", "json")
    env = {"MLOPS_WORKSPACE": "ws"} if how == "MLOPS_WORKSPACE" else {}
    r = nox_monitor(*args, cwd=user_dir, env=env)
    doc = json_from(r)
    assert r.code == 1, r.text
    assert doc["config"] == {"file": None, "source": "no config file: a workspace alone runs on the defaults"}
    assert doc["workspace"] == "ws" and doc["workspace_source"] == f"from {how}"
    assert not doc["as_of"].startswith("2026-11-20")
    assert [f["severity"] for f in doc["findings"] if f["check"] == "MON105"] == ["error"]


def test_a_config_without_a_workspace_is_a_configuration_error(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    (user_dir / "mlops.yaml").write_text("# nothing yet\n", encoding="utf-8")
    r = nox_monitor(cwd=user_dir)
    assert r.code == 2, r.text
    assert "no workspace configured (mlops.yaml sets no `workspace:`)" in r.err


# --- 4. paths and .env resolve from the folder the command was run in -------------------------------


def test_relative_paths_and_dotenv_belong_to_the_users_folder(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    (user_dir / "mlops.yaml").write_text('workspace: ws\nas_of: "2026-11-20T12:05:00Z"\n', encoding="utf-8")
    (user_dir / ".env").write_text("MLFLOW_TRACKING_URI=http://127.0.0.1:9\n", encoding="utf-8")
    repo_before = snapshot(nox_monitor.repo / "mlops")
    r = nox_monitor(
        "--config", "mlops.yaml", "--workspace", "ws", "--output", "r.json", "--format", "json",
        "--select", "MON1,MON301", cwd=user_dir,
    )  # fmt: skip
    assert r.code == 0, r.text
    doc = json.loads((user_dir / "r.json").read_text(encoding="utf-8"))
    assert doc["workspace"] == "ws" and doc["config"]["file"] == "mlops.yaml"
    assert [f["message"] for f in doc["findings"] if f["check"] == "MON301"] == [
        "MLflow tracking URI is http://127.0.0.1:9"
    ]
    assert not (nox_monitor.repo / "r.json").exists()
    assert snapshot(nox_monitor.repo / "mlops") == repo_before


@pytest.mark.parametrize(
    ("args", "env", "missing"),
    [
        (("--config", "nope.yaml"), {}, "nope.yaml: config file not found"),
        ((), {"MLOPS_CONFIG": "sub/nope.yaml"}, "sub/nope.yaml: config file not found"),
    ],
)
def test_not_found_shows_the_resolved_path(
    nox_monitor: NoxMonitor, user_dir: Path, args: tuple[str, ...], env: dict[str, str], missing: str
) -> None:
    r = nox_monitor(*args, cwd=user_dir, env=env)
    assert r.code == 2, r.text
    assert f"mlops monitor: {user_dir / missing}" in r.err


def test_a_missing_workspace_shows_the_resolved_path(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    r = nox_monitor("--workspace", "elsewhere", "--format", "json", cwd=user_dir)
    assert r.code == 1, r.text
    (mon100,) = [f for f in json_from(r)["findings"] if f["check"] == "MON100"]
    assert mon100["message"] == f"{user_dir / 'elsewhere'} does not exist"


# --- 2. exit codes: the README's table holds through nox ---------------------------------------------

INJECTED_BUG = """
from mlops.monitoring.checks.base import check

@check("MON999", "files", "injected bug")
def broken(config):
    raise RuntimeError("a bug")
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--example",), 0),
        (("--example", "--fail-on", "warning"), 1),
        (("--example", "--set", "nope=1"), 2),
        (("--example", "--format", "yaml"), 2),
        (("--example", "--select", "MON999"), 3),
    ],
    ids=["healthy", "findings", "bad-key", "bad-option", "internal-error"],
)
@pytest.mark.parametrize("launcher", ["python3 noxfile.py", "nox"])
def test_exit_codes_are_the_monitors_own(
    nox_monitor: NoxMonitor, tmp_path: Path, args: tuple[str, ...], code: int, launcher: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    if code == 3:  # a check that raises: the only way to a bug is to plant one
        (site / "sitecustomize.py").write_text(INJECTED_BUG, encoding="utf-8")
    command = nox_monitor.command(*args)
    if launcher == "nox":
        command[1:2] = ["-m", "nox", "-f", command[1]]
    env = nox_monitor.environ({"PYTHONPATH": f"{nox_monitor.repo}:{site}"})
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    if code == 3:
        assert "mlops monitor: internal error (RuntimeError)" in done.stderr


@pytest.fixture
def silent_listener() -> socket.socket:
    """Accepts connections (the monitor then waits for an answer) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(WAIT)
    return sock


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_nox_mid_run_exits_130_and_leaves_no_report(
    nox_monitor: NoxMonitor, user_dir: Path, silent_listener: socket.socket, signum: signal.Signals
) -> None:
    """A CI cancellation sends SIGTERM to nox alone: the monitor must hear it and nox must exit 130."""
    port = silent_listener.getsockname()[1]
    command = nox_monitor.command(
        "--example", "--workspace", "ws", "--tracking-uri", f"http://127.0.0.1:{port}",
        "--set", f"mlflow.budget_seconds={WAIT * 2}", "--format", "json", "--output", "report.json",
    )  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=user_dir, env=nox_monitor.environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        conn, _ = silent_listener.accept()  # the monitor is inside the MLflow questions
        with conn:
            proc.send_signal(signum)  # to nox only, not to its process group
            out, err = proc.communicate(timeout=WAIT)
    finally:
        silent_listener.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, out + err
    assert "mlops monitor: interrupted; no report was written" in err
    assert "Traceback" not in out + err
    assert not (user_dir / "report.json").exists()


def test_install_only_builds_the_env_and_runs_no_monitor(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    command = [sys.executable, str(nox_monitor.repo / "noxfile.py"), "--install-only", "-s", "monitor"]
    done = subprocess.run(
        command, cwd=tmp_path, env=nox_monitor.environ(), capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "skipping the monitor: --install-only" in done.stderr
    assert "mlops monitor" not in done.stdout


# --- 3. nothing the entry point prints carries a secret -----------------------------------------------


@pytest.mark.parametrize("code", [0, 2], ids=["run", "refused"])
def test_no_secret_in_noxs_echo_or_failure_lines(nox_monitor: NoxMonitor, tmp_path: Path, code: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed: MLflow fails fast
    args = ["--example", "--tracking-uri", f"http://user:{CANARY}@127.0.0.1:{port}", "--ignore", "MON3"]
    args += ["--set", f"mlflow.username=x{CANARY}"] if code == 2 else []  # a refused value quotes itself
    env = {"MLFLOW_TRACKING_PASSWORD": f"env-{CANARY}", "MLFLOW_TRACKING_TOKEN": f"tok-{CANARY}"}
    args += ["--set", f"mlflow.experiment_name=env-{CANARY}"]  # the env password, echoed as an argument
    if code == 2:
        args += ["--set", "nope=1"]
    r = nox_monitor(*args, cwd=tmp_path, env=env)
    assert r.code == code, r.text
    assert "python -P -m mlops.monitoring --example-if-unconfigured --example --tracking-uri" in r.err
    assert CANARY not in r.text


# --- 9, 11, 12, 20, 21: what a user types is read as meant, or refused with a sentence (exit 2) -------


def add_critical_alert(ws: Path) -> None:
    alerts = json.loads((ws / "alerts.json").read_text(encoding="utf-8"))
    alerts["alerts"].append(
        {"id": "gpu-1", "raised_at": "2026-11-20T11:30:00Z", "severity": "critical", "title": "GPU lost", "source": "x"}
    )
    (ws / "alerts.json").write_text(json.dumps(alerts), encoding="utf-8")


def test_a_space_after_a_comma_still_selects_the_check(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    add_critical_alert(user_dir / "ws")
    r = nox_monitor("--example", "--workspace", "ws", "--select", "MON105, MON201", cwd=user_dir)
    assert r.code == 1, r.text
    assert "ERROR MON201" in r.out


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (("--ignore", "MON2O1"), {}, "'MON2O1' is not the prefix of any check ID"),
        (("--select", "mon1"), {}, "'mon1' is not the prefix of any check ID"),
        (
            ("--set", "files.baseline=../shared/baseline.json"),
            {},
            "'files.baseline' must be a path inside the workspace",
        ),
        (("--output", ""), {}, "'output' is empty: give a path"),
        ((), {"mlops.yaml": "workspace: ws\nworkspace: elsewhere\n"}, "mlops.yaml: the key 'workspace' is given twice"),
        ((), {"mlops.yaml": ""}, "no workspace configured (mlops.yaml sets no `workspace:`)"),
        (
            (),
            {".env": 'MLOPS_WORKSPACE=ws\nMLFLOW_TRACKING_PASSWORD="zq#secret"word\n'},
            ".env: line 2 cannot be parsed",
        ),
        ((), {".env": 'MLFLOW_TRACKING_PASSWORD="zq-secret\n'}, ".env: line 1 cannot be parsed"),
    ],
    ids=["ignore-typo", "select-lowercase", "file-outside", "empty-output", "duplicate-key", "empty-config",
         "dotenv-quote", "dotenv-unclosed"],
)  # fmt: skip
def test_usage_errors_exit_2_with_a_sentence(
    nox_monitor: NoxMonitor, user_dir: Path, args: tuple[str, ...], files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (user_dir / name).write_text(text, encoding="utf-8")
    r = nox_monitor(*(args or ("--workspace", "ws")) if not files else args, cwd=user_dir)
    assert r.code == 2, r.text
    assert message in r.err
    assert "zq" not in r.text  # a line of .env is never shown: it may hold a secret


def test_scientific_notation_is_a_number(nox_monitor: NoxMonitor, user_dir: Path) -> None:
    config = 'workspace: ws\nas_of: "2026-11-20T12:05:00Z"\ndrift:\n  p_value: 1e-3\n  min_images: 1e2\n'
    (user_dir / "mlops.yaml").write_text(config, encoding="utf-8")
    r = nox_monitor("--set", "drift.psi_warning=2E-1", "--select", "MON4", "--format", "json", cwd=user_dir)
    assert r.code == 0, r.text
    brightness = [f for f in json_from(r)["findings"] if f["subject"] == "brightness"]
    assert [f["severity"] for f in brightness] == ["ok"]  # PSI 0.11 < 0.2, and KS p 0.0095 > 1e-3
