"""Bounded HTTP for the few calls the light side makes to services (a heartbeat, GitHub's REST API).

Standard library only. One deadline covers everything: connecting, sending, and reading the whole
body, so a server that accepts and never answers, or answers a byte a second, costs at most the
budget (socket timeouts alone bound each read, not their sum). Redirects are not followed: a
3xx is returned as it is, so a token never travels to a host it was not meant for. Errors never
repeat the URL; callers name what they called with :func:`shown_url`.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

HttpProblem = Literal["timeout", "unreachable", "invalid"]
MAX_BODY = 1 << 20
"""Bytes of an answer kept; the rest is never read (a heartbeat or an API call needs a few hundred)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case header names."""
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class HttpError(Exception):
    """No HTTP answer within the budget: ``kind`` says why, the message never holds the URL."""

    def __init__(self, kind: HttpProblem, message: str) -> None:
        super().__init__(message)
        self.kind: HttpProblem = kind


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx itself


_OPENER = urllib.request.build_opener(_NoRedirect)


def shown_url(url: str) -> str:
    """``scheme://host[:port]/…``: enough to say which service, never a secret path, query or password.

    Never raises: an unparsable port is left out rather than shown.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    tail = "/…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def usable(url: str) -> bool:
    """An http(s) URL with a host and a valid port: one :func:`request` will try."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """One request, answered or abandoned within ``timeout`` seconds in all; any status is a Response."""
    if not usable(url):
        raise HttpError("invalid", "not an http(s) URL with a host")
    deadline = time.monotonic() + timeout
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310 - http(s) only, checked above
    outcome: list[Response | HttpError] = []

    def call() -> None:
        try:
            with _OPENER.open(req, timeout=max(deadline - time.monotonic(), 0.01)) as resp:
                outcome.append(Response(resp.status, _lower(resp.headers.items()), _read(resp)))
        except urllib.error.HTTPError as exc:  # a status, not a failure: the caller judges it
            try:
                data = _read(exc)
            except (OSError, http.client.HTTPException):
                data = b""
            outcome.append(Response(exc.code, _lower(exc.headers.items()), data))
        except http.client.HTTPException as exc:  # not HTTP at all (BadStatusLine), or cut mid-answer
            outcome.append(HttpError("unreachable", f"no valid HTTP answer ({type(exc).__name__})"))
        except (TimeoutError, urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                outcome.append(HttpError("timeout", f"no answer within {timeout:g} s"))
            else:
                why = getattr(reason, "strerror", None) or type(reason).__name__
                outcome.append(HttpError("unreachable", f"cannot connect ({why})"))
        except Exception as exc:  # noqa: BLE001 - whatever else the stack raises is no answer, never a thread traceback
            outcome.append(HttpError("unreachable", f"no answer ({type(exc).__name__})"))

    worker = threading.Thread(target=call, name="mlops-http", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:  # still reading: abandon it (a daemon thread, its socket times out on its own)
        raise HttpError("timeout", f"no complete answer within {timeout:g} s")
    result = outcome[0]
    if isinstance(result, HttpError):
        raise result
    return result


def _read(answer: http.client.HTTPResponse | urllib.error.HTTPError) -> bytes:
    """At most MAX_BODY bytes; a body shorter than its Content-Length was cut off, not answered."""
    data = answer.read(MAX_BODY)
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and len(data) < min(int(declared), MAX_BODY):
        raise http.client.IncompleteRead(data, int(declared) - len(data))
    return data


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}
