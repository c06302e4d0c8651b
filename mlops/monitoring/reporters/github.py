"""GitHub Actions: annotations in the log, a Markdown job summary, step outputs.

:func:`render` is what the job log shows: the text report folded in a group, then at most
MAX_ANNOTATIONS ``::error``/``::warning`` commands per severity (GitHub shows no more per step),
each pointing at the monitoring file concerned. :func:`append_files` appends the summary and the
outputs to the files GitHub names in ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT``.

Charts in the summary. Job summaries are GitHub Flavored Markdown (GitHub Docs, "Adding a job
summary"), and GitHub renders Mermaid "wherever Markdown is supported" (github/roadmap#372, 2022).
Projects write Mermaid to job summaries and see it drawn: ``xychart-beta`` charts through
``@actions/core``'s ``summary`` (library-pals/read-action, src/summary.ts, PR #194), flowcharts folded
in ``<details>`` "to speed up the rendering of the page" (haidaraM/ansible-playbook-grapher PR #221).
So each drifting signal gets an ``xychart-beta`` chart; the drift table's trend column stays a
Unicode sparkline, which reads the same where Mermaid is not drawn (the incident issue's body read
through the API, a mail notification) and costs the page nothing.
"""

from __future__ import annotations

import html
import math
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from mlops.core.workflow import clip, escape_data, escape_property, output, visible
from mlops.monitoring.reporters.base import PublishError, Reporter
from mlops.monitoring.reporters.spark import MAX_POINTS, judged, trend_line
from mlops.monitoring.reporters.text import printable
from mlops.monitoring.reporters.text import render as render_text
from mlops.monitoring.results import ExitCode, Finding, Report, Severity, Trend

MAX_ANNOTATIONS = 10
SUMMARY_LIMIT = 1_000_000
"""GitHub refuses a step summary over 1 MiB; stay under it whatever the findings say."""
ICONS = {Severity.OK: "✅", Severity.INFO: "ℹ️", Severity.WARNING: "⚠️", Severity.ERROR: "❌"}  # noqa: RUF001
FILE_FAMILIES = frozenset({"files", "alerts", "peers"})
TABLE = ["| | check | title | subject | finding |", "|---|---|---|---|---|"]
SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?/?")
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
MAX_CHARTS = 6
"""Charts per summary: each is a diagram the page renders; the sparklines in the table cover the rest."""
CHART_TEXT = re.compile(r"[^A-Za-z0-9_ .:-]")
"""What a Mermaid title or label may hold: nothing that could end the string or the code block."""
SUMMARY_OUTPUT_LIMIT = 60_000
"""The ``summary`` step output becomes an issue body (65,536 characters at most) with a few links
added: clipped here, with room to spare, so the incident job never has to cut a table mid-row."""


def annotation_file(report: Report, finding: Finding) -> str | None:
    """The finding's file relative to the checkout, as GitHub wants it; None when it is not a file in it."""
    if finding.family not in FILE_FAMILIES or not finding.subject or "*" in finding.subject:
        return None
    if "://" in report.workspace:  # an object in a bucket is no file of the checkout
        return None
    path = posixpath.normpath(posixpath.join(report.workspace.replace("\\", "/"), finding.subject))
    return None if path.startswith(("/", "../")) or path == ".." else path


def annotation_lines(report: Report) -> list[str]:
    lines: list[str] = []
    for severity, command in ((Severity.ERROR, "error"), (Severity.WARNING, "warning")):
        found = [f for f in report.findings if f.severity is severity]
        for f in found[:MAX_ANNOTATIONS]:
            props = [f"title={escape_property(visible(f'{f.check} {f.title}'))}"]
            if path := annotation_file(report, f):
                props.insert(0, f"file={escape_property(path)}")
            lines.append(f"::{command} {','.join(props)}::{escape_data(visible(f.message))}")
        if len(found) > MAX_ANNOTATIONS:
            rest = len(found) - MAX_ANNOTATIONS
            lines.append(f"::notice title=mlops monitor::{rest} more {command}(s): see the job summary")
    return lines


