"""Timestamps inside files, since a git checkout resets every mtime."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware datetime, or None for anything that is not an RFC 3339 time with an offset."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def format_timestamp(moment: datetime) -> str:
    """What producers write: RFC 3339, UTC, to the second, with ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
