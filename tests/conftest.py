"""Shared fixtures: a private copy of the example workspace, and the monitor called through main()."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "mlops" / "example"
EXAMPLE_CONFIG = EXAMPLE / "monitor.yaml"
ENV_PREFIXES = ("MLFLOW_", "MLOPS_", "GITHUB_", "PYTHON_DOTENV")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit the developer's MLflow, monitor or GitHub settings."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the bundled example workspace."""
    dst = tmp_path / "ws"
    shutil.copytree(EXAMPLE / "workspace", dst)
    return dst


@pytest.fixture
def run_monitor(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., Outcome]:
    """Call ``main([...])`` from an empty folder (no stray .env or mlops.yaml) and capture its output."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)

    def run(*args: str | os.PathLike[str]) -> Outcome:
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
