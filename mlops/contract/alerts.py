"""Raise alerts into a workspace's ``alerts.json``: any number of producers at once, none lost.

For producers, standard library only::

    from mlops.contract.alerts import add_alert, touch_alerts

    add_alert("monitoring", severity="critical", title="p99 latency over 800 ms", source="replica-2")
    touch_alerts("monitoring")   # nothing to raise: say the alert producer is alive (alerts.max_age_hours)

Every change is a read-modify-write under a lock (``.alerts.json.lock`` beside the file) followed by
an atomic replace: two producers appending at the same moment both find their alert in the file, and
the monitor never reads half of it. A file that cannot be read back is never replaced (it may hold
alerts nobody else has); the error names it.

The workspace may be a storage URL (``add_alert("s3://acme-monitoring/shapes", ...)``): then each
change reads the object with its ETag and replaces it only if unchanged since, reading again when
another producer got there first (:func:`mlops.contract.writer.rewrite`): still none lost.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from mlops.contract import CURRENT
from mlops.contract.timestamps import format_precise, require_aware
from mlops.contract.writer import locate, rewrite

SEVERITIES = ("info", "warning", "critical")
FILE = "alerts.json"


def add_alert(
    workspace: str | os.PathLike[str],
    *,
    severity: str,
    title: str,
    alert_id: str | None = None,
    source: str | None = None,
    raised_at: datetime | None = None,
    model_name: str | None = None,
    model_version: str | None = None,
) -> str:
    """Append one alert and return its id (a random one unless given).

    An alert whose id is already in the file is not added again, so a producer may retry a call
    it is unsure went through. ``model_name``/``model_version`` set the model the file describes.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    when = require_aware(raised_at, "raised_at") if raised_at is not None else datetime.now(UTC)
    alert: dict[str, Any] = {
        "id": alert_id if alert_id is not None else secrets.token_hex(8),
        "raised_at": format_precise(when),
        "severity": severity,
        "title": title,
    }
    if source is not None:
        alert["source"] = source

    def append(doc: dict[str, Any]) -> None:
        if all(existing.get("id") != alert["id"] for existing in doc["alerts"]):
            doc["alerts"].append(alert)

    _update(locate(workspace, FILE), append, _model(model_name, model_version), create_only=False)
    return str(alert["id"])


@overload
def touch_alerts(workspace: Path, *, model_name: str | None = None, model_version: str | None = None) -> Path: ...


@overload
def touch_alerts(
    workspace: str | os.PathLike[str], *, model_name: str | None = None, model_version: str | None = None
) -> Path | str: ...


def touch_alerts(
    workspace: str | os.PathLike[str], *, model_name: str | None = None, model_version: str | None = None
) -> Path | str:
    """Refresh the file's ``generated_at`` (creating the file if needed): the alert producer's heartbeat.

    The monitor reads an alerts file older than ``alerts.max_age_hours`` as a dead producer; one
    that has nothing to raise calls this at least that often.
    """
    path = locate(workspace, FILE)
    _update(path, lambda doc: None, _model(model_name, model_version), create_only=False)
    return path


def create_alerts(workspace: str | os.PathLike[str], *, model_name: str, model_version: str) -> bool:
    """Start an empty alerts file where there is none; never touch an existing one. True if created."""
    return _update(locate(workspace, FILE), lambda doc: None, _model(model_name, model_version), create_only=True)


def _model(name: str | None, version: str | None) -> dict[str, str] | None:
    if (name is None) != (version is None):
        raise ValueError("model_name and model_version go together: give both or neither")
    return None if name is None or version is None else {"name": name, "version": str(version)}


def _update(
    path: Path | str, edit: Callable[[dict[str, Any]], None], model: dict[str, str] | None, *, create_only: bool
) -> bool:
    def change(current: dict[str, Any] | None, problem: str | None) -> dict[str, Any] | None:
        if create_only and (current is not None or problem is not None):
            return None
        if problem is not None:
            raise ValueError(f"{problem}; left as it is, since replacing it could lose alerts")
        doc = current or {
            "schema": "mlops.alerts",
            "schema_version": CURRENT["mlops.alerts"],
            "generated_at": "",
            "alerts": [],
        }
        if model is not None:
            doc["model"] = model
        edit(doc)
        doc["generated_at"] = format_precise(datetime.now(UTC))
        return doc

    return rewrite(path, "mlops.alerts", change)
