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


def resolve(name: str, env: Mapping[str, str], *, terminal: bool = False) -> Reporter:
    """``auto`` is the GitHub format inside GitHub Actions (as yamllint does), text elsewhere.

    ``terminal``: the report goes to a UTF-8 terminal (the CLI decides; a reporter never looks at
    the process), so the text format may draw sparklines.
    """
    if name == "auto":
        name = "github" if env.get("GITHUB_ACTIONS") == "true" else "text"
    if name == "text" and terminal:
        return Text(trends=True)
    return REPORTERS[name]
