"""The page's charts, one function per kind of :data:`~mlops.monitoring.results.Series`.

Each returns a ``<figure>``: an ``<svg role="img">`` whose ``<desc>`` states its numbers, a caption
that says the verdict in words (and a marker whose shape says it again), and a table of the same data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from mlops.contract.timestamps import parse_timestamp
from mlops.core import thresholds
from mlops.monitoring.reporters import svg
from mlops.monitoring.reporters.svg import num, text
from mlops.monitoring.results import AlertTimeline, Band, Finding, Freshness, Histogram, Metrics, Series, Trend

W, H = 360, 150
HISTOGRAM_COLUMNS = ("bin", "baseline", "share", "current", "share")
LEGEND = "dashed outline baseline, filled current"
WIDE = 480
"""Timelines (alerts, freshness, metrics) are wider than the small multiples of a signal."""
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 12, 30
MARKED = 60
"""Windows up to this many get a dot each; beyond it the line alone (a 1,000-window page stays small)."""
LISTED = 20
"""Windows up to this many have every value in the chart's ``<desc>``; beyond it the table has them."""
SHAPE = {
    "ok": "circle", "info": "circle", "not judged": "circle", "no threshold": "circle", "warning": "triangle",
    "error": "square",
}  # fmt: skip
TIME = re.compile(r"^\d{4}-(\d\d-\d\d)T(\d\d:\d\d)")


def short_time(value: str) -> str:
    """``2026-11-20T12:00:00Z`` as ``11-20 12:00`` for an axis; anything else cut to 16 characters."""
    match = TIME.match(value)
    return f"{match[1]} {match[2]}" if match else value[:16]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, wide: Sequence[int] = ()) -> str:
    """Cells are already escaped; end tags are left out (HTML allows it) to keep long tables small."""
    head = "".join(f"<th>{h}" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="t">{c}' if i in wide else f"<td>{c}" for i, c in enumerate(row)) for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</thead><tbody>{body}</tbody></table></div>'


def caption(finding: Finding, what: str) -> str:
    label = finding.severity.label
    return (
        f'<figcaption><span class="sev {label}">{label}</span> <code>{text(finding.check)}</code> {what}</figcaption>'
    )


def judge(value: float, band: Band | None) -> str:
    """The value's verdict against its band, in the words the page uses."""
    if band is None or (band.warning is None and band.error is None):
        return "no threshold"  # shown for context, never judged (JS distance, KS D)
    if band.lower_is_worse:
        if band.error is not None and value < band.error:
            return "error"
        return "warning" if band.warning is not None and value < band.warning else "ok"
    if band.error is not None and value >= band.error:
        return "error"
    return "warning" if band.warning is not None and value >= band.warning else "ok"


def trend_section(finding: Finding, trend: Trend) -> str:
    """One signal: a small chart per statistic, then every window's numbers in a folded table."""
    signal = finding.subject or finding.title
    bands = {b.statistic: b for b in trend.bands}
    figures = [
        statistic_figure(signal, name, values, trend.windows, bands.get(name)) for name, values in trend.statistics
    ]
    names = [name for name, _ in trend.statistics]
    rows = [
        [text(window), *(num(v) if v is not None else "-" for v in (dict(trend.statistics)[n][i] for n in names))]
        for i, window in enumerate(trend.windows)
    ]
    label = finding.severity.label
    return (
        f'<article class="signal"><h3><span class="sev {label}">{label}</span> {text(signal)}</h3>'
        f'<p class="msg">{text(finding.message)}</p><div class="grid">{"".join(figures)}</div>'
        f"<details><summary>Numbers per window ({len(trend.windows)} windows)</summary>"
        f"{table(['window end', *map(text, names)], rows)}</details></article>"
    )


def statistic_figure(
    signal: str, name: str, values: Sequence[float | None], windows: Sequence[str], band: Band | None
) -> str:
    known = [v for v in values if v is not None]
    limits = [t for t in (band.warning, band.error) if t is not None] if band else []
    lo = min([0.0, *known, *limits])
    hi = max([*known, *limits, lo + 1e-9])
    hi += (hi - lo) * 0.12
    y = svg.scale(lo, hi, H - BOTTOM, TOP)
    x = (
        svg.scale(0, max(len(values) - 1, 1), LEFT, W - RIGHT)
        if len(values) > 1
        else (lambda _: (LEFT + W - RIGHT) / 2)
    )
    body = bands_svg(band, y, lo, hi)
    body += [svg.line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "axis"), svg.line(LEFT, TOP, LEFT, H - BOTTOM, "axis")]
    body += [
        svg.label(LEFT - 4, H - BOTTOM + 4, num(lo), anchor="end"),
        svg.label(LEFT - 4, TOP + 8, num(hi), anchor="end"),
    ]
    body.append(svg.path([(x(i), None if v is None else y(v)) for i, v in enumerate(values)], "series"))
    if len(values) <= MARKED:
        body += [svg.marker("circle", x(i), y(v), "pt", 2) for i, v in enumerate(values) if v is not None]
    newest = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if windows:
        body.append(svg.label(LEFT, H - 8, short_time(windows[0])))
        body.append(svg.label(W - RIGHT, H - 8, short_time(windows[-1]) + " (newest)", anchor="end"))
    if newest is None:
        status, said = "not judged", "no window was judged"
    else:
        status = judge(newest[1], band)
        body.append(
            svg.marker(
                SHAPE[status], x(newest[0]), y(newest[1]), "pt" if status in ("not judged", "no threshold") else status
            )
        )
        said = f"newest {num(newest[1])} ({status})"
    desc = f"{name} of {signal} over {len(values)} windows"
    if windows:
        desc += f", {windows[0]} to {windows[-1]}"
    desc += f": {said}"
    if known:
        desc += f"; lowest {num(min(known))}, highest {num(max(known))}"
    desc += "; " + thresholds_text(band)
    if len(values) <= LISTED:
        desc += "; values oldest first: " + ", ".join("-" if v is None else num(v) for v in values)
    cap = (
        f'<figcaption><span class="sev {status.replace(" ", "")}">{status}</span> <strong>{text(name)}</strong>: '
        f"{text(said)}; {thresholds_text(band)}</figcaption>"
    )
    return f"<figure>{svg.figure(W, H, f'{name} of {signal} per window', desc, body)}{cap}</figure>"


