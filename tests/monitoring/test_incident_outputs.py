"""What the monitor step hands the incident job: ``model``, ``alias`` and ``summary`` step outputs that
GitHub's own multiline rules read back exactly, whatever the model is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.core.workflow import clip, output
from mlops.monitoring.reporters import github
from mlops.monitoring.results import ExitCode, Finding, Report, Severity
from tests.conftest import NoxMonitor
from tests.github_server import parse_outputs
from tests.monitoring.conftest import RunMonitor


def report(*, model: str = "shapes-detector", alias: str = "champion", message: str = "old") -> Report:
    finding = Finding(check="MON102", family="files", title="stale", severity=Severity.ERROR, message=message)
    return Report(
        findings=(finding,), workspace="ws", as_of="2026-11-20T12:05:00+00:00", as_of_is_now=False,
        fail_on=Severity.ERROR, exit_code=ExitCode.FINDINGS, model=model, alias=alias,
    )  # fmt: skip


def test_model_alias_and_summary_are_outputs_read_back_exactly() -> None:
    r = report()
    outputs = parse_outputs(github.output_lines(r))
    assert outputs["model"] == "shapes-detector" and outputs["alias"] == "champion"
    assert outputs["summary"].rstrip("\n") == github.summary(r).rstrip("\n")
    assert outputs["status"] == "failed" and outputs["exit-code"] == "1"


def test_a_model_name_with_line_breaks_cannot_forge_an_output() -> None:
    model = "m\nstatus=ok\nexit-code=0"
    outputs = parse_outputs(github.output_lines(report(model=model, alias="a\r\nb")))
    assert outputs["model"] == model and outputs["status"] == "failed" and outputs["exit-code"] == "1"


def test_a_summary_holding_a_delimiter_like_line_is_kept_whole() -> None:
    text = "one\nghadelimiter_\nEOF\n"
    assert parse_outputs(output("summary", text)) == {"summary": text.rstrip("\n")}


def test_the_summary_output_is_clipped_to_fit_an_issue_body() -> None:
    big = report(message="x" * 300)
    big = Report(**{**big.__dict__, "findings": big.findings * 1000})
    summary = parse_outputs(github.output_lines(big))["summary"]
    assert len(summary) <= github.SUMMARY_OUTPUT_LIMIT
    assert summary.endswith("*Summary clipped to 60,000 characters: the run's job summary has all of it.*")
    assert summary.splitlines()[-3].startswith("| ❌ |")  # whole rows only


def test_a_summary_clipped_among_the_folded_checks_closes_its_details() -> None:
    """Cut inside the passing checks' <details>, the issue body would hide everything after it (the run
    link, the note): the clipped output closes the block before its note."""
    passing = Finding(check="MON102", family="files", title="ok", severity=Severity.OK, message="y" * 300)
    big = Report(**{**report().__dict__, "findings": (report().findings[0], *(passing,) * 1000)})
    summary = parse_outputs(github.output_lines(big))["summary"]
    assert len(summary) <= github.SUMMARY_OUTPUT_LIMIT
    assert summary.count("<details>") == summary.count("</details>") == 1
    assert summary.index("</details>") < summary.index("*Summary clipped to")


def test_clip_keeps_whole_lines_and_says_so() -> None:
    assert clip("short", 10, "cut") == "short"
    assert clip("aaaa\nbbbb\ncccc\n", 12, "cut") == "aaaa\n\ncut"


def test_the_runner_fills_model_and_alias_from_the_config(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monitor("--format", "github", "--model-name", "detector <b>", "--model-alias", "prod")
    named = parse_outputs(out.read_text())
    assert (named["model"], named["alias"]) == ("detector <b>", "prod")
    out.unlink()
    monitor("--format", "github", "--set", "mlflow.model_name=null")
    unnamed = parse_outputs(out.read_text())
    assert (unnamed["model"], unnamed["alias"]) == ("", "")


@pytest.mark.nox
def test_the_entry_point_hands_model_alias_and_summary_to_later_jobs(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    summary, out = tmp_path / "summary.md", tmp_path / "output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(out)}
    r = nox_monitor("--example", "--format", "github", cwd=tmp_path, env=env)
    assert r.code == 0, r.text
    outputs = parse_outputs(out.read_text(encoding="utf-8"))
    assert (outputs["model"], outputs["alias"], outputs["status"]) == ("shapes-detector", "champion", "ok")
    assert outputs["summary"].startswith("## mlops monitor: ✅ healthy")
    assert outputs["summary"].rstrip("\n") == summary.read_text(encoding="utf-8").rstrip("\n")
