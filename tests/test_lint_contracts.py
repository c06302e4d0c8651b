"""The import-linter contracts catch a heavy import in the light path, directly or through a chain."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

IGNORE = shutil.ignore_patterns(".nox", ".git", "__pycache__", ".*_cache", ".hypothesis")


def lint_imports(repo: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([tool, "--no-cache"], cwd=repo, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dst = tmp_path / "repo"
    shutil.copytree(ROOT, dst, ignore=IGNORE)
    return dst


def test_contracts_hold_on_the_repository(repo: Path) -> None:
    result = lint_imports(repo)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("mlops/monitoring/checks/sneaky.py", "def f():\n    import numpy\n"),
        ("mlops/core/sneaky.py", "import torch\n"),
        ("mlops/__init__.py", "import pandas\n"),
        ("mlops/monitoring/sneaky.py", "from mlops.training import loop\n"),
        ("tools/noxenv.py", "def f():\n    from mlops.core import redact\n"),  # nox's env has no mlops deps
    ],
)
def test_a_heavy_import_breaks_a_contract(repo: Path, module: str, source: str) -> None:
    path = repo / module
    path.write_text(path.read_text() + source if path.exists() else source)
    if "training" in source:
        (repo / "mlops/training/loop.py").write_text("import ultralytics\n")
    result = lint_imports(repo)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout
