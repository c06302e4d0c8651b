"""MLOPS_HEARTBEAT_URL through the README's entry point: each run pings a dead man's switch with its outcome,
a dead or slow service never changes the verdict, and the URL's secret path is never shown anywhere.

The service is a real loopback HTTP server (tests/http_server.py) that records each request; the monitor
is ``python3 noxfile.py -s monitor`` (the ``nox_monitor`` fixture), or ``main()`` for details of the retry.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlops.monitoring.heartbeat import BUDGET, Heartbeat, configured, outcome_line, secret_parts
from tests.conftest import ENV_PREFIXES, EXAMPLE_CONFIG, ROOT, NoxMonitor, Outcome
from tests.http_server import Fault, HttpServer

CANARY = "0f3e6a52-9c1d-4e7b-beat-canary"
"""The UUID part of the ping URL: what Healthchecks calls the check's secret."""
WAIT = 60
"""Seconds a step may take before the test gives up: a hang guard, never a timing claim."""


@pytest.fixture
def service() -> Iterator[HttpServer]:
    """The monitoring service: answers 200 "OK" and records every ping."""
    with HttpServer() as server:
        yield server


def ping_url(service: HttpServer) -> str:
    return f"{service.url}/ping/{CANARY}"


def shown(service: HttpServer) -> str:
    return f"{service.url}/…"


def failing(user_dir: Path) -> Path:
    """A user's project whose workspace lost its alerts file: the monitor exits 1."""
    (user_dir / "ws" / "alerts.json").unlink()
    (user_dir / "mlops.yaml").write_text('workspace: ws\nas_of: "2026-11-20T12:05:00Z"\n', encoding="utf-8")
    return user_dir


def no_secret(outcome: Outcome, *files: Path) -> None:
    for text in (outcome.out, outcome.err, *(f.read_text(encoding="utf-8") for f in files)):
        assert CANARY not in text


# --- the ping carries the outcome ------------------------------------------------------------------


def test_a_healthy_run_pings_exit_0_with_the_outcome(
    nox_monitor: NoxMonitor, service: HttpServer, tmp_path: Path
) -> None:
    r = nox_monitor(cwd=tmp_path, env={"MLOPS_HEARTBEAT_URL": ping_url(service)})
    assert r.code == 0, r.text
    (ping,) = service.requests
    assert (ping.method, ping.path, ping.query) == ("POST", f"/ping/{CANARY}/0", "")
    assert ping.headers["user-agent"] == "mlops-monitor"
    assert ping.headers["content-type"].startswith("text/plain")
    body = ping.body.decode()
    assert body.startswith("mlops monitor: exit 0 (healthy), 0 error(s), 3 warning(s), workspace "), body
    assert "\n" not in body
    assert "heartbeat" not in r.text, "a successful ping says nothing"
    no_secret(r)


def test_a_failing_run_pings_exit_1_and_reads_the_url_from_dotenv(
    nox_monitor: NoxMonitor, service: HttpServer, user_dir: Path
) -> None:
    project = failing(user_dir)
    (project / ".env").write_text(f"MLOPS_HEARTBEAT_URL={ping_url(service)}\n", encoding="utf-8")
    r = nox_monitor(cwd=project)
    assert r.code == 1, r.text
    (ping,) = service.requests
    assert ping.path == f"/ping/{CANARY}/1"
    assert ping.body.decode().startswith("mlops monitor: exit 1 (failed), 1 error(s), ")
    no_secret(r)


def test_a_configuration_error_pings_exit_2_and_is_scrubbed_of_the_secret(
    nox_monitor: NoxMonitor, service: HttpServer, user_dir: Path
) -> None:
    """The missing config file's name holds the URL's path: the refusal names it, the scrub hides it.
    (Named in MLOPS_CONFIG, not on the command line, which nox itself echoes.)"""
    env = {"MLOPS_HEARTBEAT_URL": ping_url(service), "MLOPS_CONFIG": str(user_dir / "ping" / CANARY)}
    r = nox_monitor(cwd=user_dir, env=env)
    assert r.code == 2, r.text
    (ping,) = service.requests
    assert ping.path == f"/ping/{CANARY}/2"
    body = ping.body.decode()
    assert body.startswith("mlops monitor: exit 2 (configuration error): "), body
    assert CANARY not in body and "***" in body
    assert "***" in r.err
    no_secret(r)


@pytest.mark.parametrize(("broken", "code", "state"), [(False, 0, "complete"), (True, 1, "fail")])
def test_placeholders_take_the_exit_code_and_cronitors_state(
    nox_monitor: NoxMonitor, service: HttpServer, user_dir: Path, broken: bool, code: int, state: str
) -> None:
    if broken:
        failing(user_dir)
    url = f"{service.url}/p/{CANARY}/monitor?state={{state}}&status_code={{exit_code}}"
    args = () if broken else ("--example",)
    r = nox_monitor(*args, cwd=user_dir, env={"MLOPS_HEARTBEAT_URL": url})
    assert r.code == code, r.text
    (ping,) = service.requests
    assert (ping.path, ping.query) == (f"/p/{CANARY}/monitor", f"state={state}&status_code={code}")
    no_secret(r)


def test_no_heartbeat_sends_nothing(nox_monitor: NoxMonitor, service: HttpServer, tmp_path: Path) -> None:
    r = nox_monitor("--no-heartbeat", cwd=tmp_path, env={"MLOPS_HEARTBEAT_URL": ping_url(service)})
    assert r.code == 0, r.text
    assert service.requests == []


# --- a dead or slow service: one line, the verdict unchanged ----------------------------------------


@pytest.mark.parametrize(("fault", "broken"), [("silent", False), ("trickle", True)])
def test_a_silent_or_trickling_service_leaves_the_verdict_and_says_so(
    nox_monitor: NoxMonitor, service: HttpServer, user_dir: Path, fault: Fault, broken: bool
) -> None:
    service.fault = fault
    if broken:
        failing(user_dir)
    args = () if broken else ("--example",)
    started = time.monotonic()
    r = nox_monitor(*args, cwd=user_dir, env={"MLOPS_HEARTBEAT_URL": ping_url(service)})
    print(f"{fault}: the whole nox run took {time.monotonic() - started:.2f} s (heartbeat budget {BUDGET:g} s)")
    assert r.code == (1 if broken else 0), r.text
    line = f"mlops monitor: heartbeat to {shown(service)} failed (no answer within {BUDGET:g} s); the verdict stands"
    assert line in r.err
    assert len(service.requests) == 1, "a timeout is not retried: the budget is spent"
    no_secret(r)


