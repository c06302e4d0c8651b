"""Reporters render a finished Report and decide nothing: what goes in must come out, in either format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops.monitoring.config import CHOICES
from mlops.monitoring.options import build_parser
from mlops.monitoring.reporters import FORMATS, REPORTERS, json_report, resolve, text
from mlops.monitoring.results import ExitCode, Finding, Report, Severity

FINDINGS = (
    Finding(
        check="MON100",
        family="files",
        title="workspace",
        severity=Severity.OK,
        message="/srv/ws is a readable folder",
        subject="/srv/ws",
    ),
    Finding(
        check="MON101", family="files", title="required files", severity=Severity.INFO, message="skipped: no workspace"
    ),
    Finding(
        check="MON102",
        family="files",
        title="readable JSON",
        severity=Severity.ERROR,
        message="windows/2026-11-20T120000Z.json is empty",
        subject="windows/2026-11-20T120000Z.json",
    ),
    Finding(
        check="MON201",
        family="alerts",
        title="recent alerts",
        severity=Severity.WARNING,
        message='alerts.json: 1 alert(s); e.g. lat-7 at 2026-11-20T08:15:00Z: "p99" \u2265 250 ms, caf\u00e9',
        subject="alerts.json",
    ),
    Finding(
        check="MON301",
        family="mlflow",
        title="tracking URI",
        severity=Severity.OK,
        message="MLflow tracking URI is http://h:5000",
    ),
)


def make_report(
    findings: tuple[Finding, ...] = FINDINGS,
    *,
    exit_code: ExitCode = ExitCode.FINDINGS,
    fail_on: Severity = Severity.ERROR,
    as_of_is_now: bool = False,
) -> Report:
    return Report(
        findings=findings,
        workspace="/srv/ws",
        as_of="2026-11-20T12:05:00+00:00",
        as_of_is_now=as_of_is_now,
        fail_on=fail_on,
        exit_code=exit_code,
    )


def rendered_json(report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json_report.render(report))
    return doc


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_finding_id_and_message_is_rendered(name: str) -> None:
    """A reporter that drops or mangles a finding hides exactly the problem the run found."""
    out = REPORTERS[name].render(make_report())
    for f in FINDINGS:
        assert f.check in out
        expected = f.message if name in ("text", "github") else json.dumps(f.message, ensure_ascii=False)
        assert expected in out


def test_text_puts_one_finding_per_line_with_its_label() -> None:
    """People scan the label column first; each line must carry its own finding's severity."""
    lines = text.render(make_report()).splitlines()
    labels = {Severity.OK: "ok", Severity.INFO: "info", Severity.WARNING: "WARN", Severity.ERROR: "ERROR"}
    for f in FINDINGS:
        (line,) = [line for line in lines if f.check in line]
        assert line.split()[0] == labels[f.severity]
        assert line.rstrip().endswith(f.message)
        assert f.title in line


@pytest.mark.parametrize(
    ("exit_code", "fail_on", "verdict"),
    [
        (ExitCode.OK, Severity.ERROR, "-> healthy"),
        (ExitCode.FINDINGS, Severity.ERROR, "-> FAILED (fail-on: error)"),
        (ExitCode.FINDINGS, Severity.WARNING, "-> FAILED (fail-on: warning)"),
    ],
)
def test_text_verdict_and_counts_follow_the_report(exit_code: ExitCode, fail_on: Severity, verdict: str) -> None:
    """The last line is what a CI log shows folded; it must agree with the exit code it was given."""
    last = text.render(make_report(exit_code=exit_code, fail_on=fail_on)).splitlines()[-1]
    assert last == f"5 checks, 5 findings: 1 error(s), 1 warning(s), 1 info, 2 ok {verdict}"


def test_text_counts_findings_apart_from_checks() -> None:
    """One check with a finding per signal: the severities add up to the findings, not to the checks."""
    drift = tuple(
        Finding(check="MON401", family="drift", title="signal drift", severity=sev, message=name, subject=name)
        for name, sev in (("confidence", Severity.OK), ("brightness", Severity.WARNING), ("classes", Severity.OK))
    )
    last = text.render(make_report(FINDINGS + drift)).splitlines()[-1]
    assert last.startswith("6 checks, 8 findings: 1 error(s), 2 warning(s), 1 info, 4 ok -> ")


@pytest.mark.parametrize(("as_of_is_now", "when"), [(True, "now"), (False, "as of")])
def test_text_header_says_whether_the_time_was_replayed(as_of_is_now: bool, when: str) -> None:
    """A replayed incident must not be mistaken for the present state."""
    first = text.render(make_report(as_of_is_now=as_of_is_now)).splitlines()[0]
    assert first == f"mlops monitor: /srv/ws ({when} 2026-11-20T12:05:00+00:00)"


@pytest.mark.parametrize(
    ("exit_code", "status"),
    [(ExitCode.OK, "ok"), (ExitCode.FINDINGS, "failed")],
)
def test_json_round_trips_the_report(exit_code: ExitCode, status: str) -> None:
    """Machines read this format: every field of every finding, the counts and the verdict, losslessly."""
    report = make_report(exit_code=exit_code)
    doc = rendered_json(report)
    assert doc["schema"] == "mlops.report"
    assert doc["schema_version"] == 1
    assert doc["workspace"] == report.workspace
    assert doc["as_of"] == report.as_of
    assert doc["exit_code"] == int(exit_code)
    assert doc["status"] == status
    assert doc["fail_on"] == "error"
    assert doc["counts"] == {"ok": 2, "info": 1, "warning": 1, "error": 1}
    rebuilt = tuple(
        Finding(
            check=f["check"],
            family=f["family"],
            title=f["title"],
            severity=Severity[f["severity"].upper()],
            message=f["message"],
            subject=f["subject"],
        )
        for f in doc["findings"]
    )
    assert rebuilt == report.findings


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_an_empty_report_renders(name: str) -> None:
    """--select with nothing matching yields no findings; rendering must still work."""
    out = REPORTERS[name].render(make_report((), exit_code=ExitCode.OK))
    if name == "json":
        doc = json.loads(out)
        assert doc["findings"] == []
        assert set(doc["counts"].values()) == {0}
        assert doc["status"] == "ok"
    else:
        assert "0 checks, 0 findings: 0 error(s), 0 warning(s), 0 info, 0 ok -> healthy" in out.splitlines()


def test_auto_is_text_and_names_map_to_their_reporters() -> None:
    report = make_report()
    assert resolve("auto", {}).render(report) == text.render(report)
    assert resolve("auto", {"GITHUB_ACTIONS": "true"}).name == "github"
    assert resolve("text", {"GITHUB_ACTIONS": "true"}).render(report) == text.render(report)
    assert resolve("json", {}).render(report) == json_report.render(report)


def test_the_formats_are_the_registry_s_names_everywhere() -> None:
    """``--format``'s choices and the config's ``format`` key come from one registry: a new reporter is a
    choice in both, and a name nowhere registered is in neither."""
    assert ("auto", *REPORTERS) == FORMATS
    assert CHOICES["format"] == FORMATS
    (action,) = [a for a in build_parser()._actions if a.dest == "format"]
    assert tuple(action.choices or ()) == FORMATS
    assert all(name == reporter.name for name, reporter in REPORTERS.items())
