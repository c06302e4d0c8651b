"""MON1xx: the monitoring files exist, parse, follow the contract and are fresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from mlops.contract.reader import Document
from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.checks.base import Context, Result, check, error, info, ok, shifted, warning

TIMESTAMP_KEYS = {
    "mlops.window": (("window", "start"), ("window", "end"), ("generated_at",)),
    "mlops.baseline": (("created_at",),),
    "mlops.alerts": (("generated_at",),),
}


@check("MON100", "files", "workspace")
def workspace_readable(ctx: Context) -> Iterator[Result]:
    """The monitoring workspace is a readable folder."""
    ws = ctx.workspace
    if ws.problem:
        yield error(ws.problem, str(ws.root or ""))
    else:
        yield ok(f"{ws.root} is a readable folder", str(ws.root))


@check("MON101", "files", "required files")
def required_files(ctx: Context) -> Iterator[Result]:
    """The baseline, the alerts file and at least one production window are present."""
    ws = ctx.workspace
    if ws.problem:
        yield info("skipped: the workspace cannot be read (MON100)")
        return
    for name, why in ws.missing:
        yield error(f"{name} {why}", name)
    if not ws.missing:
        yield ok(f"baseline, alerts and {len(ws.windows)} window file(s) present")


@check("MON102", "files", "readable JSON")
def files_parse(ctx: Context) -> Iterator[Result]:
    """Each monitoring file is a bounded, regular, UTF-8 JSON file."""
    docs = ctx.workspace.documents()
    if not docs:
        yield _skipped(ctx, "no monitoring file to read (MON101)")
        return
    broken = [d for d in docs if d.error]
    for doc in broken:
        yield error(doc.error or "", doc.shown)
    if not broken:
        yield ok(f"{len(docs)} file(s) parse as JSON")


@check("MON103", "files", "data contract")
def files_match_schema(ctx: Context) -> Iterator[Result]:
    """Each file matches its versioned schema (mlops/contract/schemas)."""
    docs = [d for d in ctx.workspace.documents() if d.error is None]
    if not docs:
        yield _skipped(ctx, "no file parses as JSON (MON102)")
        return
    for doc in docs:
        if doc.schema_errors:
            yield error(f"{doc.shown} does not match its schema: {_first(doc.schema_errors)}", doc.shown)
        elif doc.rule_errors:
            yield error(f"{doc.shown} breaks the data contract: {_first(doc.rule_errors)}", doc.shown)
    if all(d.valid and not d.rule_errors for d in docs):
        yield ok(f"{len(docs)} file(s) match the data contract v1")


@check("MON104", "files", "timestamps")
def timestamps_not_in_future(ctx: Context) -> Iterator[Result]:
    """No timestamp inside a file lies in the future (beyond the clock-skew tolerance)."""
    limit = shifted(ctx.now, seconds=ctx.config.files.future_tolerance_seconds)
    valid = [d for d in ctx.workspace.documents() if d.valid]
    if not valid:
        yield _skipped(ctx, "no file matches its schema (MON103)")
        return
    bad = 0
    for doc in valid:
        for keys in TIMESTAMP_KEYS[doc.data["schema"]]:
            stamp = _get_time(doc, keys)
            if stamp is not None and stamp > limit:
                bad += 1
                yield error(f"{doc.shown}: {'.'.join(keys)} = {stamp.isoformat()} is in the future", doc.shown)
        if doc.data["schema"] == "mlops.window":
            start, end = _get_time(doc, ("window", "start")), _get_time(doc, ("window", "end"))
            if start and end and end <= start:
                bad += 1
                yield error(f"{doc.shown}: window ends before it starts", doc.shown)
    if not bad:
        yield ok(f"timestamps in {len(valid)} file(s) are ordered and not in the future")


@check("MON105", "files", "freshness")
def newest_window_fresh(ctx: Context) -> Iterator[Result]:
    """The newest production window ended recently (by the time inside the file, not its mtime)."""
    newest = _newest_window(ctx)
    if newest is None:
        yield info("skipped: no valid window file to judge")
        return
    end, doc = newest
    age_h = (ctx.now - end).total_seconds() / 3600
    files = ctx.config.files
    text = f"newest window {doc.shown} ended {_hours(age_h)} ago"
    if age_h > files.max_age_hours:
        yield error(f"{text}, over the {files.max_age_hours:g} h limit: is the producer running?", doc.shown)
    elif age_h > files.warn_age_hours:
        yield warning(f"{text} (warning after {files.warn_age_hours:g} h)", doc.shown)
    else:
        yield ok(text, doc.shown)


@check("MON106", "files", "model consistency")
def same_model_everywhere(ctx: Context) -> Iterator[Result]:
    """Windows describe the model the baseline was computed for."""
    ws = ctx.workspace
    if ws.baseline is None or not ws.baseline.valid:
        yield info("skipped: no valid baseline")
        return
    model = ws.baseline.data["model"]
    found = _newest_window(ctx)
    if found is None:
        yield info("skipped: no valid window file")
        return
    newest = found[1]
    served = newest.data["model"]
    if served["name"] != model["name"]:
        yield error(f"{newest.shown} describes model {served['name']!r}, the baseline {model['name']!r}", newest.shown)
    elif served["version"] != model["version"]:
        yield warning(
            f"{newest.shown}: production serves version {served['version']} of {served['name']!r}, "
            f"the baseline is for version {model['version']}: drift is judged against another model",
            newest.shown,
        )
    else:
        yield ok(f"{model['name']!r} version {model['version']} in baseline and newest window", newest.shown)


def _skipped(ctx: Context, why: str) -> Result:
    """A per-file check that looked at no file says so: having nothing to judge must never read as a pass."""
    if ctx.workspace.problem:
        return info("skipped: the workspace cannot be read (MON100)")
    if not ctx.workspace.documents():
        return info("skipped: no monitoring file to read (MON101)")
    return info(f"skipped: {why}")


def _newest_window(ctx: Context) -> tuple[datetime, Document] | None:
    """The valid window that ended last, by the time written inside it."""
    ordered = ctx.workspace.by_end
    return ordered[-1] if ordered else None


def _get_time(doc: Document, keys: tuple[str, ...]) -> datetime | None:
    node = doc.data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return parse_timestamp(node)


def _first(errors: tuple[str, ...]) -> str:
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(errors[:3]) + more


def _hours(hours: float) -> str:
    return f"{hours:.1f} h" if abs(hours) < 48 else f"{hours / 24:.1f} days"