def thresholds_text(band: Band | None) -> str:
    if band is None or (band.warning is None and band.error is None):
        return "no threshold (shown, not judged)"
    sign = "below" if band.lower_is_worse else "at or above"
    said = [
        f"{level} {sign} {num(t)}" for level, t in (("warning", band.warning), ("error", band.error)) if t is not None
    ]
    return ", ".join(said)


def bands_svg(band: Band | None, y: Callable[[float], float], lo: float, hi: float) -> list[str]:
    """The warning and error zones as shaded bands, each labelled in words at its edge."""
    if band is None:
        return []
    out: list[str] = []
    zones: list[tuple[str, float, float, str]] = []
    if band.lower_is_worse:
        if band.warning is not None:
            zones.append(
                (
                    "warnband",
                    band.error if band.error is not None else lo,
                    band.warning,
                    f"warning < {num(band.warning)}",
                )
            )
        if band.error is not None:
            zones.append(("errband", lo, band.error, f"error < {num(band.error)}"))
    else:
        if band.warning is not None:
            zones.append(
                (
                    "warnband",
                    band.warning,
                    band.error if band.error is not None else hi,
                    f"warning ≥ {num(band.warning)}",
                )
            )
        if band.error is not None:
            zones.append(("errband", band.error, hi, f"error ≥ {num(band.error)}"))
    for cls, a, b, words in zones:
        top, bottom = y(max(a, b)), y(min(a, b))
        out.append(svg.rect(LEFT, top, W - RIGHT - LEFT, bottom - top, cls))
        edge = bottom - 3 if band.lower_is_worse else top + 10
        out.append(svg.label(W - RIGHT - 3, edge, words, "band", anchor="end"))
    return out


