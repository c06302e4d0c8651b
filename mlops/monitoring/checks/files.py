"""MON1xx: the monitoring files exist, parse, follow the contract and are fresh."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from mlops.contract.reader import Document
from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.checks.base import Result, check, error, ok, span, utc_stamp, warning
from mlops.monitoring.config import Config
from mlops.monitoring.results import Freshness, Severity
from mlops.monitoring.workspace import TREND_WINDOWS, Workspace, model_of

TIMESTAMP_KEYS = {
    "mlops.window": (("window", "start"), ("window", "end"), ("generated_at",)),
    "mlops.baseline": (("created_at",),),
    "mlops.alerts": (("generated_at",),),
}


@check("MON100", "files", "workspace")
def workspace_readable(workspace: Workspace) -> Iterator[Result]:
    """the monitoring workspace is a readable folder, or a bucket prefix the store lets us list and read"""
    ws = workspace
    if ws.problem:
        yield error(ws.problem, str(ws.root or ""))
    elif isinstance(ws.root, str):
        yield ok(f"{ws.root} can be listed and read", ws.root)
    else:
        yield ok(f"{ws.root} is a readable folder", str(ws.root))


@check("MON101", "files", "required files")
def required_files(readable: Workspace) -> Iterator[Result]:
    """the baseline, the alerts file and at least one production window are present"""
    ws = readable
    for name, why in ws.missing:
        yield error(f"{name} {why}", name)
    if not ws.missing:
        scope = (
            ""
            if ws.scan == "all"
            else " (files.scan: recent, the windows the checks judge; --scan all reads every one)"
        )
        yield ok(f"baseline, alerts and {len(ws.windows)} window file(s) present{scope}")


@check("MON102", "files", "readable JSON")
def files_parse(documents: list[Document]) -> Iterator[Result]:
    """each monitoring file is a bounded, regular, UTF-8 JSON file"""
    docs = documents
    broken = [d for d in docs if d.error]
    for doc in broken:
        yield error(doc.error or "", doc.shown)
    if not broken:
        yield ok(f"{len(docs)} file(s) parse as JSON")


@check("MON103", "files", "data contract")
def files_match_schema(parsed: list[Document]) -> Iterator[Result]:
    """each file matches its versioned schema ([the data contract](docs/data-contract.md))"""
    docs = parsed
    for doc in docs:
        if doc.schema_errors:
            yield error(f"{doc.shown} does not match its schema: {_first(doc.schema_errors)}", doc.shown)
        elif doc.rule_errors:
            yield error(f"{doc.shown} breaks the data contract: {_first(doc.rule_errors)}", doc.shown)
    if all(d.valid and not d.rule_errors for d in docs):
        yield ok(f"{len(docs)} file(s) match the data contract v1")


@check("MON104", "files", "timestamps")
def timestamps_not_in_future(valid: list[Document], counts_as_now: datetime, config: Config) -> Iterator[Result]:
    """no timestamp inside a file (alerts' `raised_at` included) lies more than `files.future_tolerance_seconds` (300)
    after the judging time, each named by file and key; no window ends before it starts (`end == start` is allowed)
    """
    limit, tolerance = counts_as_now, config.files.future_tolerance_seconds
    bad = 0
    for doc in valid:
        for key, stamp in _timestamps(doc):
            if stamp is not None and stamp > limit:
                bad += 1
                yield error(
                    f"{doc.shown}: {key} = {stamp.isoformat()} is in the future, beyond the {tolerance:g} s "
                    "clock-skew tolerance (files.future_tolerance_seconds): is the producer's clock right?",
                    doc.shown,
                )
        if doc.data["schema"] == "mlops.window":
            start, end = _get_time(doc, ("window", "start")), _get_time(doc, ("window", "end"))
            if start and end and end < start:  # end == start: a window closed as it opened, still a window
                bad += 1
                yield error(f"{doc.shown}: window ends before it starts", doc.shown)
    if not bad:
        yield ok(f"timestamps in {len(valid)} file(s) are ordered and not in the future")


@check("MON105", "files", "freshness")
def newest_window_fresh(
    ended: tuple[tuple[datetime, Document], ...], now: datetime, counts_as_now: datetime, config: Config
) -> Iterator[Result]:
    """the newest production window not in the future ended recently, by the time *inside* the file (a checkout resets
    mtimes): a warning past `files.warn_age_hours` (6), an error past `files.max_age_hours` (26), a limit itself
    still on the lenient side; a window ending in the future is never fresh
    """
    files = config.files
    series = Freshness(
        ends=tuple(utc_stamp(end) for end, _ in ended[-TREND_WINDOWS:]),
        as_of=utc_stamp(now),
        warn_age_hours=files.warn_age_hours,
        max_age_hours=files.max_age_hours,
    )
    past = [(end, doc) for end, doc in ended if end <= counts_as_now]
    ahead = len(ended) - len(past)
    if not past:
        message = (
            f"no window has ended by {now.isoformat()}: all {ahead} end in the future (MON104), so freshness "
            "cannot be judged: is the producer's clock right, and is it running?"
        )
        yield Result(Severity.ERROR, message, ended[-1][1].shown, series=series)
        return
    end, doc = past[-1]
    age_h = max(0.0, (now - end).total_seconds() / 3600)  # within the tolerance, ahead counts as now
    text = f"newest window {doc.shown} ended {span(age_h)} ago" if end <= now else (
        f"newest window {doc.shown} ends {(end - now).total_seconds():g} s after the judging time, "
        "within the clock-skew tolerance: counted as now"
    )  # fmt: skip
    if ahead:
        text += f"; {ahead} window(s) ending further in the future left out (MON104)"
    if age_h > files.max_age_hours:
        found = error(f"{text}, over the {files.max_age_hours:g} h limit: is the producer running?", doc.shown)
    elif age_h > files.warn_age_hours:
        found = warning(f"{text} (warning after {files.warn_age_hours:g} h)", doc.shown)
    else:
        found = ok(text, doc.shown)
    yield replace(found, series=series)


@check("MON106", "files", "model consistency")
def same_model_everywhere(
    baseline: Document, ended: tuple[tuple[datetime, Document], ...], workspace: Workspace
) -> Iterator[Result]:
    """the newest window and every window drift judges (`--windows N`) describe the model the baseline was computed
    for: another model is an error, another version a warning, and drift leaves them out
    """
    name, version = model_of(baseline)
    checked = workspace.judged
    newest = ended[-1][1]
    if not any(d is newest for d in checked):
        checked.append(newest)
    others: dict[tuple[str, str], list[Document]] = {}
    for doc in checked:
        if model_of(doc) != (name, version):
            others.setdefault(model_of(doc), []).append(doc)
    for (served, number), docs in sorted(others.items()):
        text = (
            f"{docs[-1].shown} describes model {served!r} version {number}, the baseline {name!r} version {version}"
            f" ({len(docs)} of the {len(checked)} window(s) checked): drift leaves them out (MON401)"
        )
        if served != name:
            yield error(text, docs[-1].shown)
        else:
            yield warning(text, docs[-1].shown)  # a deployment moved on, or the baseline is stale
    if not others:
        yield ok(
            f"{name!r} version {version} in the baseline and in the {len(checked)} window(s) checked "
            "(the newest and those drift judges)",
            newest.shown,
        )


def _timestamps(doc: Document) -> Iterator[tuple[str, datetime | None]]:
    """Every time written in a valid document, with the key that names it in a finding."""
    for keys in TIMESTAMP_KEYS[doc.data["schema"]]:
        yield ".".join(keys), _get_time(doc, keys)
    if doc.data["schema"] == "mlops.alerts":
        for index, alert in enumerate(doc.data["alerts"]):
            yield f"alerts[{index}].raised_at ({str(alert['id'])[:64]})", parse_timestamp(alert["raised_at"])


def _get_time(doc: Document, keys: tuple[str, ...]) -> datetime | None:
    node = doc.data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return parse_timestamp(node)


def _first(errors: tuple[str, ...]) -> str:
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(errors[:3]) + more
