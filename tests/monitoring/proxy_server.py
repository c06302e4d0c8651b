"""A real forward proxy on loopback for the tests: absolute-URI forwarding for http, CONNECT for https.

What a corporate proxy does, in a hundred lines of sockets: it records every request it is asked to
pass on, may demand ``Proxy-Authorization: Basic``, and relays only to loopback (nothing in the
tests may leave this machine).
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Seen:
    """One request the proxy received: ``CONNECT`` and its ``host:port``, or ``GET`` and the absolute URI."""

    method: str
    target: str
    authorization: str | None
    """The ``Proxy-Authorization`` it carried, as sent."""
    forwarded: bool
    """Passed on (``False``: refused with 407 or 502)."""


class ForwardProxy:
    """Threaded; ``port`` is where it listens, ``seen`` what it was asked, oldest first."""

    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.expected = None
        if user is not None:
            self.expected = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[Seen] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(30)
        with client, contextlib.suppress(OSError, ValueError):  # a client that hangs up or talks nonsense
            head, extra = self._head(client)
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            authorization = headers.get("proxy-authorization")
            if self.expected is not None and authorization != self.expected:
                self.seen.append(Seen(method, target, authorization, forwarded=False))
                client.sendall(
                    b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n'
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                path = ""
            else:
                parts = urlsplit(target)
                host, port = parts.hostname or "", str(parts.port or 80)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
            host = host.strip("[]")
            if host not in LOOPBACK:
                self.seen.append(Seen(method, target, authorization, forwarded=False))
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            self.seen.append(Seen(method, target, authorization, forwarded=True))
            with socket.create_connection((host, int(port)), timeout=30) as upstream:
                if method == "CONNECT":
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                else:  # origin form upstream, without what was meant for the proxy, one request per connection
                    kept = [
                        line for line in lines[1:] if line and line.split(":", 1)[0].strip().lower() not in HOP_BY_HOP
                    ]
                    rewritten = "\r\n".join([f"{method} {path} HTTP/1.1", *kept, "Connection: close", "", ""])
                    upstream.sendall(rewritten.encode("latin-1") + extra)
                _pump(client, upstream)

    @staticmethod
    def _head(sock: socket.socket) -> tuple[bytes | None, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk or len(data) > 65536:
                return None, b""
            data += chunk
        head, _, extra = data.partition(b"\r\n\r\n")
        return head, extra


HOP_BY_HOP = ("proxy-authorization", "proxy-connection", "connection", "keep-alive")


def _pump(a: socket.socket, b: socket.socket) -> None:
    while True:
        readable, _, _ = select.select([a, b], [], [], 30)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)