def histogram_figure(finding: Finding, histogram: Histogram) -> str:
    """Baseline (dashed outline) and current (filled) shares per bin, overlaid on one axis."""
    signal = finding.subject or finding.title
    k = max(len(histogram.baseline), len(histogram.current))
    base, cur = shares(histogram.baseline, k), shares(histogram.current, k)
    names = bin_names(histogram, k)
    top = max([*base, *cur, 1e-9]) * 1.1
    y = svg.scale(0, top, H - BOTTOM, TOP)
    step = (W - RIGHT - LEFT) / max(k, 1)
    body = [
        svg.line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "axis"),
        svg.label(LEFT - 4, TOP + 8, f"{top:.0%}", anchor="end"),
    ]
    for i in range(k):
        x0 = LEFT + i * step
        body.append(svg.rect(x0 + 1, y(cur[i]), step - 2, H - BOTTOM - y(cur[i]), "cur"))
        body.append(svg.rect(x0 + 1, y(base[i]), step - 2, H - BOTTOM - y(base[i]), "base"))
    if histogram.labels and k <= 12:
        body += [svg.label(LEFT + (i + 0.5) * step, H - 16, names[i][:8], anchor="middle") for i in range(k)]
    elif histogram.edges:
        body += [
            svg.label(LEFT, H - 16, num(histogram.edges[0])),
            svg.label(W - RIGHT, H - 16, num(histogram.edges[-1]), anchor="end"),
        ]
    body.append(svg.label(LEFT, H - 3, "dashed: baseline · filled: current"))
    shift = max(range(k), key=lambda i: abs(cur[i] - base[i])) if k else None
    desc = f"{k} bins of {signal}"
    if shift is not None:
        desc += f"; largest shift in bin {names[shift]}: baseline {base[shift]:.1%}, current {cur[shift]:.1%}"
    if k <= LISTED:
        desc += (
            "; baseline shares "
            + ", ".join(f"{s:.1%}" for s in base)
            + "; current shares "
            + ", ".join(f"{s:.1%}" for s in cur)
        )
    rows = [
        [
            text(names[i]),
            num(at(histogram.baseline, i)),
            f"{base[i]:.1%}",
            num(at(histogram.current, i)),
            f"{cur[i]:.1%}",
        ]
        for i in range(k)
    ]
    chart = svg.figure(W, H, f"{signal}: baseline against current", desc, body)
    return (
        f"<figure>{chart}{caption(finding, f'<strong>{text(signal)}</strong>: {LEGEND}')}"
        f"<details><summary>Counts per bin</summary>{table(HISTOGRAM_COLUMNS, rows)}</details></figure>"
    )


def at(values: Sequence[float], i: int) -> float:
    return values[i] if i < len(values) else 0.0


def shares(counts: Sequence[float], k: int) -> list[float]:
    total = sum(c for c in counts if c > 0)
    return [(at(counts, i) / total if total > 0 and at(counts, i) > 0 else 0.0) for i in range(k)]


def bin_names(histogram: Histogram, k: int) -> list[str]:
    if histogram.labels:
        return [histogram.labels[i] if i < len(histogram.labels) else f"#{i + 1}" for i in range(k)]
    edges = histogram.edges
    if len(edges) == k + 1:
        return [f"{num(edges[i])} to {num(edges[i + 1])}" for i in range(k)]
    return [f"#{i + 1}" for i in range(k)]


def figure_for(finding: Finding) -> str:
    series: Series | None = finding.series
    if isinstance(series, AlertTimeline):
        return alerts_figure(finding, series)
    if isinstance(series, Freshness):
        return freshness_figure(finding, series)
    if isinstance(series, Metrics):
        return metrics_figure(finding, series)
    return ""


LANES = (("critical", "error"), ("warning", "warning"), ("info", "info"))


