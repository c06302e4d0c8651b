"""The pinned sets: the slim one stays slim, every pin is hashed, each lock follows its input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

REQUIREMENTS = ROOT / "requirements"
HEAVY = {
    "torch", "torchvision", "ultralytics", "opencv-python", "opencv-python-headless", "numpy", "pandas", "scipy",
    "evidently", "whylogs", "great-expectations", "dvc", "scikit-learn", "mlflow",
}  # fmt: skip
PIN = re.compile(r"^([A-Za-z0-9][\w.-]*)==(\S+?)(?:\s*;.*?)?\s*\\?$", re.M)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_blocks(lock: Path) -> list[str]:
    """One string per requirement: its pin line and its --hash continuation lines."""
    text = "\n".join(line for line in lock.read_text().splitlines() if not line.lstrip().startswith("#"))
    return [block for block in re.split(r"\n(?=\S)", text) if block.strip()]


def test_monitoring_set_holds_nothing_heavy() -> None:
    names = {normalise(m[1]) for m in PIN.finditer((REQUIREMENTS / "monitoring.txt").read_text())}
    assert {"mlflow-skinny", "pyyaml", "python-dotenv"} <= names
    assert not names & HEAVY, names & HEAVY


def test_monitoring_inputs_are_the_three_light_packages_and_the_storage_client() -> None:
    """The seed's slim set, and obstore for object-storage workspaces (imported only for those)."""
    lines = [line.split("#")[0].strip() for line in (REQUIREMENTS / "monitoring.in").read_text().splitlines()]
    assert sorted(filter(None, lines)) == ["mlflow-skinny", "obstore", "python-dotenv", "pyyaml"]


@pytest.mark.parametrize("name", ["monitoring", "dev", "nox"])
def test_every_pin_is_exact_and_hashed(name: str) -> None:
    blocks = requirement_blocks(REQUIREMENTS / f"{name}.txt")
    assert blocks
    for block in blocks:
        assert PIN.match(block.splitlines()[0]), block.splitlines()[0]
        assert "--hash=sha256:" in block, f"{name}.txt: {block.splitlines()[0]} has no hash"


@pytest.mark.parametrize("name", ["monitoring", "dev", "nox"])
def test_lock_header_names_the_command_that_regenerates_it(name: str) -> None:
    assert f"nox -s lock -- {name}" in (REQUIREMENTS / f"{name}.txt").read_text()


def test_full_set_exists() -> None:
    assert (REQUIREMENTS / "full.txt").is_file()
