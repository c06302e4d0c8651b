"""The check protocol: small declarative units with stable IDs that never print or exit.

A check is a function whose parameters name the inputs it needs (``config``, ``alerts``, ``mlflow``...,
listed in :mod:`mlops.monitoring.checks.inputs`), as pytest's fixtures and repo-review's are. The
runner computes each input once per run; when one cannot be had, it writes the check's "skipped: <why>"
finding itself, so no check repeats a precondition and none can pass for want of input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mlops.monitoring.results import Series, Severity


@dataclass(frozen=True)
class Result:
    """What a check function yields; the runner adds its ID and title to make a Finding."""

    severity: Severity
    message: str
    subject: str = ""
    details: tuple[tuple[str, float], ...] = ()
    """Named numbers behind the message (a statistic, its p-value) for reporters' tables."""
    series: Series | None = None
    """The data behind the finding's chart (results.Series): per window, per alert, per metric."""


@dataclass(frozen=True)
class Unavailable:
    """An input this run cannot provide, and why: what the runner writes for every check that needs it.

    Most are "skipped: <why>" (info); an input that exists but is broken (windows whose histograms
    cannot be summed) is an error for each check that needed it.
    """

    reason: str
    severity: Severity = Severity.INFO

    def result(self) -> Result:
        if self.severity is Severity.INFO:
            return Result(Severity.INFO, f"skipped: {self.reason}")
        return Result(self.severity, self.reason)


CheckFunc = Callable[..., Iterable[Result]]


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str
    family: str
    title: str
    func: CheckFunc
    needs: tuple[str, ...] = ()
    """The inputs the check's parameters name, in order: the first one missing decides its "skipped"."""

    @property
    def description(self) -> str:
        """The docstring's first paragraph, on one line: the README's check table row and ``--list-checks``."""
        summary = (self.func.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in summary.splitlines())


REGISTRY: list[Check] = []


def check(id: str, family: str, title: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check; its docstring's first paragraph is what ``--list-checks`` prints and the README shows."""

    def register(func: CheckFunc) -> CheckFunc:
        if any(c.id == id for c in REGISTRY):
            raise ValueError(f"duplicate check ID {id}")
        from mlops.monitoring.checks.inputs import needs  # refuses a parameter that names no input, now

        REGISTRY.append(Check(id=id, family=family, title=title, func=func, needs=needs(func)))
        return func

    return register


def ok(message: str, subject: str = "", details: tuple[tuple[str, float], ...] = ()) -> Result:
    return Result(Severity.OK, message, subject, details)


def info(message: str, subject: str = "") -> Result:
    return Result(Severity.INFO, message, subject)


def warning(message: str, subject: str = "") -> Result:
    return Result(Severity.WARNING, message, subject)


def error(message: str, subject: str = "") -> Result:
    return Result(Severity.ERROR, message, subject)


def skipped(why: str) -> Result:
    """A check with its inputs but nothing to judge in them (no threshold configured, say) says so."""
    return Result(Severity.INFO, f"skipped: {why}")


def span(hours: float) -> str:
    """An age or span for a message: hours under two days, days beyond."""
    return f"{hours:.1f} h" if abs(hours) < 48 else f"{hours / 24:.1f} days"


def utc_stamp(moment: datetime) -> str:
    """A time for a finding's series: RFC 3339 in UTC with ``Z``, to the second unless it has a fraction."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shifted(when: datetime, *, seconds: float = 0.0, hours: float = 0.0) -> datetime:
    """``when`` moved by a configured span, clamped to what datetime can hold: a bound past year 9999
    (or before year 1) is simply unbounded, never an OverflowError."""
    try:
        return when + timedelta(seconds=seconds, hours=hours)
    except OverflowError:
        edge = datetime.max if seconds + hours > 0 else datetime.min
        return edge.replace(tzinfo=when.tzinfo)
