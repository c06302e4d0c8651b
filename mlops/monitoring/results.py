"""What checks produce and what the process returns: frozen data and documented enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from mlops.core.cli import ExitCode

__all__ = [
    "AlertEvent",
    "AlertTimeline",
    "Band",
    "ExitCode",
    "Finding",
    "Freshness",
    "Histogram",
    "Link",
    "MetricPoint",
    "Metrics",
    "Report",
    "Series",
    "Severity",
    "Trend",
]


class Severity(enum.IntEnum):
    """How much a finding matters; ``--fail-on`` compares against it."""

    OK = 0
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, kw_only=True)
class Band:
    """A statistic's thresholds, as the config sets them: where its chart turns to warning and error.

    ``lower_is_worse``: p-values drift *below* their threshold (``ks_p``, ``chi2_p``); PSI above it.
    ``None``: no threshold at that severity (JS distance is shown, never judged).
    """

    statistic: str
    warning: float | None = None
    error: float | None = None
    lower_is_worse: bool = False


@dataclass(frozen=True, kw_only=True)
class Histogram:
    """One signal's distribution in the baseline and in the judged windows (counts, not shares).

    Numeric signals have ``edges`` (len(counts) + 1); categorical ones (``classes``) have ``labels``.
    """

    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    baseline: tuple[float, ...] = ()
    current: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Trend:
    """MON401: one signal's statistics window by window, oldest first, and the judged verdict's histogram.

    ``windows`` are the end times (RFC 3339, UTC) of the windows of the baseline's model and version
    that the run read; each statistic has one value per window, ``None`` where that window was not
    judged (too few images, another edge set). The finding's ``details`` keep the judged verdict.
    """

    kind: ClassVar[str] = "drift"
    windows: tuple[str, ...]
    statistics: tuple[tuple[str, tuple[float | None, ...]], ...]
    bands: tuple[Band, ...] = ()
    histogram: Histogram | None = None


@dataclass(frozen=True, kw_only=True)
class AlertEvent:
    at: str
    """When it was raised, RFC 3339 UTC."""
    severity: str
    """The producer's severity as written: ``critical``, ``warning``, ``info``."""
    id: str
    title: str


@dataclass(frozen=True, kw_only=True)
class AlertTimeline:
    """MON201: the alerts raised within the alert window (``start``, ``end``], oldest first."""

    kind: ClassVar[str] = "alerts"
    start: str
    end: str
    events: tuple[AlertEvent, ...] = ()
    left_out: int = 0
    """Counted alerts older than the newest 1,000 listed (``TIMELINE_ALERTS``): the message has the full tally."""


@dataclass(frozen=True, kw_only=True)
class Freshness:
    """MON105: the end times of the windows read (the newest 1,000), oldest first, against the freshness
    limits at ``as_of``."""

    kind: ClassVar[str] = "freshness"
    ends: tuple[str, ...]
    as_of: str
    warn_age_hours: float
    max_age_hours: float


@dataclass(frozen=True, kw_only=True)
class MetricPoint:
    name: str
    value: float | None
    """None: the run did not log it."""
    condition: str
    """As configured, e.g. ``>= 0.5``."""
    met: bool


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """The serving version's run metrics against their configured thresholds (the MLflow metrics check)."""

    kind: ClassVar[str] = "metrics"
    points: tuple[MetricPoint, ...]


Series = Trend | AlertTimeline | Freshness | Metrics
"""The data behind a finding's chart: the JSON report's ``series`` and the HTML page's charts."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One result of one check; ``subject`` names the file (relative to the workspace) or object."""

    check: str
    family: str
    title: str
    severity: Severity
    message: str
    subject: str = ""
    details: tuple[tuple[str, float], ...] = ()
    series: Series | None = None
    """The numbers behind a chart (window by window, alert by alert), for the JSON report and the page."""


@dataclass(frozen=True, kw_only=True)
class Link:
    """A page a reporter may point to; ``key`` is stable (``model_version``, ``run``), ``label`` is for people."""

    key: str
    label: str
    url: str


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything a reporter may render: the findings and the verdict, already decided."""

    findings: tuple[Finding, ...]
    workspace: str
    as_of: str
    as_of_is_now: bool
    fail_on: Severity
    exit_code: ExitCode
    links: tuple[Link, ...] = ()
    """Pages a reporter may show, e.g. the MLflow model version; never credentials."""
    config: str = ""
    """The config file read, as shown (relative to the current folder when inside it); "" for the defaults."""
    config_source: str = ""
    """Why that file (or none) was used: ``--config``, ``MLOPS_CONFIG``, the bundled example as a fallback..."""
    workspace_source: str = ""
    """Which layer named the workspace: ``--workspace``, ``MLOPS_WORKSPACE``, the config file..."""
    model: str = ""
    """The registered model watched (``mlflow.model_name``), "" when none: names the incident issue."""
    alias: str = ""
    """Its serving alias (``mlflow.model_alias``), "" when no model is named."""

    @property
    def inputs(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """(config, why) and (workspace, why), as the reports' headers show them."""
        config = self.config or "none, the defaults"
        return (config, self.config_source), (self.workspace, self.workspace_source)

    def detailed(self) -> tuple[list[Finding], list[str]]:
        """The drift findings that carry numbers, and the union of their names in order: a reporter's table.

        Other families' numbers (MON302's timing) stay in the JSON report's ``details`` only.
        """
        found = [f for f in self.findings if f.details and f.family == "drift"]
        columns: list[str] = []
        for f in found:
            columns += [name for name, _ in f.details if name not in columns]
        return found, columns

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)
