"""What a report format is: ``render`` makes the report; the other hooks are a CI platform's side channels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mlops.monitoring.results import Report


class PublishError(Exception):
    """A file the platform named cannot be written; the message names the variable and the path."""


class Reporter:
    """A format ``--format`` can name. Only :meth:`render` is required; the defaults publish nothing."""

    name = ""
    description = ""

    def render(self, report: Report) -> str:
        raise NotImplementedError

    def preamble(self, env: Mapping[str, str], secrets: Sequence[str]) -> str:
        """Lines the log needs before anything else (GitHub's masks for secrets derived at run time)."""
        return ""

    def publish(self, report: Report, *, env: Mapping[str, str], clean: Callable[[str], str], logged: bool) -> str:
        """Side effects once the report is written (a job summary, step outputs); returns what the log
        still needs (``logged``: whether the report itself went to the log, or to ``--output``).
        Raises :class:`PublishError`."""
        return ""
