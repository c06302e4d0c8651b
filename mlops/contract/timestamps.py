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


def format_precise(moment: datetime) -> str:
    """What producers write where order within a second matters: RFC 3339, UTC, to the microsecond.

    A window opened and closed within one second must still end after it starts, and two replicas
    closing in the same second must still get different file names.
    """
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def require_aware(moment: datetime, what: str) -> datetime:
    """``moment`` if it carries a UTC offset; a naive time would be read in the machine's own zone."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (e.g. datetime.now(UTC)), got {moment!r}")
    return moment
