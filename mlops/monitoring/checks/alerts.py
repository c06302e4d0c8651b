"""MON2xx: alerts raised recently, counted by severity; a critical one fails the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.checks.base import Context, Result, check, error, info, ok, shifted, warning


@check("MON201", "alerts", "recent alerts")
def recent_alerts(ctx: Context) -> Iterator[Result]:
    """Alerts raised within the configured window, by severity; critical fails, warning warns."""
    doc = ctx.workspace.alerts
    if doc is None or not doc.valid:
        yield info("skipped: no valid alerts file (see MON101-MON103)")
        return
    hours = ctx.config.alerts.window_hours
    since = shifted(ctx.now, hours=-hours)
    recent = [a for a in doc.data["alerts"] if (t := parse_timestamp(a["raised_at"])) and since < t <= ctx.now]
    counts = Counter(a["severity"] for a in recent)
    tally = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning", "info"))
    where = f"{doc.shown}: {len(recent)} alert(s) in the last {hours:g} h ({tally})"
    worst = max(recent, key=lambda a: ("info", "warning", "critical").index(a["severity"]), default=None)
    latest = f"; e.g. {worst['id']} at {worst['raised_at']}: {worst['title'][:200]}" if worst else ""
    if counts["critical"]:
        yield error(where + latest, doc.shown)
    elif counts["warning"]:
        yield warning(where + latest, doc.shown)
    else:
        yield ok(where, doc.shown)
