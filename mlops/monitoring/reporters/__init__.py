"""Reporters only render a finished :class:`~mlops.monitoring.results.Report`; they never check."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mlops.monitoring.reporters import github, json_report, text
from mlops.monitoring.results import Report

Reporter = Callable[[Report], str]

REPORTER_BY_NAME: dict[str, Reporter] = {"text": text.render, "json": json_report.render, "github": github.render}


def resolve(name: str, env: Mapping[str, str]) -> str:
    """``auto`` is the GitHub format inside GitHub Actions (as yamllint does), text elsewhere."""
    if name != "auto":
        return name
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


def choose(name: str, env: Mapping[str, str] | None = None) -> Reporter:
    return REPORTER_BY_NAME[resolve(name, env or {})]
