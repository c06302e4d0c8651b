"""Escaping and inline-SVG primitives for the HTML page: plain functions over strings, standard library only.

Every string that reaches the page goes through :func:`text` (element content, SVG ``<text>``,
``<title>``, ``<desc>``) or :func:`attr` (a quoted attribute); :func:`href` lets only http(s) URLs
become links. Numbers are written compactly: a 1,000-window page must stay under 1 MB.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
"""Control characters, and the invisible and bidirectional marks that could make text read as other text."""

SHAPES = ("circle", "triangle", "square")
"""Marker shapes by severity (ok/info, warning, error): colour is never the only signal."""


def visible(value: str) -> str:
    """Control and bidi characters as ``\\xNN``/``\\uNNNN``, so that file content shows rather than acts."""
    return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", value)


def text(value: object) -> str:
    """For element content, HTML or SVG: ``&``, ``<`` and ``>`` escaped (quotes need not be)."""
    return html.escape(visible(str(value)), quote=False)


def attr(value: object) -> str:
    """For a double-quoted attribute value."""
    return html.escape(visible(str(value)), quote=True)


def href(url: str) -> str | None:
    """The attribute-escaped URL when it is an absolute http(s) URL with a host; None for anything else."""
    if CONTROL.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return attr(url)


def num(value: float) -> str:
    """A number for people: three significant digits, no exponent for ordinary magnitudes."""
    if math.isnan(value):
        return "NaN"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return f"{value:.2e}"


def coord(value: float) -> str:
    """A coordinate in the chart's user units: one decimal, no trailing zero."""
    out = f"{value:.1f}"
    return out[:-2] if out.endswith(".0") else out


def scale(lo: float, hi: float, start: float, end: float) -> Callable[[float], float]:
    """The linear map from [lo, hi] to [start, end]; a degenerate range maps to its middle."""
    if hi <= lo:
        return lambda _: (start + end) / 2
    factor = (end - start) / (hi - lo)
    return lambda v: start + (v - lo) * factor


def figure(width: int, height: int, title: str, desc: str, body: Sequence[str], *, cls: str = "chart") -> str:
    """An ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say what it shows, scaled to its box."""
    return (
        f'<svg role="img" class="{cls}" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{text(title)}</title><desc>{text(desc)}</desc>{''.join(body)}</svg>"
    )


def rect(x: float, y: float, w: float, h: float, cls: str) -> str:
    return f'<rect class="{cls}" x="{coord(x)}" y="{coord(y)}" width="{coord(max(w, 0))}" height="{coord(max(h, 0))}"/>'


def line(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line class="{cls}" x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(x2)}" y2="{coord(y2)}"/>'


def label(x: float, y: float, value: str, cls: str = "lbl", *, anchor: str = "start") -> str:
    """SVG text; ``value`` is escaped here."""
    return f'<text class="{cls}" x="{coord(x)}" y="{coord(y)}" text-anchor="{anchor}">{text(value)}</text>'


def path(points: Sequence[tuple[float, float | None]], cls: str) -> str:
    """A line through ``points``; a ``None`` y breaks it (a window that was not judged)."""
    parts: list[str] = []
    pen_down = False
    for x, y in points:
        if y is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{coord(x)} {coord(y)}")
        pen_down = True
    return f'<path class="{cls}" d="{"".join(parts)}"/>' if parts else ""


def marker(shape: str, x: float, y: float, cls: str, size: float = 4.5) -> str:
    """A point drawn as ``circle``, ``triangle`` or ``square``."""
    if shape == "square":
        return rect(x - size, y - size, 2 * size, 2 * size, cls)
    if shape == "triangle":
        s = size * 1.2
        d = f"M{coord(x)} {coord(y - s)}L{coord(x + s)} {coord(y + s * 0.8)}L{coord(x - s)} {coord(y + s * 0.8)}Z"
        return f'<path class="{cls}" d="{d}"/>'
    return f'<circle class="{cls}" cx="{coord(x)}" cy="{coord(y)}" r="{coord(size)}"/>'
