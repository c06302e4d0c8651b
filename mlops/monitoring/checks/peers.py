"""MON5xx: peers' reports in the workspace, read as JSON without their libraries.

Evidently 0.7 snapshots (``snapshot.json()``: ``metrics[]`` and ``tests[]`` with ``status``) and
Great Expectations 1.x validation results (``success``, ``statistics``, ``results[]``) become
findings under their own test and expectation names. Neither library is ever imported.

An Evidently test's severity is its status, because Evidently has already applied criticality when it
wrote it: ``MetricTest.run`` turns a non-critical test's ``FAIL`` into ``WARNING``, and the per-column
"Value Drift" tests of ``DataDriftPreset(include_tests=True)`` are written ``FAIL`` with an empty
``test_config`` (their ``ValueDriftTest`` is critical by default). Evidently's own CLI fails a run on
``FAIL`` or ``ERROR``, as MON501 does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlops.contract.reader import Document
from mlops.monitoring.checks.base import Result, check, error, info, ok, skipped, warning
from mlops.monitoring.config import Config
from mlops.monitoring.workspace import Workspace

EVIDENTLY_STATUS = {"FAIL": error, "ERROR": error, "WARNING": warning}
"""Evidently's verdict per test status: only critical failures are written FAIL."""
GX_SEVERITY = {"critical": error, "warning": warning, "info": info}


def is_evidently(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("tests"), list) and isinstance(data.get("metrics"), list)


def is_gx(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("success"), bool) and isinstance(data.get("results"), list)


def _text(value: Any, limit: int = 200) -> str:
    return str(value)[:limit]


def _columns(kwargs: dict[str, Any]) -> str:
    """The columns an expectation is about: one, a pair (``column_A``, ``column_B``) or a ``column_list``."""
    if "column" in kwargs:
        return f" on {_text(kwargs['column'])!r}"
    if "column_A" in kwargs or "column_B" in kwargs:
        return f" on column_A {_text(kwargs.get('column_A'))!r} and column_B {_text(kwargs.get('column_B'))!r}"
    if isinstance(kwargs.get("column_list"), list) and kwargs["column_list"]:
        names = ", ".join(repr(_text(c, 60)) for c in kwargs["column_list"][:10])
        more = f" and {len(kwargs['column_list']) - 10} more" if len(kwargs["column_list"]) > 10 else ""
        return f" on columns {names}{more}"
    return ""


@check("MON501", "peers", "Evidently tests")
def evidently_tests(workspace: Workspace, config: Config) -> Iterator[Result]:
    """Evidently 0.7 snapshots in `reports/`: every test passed, under its own name; a `FAIL` (Evidently writes a
    failure `FAIL` only when the test is critical, `WARNING` otherwise, as for `DataDriftPreset`'s per-column "Value
    Drift" tests) or an `ERROR` is an error, a `WARNING` a warning
    """
    docs = [d for d in workspace.peers if d.error is None and is_evidently(d.data)]
    if not docs:
        yield skipped(f"no Evidently snapshot in {config.files.peers}/")
        return
    for doc in docs:
        tests = [t for t in doc.data["tests"] if isinstance(t, dict)]
        bad = [t for t in tests if str(t.get("status", "")).upper() in EVIDENTLY_STATUS]
        for t in bad:
            status = str(t.get("status")).upper()
            make = EVIDENTLY_STATUS[status]
            detail = f": {_text(t.get('description'))}" if t.get("description") else ""
            yield make(f"{doc.shown}: Evidently test {_text(t.get('name'))!r} {status}{detail}", doc.shown)
        if not bad:
            yield ok(f"{doc.shown}: {len(tests)} Evidently test(s) passed", doc.shown)


@check("MON502", "peers", "Great Expectations")
def gx_results(workspace: Workspace, config: Config) -> Iterator[Result]:
    """Great Expectations 1.x validation results in `reports/`: every expectation met, named with its columns
    (`column`, `column_A`/`column_B`, `column_list`)
    """
    docs = [d for d in workspace.peers if d.error is None and is_gx(d.data)]
    if not docs:
        yield skipped(f"no Great Expectations result in {config.files.peers}/")
        return
    for doc in docs:
        results = [r for r in doc.data["results"] if isinstance(r, dict)]
        failed = [r for r in results if r.get("success") is False]
        for r in failed:
            expectation: dict[str, Any] = (
                r["expectation_config"] if isinstance(r.get("expectation_config"), dict) else {}
            )
            kwargs: dict[str, Any] = expectation["kwargs"] if isinstance(expectation.get("kwargs"), dict) else {}
            found: dict[str, Any] = r["result"] if isinstance(r.get("result"), dict) else {}
            observed = found.get("observed_value")
            make = GX_SEVERITY.get(str(expectation.get("severity", "critical")), error)
            column = _columns(kwargs)
            seen = f", observed {_text(observed, 60)}" if observed is not None else ""
            if observed is None and isinstance(found.get("unexpected_count"), int):
                seen = f", {found['unexpected_count']} unexpected value(s)"  # row expectations have no observed value
            yield make(f"{doc.shown}: expectation {_text(expectation.get('type'))}{column} failed{seen}", doc.shown)
        if not failed:
            yield ok(f"{doc.shown}: {len(results)} expectation(s) met", doc.shown)


@check("MON503", "peers", "reports readable")
def reports_readable(workspace: Workspace, config: Config) -> Iterator[Result]:
    """every JSON file in `reports/` parses and is one of those two; neither library is ever imported"""
    if not workspace.peers:
        yield skipped(f"no report in {config.files.peers}/")
        return
    unknown: list[Document] = []
    for doc in workspace.peers:
        if doc.error is not None:
            yield warning(doc.error, doc.shown)
        elif not (is_evidently(doc.data) or is_gx(doc.data)):
            unknown.append(doc)
    for doc in unknown:
        yield warning(f"{doc.shown} is neither an Evidently 0.7 snapshot nor a Great Expectations result", doc.shown)
    if workspace.peers and not unknown and all(d.error is None for d in workspace.peers):
        yield ok(f"{len(workspace.peers)} report(s) read")