def render(report: Report) -> str:
    body = render_text(report).rstrip("\n")
    return "\n".join(["::group::mlops monitor report", body, "::endgroup::", *annotation_lines(report)]) + "\n"


def commands(report: Report) -> str:
    """The annotations alone: what the log still needs when the report itself goes to ``--output``."""
    return "".join(f"{line}\n" for line in annotation_lines(report))


def _cell(value: str) -> str:
    return html.escape(printable(value), quote=False).replace("|", "\\|")


def _link_text(value: str) -> str:
    return _cell(value).replace("[", "\\[").replace("]", "\\]")


def _repository(env: Mapping[str, str]) -> str | None:
    """``{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}`` when both look like what GitHub sets, else None."""
    server, repo = env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_REPOSITORY", "")
    if not SERVER.fullmatch(server) or not REPOSITORY.fullmatch(repo):
        return None
    return f"{server.rstrip('/')}/{repo}"


def file_url(report: Report, finding: Finding, env: Mapping[str, str]) -> str | None:
    """The finding's file in the checked-out commit on GitHub; None off GitHub or when it is no file of
    the checkout (a bucket, a pattern, a path outside it)."""
    base, sha = _repository(env), env.get("GITHUB_SHA", "")
    path = annotation_file(report, finding)
    if base is None or not SHA.fullmatch(sha) or path is None:
        return None
    return f"{base}/blob/{sha}/{quote(path)}"


def artifacts_url(env: Mapping[str, str]) -> str | None:
    """The run's artifacts, where the workflow uploads the HTML page; only when ``MLOPS_HTML_REPORT``
    (the page's file name, set by the workflow that passes ``--html``) says a page was written."""
    base, run = _repository(env), env.get("GITHUB_RUN_ID", "")
    if base is None or not run.isdecimal() or not env.get("MLOPS_HTML_REPORT", "").strip():
        return None
    return f"{base}/actions/runs/{run}#artifacts"


