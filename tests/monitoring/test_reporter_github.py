"""The GitHub reporter: annotations GitHub can parse, a summary that stays a table, outputs a step can read."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from mlops.monitoring.reporters import github
from mlops.monitoring.reporters.spark import BARS
from mlops.monitoring.results import Band, ExitCode, Finding, Report, Severity, Trend
from tests.conftest import NoxMonitor, Outcome
from tests.github_server import parse_outputs
from tests.monitoring.conftest import RunMonitor

COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def make(findings: list[Finding], *, workspace: str = "monitoring/ws", code: ExitCode = ExitCode.FINDINGS) -> Report:
    return Report(
        findings=tuple(findings),
        workspace=workspace,
        as_of="2026-11-20T12:05:00+00:00",
        as_of_is_now=False,
        fail_on=Severity.ERROR,
        exit_code=code,
    )


def f(check: str, severity: Severity, message: str, subject: str = "", family: str = "files") -> Finding:
    return Finding(check=check, family=family, title="t", severity=severity, message=message, subject=subject)


def unescape(value: str) -> str:
    return value.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse one workflow command the way the runner does: properties split on ',' then '='."""
    match = COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match[2].strip().split(",")) if match[2] else {}
    return match[1], {k: unescape(v) for k, v in props.items()}, unescape(match[3])


def test_annotations_point_at_the_file_and_survive_hostile_text() -> None:
    message = "50% broken, a:b\nforged\r::error::x"
    out = github.render(make([f("MON102", Severity.ERROR, message, "windows/a,b:c.json")]))
    (line,) = [line for line in out.splitlines() if line.startswith("::error")]
    kind, props, data = parse_command(line)
    assert kind == "error"
    assert props["file"] == "monitoring/ws/windows/a,b:c.json"
    assert props["title"] == "MON102 t"
    assert data == message


def test_annotations_escape_terminal_control_characters() -> None:
    """An alert title from a file may carry ESC sequences; the log viewer must show them, not obey them."""
    out = github.render(make([f("MON201", Severity.WARNING, "clear\x1b[2J\x07 me", "alerts.json", "alerts")]))
    (line,) = [line for line in out.splitlines() if line.startswith("::warning")]
    assert "\x1b" not in line and "\x07" not in line
    assert parse_command(line)[2] == "clear\\x1b[2J\\x07 me"


def test_the_text_report_inside_the_group_cannot_start_a_command() -> None:
    out = github.render(make([f("MON201", Severity.WARNING, "x\n::error::forged line", "alerts.json", "alerts")]))
    group = out.split("::group::", 1)[1].split("::endgroup::", 1)[0]
    assert not any(line.startswith("::") for line in group.splitlines()[1:])


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (f("MON301", Severity.ERROR, "bad uri", "http://h:5000", "mlflow"), None),
        (f("MON101", Severity.ERROR, "no window", "windows/*.json"), None),
        (f("MON100", Severity.ERROR, "missing", "/abs/outside"), None),
        (f("MON201", Severity.WARNING, "alert", "alerts.json", "alerts"), "monitoring/ws/alerts.json"),
    ],
)
def test_only_files_inside_the_checkout_become_file_properties(finding: Finding, expected: str | None) -> None:
    line = next(line for line in github.render(make([finding])).splitlines() if COMMAND.match(line))
    assert parse_command(line)[1].get("file") == expected


def test_at_most_ten_annotations_per_severity_the_rest_summarised() -> None:
    findings = [f("MON102", Severity.ERROR, f"e{i}", f"windows/{i}.json") for i in range(25)]
    findings += [f("MON105", Severity.WARNING, f"w{i}") for i in range(3)]
    commands = [parse_command(line) for line in github.render(make(findings)).splitlines() if COMMAND.match(line)]
    kinds = [c[0] for c in commands]
    assert kinds.count("error") == 10 and kinds.count("warning") == 3
    (notice,) = [c for c in commands if c[0] == "notice"]
    assert "15 more error(s)" in notice[2]


def test_summary_is_a_table_that_markdown_and_html_cannot_break() -> None:
    report = make([f("MON201", Severity.WARNING, "a | b <script>alert(1)</script>\nnext", "a|<b>.json", "alerts")])
    summary = github.summary(report)
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    assert len(rows) == 2  # header + one finding: the newline did not start a row
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    assert "a \\| b" in summary
    assert "<b>" not in summary and "a\\|&lt;b&gt;.json" in rows[1]  # the subject is a cell too


