"""MON4xx: is the detector drifting? The verdicts of :mod:`mlops.monitoring.drift`, computed once per run."""

from __future__ import annotations

from collections.abc import Iterator

from mlops.contract.reader import Document
from mlops.monitoring.checks.base import Result, check, ok, warning
from mlops.monitoring.config import Config
from mlops.monitoring.drift import Drift
from mlops.monitoring.results import Severity
from mlops.monitoring.trend import trends
from mlops.monitoring.workspace import Workspace


@check("MON401", "drift", "signal drift")
def signal_drift(drift: Drift, workspace: Workspace, baseline: Document, config: Config) -> Iterator[Result]:
    """each detector signal of the newest `drift.windows` windows of the baseline's model and version against the
    baseline (windows of another model or version are left out and counted): PSI, Jensen-Shannon distance (log base
    2), binned Kolmogorov-Smirnov, chi-square, each where it applies ([which statistic judges which
    signal](docs/drift.md)); "too small to judge" under `drift.min_images`
    """
    found = trends(workspace, baseline, drift, config.drift)  # each window alone: the series behind a chart
    for v in drift.verdicts:
        yield Result(v.severity, f"{v.signal}: {v.text} ({drift.span})", v.signal, v.details, found.get(v.signal))


@check("MON402", "drift", "dataset drift")
def dataset_drift(drift: Drift, config: Config) -> Iterator[Result]:
    """the share of drifting signals stays under `drift.share_warning` (Evidently's dataset drift, 0.5)"""
    span = drift.span
    judged = [v for v in drift.verdicts if v.severity is not Severity.INFO]
    drifting = [v.signal for v in judged if v.drifting]
    share = len(drifting) / len(judged) if judged else 0.0
    text = f"{len(drifting)} of {len(judged)} signals drift ({share:.0%})" + (
        f": {', '.join(drifting)}" if drifting else ""
    )
    if judged and share >= config.drift.share_warning:
        yield warning(f"{text}, at or above {config.drift.share_warning:.0%}: the dataset drifts ({span})")
    else:
        yield ok(f"{text} ({span})")
