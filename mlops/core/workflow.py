"""GitHub Actions' text formats, standard library only: workflow commands, step outputs, clipping.

The monitor's GitHub reporter and the incident job (:mod:`mlops.monitoring.incidents`, which runs on
the runner's bare ``python3`` with nothing installed) both write these, so they live here, where
importing them pulls in no YAML parser and no report types.
"""

from __future__ import annotations

import re
import secrets

TERMINAL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Escape control characters (ESC sequences would drive the log viewer) but line breaks, which
    :func:`escape_data` turns into GitHub's own ``%0A``/``%0D``."""
    return TERMINAL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def one_line(text: str) -> str:
    """Every control character escaped, line breaks too: for a title or a one-line message."""
    return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def clip(text: str, limit: int, note: str) -> str:
    """``text`` if it fits in ``limit`` characters, else its first whole lines and ``note``: a clipped
    Markdown table still ends on a row, and the reader is told."""
    if len(text) <= limit:
        return text
    room = max(limit - len(note) - 2, 0)
    head = text[:room]
    if "\n" in head:
        head = head[: head.rindex("\n") + 1]
    return f"{head}\n{note}"[:limit]


def output(name: str, value: str) -> str:
    """One ``GITHUB_OUTPUT`` entry: ``name=value``, or GitHub's ``name<<DELIMITER`` form when the value
    spans lines, with a random delimiter that the value does not contain (so it cannot end early)."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    while delimiter in value:  # pragma: no cover - 128 random bits
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    end = "" if value.endswith("\n") else "\n"
    return f"{name}<<{delimiter}\n{value}{end}{delimiter}\n"
