"""A loopback stand-in for the documented subset of GitHub's REST API that the workflows' jobs use.

GitHub itself cannot be reached from here, so the incident job (mlops/monitoring/incidents.py) and the
keepalive are tested against this: a ``ThreadingHTTPServer`` on 127.0.0.1 holding one repository in
memory. It answers (docs.github.com/rest, API version 2022-11-28):

==========================================================  ===========================================
``GET  /repos/{o}/{r}/issues?labels=&state=&per_page=&page=``  issues *and pull requests*, as GitHub lists
                                                              them; ``Link: <…>; rel="next"`` while more
                                                              pages follow (page size: ``page_size``)
``POST /repos/{o}/{r}/issues``                                 201; an unknown label is refused with 422
                                                              (stricter than GitHub, so a test proves the
                                                              label was created first)
``POST /repos/{o}/{r}/issues/{n}/comments``                    201
``PATCH /repos/{o}/{r}/issues/{n}``                            200 (state, state_reason, title, body)
``GET  /repos/{o}/{r}/labels/{name}``                          200, or 404 when missing
``POST /repos/{o}/{r}/labels``                                 201, or 422 ``already_exists``
``PUT  /repos/{o}/{r}/actions/workflows/{id}/enable``          204, recorded in ``enabled``
==========================================================  ===========================================

Every request needs ``Authorization: Bearer TOKEN`` (or ``token TOKEN``), else 401 "Bad credentials".
Every request is recorded in ``requests`` (:class:`Recorded`: method, path, query, lower-case headers,
JSON body), faults included. :meth:`FakeGitHub.fail` makes the next ``times`` requests (all, when
None) answer with a fault:

- ``"primary"``: 403, ``x-ratelimit-remaining: 0``, ``x-ratelimit-reset`` = now + ``reset_in`` (epoch s)
- ``"secondary"``: 403, ``retry-after: N`` and GitHub's "secondary rate limit" message
- ``"429"``: 429, with ``retry-after: N`` unless ``retry_after`` is None
- ``"silent"``: accept the connection, read the request, never answer (until the server stops)
- ``"5xx"``: 502 with a JSON message
- ``"forbidden"``: 403 "Resource not accessible by integration", no rate-limit headers (a missing permission)

``before``, when set, is called with each :class:`Recorded` request before it is answered: a test
changes the repository mid-run with it (another run creating the label between a GET and a POST).

Use it as a context manager: ``with FakeGitHub() as gh: gh.api`` is the base URL to put in
``GITHUB_API_URL``; ``gh.repository`` is ``owner/name`` for ``GITHUB_REPOSITORY``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from benchmarks.replay import parse_outputs

__all__ = ["FAULTS", "FakeGitHub", "Recorded", "parse_outputs"]

FAULTS = ("primary", "secondary", "429", "silent", "5xx", "forbidden")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-case names."""
    body: Any
    """The JSON body, parsed; None when there was none."""

    @property
    def route(self) -> str:
        """``METHOD /path`` with the repository prefix cut: ``POST /issues``, ``GET /labels/monitoring``."""
        return f"{self.method} {re.sub(r'^/repos/[^/]+/[^/]+', '', self.path)}"


@dataclass
class Fault:
    mode: str
    times: int | None
    retry_after: int | None
    reset_in: int


