"""Servers that misbehave, on loopback: the MLflow part ends within its budget, says what it saw, leaks nothing.

Each hostile server is a real socket on 127.0.0.1 with bounded loops; it stops itself after the test.
The elapsed-time bounds below are hang guards (budget plus a generous margin), not performance claims.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, Outcome, finding

RunMonitor = Callable[..., Outcome]
PASSWORD = "canary-hostile-pw-1618"  # noqa: S105 - a canary, searched for in every output
TOKEN = "canary-hostile-token-1414"  # noqa: S105
URI_PASSWORD = "canary-hostile-uri-1732"  # noqa: S105
BUDGET = 3.0
MARGIN = 5.0
MAX_SECONDS = 30.0
"""No hostile connection lives longer than this, whatever the client does."""


class Hostile:
    """A loopback listener that answers in exactly one wrong way."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        if mode != "no-accept":
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        born = time.monotonic()

        def alive() -> bool:
            return not self.stop.is_set() and time.monotonic() - born < MAX_SECONDS

        try:
            request = conn.recv(65536).decode("latin-1")
            path = request.split(" ")[1] if " " in request else "/"
            if self.mode == "silent":
                while alive():
                    time.sleep(0.1)
            elif self.mode in ("503", "401", "403"):
                conn.sendall(self._response(int(self.mode), b'{"error_code": "X", "message": "no"}'))
            elif self.mode == "not-json":
                body = b"OK" if path == "/health" else b"3.0.0" if path == "/version" else b"<html>login</html>"
                conn.sendall(self._response(200, body))
            elif self.mode == "huge":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n")
                chunk = b"x" * 65536
                while alive():
                    conn.sendall(chunk)
            elif self.mode == "slow":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                while alive():
                    conn.sendall(b"O")
                    time.sleep(0.5)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _response(status: int, body: bytes) -> bytes:
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def hostile() -> Iterator[Callable[[str], int]]:
    servers: list[Hostile] = []

    def start(mode: str) -> int:
        if mode == "closed":
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port: int = sock.getsockname()[1]
            return port  # nothing listens there any more
        server = Hostile(mode)
        servers.append(server)
        return int(server.port)

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def with_canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "monitor")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)


def run_against(run_monitor: RunMonitor, workspace: Path, uri: str, tmp_path: Path, *extra: str) -> tuple[Outcome, str]:
    report = tmp_path / "report.json"
    start = time.monotonic()
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", uri, "--select", "MON3",
        "--experiment", "e", "--model-name", "m", "--set", f"mlflow.budget_seconds={BUDGET}",
        "--format", "json", *extra,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert elapsed < BUDGET + MARGIN, f"took {elapsed:.1f} s with a {BUDGET} s budget"
    again = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", uri, "--select", "MON3",
        "--experiment", "e", "--model-name", "m", "--set", f"mlflow.budget_seconds={BUDGET}",
        "--format", "text", "--output", report, *extra,
    )  # fmt: skip
    written = outcome.text + again.text + report.read_text()
    for canary in (PASSWORD, TOKEN, URI_PASSWORD):
        assert canary not in written
    assert "Traceback" not in written
    return outcome, written


@pytest.mark.usefixtures("with_canaries")
@pytest.mark.parametrize(
    ("mode", "check", "expected"),
    [
        ("closed", "MON302", "connection refused"),
        ("no-accept", "MON302", "never answered"),
        ("silent", "MON302", "never answered"),
        ("503", "MON302", "answered HTTP 503 after retries"),
        ("401", "MON302", "refused the credentials (HTTP 401)"),
        ("403", "MON302", "refused the credentials (HTTP 403)"),
        ("huge", "MON302", "answer over 8,388,608 bytes"),
        ("slow", "MON302", "too slowly"),
        ("not-json", "MON303", "are not JSON"),
    ],
)
def test_hostile_server_ends_within_the_budget_with_the_right_finding(
    run_monitor: RunMonitor, workspace: Path, hostile: Callable[[str], int], tmp_path: Path, mode: str, check: str,
    expected: str,
) -> None:  # fmt: skip
    port = hostile(mode)
    outcome, _ = run_against(run_monitor, workspace, f"http://127.0.0.1:{port}", tmp_path)
    assert outcome.code == 1
    found = finding(outcome, check)
    assert found["severity"] == "error"
    assert expected in found["message"], found["message"]
    assert f"http://127.0.0.1:{port}" in found["message"]


@pytest.mark.parametrize("mode", ["closed", "silent"])
def test_the_client_path_is_bounded_too(
    run_monitor: RunMonitor, workspace: Path, hostile: Callable[[str], int], tmp_path: Path, mode: str
) -> None:
    """MLflow's own client retries a closed port for minutes by default; here it may not."""
    port = hostile(mode)
    outcome, _ = run_against(
        run_monitor, workspace, f"http://127.0.0.1:{port}", tmp_path, "--set", "mlflow.client=mlflow"
    )
    assert outcome.code == 1
    assert finding(outcome, "MON302")["severity"] == "error"


def test_credentials_in_the_uri_and_a_token_never_show(
    run_monitor: RunMonitor, workspace: Path, hostile: Callable[[str], int], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    port = hostile("401")
    outcome, written = run_against(run_monitor, workspace, f"http://user:{URI_PASSWORD}@127.0.0.1:{port}", tmp_path)
    assert "refused the credentials" in finding(outcome, "MON302")["message"]
    assert f"http://127.0.0.1:{port}" in written


def test_the_default_budget_bounds_a_silent_listener(
    run_monitor: RunMonitor, workspace: Path, hostile: Callable[[str], int]
) -> None:
    """The issue's own case: a listener that never answers, the default 10 s budget."""
    port = hostile("no-accept")
    start = time.monotonic()
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", f"http://127.0.0.1:{port}",
        "--select", "MON3", "--format", "json",
    )  # fmt: skip
    assert time.monotonic() - start < 10 + MARGIN
    assert "never answered" in finding(outcome, "MON302")["message"]