def test_the_github_format_warns_and_no_file_holds_the_secret(
    nox_monitor: NoxMonitor, service: HttpServer, user_dir: Path
) -> None:
    service.fault, service.status = "status", 500
    summary, outputs, report = user_dir / "summary.md", user_dir / "outputs.txt", user_dir / "report.txt"
    env = {
        "MLOPS_HEARTBEAT_URL": ping_url(service),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    r = nox_monitor("--example", "--output", report, cwd=user_dir, env=env)
    assert r.code == 0, r.text
    assert len(service.requests) == 2, "a 5xx is retried once"
    warning = f"::warning title=mlops heartbeat::heartbeat to {shown(service)} failed (HTTP 500; then HTTP 500)"
    assert warning in r.out
    assert "the verdict stands" in r.err
    assert summary.stat().st_size and outputs.stat().st_size and report.stat().st_size
    no_secret(r, summary, outputs, report)


@pytest.mark.parametrize(
    "value",
    [f"ftp://127.0.0.1/{CANARY}", f"hc-ping.com/{CANARY}", f"https:///{CANARY}", f"http://127.0.0.1:99999/{CANARY}"],
)
def test_an_unusable_url_is_a_configuration_error_naming_the_variable_only(
    nox_monitor: NoxMonitor, tmp_path: Path, value: str
) -> None:
    r = nox_monitor(cwd=tmp_path, env={"MLOPS_HEARTBEAT_URL": value})
    assert r.code == 2, r.text
    assert "MLOPS_HEARTBEAT_URL must be an http(s) URL with a host" in r.err
    no_secret(r)


# --- details, through main() --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "sent"), [(503, 2), (404, 1), (301, 1)])
def test_only_a_5xx_is_retried(
    run_monitor: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, service: HttpServer, status: int, sent: int
) -> None:
    """A 4xx (a deleted check) or a 3xx will say the same again; a 5xx may be a moment's trouble."""
    service.fault, service.status = "status", status
    service.headers = {"Location": f"{service.url}/elsewhere"}
    monkeypatch.setenv("MLOPS_HEARTBEAT_URL", ping_url(service))
    r = run_monitor("--example")
    assert r.code == 0, r.text
    assert [p.path for p in service.requests] == [f"/ping/{CANARY}/0"] * sent
    assert f"failed (HTTP {status}" in r.err


def test_a_refused_connection_is_retried_once(
    run_monitor: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # bound, then closed: nobody listens, the connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLOPS_HEARTBEAT_URL", f"http://127.0.0.1:{port}/{CANARY}")
    r = run_monitor("--example")
    assert r.code == 0, r.text
    assert "cannot connect" in r.err and "; then cannot connect" in r.err
    no_secret(r)


def test_the_url_stays_secret_with_no_heartbeat(
    run_monitor: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, service: HttpServer, tmp_path: Path
) -> None:
    """Turned off for this run, the URL is still the scheduled job's secret: a refusal naming a file whose
    path holds it prints ***."""
    monkeypatch.setenv("MLOPS_HEARTBEAT_URL", f"{service.url}{tmp_path}/ping/{CANARY}")
    r = run_monitor("--no-heartbeat", "--config", tmp_path / "ping" / CANARY)
    assert r.code == 2, r.text
    assert "config file not found" in r.err and "***" in r.err
    no_secret(r)
    assert service.requests == []


def test_the_secret_parts_cover_path_query_and_placeholder_pieces() -> None:
    url = f"https://cronitor.link/p/{CANARY}/job?state={{state}}&key=k3y-secret"
    parts = secret_parts(url)
    assert f"/p/{CANARY}/job" in parts and "&key=k3y-secret" in parts
    beat = Heartbeat(url=url)
    assert beat.target(3) == f"https://cronitor.link/p/{CANARY}/job?state=fail&key=k3y-secret"
    assert Heartbeat(url="https://hc-ping.com/u/").target(0) == "https://hc-ping.com/u/0"
    assert configured({"MLOPS_HEARTBEAT_URL": url}, disabled=True) is None
    assert configured({"MLOPS_HEARTBEAT_URL": "  "}, disabled=False) is None
    assert outcome_line(3, detail="internal error (KeyError)\nsecond line") == (
        "mlops monitor: exit 3 (internal error): internal error (KeyError) second line"
    )


# --- light path and interrupts ------------------------------------------------------------------------

HTTP_MODULES = ("mlops.core.http", "urllib.request", "http.client")


def imported_by_a_run(nox_monitor: NoxMonitor, env: dict[str, str]) -> tuple[int, list[str]]:
    """The HTTP modules in sys.modules after ``main(['--example'])`` in the monitor session's own env."""
    code = (
        "import sys, json, contextlib, io\n"
        "from mlops.monitoring.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): code = main(['--example'])\n"
        f"print(json.dumps([code, sorted(m for m in sys.modules if m in {HTTP_MODULES!r})]))\n"
    )
    python = nox_monitor.repo / ".nox" / "monitor" / "bin" / "python"
    done = subprocess.run(
        [python, "-c", code], cwd=nox_monitor.repo, env=nox_monitor.environ(env), capture_output=True, text=True,
        timeout=WAIT, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result[0]), list(result[1])


def test_a_plain_run_imports_no_http_module(nox_monitor: NoxMonitor, service: HttpServer) -> None:
    assert imported_by_a_run(nox_monitor, {}) == (0, [])
    assert imported_by_a_run(nox_monitor, {"MLOPS_HEARTBEAT_URL": ping_url(service)}) == (0, sorted(HTTP_MODULES))
    assert len(service.requests) == 1


def test_an_interrupted_run_sends_no_heartbeat(workspace: Path, service: HttpServer) -> None:
    """Interrupted while MLflow (a listener that never answers) is asked: exit 130 and no ping."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(WAIT)
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        env |= {"PYTHON_DOTENV_DISABLED": "1", "MLOPS_HEARTBEAT_URL": ping_url(service)}
        command = [
            sys.executable, "-m", "mlops.monitoring", "--config", str(EXAMPLE_CONFIG), "--workspace", str(workspace),
            "--tracking-uri", f"http://127.0.0.1:{listener.getsockname()[1]}",
            "--set", f"mlflow.budget_seconds={WAIT * 2}",
        ]  # fmt: skip
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            conn, _ = listener.accept()  # the monitor is waiting for MLflow now
            with conn:
                proc.send_signal(signal.SIGINT)
                _, err = proc.communicate(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, err
    assert service.requests == []
