"""MON401's trend: each signal's statistics window by window, so a chart can show drift creeping up.

The verdict sums the judged windows; the trend takes each window read alone (the newest
:data:`~mlops.monitoring.workspace.TREND_WINDOWS` of the baseline's model and version) against the
baseline, with the very functions the verdict uses (:func:`mlops.monitoring.drift.measure`,
:func:`mlops.monitoring.stats.chi_square`). A window that cannot be judged alone (under
``drift.min_images``, other bin edges, counts no statistic can use) has ``None`` there, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops.contract.reader import Document
from mlops.contract.signals import HISTOGRAMS
from mlops.monitoring import stats
from mlops.monitoring.checks.base import utc_stamp
from mlops.monitoring.config import DriftConfig
from mlops.monitoring.drift import WITH_KS, Drift, categories, measure
from mlops.monitoring.results import Band, Histogram, Trend
from mlops.monitoring.workspace import TREND_WINDOWS, Workspace, model_of

CATEGORICAL = ("classes", "empty_images")
Values = dict[str, float]
"""One window's statistics for one signal, by name; absent: that window was not judged."""


def names(signal: str) -> tuple[str, ...]:
    """The statistics a signal's verdict uses, in the order of its ``details``."""
    if signal in CATEGORICAL:
        return ("chi2", "chi2_p")
    return ("psi", "js", "ks_d", "ks_p") if signal in WITH_KS else ("psi", "js")


def bands(config: DriftConfig) -> dict[str, Band]:
    """The thresholds that judge a statistic (docs/drift.md); JS, KS D and chi-square itself judge nothing."""
    return {
        "psi": Band(statistic="psi", warning=config.psi_warning, error=config.psi_error),
        "ks_p": Band(statistic="ks_p", warning=config.p_value, lower_is_worse=True),
        "chi2_p": Band(statistic="chi2_p", warning=config.p_value, lower_is_worse=True),
    }


def window(baseline: Mapping[str, Any], signals: Mapping[str, Any] | None, min_images: int) -> dict[str, Values]:
    """One window's statistics against the baseline, by signal: only those it can be judged on."""
    found: dict[str, Values] = {}
    if signals is None or signals["images"] < min_images:
        return found
    for key in HISTOGRAMS:
        if key not in baseline or key not in signals:
            continue
        ref, cur = baseline[key], signals[key]
        if ref["edges"] != cur["edges"] or len(cur["edges"]) != len(cur["counts"]) + 1:
            continue
        try:
            found[key] = dict(measure(key, ref["counts"], cur["counts"]))
        except ValueError:
            continue
    for cat in categories(baseline, signals):
        try:
            chi, p = stats.chi_square(cat.reference, cat.current)
        except ValueError:
            continue
        found[cat.signal] = {"chi2": chi, "chi2_p": p}
    return found


def histogram(signal: str, baseline: Mapping[str, Any], current: Mapping[str, Any]) -> Histogram | None:
    """The baseline's counts and the judged windows' summed counts; None when they share no axis."""
    if signal in CATEGORICAL:
        cat = next(c for c in categories(baseline, current) if c.signal == signal)
        return Histogram(labels=cat.labels, baseline=tuple(cat.reference), current=tuple(cat.current))
    ref, cur = baseline.get(signal), current.get(signal)
    if ref is None or cur is None or ref["edges"] != cur["edges"]:
        return None
    return Histogram(edges=tuple(ref["edges"]), baseline=tuple(ref["counts"]), current=tuple(cur["counts"]))


def trends(workspace: Workspace, baseline: Document, drift: Drift, config: DriftConfig) -> dict[str, Trend]:
    """A Trend for each signal judged: the windows read of the baseline's model, oldest first, each alone."""
    model, reference = model_of(baseline), baseline.data["signals"]
    read = [(end, doc) for end, doc in workspace.by_end[-TREND_WINDOWS:] if model_of(doc) == model]
    ends = tuple(utc_stamp(end) for end, _ in read)
    per_window = [
        window(reference, doc.data.get("signals") or workspace.traced.get(doc.shown), config.min_images)
        for _, doc in read
    ]
    thresholds = bands(config)
    found = {}
    for verdict in drift.verdicts:
        signal, columns = verdict.signal, names(verdict.signal)
        statistics = tuple(
            (name, tuple(values[signal][name] if signal in values else None for values in per_window))
            for name in columns
        )
        found[signal] = Trend(
            windows=ends,
            statistics=statistics,
            bands=tuple(thresholds[name] for name in columns if name in thresholds),
            histogram=histogram(signal, reference, drift.current),
        )
    return found
