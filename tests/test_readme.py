"""The README's promises that a file can check: the Quick start, CI's command, the check table."""

from __future__ import annotations

import re
import subprocess
import sys

from mlops.monitoring.checks import selected_checks
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


def test_the_check_table_is_list_checks() -> None:
    """One source: each row is the check's docstring summary, which ``--list-checks`` prints too."""
    rows = re.findall(r"^\| (MON\d{3}) \| (\w+) \| (.*) \|$", README, re.MULTILINE)
    assert rows == [(c.id, c.family, c.description) for c in sorted(selected_checks((), ()), key=lambda c: c.id)]
    command = [sys.executable, "-m", "mlops.monitoring", "--list-checks"]
    listed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    for check_id, _, description in rows:
        assert re.search(rf"^{check_id} .* {re.escape(description)}$", listed, re.MULTILINE), check_id


def test_the_before_after_block_is_the_harness_output() -> None:
    """Between the bench markers stands what ``nox -s bench -- --full --update-readme`` wrote: its header,
    its table with every group of rows, its targets; the markers appear once, so nothing else is there."""
    from benchmarks.bench import END, START

    assert README.count(START) == 1 and README.count(END) == 1
    block = README.split(START, 1)[1].split(END, 1)[0].strip()
    lines = block.splitlines()
    header = r"Measured \d{4}-\d{2}-\d{2} on .+ by `nox -s bench -- --full[^`]*`; median .+"
    assert re.fullmatch(header, lines[0]), lines[0]
    assert lines[2] == "| measurement | value | time vs seed's after |"
    for row in ("**seed's after**", "this project, warm", "**before**", "100,000 window files", "workflow replayed"):
        assert any(row in line for line in lines if line.startswith("| ")), f"no {row!r} row"
    assert "Targets:" in lines
    assert not re.search(r"n/a|not measured in this run", block)
