"""mlops/core/http.py against real loopback servers: one deadline over the whole exchange, no redirect
followed, any status a Response, and errors that never repeat the URL (its path is often the secret)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mlops.core.http import MAX_BODY, HttpError, request, shown_url
from tests.http_server import Fault, HttpServer

CANARY = "0f3e6a52-http-canary"
WAIT = 60
"""Seconds a helper thread may wait: a hang guard, never a timing claim."""


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as s:
        yield s


def refused_url() -> str:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{CANARY}"


def raw_listener(answer: bytes) -> tuple[str, threading.Thread]:
    """A TCP listener that reads a request and answers ``answer`` verbatim, once: what no HTTP server says."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(WAIT)

    def serve() -> None:
        with sock, sock.accept()[0] as conn:
            conn.recv(65536)
            conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}/{CANARY}", thread


def test_a_post_arrives_with_its_headers_and_body(server: HttpServer) -> None:
    answer = request("POST", f"{server.url}/{CANARY}?x=1", timeout=5, headers={"User-Agent": "probe"}, body=b"hello")
    assert (answer.status, answer.ok, answer.body) == (200, True, b"OK")
    (seen,) = server.requests
    assert (seen.method, seen.path, seen.query, seen.body) == ("POST", f"/{CANARY}", "x=1", b"hello")
    assert seen.headers["user-agent"] == "probe"


@pytest.mark.parametrize("fault", ["silent", "trickle"])
def test_a_server_that_never_finishes_is_abandoned_within_the_timeout(server: HttpServer, fault: Fault) -> None:
    """Silent: no byte ever comes. Trickle: a byte a second, so no single read ever times out."""
    server.fault = fault
    started = time.monotonic()
    with pytest.raises(HttpError) as caught:
        request("GET", f"{server.url}/{CANARY}", timeout=1.5)
    print(f"{fault}: abandoned after {time.monotonic() - started:.2f} s (timeout 1.5 s)")
    assert caught.value.kind == "timeout"
    assert CANARY not in str(caught.value) and "127.0.0.1" not in str(caught.value)
    assert len(server.requests) == 1, "the request was sent; only the answer never completed"


def test_a_refused_connection_is_unreachable() -> None:
    with pytest.raises(HttpError) as caught:
        request("POST", refused_url(), timeout=5, body=b"x")
    assert caught.value.kind == "unreachable"
    assert CANARY not in str(caught.value)


@pytest.mark.parametrize("answer", [b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"])
def test_an_answer_that_is_not_http_is_unreachable_not_a_timeout(answer: bytes) -> None:
    """A bad status line, or a body cut short: the caller hears it at once, and no thread prints a traceback."""
    url, thread = raw_listener(answer)
    started = time.monotonic()
    with pytest.raises(HttpError) as caught:
        request("GET", url, timeout=30)
    thread.join(WAIT)
    assert caught.value.kind == "unreachable", caught.value
    assert "no valid HTTP answer" in str(caught.value)
    assert time.monotonic() - started < 30, "it was not left to run into the timeout"


def test_a_redirect_is_returned_and_never_followed(server: HttpServer) -> None:
    with HttpServer() as elsewhere:
        server.fault, server.status = "status", 302
        server.headers = {"Location": f"{elsewhere.url}/stolen"}
        answer = request("POST", f"{server.url}/{CANARY}", timeout=5, headers={"Authorization": "t0ken"}, body=b"x")
        assert answer.status == 302 and not answer.ok
        assert answer.headers["location"] == f"{elsewhere.url}/stolen"
        assert elsewhere.requests == [], "the Location's host was never contacted"


@pytest.mark.parametrize("status", [404, 503])
def test_an_error_status_is_a_response_with_body_and_lower_case_headers(server: HttpServer, status: int) -> None:
    server.fault, server.status = "status", status
    server.headers, server.body = {"X-Request-Id": "abc", "Retry-After": "1"}, b"nope"
    answer = request("GET", f"{server.url}/{CANARY}", timeout=5)
    assert (answer.status, answer.ok, answer.body) == (status, False, b"nope")
    assert answer.headers["x-request-id"] == "abc" and answer.headers["retry-after"] == "1"
    assert all(name == name.lower() for name in answer.headers)


def test_a_large_answer_is_kept_to_max_body(server: HttpServer) -> None:
    server.body = b"x" * (MAX_BODY + 1000)
    assert len(request("GET", server.url, timeout=10).body) == MAX_BODY


@pytest.mark.parametrize(
    "url",
    [f"ftp://127.0.0.1/{CANARY}", f"file:///{CANARY}", f"http:///{CANARY}", f"http://127.0.0.1:99999/{CANARY}",
     f"http://127.0.0.1:port/{CANARY}", CANARY, f"http://127.0.0.1/{CANARY} x"],
)  # fmt: skip
def test_a_url_no_request_can_use_is_invalid_and_not_repeated(url: str) -> None:
    with pytest.raises(HttpError) as caught:
        request("GET", url, timeout=5)
    assert caught.value.kind == "invalid"
    assert CANARY not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hc-ping.com/0f3e6a52-uuid", "https://hc-ping.com/…"),
        ("https://cronitor.link/p/KEY/job?state=run", "https://cronitor.link/…"),
        ("https://user:pa55@example.com:8443/path?token=t#frag", "https://example.com:8443/…"),
        ("https://example.com/?token=t", "https://example.com/…"),
        ("https://example.com/", "https://example.com"),
        ("http://[::1]:8080/secret", "http://[::1]:8080/…"),
        ("http://example.com:99999/secret", "http://example.com/…"),
    ],
)
def test_shown_url_hides_path_query_and_userinfo(url: str, shown: str) -> None:
    assert shown_url(url) == shown