class _Room:
    """What is left of the summary's size budget, in UTF-8 bytes (GitHub's limit is on bytes)."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self, line: str) -> bool:
        size = _size([line])
        if size > self.left:
            self.left = 0
            return False
        self.left -= size
        return True


def _rows(report: Report, findings: list[Finding], env: Mapping[str, str], room: _Room) -> tuple[list[str], int]:
    """Table rows for ``findings`` while the budget lasts; returns them and how many were cut."""
    rows: list[str] = []
    for i, f in enumerate(findings):
        url = file_url(report, f, env)
        subject = f"[{_link_text(f.subject)}]({url})" if url else _cell(f.subject)
        row = f"| {ICONS[f.severity]} | `{f.check}` | {_cell(f.title)} | {subject} | {_cell(f.message)} |"
        if not room.take(row):
            return rows, len(findings) - i
        rows.append(row)
    return rows, 0


def summary(report: Report, env: Mapping[str, str] | None = None) -> str:
    """The job summary: the verdict, then what needs attention (errors, then warnings, with a link to
    their file in the commit), the rest folded in ``<details>``, then the drift table and trends."""
    env = env or {}
    verdict = "✅ healthy" if report.exit_code is ExitCode.OK else "❌ failed"
    when = "now" if report.as_of_is_now else "as of"
    head = [
        f"## mlops monitor: {verdict}",
        "",
        f"Workspace `{_cell(report.workspace)}` ({when} {report.as_of}); fails on {report.fail_on.label}. "
        f"{report.count(Severity.ERROR)} error(s), {report.count(Severity.WARNING)} warning(s).",
        "",
    ]
    if report.config_source:
        (config, why), (_, workspace_why) = report.inputs
        head += [f"Config `{_cell(config)}` ({_cell(why)}); workspace {_cell(workspace_why)}.", ""]
    if report.links:
        head += [" · ".join(f"[{_cell(link.label)}]({link.url})" for link in report.links), ""]
    if url := artifacts_url(env):
        head += [f"📎 The HTML report is attached to this run: [artifacts]({url}).", ""]
    drift = drift_section(report)
    if _size(drift) > SUMMARY_LIMIT // 2:
        drift = ["", "### Drift", "", "*The drift table is cut: the summary is limited to 1 MiB.*"]
    room = _Room(SUMMARY_LIMIT - 400 - _size(head) - _size(drift))
    attention = sorted((f for f in report.findings if f.severity >= Severity.WARNING), key=lambda f: -f.severity)
    rest = [f for f in report.findings if f.severity < Severity.WARNING]
    body, cut = [], 0
    if attention:
        rows, cut = _rows(report, attention, env, room)
        body += ["### Needs attention", "", *TABLE, *rows]
    else:
        body += ["Nothing needs attention: no errors, no warnings."]
    if rest and not cut:
        rows, cut = _rows(report, rest, env, room)
        passing, info = report.count(Severity.OK), report.count(Severity.INFO)
        label = f"{ICONS[Severity.OK]} {passing} passing, {ICONS[Severity.INFO]} {info} info"
        body += ["", f"<details><summary>{label}</summary>", "", *TABLE, *rows, "", "</details>"]
    elif rest:
        cut += len(rest)
    if cut:
        body += ["", f"{cut} more finding(s) cut: the summary is limited to 1 MiB."]
    return "\n".join(head + body + drift) + "\n\n"


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def drift_section(report: Report) -> list[str]:
    """The drift statistics under their own heading, a trend column when the findings carry
    per-window statistics (a sparkline of the judged one), then a chart per drifting signal."""
    found, columns = report.detailed()
    if not found:
        return []
    trends = {id(f): trend_line(f.series) for f in found if isinstance(f.series, Trend)}
    shown = any(trends.values())
    extra = ["trend"] if shown else []
    lines = ["", "### Drift", "", "| signal | " + " | ".join(columns + extra) + " | |"]
    lines.append("|---|" + "---|" * (len(columns) + len(extra) + 1))
    for f in found:
        values = dict(f.details)
        cells = [f"{values[c]:.3g}" if c in values else "-" for c in columns]
        if shown:
            trend = trends.get(id(f), "")
            cells.append("`" + _cell(trend).replace("`", "'") + "`" if trend else "")
        lines.append(f"| {_cell(f.subject)} | {' | '.join(cells)} | {ICONS[f.severity]} |")
    charts = [c for f in found if f.severity >= Severity.WARNING and (c := mermaid_chart(f))][:MAX_CHARTS]
    for chart in charts:
        lines += ["", *chart]
    return lines


def _number(value: float) -> str:
    """Plain decimal notation: Mermaid's xychart grammar reads no exponent."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def mermaid_chart(finding: Finding) -> list[str]:
    """A Mermaid ``xychart-beta`` of the judged statistic over the judged windows (newest
    :data:`~mlops.monitoring.reporters.spark.MAX_POINTS`), with its thresholds as flat lines; [] when
    fewer than two windows have a value. Every string in it is reduced to :data:`CHART_TEXT`."""
    trend = finding.series
    if not isinstance(trend, Trend) or (picked := judged(trend)) is None:
        return []
    name, values = picked
    points = [(w, v) for w, v in zip(trend.windows, values, strict=False) if v is not None and math.isfinite(v)]
    points = points[-MAX_POINTS:]
    if len(points) < 2:
        return []
    band = next((b for b in trend.bands if b.statistic == name), None)
    thresholds = (("warning", band.warning), ("error", band.error)) if band else ()
    limits = [(label, t) for label, t in thresholds if t is not None]
    labels = ", ".join(f'"{CHART_TEXT.sub("", w)[5:16].replace("T", " ") or i}"' for i, (w, _) in enumerate(points))
    title, stat = CHART_TEXT.sub("", finding.subject)[:60], CHART_TEXT.sub("", name)[:30]
    lines = ["```mermaid", "xychart-beta", f'  title "{title}: {stat} per window"', f"  x-axis [{labels}]"]
    lines += [f'  y-axis "{stat}"', f"  line [{', '.join(_number(v) for _, v in points)}]"]
    lines += [f"  line [{', '.join([_number(t)] * len(points))}]" for _, t in limits]
    said = ", ".join(f"{label} at {t:.3g}" for label, t in limits)
    caption = f"{title}: {stat} per window, oldest to newest" + (f"; flat lines: {said}" if said else "")
    return [*lines, "```", "", f"*{caption}.*"]


