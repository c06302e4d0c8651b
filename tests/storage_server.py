"""A real S3-protocol server on loopback for the tests: moto in server mode, behind a recording proxy.

moto answers the S3 API for real (listing with ``start-after``, conditional PUTs, ``NoSuchBucket``);
the :class:`FaultyFront` in front of it passes every request on and records it, so a test can count
requests, and can make the store misbehave the ways a real one does: deny access (403), throttle
(503 ``SlowDown``), trickle a body a byte at a time. The client under test is never mocked.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REGION = "us-east-1"


@dataclass
class Fault:
    """Answer requests that ``match`` (method, path) with ``kind``: ``deny``, ``slowdown``, ``trickle``."""

    kind: str
    match: Callable[[str, str], bool] = lambda method, path: True
    times: int | None = None
    """How many requests it hits; None: every one."""


@dataclass
class Seen:
    method: str
    path: str
    """The URL path and query, as sent."""
    status: int


@dataclass
class FaultyFront:
    """A threaded HTTP front for moto: ``url`` is the endpoint clients use."""

    backend: str
    seen: list[Seen] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                front._serve(self)

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.match(method, path) and (fault.times is None or fault.times > 0):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method, path = handler.command, handler.path
        fault = self._fault(method, path)
        if fault is not None and fault.kind in ("deny", "slowdown"):
            status, code = (403, "AccessDenied") if fault.kind == "deny" else (503, "SlowDown")
            self._answer(handler, status, {"Content-Type": "application/xml"}, _error(code), method, path)
            return
        conn = http.client.HTTPConnection(urlsplit(self.backend).netloc, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection",)}
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            out = {k: v for k, v in answer.getheaders() if k.lower() not in ("transfer-encoding", "connection")}
        finally:
            conn.close()
        if fault is not None and fault.kind == "trickle" and method == "GET":
            self.seen.append(Seen(method, path, answer.status))
            _trickle(handler, answer.status, out, data)
            return
        self._answer(handler, answer.status, out, data, method, path)

    def _answer(
        self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes, method: str, path: str
    ) -> None:
        self.seen.append(Seen(method, path, status))
        handler.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "server", "date"):
                handler.send_header(key, value)
        length = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
        handler.send_header("Content-Length", length if method == "HEAD" and length else str(len(data)))
        handler.end_headers()  # a HEAD answer has no body but the object's length: the size HEAD reports
        if method != "HEAD":
            handler.wfile.write(data)


def _trickle(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
    """Headers at once, then one byte every half second: a body that never quite stops arriving."""
    handler.send_response(status)
    for key, value in headers.items():
        if key.lower() not in ("content-length", "server", "date"):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    try:
        for byte in data:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass  # the client gave up: what it should do


def _error(code: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{code}</Message>'
        "<RequestId>test</RequestId></Error>"
    ).encode()


class S3Server:
    """moto's S3 on loopback, and the front the clients talk to. Buckets are made by :meth:`bucket`."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.backend = f"http://{host}:{port}"
        self.front = FaultyFront(self.backend)
        self.endpoint = self.front.url

    def stop(self) -> None:
        self.front.close()
        self.moto.stop()

    def environ(self, **extra: str) -> dict[str, str]:
        """The standard AWS variables a client of this server needs (moto accepts any key pair)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "AKIATESTCANARY000001",
            "AWS_SECRET_ACCESS_KEY": "canary-secret-access-key-never-printed",
            "AWS_SESSION_TOKEN": "canary-session-token-never-printed",
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
            **extra,
        }

    def client(self) -> Any:
        """A boto3 client straight to moto, for setting up and inspecting buckets (never the code under test)."""
        import boto3  # type: ignore[import-untyped]

        return boto3.client(
            "s3", endpoint_url=self.backend, region_name=REGION,
            aws_access_key_id="setup", aws_secret_access_key="setup",  # noqa: S106 - moto takes any key
        )  # fmt: skip

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.client().put_object(Bucket=bucket, Key=key, Body=data)

    def upload(self, folder: Path, bucket: str, prefix: str) -> None:
        """Every file below ``folder`` to ``s3://bucket/prefix/...``, as ``aws s3 sync`` would."""
        client = self.client()
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                key = f"{prefix}/{path.relative_to(folder).as_posix()}"
                client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    def put_many(self, bucket: str, objects: Iterator[tuple[str, bytes]]) -> None:
        """Many objects at once, straight into moto's in-process store (100,000 PUTs over HTTP take minutes)."""
        from moto.s3.models import s3_backends

        backend = s3_backends["123456789012"]["global"]
        for key, data in objects:
            backend.put_object(bucket, key, data)

    def snapshot(self, bucket: str) -> dict[str, tuple[bytes, str]]:
        """Every object's bytes and ETag: equal snapshots mean nothing was written, replaced or removed."""
        client = self.client()
        found: dict[str, tuple[bytes, str]] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[unquote(item["Key"])] = (body, item["ETag"])
        return found
