"""``MLOPS_HEARTBEAT_URL``: a dead man's switch pinged after every run, so a service notices when runs stop.

Scheduled monitors fail silently the one way nothing inside them can report: by not running (GitHub
disables a quiet repository's schedules after 60 days). Healthchecks.io, Cronitor and the like alert
when an expected ping does not come. The ping carries the outcome: Healthchecks' exit-status endpoint
(``/<exit code>`` appended to the path) or, when the URL holds ``{exit_code}`` or ``{state}``, those
values put in (``state``: ``complete`` or ``fail``, Cronitor's telemetry words).

The URL's path and query are its secret (Healthchecks' UUID, Cronitor's key): they join the secrets
every output is scrubbed of, and messages name the service with :func:`~mlops.core.http.shown_url`
only. A ping is bounded by :data:`BUDGET` in all and never changes the verdict's exit code.
``mlops.core.http`` (and with it ``urllib.request``) is imported only when a ping is sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from mlops.core.cli import ExitCode
from mlops.core.config import ConfigError

VARIABLE = "MLOPS_HEARTBEAT_URL"
BUDGET = 4.0
"""Seconds the whole ping may take, retry included: a silent service delays the run's end by this, no more."""
RETRY_PAUSE = 0.5
"""Seconds between an attempt that found nobody (refused, 5xx) and the one retry."""
MIN_ATTEMPT = 0.5
"""A retry is made only if at least this much of the budget is left for it."""
USER_AGENT = "mlops-monitor"
PLACEHOLDER = re.compile(r"\{(?:exit_code|state)\}")
MEANING: dict[int, str] = {
    ExitCode.OK: "healthy",
    ExitCode.FINDINGS: "failed",
    ExitCode.USAGE: "configuration error",
    ExitCode.INTERNAL: "internal error",
}


@dataclass(frozen=True)
class Heartbeat:
    """Where to ping (:func:`secret_parts` says what of it no output may show)."""

    url: str

    @property
    def shown(self) -> str:
        """The service, as messages name it: ``https://hc-ping.com/…``."""
        from mlops.core.http import shown_url

        return shown_url(self.url)

    def target(self, exit_code: int) -> str:
        """The URL to ping for this outcome: placeholders put in, else ``/<exit code>`` appended to the path."""
        if PLACEHOLDER.search(self.url):
            state = "complete" if exit_code == ExitCode.OK else "fail"
            return self.url.replace("{exit_code}", str(exit_code)).replace("{state}", state)
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}/{exit_code}"))


def configured(env: Mapping[str, str], *, disabled: bool) -> Heartbeat | None:
    """The heartbeat ``env`` (``.env`` included) asks for; None when unset or ``--no-heartbeat``.

    Raises :class:`ConfigError` naming the variable, never its value, for a URL no request could use.
    """
    url = (env.get(VARIABLE) or "").strip()
    if disabled or not url:
        return None
    from mlops.core.http import usable  # a heartbeat is to be sent: the HTTP module is needed anyway

    if not usable(url):
        raise ConfigError(
            f"{VARIABLE} must be an http(s) URL with a host, such as https://hc-ping.com/<uuid> "
            "(its value is not shown: the path is a secret)"
        )
    return Heartbeat(url=url)


def secret_parts(url: str) -> tuple[str, ...]:
    """The URL, its path and its query, each also split at the placeholders: what a scrub must hide.

    Pieces shorter than 4 characters (``/``) hide nothing and are left out, as :func:`scrub` would.
    """
    try:
        parts = urlsplit(url)
        pieces = [url, parts.path, parts.query, parts.fragment]
    except ValueError:
        pieces = [url]
    found = {p for piece in pieces for p in PLACEHOLDER.split(piece) if len(p.strip("/?&=")) >= 4}
    return tuple(sorted(found, key=len, reverse=True))


def outcome_line(exit_code: int, *, errors: int = 0, warnings: int = 0, workspace: str = "", detail: str = "") -> str:
    """The ping's body: one line a person reading the service's log understands."""
    meaning = MEANING.get(exit_code, "?")
    line = f"mlops monitor: exit {exit_code} ({meaning})"
    if detail:
        line += f": {detail}"
    else:
        line += f", {errors} error(s), {warnings} warning(s), workspace {workspace}"
    return " ".join(line.split())[:1000]


def ping(beat: Heartbeat, exit_code: int, body: str, *, budget: float = BUDGET) -> str | None:
    """POST ``body`` to the outcome's URL within ``budget`` seconds; None when the service took it,
    else why not, in words that never hold the URL. One retry, only after nobody answered or a 5xx."""
    from mlops.core.http import HttpError, request  # urllib.request and http.client: only for a heartbeat

    deadline = time.monotonic() + budget
    url = beat.target(exit_code)
    headers = {"User-Agent": USER_AGENT, "Content-Type": "text/plain; charset=utf-8"}
    reasons: list[str] = []
    while True:
        retry = False
        try:
            answer = request("POST", url, timeout=deadline - time.monotonic(), headers=headers, body=body.encode())
        except HttpError as exc:
            reasons.append(f"no answer within {budget:g} s" if exc.kind == "timeout" else str(exc))
            retry = exc.kind == "unreachable"
        else:
            if answer.ok:
                return None
            moved = " (a redirect, not followed)" if 300 <= answer.status < 400 else ""
            reasons.append(f"HTTP {answer.status}{moved}")
            retry = answer.status >= 500
        left = deadline - time.monotonic()
        if not retry or len(reasons) > 1 or left < RETRY_PAUSE + MIN_ATTEMPT:
            return "; then ".join(reasons)
        time.sleep(RETRY_PAUSE)
