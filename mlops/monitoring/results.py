"""What checks produce and what the process returns: frozen data and documented enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mlops.core.cli import ExitCode

__all__ = ["ExitCode", "Finding", "Link", "Report", "Severity"]


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
class Finding:
    """One result of one check; ``subject`` names the file (relative to the workspace) or object."""

    check: str
    family: str
    title: str
    severity: Severity
    message: str
    subject: str = ""
    details: tuple[tuple[str, float], ...] = ()


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