def test_summary_leads_with_errors_then_warnings_and_folds_the_rest() -> None:
    findings = [
        f("MON100", Severity.OK, "fine"),
        f("MON105", Severity.WARNING, "stale"),
        f("MON106", Severity.INFO, "skipped"),
        f("MON102", Severity.ERROR, "broken", "windows/a.json"),
        f("MON201", Severity.WARNING, "alerting", "alerts.json", "alerts"),
        f("MON104", Severity.OK, "ordered"),
    ]
    lines = github.summary(make(findings)).splitlines()
    order = [line.split("`")[1] for line in lines if line.startswith("| ") and "`MON" in line]
    assert order == ["MON102", "MON105", "MON201", "MON100", "MON106", "MON104"]
    attention, details, closed = (
        lines.index("### Needs attention"),
        lines.index("<details><summary>✅ 2 passing, ℹ️ 1 info</summary>"),  # noqa: RUF001
        lines.index("</details>"),
    )
    assert attention < lines.index(next(line for line in lines if "`MON201`" in line)) < details
    assert details < lines.index(next(line for line in lines if "`MON104`" in line)) < closed
    assert lines[details + 1] == ""  # GitHub renders Markdown inside <details> only after a blank line


def test_nothing_to_attend_to_says_so_and_still_folds_the_passing_checks() -> None:
    summary = github.summary(make([f("MON100", Severity.OK, "fine")], code=ExitCode.OK))
    assert "Nothing needs attention" in summary and "### Needs attention" not in summary
    assert "<details><summary>✅ 1 passing" in summary


GITHUB = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "a" * 40}


def test_a_finding_on_a_checkout_file_links_to_it_in_the_commit() -> None:
    report = make([f("MON102", Severity.ERROR, "broken", "windows/a b(1).json"), f("MON105", Severity.WARNING, "s")])
    summary = github.summary(report, GITHUB)
    url = f"https://github.com/o/r/blob/{'a' * 40}/monitoring/ws/windows/a%20b%281%29.json"
    assert f"| [windows/a b(1).json]({url}) |" in summary
    assert summary.count("](https://github.com/o/r/blob/") == 1  # MON105 names no file
    assert "/blob/" not in github.summary(report)  # off GitHub: no link
    for missing in GITHUB:
        assert "/blob/" not in github.summary(report, {k: v for k, v in GITHUB.items() if k != missing})
    assert "/blob/" not in github.summary(report, GITHUB | {"GITHUB_SERVER_URL": "javascript:alert(1)//"})
    assert "/blob/" not in github.summary(make(list(report.findings), workspace="s3://bucket/ws"), GITHUB)


def test_the_artifacts_link_only_when_the_workflow_wrote_a_page() -> None:
    report, env = make([f("MON100", Severity.OK, "fine")]), GITHUB | {"GITHUB_RUN_ID": "12345"}
    link = "[artifacts](https://github.com/o/r/actions/runs/12345#artifacts)"
    assert link in github.summary(report, env | {"MLOPS_HTML_REPORT": "monitor.html"})
    assert "#artifacts" not in github.summary(report, env)
    assert "#artifacts" not in github.summary(report, env | {"MLOPS_HTML_REPORT": ""})
    assert "#artifacts" not in github.summary(report, {"MLOPS_HTML_REPORT": "monitor.html", "GITHUB_RUN_ID": "1"})
    assert "#artifacts" not in github.summary(report, env | {"MLOPS_HTML_REPORT": "p.html", "GITHUB_RUN_ID": "1)x"})


def drifting(
    psi: tuple[float | None, ...], severity: Severity = Severity.WARNING, signal: str = "brightness"
) -> Finding:
    windows = tuple(f"2026-11-{d:02d}T12:00:00Z" for d in range(1, len(psi) + 1))
    trend = Trend(
        windows=windows,
        statistics=(("psi", psi), ("js", (0.1,) * len(psi))),
        bands=(Band(statistic="psi", warning=0.1, error=0.25),),
    )
    newest = next(v for v in reversed(psi) if v is not None)
    return Finding(
        check="MON401", family="drift", title="signal drift", severity=severity,
        message=f"{signal}: PSI {newest}", subject=signal, details=(("psi", newest), ("js", 0.1)), series=trend,
    )  # fmt: skip


def test_drift_has_its_heading_and_a_trend_per_signal() -> None:
    report = make([drifting((0.0, None, 0.15, 0.3)), drifting((0.01, 0.01), Severity.OK, "confidence")])
    lines = github.summary(report).splitlines()
    heading = lines.index("### Drift")
    assert lines[heading + 2] == "| signal | psi | js | trend | |"
    row = next(line for line in lines[heading:] if line.startswith("| brightness |"))
    assert f"`psi {BARS[0]} {BARS[4]}{BARS[-1]} 0.3`" in row and row.endswith("| ⚠️ |")
    assert f"`psi {BARS[0]}{BARS[0]} 0.01`" in next(line for line in lines if line.startswith("| confidence |"))


