"""Every check the monitor runs, one module per family; each has a stable ID (``MON1xx`` ...).

=====  ======================================
MON1   files: workspace, schema, freshness (files.py)
MON2   alerts (alerts.py)
MON3   MLflow (mlflow.py)
MON4   drift against the training baseline (drift.py)
MON5   peers' reports: Evidently, Great Expectations (peers.py)
=====  ======================================
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops.monitoring.checks import alerts, drift, files, mlflow, peers  # noqa: F401  (registers the checks)
from mlops.monitoring.checks.base import REGISTRY, Check, Context, Result
from mlops.monitoring.results import Finding, Severity


def is_allowed(check_id: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """Select and ignore by ID prefix, as ruff and repo-review do; ignore wins."""
    selected = not select or any(check_id.startswith(p) for p in select)
    return selected and not any(check_id.startswith(p) for p in ignore)


def selected_checks(select: Sequence[str], ignore: Sequence[str]) -> list[Check]:
    return sorted((c for c in REGISTRY if is_allowed(c.id, select, ignore)), key=lambda c: c.id)


def run_checks(ctx: Context, checks: Sequence[Check]) -> list[Finding]:
    findings: list[Finding] = []
    for chk in checks:
        results = list(chk.func(ctx))
        if not results:
            results = [Result(Severity.INFO, "skipped: nothing to check")]  # never a silent pass
        findings.extend(
            Finding(
                check=chk.id,
                family=chk.family,
                title=chk.title,
                severity=r.severity,
                details=r.details,
                message=r.message,
                subject=r.subject,
            )
            for r in results
        )
    return findings