def outputs(report: Report, env: Mapping[str, str] | None = None) -> Iterable[tuple[str, str]]:
    """What later jobs read: the verdict, the counts, and what the incident job needs (the model,
    its alias, the summary clipped to fit an issue body)."""
    yield "status", "ok" if report.exit_code is ExitCode.OK else "failed"
    yield "exit-code", str(int(report.exit_code))
    for severity in Severity:
        yield severity.label, str(report.count(severity))
    yield "model", report.model
    yield "alias", report.alias
    note = f"*Summary clipped to {SUMMARY_OUTPUT_LIMIT:,} characters: the run's job summary has all of it.*\n"
    full = summary(report, env)
    clipped = clip(full, SUMMARY_OUTPUT_LIMIT, note)
    if (unclosed := clipped.count("<details>") - clipped.count("</details>")) > 0:  # cut among the passing checks
        clipped = clip(full, SUMMARY_OUTPUT_LIMIT, "\n</details>\n" * unclosed + "\n" + note)  # the rest stays visible
    yield "summary", clipped


def output_lines(report: Report, env: Mapping[str, str] | None = None) -> str:
    """``GITHUB_OUTPUT`` lines; multi-line values (the summary, a hostile model name) in GitHub's
    ``name<<DELIMITER`` form, so no value can forge another output."""
    return "".join(output(name, value) for name, value in outputs(report, env))


def append_files(
    report: Report,
    *,
    summary_path: str | None,
    output_path: str | None,
    clean: Callable[[str], str],
    env: Mapping[str, str] | None = None,
) -> None:
    """Append to the files GitHub reads after the step; absent variables mean "not on GitHub".
    ``env`` gives the links: the commit's files and the run's artifacts."""
    for variable, path, render_file in (
        ("GITHUB_STEP_SUMMARY", summary_path, summary),
        ("GITHUB_OUTPUT", output_path, output_lines),
    ):
        if not path:
            continue
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(clean(render_file(report, env)))
        except OSError as exc:
            shown = clean(printable(path))
            raise PublishError(
                f"{variable}={shown}: cannot append to it ({exc.strerror or type(exc).__name__})"
            ) from None


def mask_commands(secrets: Iterable[str]) -> str:
    """``::add-mask::`` for derived secrets, so later steps' logs hide them too; GitHub consumes these lines."""
    return "".join(f"::add-mask::{escape_data(s)}\n" for s in secrets)


class GitHub(Reporter):
    name, description = "github", "GitHub Actions: annotations, a job summary and step outputs"

    def render(self, report: Report) -> str:
        return render(report)

    def preamble(self, env: Mapping[str, str], secrets: Sequence[str]) -> str:
        # The runner swallows ::add-mask:: lines; anywhere else they would print the secret itself.
        return mask_commands(dict.fromkeys(secrets)) if env.get("GITHUB_ACTIONS") == "true" else ""

    def publish(self, report: Report, *, env: Mapping[str, str], clean: Callable[[str], str], logged: bool) -> str:
        """The summary and outputs; the annotations too when the report went to a file (commands act
        only in the log). Called after the report is written, so the outputs never claim a run that
        failed to write."""
        append_files(
            report,
            summary_path=env.get("GITHUB_STEP_SUMMARY"),
            output_path=env.get("GITHUB_OUTPUT"),
            clean=clean,
            env=env,
        )
        return "" if logged else commands(report)