def test_a_drifting_signal_gets_a_mermaid_chart_of_its_judged_windows() -> None:
    report = make([drifting((0.0, None, 0.15, 0.3)), drifting((0.01, 0.01), Severity.OK, "confidence")])
    summary = github.summary(report)
    assert summary.count("```mermaid\nxychart-beta\n") == 1  # the drifting signal only
    chart = summary.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()
    assert chart == [
        "xychart-beta",
        '  title "brightness: psi per window"',
        '  x-axis ["11-01 12:00", "11-03 12:00", "11-04 12:00"]',
        '  y-axis "psi"',
        "  line [0, 0.15, 0.3]",
        "  line [0.1, 0.1, 0.1]",
        "  line [0.25, 0.25, 0.25]",
    ]
    assert "flat lines: warning at 0.1, error at 0.25" in summary


def test_a_chart_cannot_be_broken_out_of_by_hostile_names() -> None:
    finding = drifting((1e-7, 0.3))
    hostile = '"]\n```\n<img src=x onerror=alert(1)>'
    trend = finding.series
    assert isinstance(trend, Trend)
    trend = Trend(windows=(hostile, hostile), statistics=((hostile, (1e-7, 0.3)),), bands=trend.bands)
    summary = github.summary(make([replace(finding, subject=hostile, series=trend)]))
    chart = summary.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "<img" not in summary and chart.count("\n") == 5  # xychart-beta, title, x-axis, y-axis, one line
    assert all(line.count('"') % 2 == 0 and "`" not in line for line in chart.splitlines())
    assert 'title "img srcx onerroralert1: img srcx onerroralert1 per window"' in chart
    assert "line [0.0000001, 0.3]" not in chart and "line [0, 0.3]" in chart  # no exponent Mermaid cannot read


@pytest.mark.parametrize("char", ["x", "é", "😀"])
def test_summary_stays_under_githubs_limit(char: str) -> None:
    """The limit is on bytes: a message of multi-byte characters must not slip past it."""
    findings = [f("MON102", Severity.ERROR, char * 5000, f"windows/{i}.json") for i in range(400)]
    summary = github.summary(make(findings))
    assert len(summary.encode()) < 1024 * 1024
    assert "more finding(s) cut" in summary


def test_summary_cut_among_the_passing_checks_still_closes_its_details() -> None:
    findings = [f("MON102", Severity.ERROR, "broken")]
    findings += [f("MON100", Severity.OK, "y" * 5000, f"windows/{i}.json") for i in range(400)]
    findings += [drifting((0.1, 0.3))]
    summary = github.summary(make(findings), GITHUB)
    assert len(summary.encode()) < 1024 * 1024
    assert "`MON102`" in summary and "more finding(s) cut" in summary
    assert summary.count("<details>") == summary.count("</details>") == 1
    assert "### Drift" in summary and "```mermaid" in summary  # the drift table is never the part cut


def test_outputs_and_summary_are_appended_to_githubs_files(tmp_path: Path) -> None:
    summary_file, output_file = tmp_path / "summary.md", tmp_path / "output"
    summary_file.write_text("earlier step\n")
    report = make([f("MON102", Severity.ERROR, "e", "x.json"), f("MON105", Severity.WARNING, "w")])
    github.append_files(report, summary_path=str(summary_file), output_path=str(output_file), clean=str)
    assert summary_file.read_text().startswith("earlier step\n## mlops monitor: ❌ failed")
    outputs = parse_outputs(output_file.read_text())
    counts = {"status": "failed", "exit-code": "1", "ok": "0", "info": "0", "warning": "1", "error": "1"}
    assert outputs == counts | {"model": "", "alias": "", "summary": outputs["summary"]}


def github_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    return summary, output


