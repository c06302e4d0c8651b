"""Reporters only render a finished :class:`~mlops.monitoring.results.Report`; they never check.

Each format is one :class:`~mlops.monitoring.reporters.base.Reporter` here; ``--format``'s choices
and the config's ``format`` key are this registry's names, plus ``auto``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlops.monitoring.reporters.base import PublishError, Reporter
from mlops.monitoring.reporters.github import GitHub
from mlops.monitoring.reporters.json_report import Json
from mlops.monitoring.reporters.text import Text

REPORTERS: dict[str, Reporter] = {r.name: r for r in (Text(), Json(), GitHub())}
FORMATS = ("auto", *REPORTERS)

__all__ = ["FORMATS", "REPORTERS", "PublishError", "Reporter", "resolve"]


def resolve(name: str, env: Mapping[str, str]) -> Reporter:
    """``auto`` is the GitHub format inside GitHub Actions (as yamllint does), text elsewhere."""
    if name == "auto":
        name = "github" if env.get("GITHUB_ACTIONS") == "true" else "text"
    return REPORTERS[name]
