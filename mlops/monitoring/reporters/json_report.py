"""The machine report: a stable, versioned JSON document (``mlops.report`` v1)."""

from __future__ import annotations

import json

from mlops.monitoring.reporters.base import Reporter
from mlops.monitoring.results import Report, Severity


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
            }
            for f in report.findings
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class Json(Reporter):
    name, description = "json", "the versioned mlops.report document (docs/report.md)"

    def render(self, report: Report) -> str:
        return render(report)
