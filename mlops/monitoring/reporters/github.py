"""GitHub Actions: annotations in the log, a Markdown job summary, step outputs.

:func:`render` is what the job log shows: the text report folded in a group, then at most
MAX_ANNOTATIONS ``::error``/``::warning`` commands per severity (GitHub shows no more per step),
each pointing at the monitoring file concerned. :func:`append_files` appends the summary and the
outputs to the files GitHub names in ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence

from mlops.core.workflow import clip, escape_data, escape_property, output, visible
from mlops.monitoring.reporters.base import PublishError, Reporter
from mlops.monitoring.reporters.text import printable
from mlops.monitoring.reporters.text import render as render_text
from mlops.monitoring.results import ExitCode, Finding, Report, Severity

MAX_ANNOTATIONS = 10
SUMMARY_LIMIT = 1_000_000
"""GitHub refuses a step summary over 1 MiB; stay under it whatever the findings say."""
ICONS = {Severity.OK: "✅", Severity.INFO: "ℹ️", Severity.WARNING: "⚠️", Severity.ERROR: "❌"}  # noqa: RUF001
FILE_FAMILIES = frozenset({"files", "alerts", "peers"})
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


def summary(report: Report) -> str:
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
    rows = ["| | check | | finding |", "|---|---|---|---|"]
    size = sum(len(line) + 1 for line in head + rows)
    for i, f in enumerate(report.findings):
        row = f"| {ICONS[f.severity]} | `{f.check}` | {_cell(f.title)} | {_cell(f.message)} |"
        if size + len(row) > SUMMARY_LIMIT - 200:
            rows.append(f"\n{len(report.findings) - i} more finding(s) cut: the summary is limited to 1 MiB.")
            break
        rows.append(row)
        size += len(row) + 1
    return "\n".join(head + rows + detail_rows(report)) + "\n\n"


def detail_rows(report: Report) -> list[str]:
    """The drift statistics as a second table, when findings carry numbers."""
    found, columns = report.detailed()
    if not found:
        return []
    lines = ["", "| signal | " + " | ".join(columns) + " | |", "|---|" + "---|" * (len(columns) + 1)]
    for f in found:
        values = dict(f.details)
        cells = " | ".join(f"{values[c]:.3g}" if c in values else "-" for c in columns)
        lines.append(f"| {_cell(f.subject)} | {cells} | {ICONS[f.severity]} |")
    return lines


def outputs(report: Report) -> Iterable[tuple[str, str]]:
    """What later jobs read: the verdict, the counts, and what the incident job needs (the model,
    its alias, the summary clipped to fit an issue body)."""
    yield "status", "ok" if report.exit_code is ExitCode.OK else "failed"
    yield "exit-code", str(int(report.exit_code))
    for severity in Severity:
        yield severity.label, str(report.count(severity))
    yield "model", report.model
    yield "alias", report.alias
    note = f"*Summary clipped to {SUMMARY_OUTPUT_LIMIT:,} characters: the run's job summary has all of it.*\n"
    yield "summary", clip(summary(report), SUMMARY_OUTPUT_LIMIT, note)


def output_lines(report: Report) -> str:
    """``GITHUB_OUTPUT`` lines; multi-line values (the summary, a hostile model name) in GitHub's
    ``name<<DELIMITER`` form, so no value can forge another output."""
    return "".join(output(name, value) for name, value in outputs(report))


def append_files(
    report: Report, *, summary_path: str | None, output_path: str | None, clean: Callable[[str], str]
) -> None:
    """Append to the files GitHub reads after the step; absent variables mean "not on GitHub"."""
    for variable, path, render_file in (
        ("GITHUB_STEP_SUMMARY", summary_path, summary),
        ("GITHUB_OUTPUT", output_path, output_lines),
    ):
        if not path:
            continue
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(clean(render_file(report)))
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
            report, summary_path=env.get("GITHUB_STEP_SUMMARY"), output_path=env.get("GITHUB_OUTPUT"), clean=clean
        )
        return "" if logged else commands(report)