def test_auto_format_is_github_inside_actions(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, output = github_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # the workspace lies inside the checkout, as on a runner
    outcome: Outcome = monitor()
    assert outcome.code == 0
    assert outcome.out.startswith("::group::")
    assert "::warning file=ws/alerts.json,title=MON201 recent alerts::" in outcome.out
    assert "| ⚠️ | `MON201` |" in summary.read_text()
    assert "status=ok" in output.read_text().splitlines()


def test_model_version_link_when_the_tracking_server_has_a_ui(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, _ = github_env(monkeypatch, tmp_path)
    monitor("--tracking-uri", "https://mlflow.example.com", "--model-name", "shapes detector")
    assert "(https://mlflow.example.com/#/models/shapes%20detector/versions/3)" in summary.read_text()
    report = json.loads(monitor("--format", "json", "--model-name", "m", "--tracking-uri", "http://h:5000").out)
    assert report["links"] == {"model_version": "http://h:5000/#/models/m/versions/3"}


def test_secrets_never_reach_githubs_files_and_derived_ones_are_masked(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, output = github_env(monkeypatch, tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "canary-secret-1")
    outcome = monitor("--tracking-uri", "https://user:canary-uri-2@mlflow.example.com", "--model-name", "m")
    lines = outcome.out.splitlines()
    assert lines[0] == "::add-mask::canary-uri-2"  # consumed by the runner before anything is shown
    shown = "\n".join(lines[1:]) + outcome.err + summary.read_text() + output.read_text()
    assert "canary-secret-1" not in shown and "canary-uri-2" not in shown
    assert "https://mlflow.example.com" in shown


def test_a_proxy_password_written_without_a_scheme_is_masked_too(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """requests reads ``user:pass@proxy:3128`` as an http:// proxy: its password is a secret later steps must hide."""
    summary, output = github_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HTTPS_PROXY", "user:canary-proxy-3@127.0.0.1:9")
    outcome = monitor("--ignore", "MON3")
    assert "::add-mask::canary-proxy-3" in outcome.out.splitlines()
    shown = "\n".join(line for line in outcome.out.splitlines() if not line.startswith("::add-mask::")) + outcome.err
    assert "canary-proxy-3" not in shown + summary.read_text() + output.read_text()


def test_outside_actions_no_mask_line_prints_the_password(monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the runner swallows ``::add-mask::``; in a terminal or a captured log it would show the secret."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    outcome = monitor("--format", "github", "--tracking-uri", "https://user:canary-uri-3@mlflow.example.com")
    assert "canary-uri-3" not in outcome.text
    assert "::add-mask::" not in outcome.out


def test_an_unwritable_github_file_is_named_and_exits_2(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, _ = github_env(monkeypatch, tmp_path)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "nowhere" / "summary.md"))
    outcome = monitor()
    assert outcome.code == 2
    assert f"GITHUB_STEP_SUMMARY={tmp_path / 'nowhere' / 'summary.md'}: cannot append to it" in outcome.err
    assert outcome.out.startswith("::group::")  # the report itself was still shown
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path))  # a folder
    outcome = monitor()
    assert outcome.code == 2 and f"GITHUB_OUTPUT={tmp_path}: cannot append to it" in outcome.err


def test_a_report_that_cannot_be_written_publishes_no_outputs(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The step's outputs must not say ``status=ok`` for a run that exits 2."""
    summary, output = github_env(monkeypatch, tmp_path)
    outcome = monitor("--output", tmp_path / "nowhere" / "report.txt")
    assert outcome.code == 2 and "cannot write the report" in outcome.err
    assert not output.exists() and not summary.exists()


def test_with_output_the_annotations_still_reach_the_log(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report.txt"
    outcome = monitor("--output", report)
    assert outcome.code == 0
    assert "::warning file=ws/alerts.json,title=MON201 recent alerts::" in outcome.out.splitlines()[0]
    assert report.read_text().startswith("::group::mlops monitor report")


def test_the_summary_says_once_where_the_workspace_came_from(
    monitor: RunMonitor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary, _ = github_env(monkeypatch, tmp_path)
    monitor("--format", "github")
    text = summary.read_text()
    assert "workspace from --workspace." in text and "from from" not in text


@pytest.mark.nox
def test_through_the_entry_point_the_warnings_lead_and_the_ok_rows_are_folded(
    nox_monitor: NoxMonitor, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_RUN_ID": "7", "MLOPS_HTML_REPORT": "monitor.html"}
    env |= GITHUB
    outcome = nox_monitor("--example", "--format", "github", env=env)
    assert outcome.code == 0, outcome.text
    text = summary.read_text(encoding="utf-8")
    attention, rest = text.split("<details>", 1)
    warnings = [line for line in attention.splitlines() if line.startswith("| ⚠️ |")]
    assert [line.split("`")[1] for line in warnings] == ["MON201", "MON308", "MON401"]
    assert "| ✅ |" not in attention
    folded, after = rest.split("</details>", 1)
    assert folded.count("| ✅ |") >= 20 and "| ✅ |" not in after.split("### Drift", 1)[0]
    assert "### Drift" in after and "| brightness |" in after
    assert "https://github.com/o/r/actions/runs/7#artifacts" in attention
    assert f"[alerts.json](https://github.com/o/r/blob/{'a' * 40}/mlops/example/workspace/alerts.json)" in text
