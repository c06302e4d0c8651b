"""Drift of a detector's signals: production windows summed and compared with the training baseline.

The newest ``drift.windows`` valid windows are summed and compared with the baseline, signal by
signal; windows of another model or version than the baseline's are left out, and the verdict says
how many (statistics in :mod:`mlops.monitoring.stats`). Below ``drift.min_images`` a window is
"too small to judge" rather than an alarm. MON401 reports each verdict, MON402 their share.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops.contract.reader import Document
from mlops.contract.signals import HISTOGRAMS
from mlops.monitoring import stats
from mlops.monitoring.checks.base import Unavailable
from mlops.monitoring.config import DriftConfig
from mlops.monitoring.results import Severity
from mlops.monitoring.workspace import Workspace, model_of

WITH_KS = frozenset({"confidence", "boxes_per_image", "brightness"})


@dataclass(frozen=True)
class Verdict:
    signal: str
    severity: Severity
    text: str
    details: tuple[tuple[str, float], ...] = ()

    @property
    def drifting(self) -> bool:
        return self.severity >= Severity.WARNING


def summed(windows: list[Any]) -> dict[str, Any]:
    """The windows' signals added up; histograms must share their edges (else ValueError naming them)."""
    total: dict[str, Any] = {"images": 0, "empty_images": 0, "classes": {}}
    for doc in windows:
        signals = doc.data["signals"]
        total["images"] += signals["images"]
        total["empty_images"] += signals["empty_images"]
        for name, count in signals["classes"].items():
            total["classes"][name] = total["classes"].get(name, 0) + count
        for key in HISTOGRAMS:
            if key not in signals:
                continue
            hist = signals[key]
            if len(hist["edges"]) != len(hist["counts"]) + 1:
                raise ValueError(f"{doc.shown}: {key} has {len(hist['edges'])} edges for {len(hist['counts'])} counts")
            if key not in total:
                total[key] = {"edges": hist["edges"], "counts": list(hist["counts"])}
            elif total[key]["edges"] != hist["edges"]:
                raise ValueError(f"{doc.shown}: {key} bin edges differ from the other windows'")
            else:
                total[key]["counts"] = [a + b for a, b in zip(total[key]["counts"], hist["counts"], strict=True)]
    return total


def measure(key: str, reference: list[float], current: list[float]) -> tuple[tuple[str, float], ...]:
    """A histogram signal's statistics on counts over the same edges, named as in ``details``;
    ValueError when no statistic can use them. The verdict and each window of the trend call this."""
    psi, js, ks = stats.numeric(reference, current, ks=key in WITH_KS)
    if ks is None:
        return (("psi", psi), ("js", js))
    return (("psi", psi), ("js", js), ("ks_d", ks[0]), ("ks_p", ks[1]))


@dataclass(frozen=True)
class Categorical:
    signal: str
    labels: tuple[str, ...]
    reference: list[float]
    current: list[float]


EMPTY_LABELS = ("empty", "with detections")
"""The two cells of ``empty_images``, as the trend's histogram names them."""


def categories(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> Iterator[Categorical]:
    """The two categorical signals as aligned count vectors: classes over the names either side has,
    empty images against images with a detection."""
    names = sorted(set(baseline["classes"]) | set(current["classes"]))
    yield Categorical(
        "classes",
        tuple(names),
        [baseline["classes"].get(n, 0) for n in names],
        [current["classes"].get(n, 0) for n in names],
    )
    yield Categorical(
        "empty_images",
        EMPTY_LABELS,
        [baseline["empty_images"], baseline["images"] - baseline["empty_images"]],
        [current["empty_images"], current["images"] - current["empty_images"]],
    )


def judge(baseline: Mapping[str, Any], current: Mapping[str, Any], cfg: DriftConfig) -> Iterator[Verdict]:
    """Each signal's statistics against the baseline's, and the severity the thresholds give them."""
    for key in HISTOGRAMS:
        if key not in baseline or key not in current:
            continue
        ref, cur = baseline[key], current[key]
        if ref["edges"] != cur["edges"]:
            yield Verdict(key, Severity.ERROR, "bin edges differ from the baseline's: the two cannot be compared")
            continue
        try:
            details = measure(key, ref["counts"], cur["counts"])
        except ValueError as exc:
            yield Verdict(key, Severity.INFO, f"not judged: {exc}")
            continue
        named = dict(details)
        value, js, d, p = named["psi"], named["js"], named.get("ks_d", 0.0), named.get("ks_p", 1.0)
        text = f"PSI {value:.3f}, JS {js:.3f}" + (f", KS D {d:.3f} p {p:.3g}" if key in WITH_KS else "")
        severity = Severity.OK
        if value >= cfg.psi_error:
            severity = Severity.ERROR
        elif value >= cfg.psi_warning or p < cfg.p_value:
            severity = Severity.WARNING
        yield Verdict(key, severity, text, details)
    for cat in categories(baseline, current):
        try:
            chi, p = stats.chi_square(cat.reference, cat.current)
        except ValueError as exc:
            yield Verdict(cat.signal, Severity.INFO, f"not judged: {exc}")
            continue
        severity = Severity.WARNING if p < cfg.p_value else Severity.OK
        yield Verdict(cat.signal, severity, f"chi-square {chi:.2f}, p {p:.3g}", (("chi2", chi), ("chi2_p", p)))


@dataclass(frozen=True)
class Drift:
    """The verdict on every signal, computed once per run and shared by MON401 and MON402."""

    verdicts: tuple[Verdict, ...]
    span: str
    """What was judged: how many windows, ending when, how many images, what was left out."""
    current: Mapping[str, Any] = field(default_factory=dict)
    """The judged windows' signals, summed: the trend's histogram beside the baseline's."""


def compute(workspace: Workspace, baseline: Document, config: DriftConfig) -> Drift | Unavailable:
    """The judged windows of the baseline's model and version, summed and compared with the baseline."""
    windows = workspace.judged
    if not windows and workspace.by_end and (since := config.since):
        newest = workspace.by_end[-1][0].isoformat().replace("+00:00", "Z")
        return Unavailable(f"no window ends after drift.since = {since} (the newest ends {newest})")
    if not windows:
        return Unavailable("no valid window")
    model = model_of(baseline)
    same = [d for d in windows if model_of(d) == model]
    left_out = len(windows) - len(same)
    why = f"another model or version than the baseline's {model[0]!r} version {model[1]} (MON106)"
    if not same:
        return Unavailable(f"all {len(windows)} window(s) chosen describe {why}")
    try:
        current = summed(same)
    except ValueError as exc:
        return Unavailable(str(exc), Severity.ERROR)
    span = f"{len(same)} window(s) ending {same[-1].data['window']['end']}, {current['images']} images"
    if left_out:
        span += f"; {left_out} window(s) of {why} left out"
    if current["images"] < config.min_images:
        return Unavailable(f"too small to judge: {span} (drift.min_images = {config.min_images})")
    return Drift(tuple(judge(baseline.data["signals"], current, config)), span, current)
