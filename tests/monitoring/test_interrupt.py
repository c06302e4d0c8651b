"""Ctrl-C or a CI cancellation (SIGTERM) mid-run: exit 130, no report file half-written or replaced, no
temporary file left, no traceback, the workspace untouched.

A real ``python -m mlops.monitoring`` process is interrupted while it waits in the MLflow questions on a
loopback listener that accepts connections and never answers. The listener seeing the connection is the
signal to interrupt, so the test does not depend on timing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.monitoring.results import ExitCode
from tests.conftest import ENV_PREFIXES, EXAMPLE_CONFIG, ROOT, snapshot

OLD_REPORT = "the previous report, which must survive\n"
WAIT = 60
"""Seconds any step may take before the test gives up: a hang guard, never a timing claim."""


@pytest.fixture
def silent_listener() -> Iterator[socket.socket]:
    """Accepts connections (the monitor then waits for an answer) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(WAIT)
        yield sock


def start_monitor(workspace: Path, port: int, output: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)} | {"PYTHON_DOTENV_DISABLED": "1"}
    command = [
        sys.executable, "-m", "mlops.monitoring", "--config", str(EXAMPLE_CONFIG), "--workspace", str(workspace),
        "--tracking-uri", f"http://127.0.0.1:{port}", "--set", f"mlflow.budget_seconds={WAIT * 2}",
        "--format", "json", "--output", str(output),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("existing", [True, False], ids=["report-exists", "no-report-yet"])
def test_a_signal_mid_run_exits_130_and_leaves_no_partial_report(
    workspace: Path, silent_listener: socket.socket, tmp_path: Path, signum: signal.Signals, existing: bool
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "report.json"
    if existing:
        output.write_text(OLD_REPORT, encoding="utf-8")
    before = snapshot(workspace)
    proc = start_monitor(workspace, silent_listener.getsockname()[1], output)
    try:
        conn, _ = silent_listener.accept()  # the monitor is now inside the MLflow questions
        with conn:
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err and "Traceback" not in out
    assert "interrupted; no report was written" in err
    assert out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == (["report.json"] if existing else [])
    if existing:
        assert output.read_text(encoding="utf-8") == OLD_REPORT
    assert snapshot(workspace) == before


def test_an_uninterrupted_run_of_the_same_command_does_write_the_report(workspace: Path, tmp_path: Path) -> None:
    """The control: without a signal the same command replaces the file, so the test above can fail."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once this block ends: the MLflow part fails fast
    output = tmp_path / "report.json"
    output.write_text(OLD_REPORT, encoding="utf-8")
    proc = start_monitor(workspace, port, output)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == ExitCode.FINDINGS, err
    assert output.read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "ws"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_monitor_is_still_importing_exits_130(signum: signal.Signals) -> None:
    """``python -m mlops.monitoring`` as run by runpy, with the signal raised at the very import of the
    CLI (before main() installs its own handler): deterministic, where a timed kill would be a race."""
    code = f"""
import builtins, os, runpy
real = builtins.__import__
def importing(name, *args, **kwargs):
    if name == "mlops.monitoring.cli":
        os.kill(os.getpid(), {int(signum)})
    return real(name, *args, **kwargs)
builtins.__import__ = importing
runpy.run_module("mlops.monitoring", run_name="__main__")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WAIT)
    assert (done.returncode, done.stdout) == (ExitCode.INTERRUPTED, "")
    assert done.stderr == "mlops monitor: interrupted; no report was written\n"