@dataclass
class FakeGitHub:
    """One repository's issues, comments, labels and workflow enablements, served on loopback."""

    token: str = "ghs_test-token-5ecret"  # noqa: S105 - the fake's own, checked on every request
    owner: str = "acme"
    name: str = "models"
    page_size: int = 100
    """At most this many items per page, whatever ``per_page`` asks: pagination with a few issues."""
    labels: dict[str, dict[str, Any]] = field(default_factory=lambda: {"monitoring": {"name": "monitoring"}})
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    enabled: list[str] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    fault: Fault | None = None
    before: Callable[[Recorded], None] | None = None
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def api(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_issue(
        self, title: str, body: str, *, labels: tuple[str, ...] = ("monitoring",), pull_request: bool = False,
        state: str = "open",
    ) -> int:  # fmt: skip
        """An issue (or a pull request, which GitHub's issue list includes) already in the repository."""
        number = len(self.issues) + 1
        issue: dict[str, Any] = {
            "number": number, "title": title, "body": body, "state": state, "state_reason": None,
            "labels": [{"name": n} for n in labels], "html_url": f"https://github.test/{self.repository}/issues/{number}",
        }  # fmt: skip
        if pull_request:
            issue["pull_request"] = {"url": f"{self.repository}/pulls/{number}"}
        self.issues[number] = issue
        return number

    def fail(self, mode: str, *, times: int | None = None, retry_after: int | None = 60, reset_in: int = 3600) -> None:
        """Answer the next ``times`` requests (all when None) with a fault (see the module docstring)."""
        assert mode in FAULTS, mode
        self.fault = Fault(mode, times, retry_after, reset_in)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def routes(self) -> list[str]:
        return [r.route for r in self.requests]

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-github", daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()  # silent handlers return now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- the server side -------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"unparsable": raw.decode("latin-1")}
        headers = {k.lower(): v for k, v in h.headers.items()}
        recorded = Recorded(h.command, parts.path, parse_qs(parts.query), headers, body)
        with self._lock:
            self.requests.append(recorded)
            fault = self._take_fault()
        if self.before is not None:
            self.before(recorded)
        if fault is not None and fault.mode == "silent":
            self._stop.wait()
            return
        status, payload, extra = self._answer_fault(fault) if fault else self._route(h.command, parts, headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        h.send_response(status)
        for key, value in {"Content-Type": "application/json; charset=utf-8", **extra}.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _take_fault(self) -> Fault | None:
        fault = self.fault
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.fault = None
        return fault

    def _answer_fault(self, fault: Fault) -> tuple[int, Any, dict[str, str]]:
        if fault.mode == "primary":
            reset = str(int(time.time()) + fault.reset_in)
            limits = {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            return 403, {"message": "API rate limit exceeded for installation ID 1."}, limits
        if fault.mode == "5xx":
            return 502, {"message": "Server Error"}, {}
        if fault.mode == "forbidden":
            return 403, {"message": "Resource not accessible by integration"}, {}
        after = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        return (403 if fault.mode == "secondary" else 429), {"message": message}, after

    def _route(self, method: str, parts: Any, headers: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        auth = headers.get("authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return 401, {"message": "Bad credentials"}, {}
        prefix = f"/repos/{self.owner}/{self.name}"
        if not parts.path.startswith(prefix + "/"):
            return 404, {"message": "Not Found"}, {}
        path, query = parts.path[len(prefix) :], parse_qs(parts.query)
        with self._lock:
            if method == "GET" and path == "/issues":
                return self._list(query)
            if method == "POST" and path == "/issues":
                return self._create(body)
            match = re.fullmatch(r"/issues/(\d+)/comments", path)
            if match and method == "POST" and int(match[1]) in self.issues:
                comment = {"id": sum(map(len, self.comments.values())) + 1, "body": (body or {}).get("body")}
                self.comments.setdefault(int(match[1]), []).append(comment)
                return 201, comment, {}
            if (match := re.fullmatch(r"/issues/(\d+)", path)) and method == "PATCH" and int(match[1]) in self.issues:
                issue = self.issues[int(match[1])]
                issue.update({k: v for k, v in (body or {}).items() if k in ("state", "state_reason", "title", "body")})
                return 200, issue, {}
            if (match := re.fullmatch(r"/labels/([^/]+)", path)) and method == "GET":
                label = self.labels.get(match[1])
                return (200, label, {}) if label else (404, {"message": "Not Found"}, {})
            if path == "/labels" and method == "POST":
                name = str((body or {}).get("name", ""))
                if name in self.labels:
                    errors = [{"resource": "Label", "code": "already_exists", "field": "name"}]
                    return 422, {"message": "Validation Failed", "errors": errors}, {}
                self.labels[name] = dict(body or {})
                return 201, self.labels[name], {}
            if re.fullmatch(r"/actions/workflows/[^/]+/enable", path) and method == "PUT":
                self.enabled.append(path.split("/")[3])
                return 204, None, {}
        return 404, {"message": "Not Found"}, {}

    def _list(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        wanted = [n for n in query.get("labels", [""])[0].split(",") if n]
        state = query.get("state", ["open"])[0]
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        found = [
            i for _, i in sorted(self.issues.items(), reverse=True)  # newest first, as GitHub's default sort
            if (state == "all" or i["state"] == state) and all(n in {x["name"] for x in i["labels"]} for n in wanted)
        ]  # fmt: skip
        items = found[(page - 1) * per_page : page * per_page]
        extra = {}
        if page * per_page < len(found):
            nxt = {k: v[0] for k, v in query.items()} | {"page": str(page + 1)}
            extra["Link"] = f'<{self.api}/repos/{self.repository}/issues?{urlencode(nxt)}>; rel="next"'
        return 200, items, extra

    def _create(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        body = body or {}
        unknown = [n for n in body.get("labels", []) if n not in self.labels]
        if unknown or not body.get("title"):
            return 422, {"message": "Validation Failed", "errors": [{"field": "labels", "value": unknown}]}, {}
        number = self.add_issue(str(body["title"]), str(body.get("body") or ""), labels=tuple(body.get("labels", [])))
        return 201, self.issues[number], {}
