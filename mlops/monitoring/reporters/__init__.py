"""Reporters only render a finished :class:`~mlops.monitoring.results.Report`; they never check."""

from __future__ import annotations

from collections.abc import Callable

from mlops.monitoring.reporters import json_report, text
from mlops.monitoring.results import Report

Reporter = Callable[[Report], str]

REPORTER_BY_NAME: dict[str, Reporter] = {"text": text.render, "json": json_report.render}


def choose(name: str) -> Reporter:
    """``auto`` is text for now; it will pick the GitHub format under GITHUB_ACTIONS."""
    return REPORTER_BY_NAME["text" if name == "auto" else name]
