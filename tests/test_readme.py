"""The README's promises that a file can check: the Quick start, CI's command, the check table."""

from __future__ import annotations

import re

from mlops.monitoring.checks.base import REGISTRY
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\w*\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the Quick start holds exactly one fenced code block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_is_two_commands_monitor_then_tests() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("-s monitor")
    assert commands[1].endswith("-s tests")
    assert not any(tool in " ".join(commands) for tool in ("pip install", "pipx", "uv "))


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci.splitlines()


def test_every_check_is_documented() -> None:
    for check in REGISTRY:
        assert f"| {check.id} |" in README, f"{check.id} is missing from the README's check table"
