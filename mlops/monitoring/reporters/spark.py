"""Unicode sparklines (``▁▂▃▄▅▆▇█``): a drift trend in one line of a terminal or a Markdown table.

Pure functions on plain numbers, standard library only. The GitHub job summary and the text report
draw the same line from a :class:`~mlops.monitoring.results.Trend`, so what CI shows and what a
terminal shows agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlops.monitoring.results import Trend

BARS = "▁▂▃▄▅▆▇█"
GAP = " "
"""Drawn for a window with no value (not judged), NaN or an infinity: a hole, never a made-up level."""
MAX_POINTS = 40
"""The newest windows a trend draws: a line that still fits a table cell or a terminal."""


def sparkline(values: Sequence[float | None], *, lo: float | None = None, hi: float | None = None) -> str:
    """One character per value, oldest first; the bar height is linear in the value.

    The scale spans the finite values, widened to include ``lo`` and ``hi`` when given: a caller passes
    a statistic's natural zero and its threshold, so noise around 0.01 stays a row of ``▁`` instead
    of swinging from ``▁`` to ``█``. A flat series (every value equal, no wider bounds) is drawn at
    mid height (``▄``); ``None``, NaN and infinities are gaps. Any finite floats, however large, are
    safe: the arithmetic is done on halves, so no difference overflows.
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    bounds = [b for b in (lo, hi) if b is not None and math.isfinite(b)]
    if not finite:
        return GAP * len(values)
    low, high = min(finite + bounds), max(finite + bounds)
    span = high / 2 - low / 2
    top = len(BARS) - 1
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(GAP)
        elif span <= 0:
            out.append(BARS[top // 2])
        else:
            share = (v / 2 - low / 2) / span
            out.append(BARS[min(top, max(0, int(share * len(BARS))))])
    return "".join(out)


def latest(values: Sequence[float | None]) -> float | None:
    """The newest finite value, None when no window has one."""
    return next((v for v in reversed(values) if v is not None and math.isfinite(v)), None)


def judged(trend: Trend) -> tuple[str, tuple[float | None, ...]] | None:
    """The statistic a trend is drawn for: the first one with a threshold (PSI for a numeric signal,
    the chi-square p-value for a categorical one), else the first one; None when there is none."""
    values = dict(trend.statistics)
    for band in trend.bands:
        if band.statistic in values and (band.warning is not None or band.error is not None):
            return band.statistic, values[band.statistic]
    return trend.statistics[0] if trend.statistics else None


def trend_line(trend: Trend) -> str:
    """``psi ▁▂▃▅▇ 0.31``: the judged statistic over the newest :data:`MAX_POINTS` windows and its
    newest value, scaled from 0 to its thresholds (statistics here are never negative); "" when
    nothing was judged."""
    picked = judged(trend)
    if picked is None:
        return ""
    name, values = picked
    now = latest(values)
    if now is None:
        return ""
    band = next((b for b in trend.bands if b.statistic == name), None)
    limits = [t for t in (band.warning, band.error) if t is not None] if band else []
    shown = values[-MAX_POINTS:]
    line = sparkline(shown, lo=0.0, hi=max(limits) if limits else None)
    more = f" (newest {len(shown)} of {len(values)})" if len(values) > len(shown) else ""
    return f"{name} {line} {now:.3g}{more}"
