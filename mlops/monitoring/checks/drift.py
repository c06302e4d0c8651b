"""MON4xx: is the detector drifting? Production windows against the training baseline, in pure Python.

The newest ``drift.windows`` valid windows are summed and compared with the baseline, signal by
signal; windows of another model or version than the baseline's are left out, and the finding says
how many (statistics in :mod:`mlops.monitoring.stats`). Below ``drift.min_images`` a window is
"too small to judge" rather than an alarm.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlops.contract.signals import HISTOGRAMS
from mlops.monitoring import stats
from mlops.monitoring.checks.base import Context, Result, check, error, info, ok, warning
from mlops.monitoring.results import Severity
from mlops.monitoring.workspace import model_of

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


def judge(baseline: Mapping[str, Any], current: Mapping[str, Any], ctx: Context) -> Iterator[Verdict]:
    cfg = ctx.config.drift
    for key in HISTOGRAMS:
        if key not in baseline or key not in current:
            continue
        ref, cur = baseline[key], current[key]
        if ref["edges"] != cur["edges"]:
            yield Verdict(key, Severity.ERROR, "bin edges differ from the baseline's: the two cannot be compared")
            continue
        try:
            value = stats.psi(ref["counts"], cur["counts"])
            js = stats.js_distance(ref["counts"], cur["counts"])
            d, p = stats.ks_binned(ref["counts"], cur["counts"]) if key in WITH_KS else (0.0, 1.0)
        except ValueError as exc:
            yield Verdict(key, Severity.INFO, f"not judged: {exc}")
            continue
        text = f"PSI {value:.3f}, JS {js:.3f}" + (f", KS D {d:.3f} p {p:.3g}" if key in WITH_KS else "")
        details = (("psi", value), ("js", js)) + ((("ks_d", d), ("ks_p", p)) if key in WITH_KS else ())
        severity = Severity.OK
        if value >= cfg.psi_error:
            severity = Severity.ERROR
        elif value >= cfg.psi_warning or p < cfg.p_value:
            severity = Severity.WARNING
        yield Verdict(key, severity, text, details)
    names = sorted(set(baseline["classes"]) | set(current["classes"]))
    for key, ref, cur in (
        ("classes", [baseline["classes"].get(n, 0) for n in names], [current["classes"].get(n, 0) for n in names]),
        (
            "empty_images",
            [baseline["empty_images"], baseline["images"] - baseline["empty_images"]],
            [current["empty_images"], current["images"] - current["empty_images"]],
        ),
    ):
        try:
            chi, p = stats.chi_square(ref, cur)
        except ValueError as exc:
            yield Verdict(key, Severity.INFO, f"not judged: {exc}")
            continue
        severity = Severity.WARNING if p < cfg.p_value else Severity.OK
        yield Verdict(key, severity, f"chi-square {chi:.2f}, p {p:.3g}", (("chi2", chi), ("chi2_p", p)))


def _verdicts(ctx: Context) -> tuple[list[Verdict], str] | Result:
    ws = ctx.workspace
    if ws.baseline is None or not ws.baseline.valid:
        return info("skipped: no valid baseline to compare with")
    windows = ws.judged
    if not windows and ws.by_end and (since := ctx.config.drift.since):
        newest = ws.by_end[-1][0].isoformat().replace("+00:00", "Z")
        return info(f"skipped: no window ends after drift.since = {since} (the newest ends {newest})")
    if not windows:
        return info("skipped: no valid window")
    model = model_of(ws.baseline)
    same = [d for d in windows if model_of(d) == model]
    left_out = len(windows) - len(same)
    why = f"another model or version than the baseline's {model[0]!r} version {model[1]} (MON106)"
    if not same:
        return info(f"skipped: all {len(windows)} window(s) chosen describe {why}")
    try:
        current = summed(same)
    except ValueError as exc:
        return error(str(exc))
    span = f"{len(same)} window(s) ending {same[-1].data['window']['end']}, {current['images']} images"
    if left_out:
        span += f"; {left_out} window(s) of {why} left out"
    if current["images"] < ctx.config.drift.min_images:
        return info(f"too small to judge: {span} (drift.min_images = {ctx.config.drift.min_images})")
    return list(judge(ws.baseline.data["signals"], current, ctx)), span


@check("MON401", "drift", "signal drift")
def signal_drift(ctx: Context) -> Iterator[Result]:
    """each detector signal of the newest `drift.windows` windows of the baseline's model and version against the
    baseline (windows of another model or version are left out and counted): PSI, Jensen-Shannon distance (log base
    2), binned Kolmogorov-Smirnov, chi-square, each where it applies ([which statistic judges which
    signal](docs/drift.md)); "too small to judge" under `drift.min_images`
    """
    found = _verdicts(ctx)
    if isinstance(found, Result):
        yield found
        return
    verdicts, span = found
    for v in verdicts:
        yield Result(v.severity, f"{v.signal}: {v.text} ({span})", v.signal, v.details)


@check("MON402", "drift", "dataset drift")
def dataset_drift(ctx: Context) -> Iterator[Result]:
    """the share of drifting signals stays under `drift.share_warning` (Evidently's dataset drift, 0.5)"""
    found = _verdicts(ctx)
    if isinstance(found, Result):
        yield info(f"skipped: {found.message.removeprefix('skipped: ')}") if found.severity < Severity.ERROR else found
        return
    verdicts, span = found
    judged = [v for v in verdicts if v.severity is not Severity.INFO]
    drifting = [v.signal for v in judged if v.drifting]
    share = len(drifting) / len(judged) if judged else 0.0
    text = f"{len(drifting)} of {len(judged)} signals drift ({share:.0%})" + (
        f": {', '.join(drifting)}" if drifting else ""
    )
    if judged and share >= ctx.config.drift.share_warning:
        yield warning(f"{text}, at or above {ctx.config.drift.share_warning:.0%}: the dataset drifts ({span})")
    else:
        yield ok(f"{text} ({span})")
