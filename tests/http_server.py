"""A loopback HTTP server that records what it is sent and misbehaves on request: for tests and the bench.

Usage::

    with HttpServer() as server:          # 127.0.0.1, a free port; answers 200 "OK"
        server.fault = "silent"           # accept and read the request, never answer
        server.fault = "trickle"          # answer 200 "OK", one byte of the raw response per second
        server.fault, server.status = "status", 503   # answer this status (and ``headers``, ``body``)
        ... call server.url ...
        server.requests                   # [Recorded(method, path, query, headers, body), ...]

Every request is recorded before it is answered (or not), so a test can tell "sent" from "answered".
A silent or trickling answer ends when the server is closed, so closing never waits for one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

Fault = Literal["silent", "trickle", "status"]


@dataclass(frozen=True)
class Recorded:
    """One request as received: the path without its query, the query as sent, lower-case header names."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1; ``url`` is ``http://127.0.0.1:PORT`` (no trailing slash)."""

    fault: Fault | None = None
    status: int = 200
    """The status a ``status`` fault answers."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers a ``status`` fault sends (``Location`` for a 3xx, say)."""
    body: bytes = b"OK"
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._closed = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                owner._serve(self)

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = do_PATCH = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="http-server", daemon=True).start()

    def close(self) -> None:
        """Stop serving; silent and trickling answers give up at once."""
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append(Recorded(handler.command, parts.path, parts.query, headers, body))
        fault = self.fault
        if fault == "silent":
            self._closed.wait(120)
            handler.close_connection = True
            return
        status, extra = (self.status, self.headers) if fault == "status" else (200, {})
        lines = [f"HTTP/1.1 {status} {handler.responses.get(status, ('?',))[0]}", f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in extra.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if handler.command == "HEAD" else self.body)
        handler.close_connection = True
        try:
            if fault == "trickle":
                for i in range(len(raw)):
                    if self._closed.is_set():
                        return
                    handler.wfile.write(raw[i : i + 1])
                    handler.wfile.flush()
                    self._closed.wait(1)
            else:
                handler.wfile.write(raw)
        except OSError:  # the client gave up: that is what the faults are for
            return
