"""MON2xx: alerts raised recently, counted by severity (a critical one fails the run), and a live alert producer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from mlops.contract.reader import Document
from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.checks.base import Result, check, error, ok, shifted, skipped, span, utc_stamp, warning
from mlops.monitoring.config import Config
from mlops.monitoring.results import AlertEvent, AlertTimeline


@check("MON201", "alerts", "recent alerts")
def recent_alerts(alerts: Document, now: datetime, counts_as_now: datetime, config: Config) -> Iterator[Result]:
    """alerts raised within `alerts.window_hours` (24) before the judging time, or up to the clock-skew tolerance after
    it, by severity; a critical one fails the run
    """
    doc, hours = alerts, config.alerts.window_hours
    since, until = shifted(now, hours=-hours), counts_as_now  # a clock a little ahead still counts
    raised = [(parse_timestamp(a["raised_at"]), a) for a in doc.data["alerts"]]
    counted = [(t, a) for t, a in raised if t is not None and since < t <= until]  # the file's order
    recent = [a for _, a in counted]
    ahead = sum(1 for t, _ in raised if t is not None and t > until)
    counts = Counter(a["severity"] for a in recent)
    tally = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning", "info"))
    where = f"{doc.shown}: {len(recent)} alert(s) in the last {hours:g} h ({tally})"
    if ahead:
        where += f"; {ahead} raised in the future beyond the clock-skew tolerance, not counted (MON104)"
    worst = max(recent, key=lambda a: ("info", "warning", "critical").index(a["severity"]), default=None)
    latest = f"; e.g. {worst['id']} at {worst['raised_at']}: {worst['title'][:200]}" if worst else ""
    if counts["critical"]:
        found = error(where + latest, doc.shown)
    elif counts["warning"]:
        found = warning(where + latest, doc.shown)
    else:
        found = ok(where, doc.shown)
    yield replace(found, series=timeline(counted, since, until))


TIMELINE_ALERTS = 1000
"""The newest counted alerts a timeline lists (a file may hold 100,000): it bounds the report."""


def timeline(counted: list[tuple[datetime, dict[str, Any]]], since: datetime, until: datetime) -> AlertTimeline:
    """The counted alerts, oldest first (ties keep the file's order), for a chart of the alert window."""
    shown = sorted(counted, key=lambda pair: pair[0])[-TIMELINE_ALERTS:]
    return AlertTimeline(
        start=utc_stamp(since),
        end=utc_stamp(until),
        events=tuple(
            AlertEvent(at=utc_stamp(t), severity=str(a["severity"]), id=str(a["id"]), title=str(a["title"]))
            for t, a in shown
        ),
        left_out=len(counted) - len(shown),
    )


@check("MON202", "alerts", "alerts freshness")
def alerts_fresh(alerts: Document, now: datetime, counts_as_now: datetime, config: Config) -> Iterator[Result]:
    """the alerts file's `generated_at` is at most `alerts.max_age_hours` (26) old: an older one means a dead alert
    producer (error); producers rewrite it (`touch_alerts`) even with no alert
    """
    doc = alerts
    generated = parse_timestamp(doc.data["generated_at"])
    if generated is None:  # a valid file always parses; kept so that nothing unjudged reads as ok
        yield skipped("generated_at cannot be read (MON103)")
        return
    limit = config.alerts.max_age_hours
    if generated > counts_as_now:
        yield error(
            f"{doc.shown}: generated_at = {generated.isoformat()} is in the future (MON104): its age cannot be "
            "judged; is the alert producer's clock right?",
            doc.shown,
        )
        return
    age_h = max(0.0, (now - generated).total_seconds() / 3600)  # within the tolerance, ahead counts as now
    text = f"{doc.shown} was generated {span(age_h)} ago"
    if age_h > limit:
        yield error(
            f"{text}, over the {limit:g} h limit (alerts.max_age_hours): is the alert producer running? "
            "No alert in a stale file says nothing about now",
            doc.shown,
        )
    else:
        yield ok(f"{text} (limit {limit:g} h)", doc.shown)