def lane_of(severity: str) -> int:
    word = severity.strip().lower()
    return 0 if word in ("critical", "error", "fatal") else 1 if word in ("warning", "warn") else 2


def alerts_figure(finding: Finding, timeline: AlertTimeline) -> str:
    """One lane per severity across the alert window: critical squares, warning triangles, info circles."""
    start, end = parse_timestamp(timeline.start), parse_timestamp(timeline.end)
    counts = [0, 0, 0]
    for event in timeline.events:
        counts[lane_of(event.severity)] += 1
    summary = f"{len(timeline.events)} alert(s) from {timeline.start} to {timeline.end}: " + ", ".join(
        f"{counts[i]} {name}" for i, (name, _) in enumerate(LANES)
    )
    body: list[str] = []
    height = 120
    if start is not None and end is not None:
        x = svg.scale(start.timestamp(), end.timestamp(), LEFT + 20, WIDE - RIGHT)
        for i, (name, cls) in enumerate(LANES):
            lane_y = 22 + i * 28
            body += [svg.line(LEFT + 20, lane_y, WIDE - RIGHT, lane_y, "axis"), svg.label(2, lane_y + 4, name)]
            body.append(svg.marker(SHAPE[cls], LEFT + 8, lane_y, cls, 3.5))
        for event in timeline.events:
            moment = parse_timestamp(event.at)
            if moment is not None:
                lane = lane_of(event.severity)
                cls = LANES[lane][1]
                px = min(max(x(moment.timestamp()), LEFT + 20), WIDE - RIGHT)
                body.append(svg.marker(SHAPE[cls], px, 22 + lane * 28, cls))
        body += [
            svg.label(LEFT + 20, height - 8, short_time(timeline.start)),
            svg.label(WIDE - RIGHT, height - 8, short_time(timeline.end), anchor="end"),
        ]
    rows = [[text(e.at), text(e.severity), f"<code>{text(e.id)}</code>", text(e.title)] for e in timeline.events]
    chart = svg.figure(WIDE, height, "Alerts over time by severity", summary, body, cls="chart wide") if body else ""
    listed = (
        table(["raised at", "severity", "id", "title"], rows, wide=(3,)) if rows else "<p>No alert in the window.</p>"
    )
    return f"<figure>{chart}{caption(finding, text(summary))}{listed}</figure>"


def ages(as_of: datetime, ends: Sequence[str]) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for end in ends:
        moment = parse_timestamp(end)
        out.append((end, None if moment is None else (as_of - moment).total_seconds() / 3600))
    return out


def age_status(age: float, warn: float, limit: float) -> str:
    return "error" if age > limit else "warning" if age > warn else "ok"


