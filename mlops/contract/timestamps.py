"""Timestamps inside files, since a git checkout resets every mtime."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware datetime, or None for anything that is not an RFC 3339 time with an offset.

    Also None for a time that cannot be expressed in UTC: comparing or formatting it would overflow.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    try:  # 0001-01-01T00:00:00+01:00 lies before the first moment Python can hold in UTC
        parsed.astimezone(UTC)
    except OverflowError:
        return None
    return parsed


def format_timestamp(moment: datetime) -> str:
    """What producers write: RFC 3339, UTC, to the second, with ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
