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
from datetime import UTC, datetime
from typing import Any

from mlops.monitoring.checks import alerts, drift, files, mlflow, peers  # noqa: F401  (registers the checks)
from mlops.monitoring.checks.base import REGISTRY, Check, Result
from mlops.monitoring.checks.inputs import Inputs
from mlops.monitoring.results import Finding, Severity


def is_allowed(check_id: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """Select and ignore by ID prefix, as ruff and repo-review do; ignore wins."""
    selected = not select or any(check_id.startswith(p) for p in select)
    return selected and not any(check_id.startswith(p) for p in ignore)


def selected_checks(select: Sequence[str], ignore: Sequence[str]) -> list[Check]:
    return sorted((c for c in REGISTRY if is_allowed(c.id, select, ignore)), key=lambda c: c.id)


def run_checks(inputs: Inputs, checks: Sequence[Check]) -> list[Finding]:
    """Each check on its inputs, or the finding that says which input it lacked."""
    findings: list[Finding] = []
    for chk in checks:
        args = inputs.arguments(chk.needs)
        results = [args.result()] if not isinstance(args, dict) else list(chk.func(**args))
        if not results:
            results = [Result(Severity.INFO, "skipped: nothing to check")]  # never a silent pass
        findings.extend(
            Finding(
                check=chk.id,
                family=chk.family,
                title=chk.title,
                severity=r.severity,
                details=r.details,
                series=r.series,
                message=r.message,
                subject=r.subject,
            )
            for r in results
        )
    return findings


def compute_check(check_id: str, **given: Any) -> list[Finding]:
    """One check's findings on the inputs given (``config``, ``now``, ``alerts``...): a test needs no
    config file and no workspace copy. ``config`` defaults to the defaults, ``now`` to now; every other
    input the check needs is derived from those, as in a run."""
    from pathlib import Path

    from mlops.monitoring.config import load_config

    chosen = [c for c in REGISTRY if c.id == check_id]
    if not chosen:
        raise KeyError(f"no check {check_id!r}")
    given.setdefault("now", datetime.now(UTC))
    if "config" not in given:
        given["config"] = load_config(None, env={}, overrides={}, cwd=Path.cwd())
    return run_checks(Inputs(**given), chosen)