def freshness_figure(finding: Finding, fresh: Freshness) -> str:
    """Window end times as ages before ``as_of`` (on the right), against the warning and error limits."""
    as_of = parse_timestamp(fresh.as_of)
    known = ages(as_of, fresh.ends) if as_of is not None else [(end, None) for end in fresh.ends]
    warn, limit = fresh.warn_age_hours, fresh.max_age_hours
    limits = f"warning when the newest is older than {num(warn)} h, error older than {num(limit)} h"
    body: list[str] = []
    height = 90
    valid = [a for _, a in known if a is not None]
    # The newest window that has ended by as_of, judged as MON105 judged it (its finding's severity, which
    # also counts the clock-skew tolerance): a window ending in the future is never the fresh one.
    newest = min((a for a in valid if a >= 0), default=None)
    verdict = finding.severity.label if finding.severity.label in SHAPE else "ok"
    if valid:
        hi = max(fresh.max_age_hours * 1.2, max(valid) * 1.05, 1.0)
        x = svg.scale(0, hi, WIDE - RIGHT, LEFT)
        mid = 38
        body.append(svg.rect(LEFT, 12, x(fresh.max_age_hours) - LEFT, 50, "errband"))
        body.append(
            svg.rect(x(fresh.max_age_hours), 12, x(fresh.warn_age_hours) - x(fresh.max_age_hours), 50, "warnband")
        )
        body.append(svg.label(LEFT + 3, 24, f"error > {num(fresh.max_age_hours)} h", "band"))
        body.append(
            svg.label(x(fresh.warn_age_hours) - 3, 24, f"warning > {num(fresh.warn_age_hours)} h", "band", anchor="end")
        )
        body.append(svg.line(LEFT, 62, WIDE - RIGHT, 62, "axis"))
        for _, age in known:
            if age is not None:
                px = min(max(x(max(age, 0.0)), LEFT), WIDE - RIGHT)
                body.append(
                    svg.marker(SHAPE[verdict], px, mid, verdict)
                    if age == newest
                    else svg.marker("circle", px, mid, "pt", 2.5)
                )
        body += [
            svg.label(LEFT, height - 8, f"{num(hi)} h before"),
            svg.label(WIDE - RIGHT, height - 8, f"{short_time(fresh.as_of)} (as of)", anchor="end"),
        ]
    if newest is not None:
        said = f"newest window ended {num(newest)} h before {fresh.as_of} ({verdict}); {limits}"
    elif valid:
        said = f"no window ended by {fresh.as_of}: every end is in the future ({verdict}); {limits}"
    else:
        said = f"no window end could be placed against {fresh.as_of}; {limits}"
    desc = f"{len(fresh.ends)} window end(s); {said}"
    rows = [
        [
            text(end),
            "-" if age is None else num(age),
            "-" if age is None else "in the future" if age < 0 else age_status(age, warn, limit),
        ]
        for end, age in known
    ]
    chart = (
        svg.figure(WIDE, height, "Window end times against the freshness limits", desc, body, cls="chart wide")
        if body
        else ""
    )
    columns = ("window end", "hours before as of", "if newest")
    listed = f"<details><summary>Window ends ({len(rows)})</summary>{table(columns, rows)}</details>"
    return f"<figure>{chart}{caption(finding, text(said))}{listed}</figure>"


def metrics_figure(finding: Finding, metrics: Metrics) -> str:
    """One row per metric: its value (circle when met, square when not) against its threshold (dashed)."""
    lane = 34
    height = 14 + lane * len(metrics.points)
    body: list[str] = []
    said: list[str] = []
    for i, p in enumerate(metrics.points):
        base_y = 14 + i * lane
        parsed = thresholds.parse(p.condition)
        limit = parsed[1] if parsed else None
        status = "ok" if p.met else "error"
        value = "not logged" if p.value is None else num(p.value)
        said.append(f"{p.name} = {value}, needs {p.condition}: {'met' if p.met else 'not met'}")
        body.append(
            svg.label(2, base_y + 2, f"{p.name[:48]}: {value} ({p.condition}, {'met' if p.met else 'NOT met'})")
        )
        points = [v for v in (p.value, limit) if v is not None]
        lo, hi = min([0.0, *points]), max([*points, 1e-9])
        hi += (hi - lo) * 0.15
        x = svg.scale(lo, hi, LEFT, WIDE - RIGHT)
        body.append(svg.line(LEFT, base_y + 16, WIDE - RIGHT, base_y + 16, "axis"))
        if limit is not None:
            body.append(svg.line(x(limit), base_y + 8, x(limit), base_y + 24, "thr"))
        if p.value is not None:
            body.append(svg.marker("circle" if p.met else "square", x(p.value), base_y + 16, status))
    rows = [
        [
            text(p.name),
            "not logged" if p.value is None else num(p.value),
            text(p.condition),
            "met" if p.met else "NOT met",
        ]
        for p in metrics.points
    ]
    desc = "; ".join(said) or "no metric threshold configured"
    chart = (
        svg.figure(WIDE, height, "Run metrics against their thresholds", desc, body, cls="chart wide")
        if metrics.points
        else ""
    )
    said_how = caption(finding, "value (circle: met, square: not met) against the dashed threshold")
    return f"<figure>{chart}{said_how}{table(('metric', 'value', 'condition', 'verdict'), rows, wide=(0,))}</figure>"
