"""The check protocol: small declarative units with stable IDs that never print or exit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mlops.monitoring.config import Config
from mlops.monitoring.mlflow.base import State
from mlops.monitoring.results import Severity
from mlops.monitoring.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class Context:
    """Already-parsed input shared by every check."""

    config: Config
    workspace: Workspace
    now: datetime
    env: dict[str, str] = field(default_factory=dict)
    mlflow: State | None = None
    """What MLflow answered, gathered before the checks run; None when MLflow is not configured."""


@dataclass(frozen=True)
class Result:
    """What a check function yields; the runner adds its ID and title to make a Finding."""

    severity: Severity
    message: str
    subject: str = ""
    details: tuple[tuple[str, float], ...] = ()
    """Named numbers behind the message (a statistic, its p-value) for reporters' tables."""


CheckFunc = Callable[[Context], Iterable[Result]]


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str
    family: str
    title: str
    func: CheckFunc

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
        REGISTRY.append(Check(id=id, family=family, title=title, func=func))
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


def counts_as_now(ctx: Context) -> datetime:
    """The latest time that still counts as now: ``now`` plus the clock-skew tolerance
    (``files.future_tolerance_seconds``). A producer whose clock runs a little ahead is not wrong, and
    its alert is not ignored; a time beyond this is a MON104 error and is never judged as fresh."""
    return shifted(ctx.now, seconds=ctx.config.files.future_tolerance_seconds)


def span(hours: float) -> str:
    """An age or span for a message: hours under two days, days beyond."""
    return f"{hours:.1f} h" if abs(hours) < 48 else f"{hours / 24:.1f} days"


def shifted(when: datetime, *, seconds: float = 0.0, hours: float = 0.0) -> datetime:
    """``when`` moved by a configured span, clamped to what datetime can hold: a bound past year 9999
    (or before year 1) is simply unbounded, never an OverflowError."""
    try:
        return when + timedelta(seconds=seconds, hours=hours)
    except OverflowError:
        edge = datetime.max if seconds + hours > 0 else datetime.min
        return edge.replace(tzinfo=when.tzinfo)
