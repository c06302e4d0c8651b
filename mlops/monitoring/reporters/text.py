"""The human report: one line per finding in check-ID order, then the verdict.

With ``trends`` (the CLI sets it only when stdout is a UTF-8 terminal) a drifting signal's line is
followed by its trend as a sparkline; pipes, files and CI logs get the plain lines, byte for byte.
"""

from __future__ import annotations

import re

from mlops.monitoring.reporters.base import Reporter
from mlops.monitoring.reporters.spark import trend_line
from mlops.monitoring.results import ExitCode, Finding, Report, Severity, Trend

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

COUNTED = ((Severity.ERROR, "error(s)"), (Severity.WARNING, "warning(s)"), (Severity.INFO, "info"), (Severity.OK, "ok"))

LABELS = {Severity.OK: "ok", Severity.INFO: "info", Severity.WARNING: "WARN", Severity.ERROR: "ERROR"}


def render(report: Report, *, trends: bool = False) -> str:
    when = "now" if report.as_of_is_now else "as of"
    lines = [f"mlops monitor: {report.workspace} ({when} {report.as_of})", *inputs(report), ""]
    width = max((len(f.title) for f in report.findings), default=0)
    for f in report.findings:
        lines.append(f"  {LABELS[f.severity]:<5} {f.check}  {f.title:<{width}}  {printable(f.message)}")
        if trends and (trend := drifting_trend(f)):
            lines.append(f"  {'':<5} {'':<{len(f.check)}}  {'':<{width}}  trend {printable(trend)}")
    lines += detail_table(report)
    checks = len({f.check for f in report.findings})
    verdict = "healthy" if report.exit_code is ExitCode.OK else f"FAILED (fail-on: {report.fail_on.label})"
    # A check may yield several findings (one per signal, per file): the counts add up to the findings.
    counts = ", ".join(f"{report.count(s)} {name}" for s, name in COUNTED)
    lines += ["", f"{checks} checks, {len(report.findings)} findings: {counts} -> {verdict}"]
    return "\n".join(lines) + "\n"


def drifting_trend(finding: Finding) -> str:
    """The trend line of a drifting signal (warning or error with per-window statistics), else ""."""
    if finding.severity < Severity.WARNING or not isinstance(finding.series, Trend):
        return ""
    return trend_line(finding.series)


def inputs(report: Report) -> list[str]:
    """Which config and workspace were used, and why: a run on the wrong files must be visible."""
    rows = zip(("config", "workspace"), report.inputs, strict=True)
    return [f"  {name:<9}  {printable(value)} ({printable(why)})" for name, (value, why) in rows if why]


def printable(text: str) -> str:
    """Escape control characters that file content could use to forge lines or drive the terminal."""
    return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def detail_table(report: Report) -> list[str]:
    """The numbers behind findings that carry some (drift statistics), one row per subject."""
    rows, columns = report.detailed()
    if not rows:
        return []
    width = max(len(printable(f.subject)) for f in rows)
    lines = ["", f"  {'signal':<{width}}  " + "  ".join(f"{c:>8}" for c in columns) + "  verdict"]
    for f in rows:
        values = dict(f.details)
        cells = "  ".join(f"{values[c]:>8.3g}" if c in values else f"{'-':>8}" for c in columns)
        lines.append(f"  {printable(f.subject):<{width}}  {cells}  {LABELS[f.severity]}")
    return lines


class Text(Reporter):
    name, description = "text", "aligned lines for a terminal"

    def __init__(self, *, trends: bool = False) -> None:
        self.trends = trends

    def render(self, report: Report) -> str:
        return render(report, trends=self.trends)
