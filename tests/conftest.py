"""Shared fixtures: a private copy of the example workspace, and the monitor called through main()."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring.cli import main
from tests.storage_server import S3Server

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "mlops" / "example"
EXAMPLE_CONFIG = EXAMPLE / "monitor.yaml"
ENV_PREFIXES = ("MLFLOW_", "MLOPS_", "GITHUB_", "PYTHON_DOTENV", "AWS_", "AZURE_", "GOOGLE_")
IGNORE = shutil.ignore_patterns(
    ".nox", ".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".import_linter_cache"
)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def copy_repo(dst: Path) -> Path:
    """A copy of the repository without its envs or caches: what a fresh clone holds."""
    shutil.copytree(ROOT, dst, ignore=IGNORE)
    return dst


def clean_environ() -> dict[str, str]:
    """The process environment without the developer's MLflow, monitor, GitHub or nox settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith((*ENV_PREFIXES, "NOX"))}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit the developer's MLflow, monitor or GitHub settings."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


LOOPBACK = ("localhost", "127.0.0.1", "::1")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach past this machine: names other than loopback do not resolve in-process."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in LOOPBACK and not str(host).startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve loopback names only, not {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the bundled example workspace."""
    dst = tmp_path / "ws"
    shutil.copytree(EXAMPLE / "workspace", dst)
    return dst


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's project folder outside the repository, holding a copy of the example workspace as ``ws``."""
    folder = tmp_path / "project"
    shutil.copytree(EXAMPLE / "workspace", folder / "ws")
    return folder


@pytest.fixture
def bare_config(tmp_path: Path) -> Path:
    """The example's config without its MLflow section: MLflow left unconfigured."""
    path = tmp_path / "bare.yaml"
    path.write_text('workspace: ws\nas_of: "2026-11-20T12:05:00Z"\n', encoding="utf-8")
    return path


@pytest.fixture
def run_monitor(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., Outcome]:
    """Call ``main([...])`` from an empty folder (no stray .env or mlops.yaml) and capture its output."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)

    def run(*args: str | os.PathLike[str]) -> Outcome:
        capsys.readouterr()  # drop what the test itself printed (MLflow's client announces runs)
        code = main([os.fspath(a) for a in args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def report(outcome: Outcome) -> dict[str, Any]:
    """The JSON report a run printed."""
    doc: dict[str, Any] = json.loads(outcome.out)
    return doc


def finding(outcome: Outcome, check: str) -> dict[str, Any]:
    """The single finding of ``check`` in a JSON report."""
    (found,) = [f for f in report(outcome)["findings"] if f["check"] == check]
    return dict(found)


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Mode and content hash of every file and folder under ``root``, links not followed."""
    state: dict[str, tuple[int, str]] = {}
    paths = [root]
    for folder, dirs, files in os.walk(root):  # never follows links, so loops are harmless
        paths += [Path(folder, name) for name in dirs + files]
    for path in sorted(paths):
        info = path.lstat()
        digest = ""
        if path.is_file() and not path.is_symlink():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_symlink():
            digest = os.readlink(path)
        state[str(path.relative_to(root))] = (info.st_mode, digest)
    return state


@dataclass(frozen=True)
class MlflowServer:
    uri: str
    db: Path
    """The server's sqlite file: some states (a version not READY) have no API to create them."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow tracking server (full mlflow, sqlite backend) on a free loopback port."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = (root / "server.log").open("w")
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--default-artifact-root", str(root / "art")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")} | {"MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a loaded 2-core machine took 140 s once
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"mlflow server exited {proc.returncode}: {(root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=1) as answer:
                    if answer.read().strip() == b"OK":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("mlflow server did not become healthy within 90 s")
        yield MlflowServer(uri=uri, db=root / "mlflow.db")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()  # reap it: no zombie, and its log is complete before it is closed
        log.close()


@dataclass(frozen=True)
class NoxMonitor:
    """``python3 noxfile.py -s monitor [-- ARGS]``, the README's entry point, on a copy of the repository.

    Each call is a real nox process whose monitor env was built once for the test session. It runs
    in ``cwd`` (default: the copy's root, as in the Quick start) with the clean environment plus ``env``.
    """

    repo: Path

    def command(self, *args: str | os.PathLike[str]) -> list[str]:
        extra = ["--", *(os.fspath(a) for a in args)] if args else []
        return [sys.executable, str(self.repo / "noxfile.py"), "-s", "monitor", *extra]

    def environ(self, env: dict[str, str] | None = None) -> dict[str, str]:
        return clean_environ() | (env or {})

    def __call__(
        self, *args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> Outcome:
        done = subprocess.run(
            self.command(*args),
            cwd=cwd or self.repo,
            env=self.environ(env),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def nox_monitor(tmp_path_factory: pytest.TempPathFactory) -> NoxMonitor:
    """The documented entry point, ready to call: a repository copy whose monitor env is built."""
    runner = NoxMonitor(copy_repo(tmp_path_factory.mktemp("entry") / "repo"))
    built = runner("--list-checks")
    assert built.code == 0, built.text
    return runner


def json_from(outcome: Outcome) -> dict[str, Any]:
    """The JSON report inside nox's stdout (nox logs its own lines on stderr)."""
    doc: dict[str, Any] = json.loads(outcome.out[outcome.out.index("{") :])
    return doc


def in_threads(work: Callable[[int], object], count: int, *, timeout: float = 120) -> None:
    """``work(0)`` ... ``work(count - 1)`` at once, one thread each; returns when all are done (or hung)."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


def champion_scenario(uri: str, prefix: str) -> tuple[str, str]:
    """An experiment and a registered model with @champion on a finished run, on the server at ``uri``:
    every MLflow check can pass. Returns (experiment, model), both unique to this call."""
    import uuid

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    tag = uuid.uuid4().hex[:8]
    experiment, model = f"{prefix}-exp-{tag}", f"{prefix}-model-{tag}"
    run = client.create_run(client.create_experiment(experiment))
    client.set_terminated(run.info.run_id)
    client.create_registered_model(model)
    version = client.create_model_version(model, f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.set_registered_model_alias(model, "champion", version.version)
    return experiment, model


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 on loopback behind a recording, fault-injecting front (tests/storage_server.py)."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server: S3Server) -> Iterator[S3Server]:
    """The loopback S3 server with no fault set and no request recorded; each test makes its own buckets."""
    s3_server.front.faults.clear()
    s3_server.front.seen.clear()
    yield s3_server
    s3_server.front.faults.clear()
