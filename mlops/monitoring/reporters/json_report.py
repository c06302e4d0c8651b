"""The machine report: a stable, versioned JSON document (``mlops.report`` v1)."""

from __future__ import annotations

import json
import math
from typing import Any

from mlops.monitoring.reporters.base import Reporter
from mlops.monitoring.results import AlertTimeline, Freshness, Histogram, Metrics, Report, Series, Severity, Trend


def render(report: Report) -> str:
    doc = {
        "schema": "mlops.report",
        "schema_version": 1,
        "config": {"file": report.config or None, "source": report.config_source},
        "workspace": report.workspace,
        "workspace_source": report.workspace_source,
        "as_of": report.as_of,
        "status": "failed" if report.exit_code else "ok",
        "exit_code": int(report.exit_code),
        "fail_on": report.fail_on.label,
        "counts": {s.label: report.count(s) for s in Severity},
        "links": {link.key: link.url for link in report.links},
        "findings": [
            {
                "check": f.check,
                "family": f.family,
                "title": f.title,
                "severity": f.severity.label,
                "message": f.message,
                "subject": f.subject,
                **({"details": dict(f.details)} if f.details else {}),
                **({"series": series(f.series)} if f.series is not None else {}),
            }
            for f in report.findings
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def series(found: Series) -> dict[str, Any]:
    """A finding's series as docs/report.md shows it: ``kind`` first, then its fields, numbers as numbers."""
    doc: dict[str, Any] = {"kind": found.kind}
    if isinstance(found, Trend):
        doc["windows"] = list(found.windows)
        doc["statistics"] = {name: [_number(v) for v in values] for name, values in found.statistics}
        doc["bands"] = {
            b.statistic: {"warning": b.warning, "error": b.error, "lower_is_worse": b.lower_is_worse}
            for b in found.bands
        }
        doc["histogram"] = _histogram(found.histogram) if found.histogram is not None else None
    elif isinstance(found, AlertTimeline):
        doc |= {"start": found.start, "end": found.end, "left_out": found.left_out}
        doc["events"] = [{"at": e.at, "severity": e.severity, "id": e.id, "title": e.title} for e in found.events]
    elif isinstance(found, Freshness):
        doc |= {"ends": list(found.ends), "as_of": found.as_of}
        doc |= {"warn_age_hours": found.warn_age_hours, "max_age_hours": found.max_age_hours}
    elif isinstance(found, Metrics):
        doc["points"] = [
            {"name": p.name, "value": _number(p.value), "condition": p.condition, "met": p.met} for p in found.points
        ]
    return doc


def _histogram(h: Histogram) -> dict[str, Any]:
    return {"edges": list(h.edges), "labels": list(h.labels), "baseline": list(h.baseline), "current": list(h.current)}


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a metric MLflow logged as NaN is ``null``, as one never logged."""
    return value if value is not None and math.isfinite(value) else None


class Json(Reporter):
    name, description = "json", "the versioned mlops.report document (docs/report.md)"

    def render(self, report: Report) -> str:
        return render(report)
