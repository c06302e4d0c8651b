"""One canary, every reporter, every failure path: no byte of a secret reaches stdout, stderr, the
``--output`` file, the ``--html`` page, or GitHub's step summary and outputs.

What counts as a secret: ``MLFLOW_TRACKING_PASSWORD``, ``MLFLOW_TRACKING_TOKEN``, the password inside
any tracking URI (environment, command line or config file), the Basic/Bearer header built from
them, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` (an S3 workspace), and a secret inside a
workspace URL. A user name, a workspace path or a file name is not a secret by itself, but when it contains a
secret value the secret is still hidden. The one allowed appearance is GitHub's ``::add-mask::`` line,
which the runner consumes. Servers are real loopback HTTP servers; the monitor runs through ``main``.
"""

from __future__ import annotations

import base64
import html
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlops.core.workflow import escape_data, escape_property
from tests.conftest import EXAMPLE_CONFIG, MlflowServer, Outcome, free_port
from tests.storage_server import Fault, S3Server

CANARY = "cAnAry-7d41e0b9"  # searched for in every output
NASTY = 'nA"s:t,y%7d\\41'  # a canary whose escaped forms differ from it
USER = "monitor"
REPORTERS = ["text", "json", "github"]


def forms(secret: str) -> set[str]:
    """The secret as each output format could spell it, and the Basic credentials built from it."""
    basic = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    spelled = {secret, json.dumps(secret)[1:-1], escape_data(secret), escape_property(secret), html.escape(secret)}
    return spelled | {html.escape(secret, quote=False).replace("|", "\\|"), basic}


class Echo(BaseHTTPRequestHandler):
    """An MLflow impostor that answers ``mode`` and echoes whatever credentials it was sent."""

    mode = "500"

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        echo = f"{auth} {CANARY}"
        if self.mode == "redirect":
            self._send(302, b"", location=f"http://{USER}:{CANARY}@127.0.0.1:1/api")
        elif self.mode == "health-echo":
            self._send(200, echo.encode())
        elif self.mode == "version-echo":
            self._send(200, b"OK" if self.path.endswith("/health") else auth.encode())
        elif self.mode == "not-json":
            body = b"OK" if self.path.endswith("/health") else b"3.0.0" if "/version" in self.path else echo.encode()
            self._send(200, body)
        else:
            status = int(self.mode)
            ok = self.path.endswith("/health") and status == 500
            body = b"OK" if ok else json.dumps({"error_code": auth or CANARY, "message": echo}).encode()
            self._send(200 if ok else status, body)

    def _send(self, status: int, body: bytes, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[Callable[[str], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(mode: str) -> str:
        handler = type("Handler", (Echo,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Setup:
    tmp: Path
    workspace: Path
    cwd: Path
    env: dict[str, str]
    server: Callable[[str], str]
    real: Callable[[], MlflowServer]
    s3: Callable[[], S3Server]

    def config(self, text: str) -> list[str]:
        path = self.tmp / "secret.yaml"
        path.write_text(text, encoding="utf-8")
        return ["--config", str(path), "--workspace", str(self.workspace)]

    def example(self, *args: str) -> list[str]:
        return ["--config", str(EXAMPLE_CONFIG), "--workspace", str(self.workspace), *args]

    def with_password(self, secret: str = CANARY) -> Setup:
        self.env |= {"MLFLOW_TRACKING_USERNAME": USER, "MLFLOW_TRACKING_PASSWORD": secret}
        return self

    def bucket(self, fault: str | None = None) -> list[str]:
        """The example workspace in a bucket of the loopback S3 server, reached with canary AWS secrets."""
        s3 = self.s3()
        bucket = s3.bucket(f"canary-{uuid.uuid4().hex[:12]}")
        s3.upload(self.workspace, bucket, "ws")
        if fault:
            s3.front.faults.append(Fault(fault))
        self.env |= s3.environ(AWS_SECRET_ACCESS_KEY=CANARY, AWS_SESSION_TOKEN=CANARY)
        return self.example("--workspace", f"s3://{bucket}/ws")

    def mlflow(self, uri: str, *args: str) -> list[str]:
        budget = ["--set", "mlflow.budget_seconds=3", "--experiment", "e", "--model-name", "m"]
        return self.example("--tracking-uri", uri, "--select", "MON3", *budget, *args)


def uri_with(base: str, secret: str = CANARY) -> str:
    return base.replace("://", f"://{USER}:{secret}@")


def replace_with_folder(path: Path) -> Path:
    """A folder where a file is expected: unreadable as a file, even to root."""
    path.unlink()
    path.mkdir()
    return path


def plant_in_series(workspace: Path, secret: str) -> str:
    """The secret in what a finding's series repeats: a counted alert's id and title, a class name."""
    path = workspace / "alerts.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["alerts"].append(
        {"id": f"id-{secret}", "raised_at": "2026-11-20T11:30:00Z", "severity": "info", "title": f"disk {secret}"}
    )
    path.write_text(json.dumps(doc), encoding="utf-8")
    path = workspace / "windows" / "2026-11-20T120000Z.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["signals"]["classes"][f"class-{secret}"] = 5
    path.write_text(json.dumps(doc), encoding="utf-8")
    return secret


CLOSED = f"http://{USER}:{CANARY}@127.0.0.1:{free_port()}"
SCENARIOS: dict[str, Callable[[Setup], list[str]]] = {
    # configuration refused: the secret sits beside, or inside, what is wrong
    "bad-yaml": lambda s: s.config(f"mlflow:\n  tracking_uri: {CLOSED}\n  password: [{CANARY}\n"),
    "unknown-key": lambda s: s.config(f"mlflow:\n  tracking_uri: {CLOSED}\n  pasword: {CANARY}\n"),
    "bad-value-beside-a-secret": lambda s: s.config(f"mlflow:\n  tracking_uri: {CLOSED}\n  budget_seconds: lots\n"),
    "secret-uri-of-the-wrong-type": lambda s: s.config(f"mlflow:\n  tracking_uri: [{CLOSED}]\n"),
    "secret-as-a-bad-value": lambda s: s.with_password().example("--set", f"mlflow.insecure_tls={CANARY}"),
    "set-uri-of-the-wrong-type": lambda s: s.example("--set", f"mlflow.tracking_uri={{a: {CLOSED}}}"),
    "dotenv-secret-and-bad-value": lambda s: (
        (s.cwd / ".env").write_text(f"MLFLOW_TRACKING_PASSWORD={CANARY}\nMLFLOW_TRACKING_INSECURE_TLS={CANARY}\n"),
        s.example(),
    )[1],
    # MLflow fails in every way a server or a network can
    "closed-port-uri-password": lambda s: s.mlflow(CLOSED),
    "closed-port-config-uri": lambda s: s.config(f"workspace: ws\nmlflow:\n  tracking_uri: {CLOSED}\n"),
    "401-password": lambda s: s.with_password().mlflow(s.server("401")),
    "403-token": lambda s: (s.env.update(MLFLOW_TRACKING_TOKEN=CANARY), s.mlflow(s.server("403")))[1],
    "500-echoes-the-credentials": lambda s: s.with_password().mlflow(s.server("500")),
    "500-echoes-the-uri-password": lambda s: s.mlflow(uri_with(s.server("500"))),
    "health-echoes-the-header": lambda s: s.with_password().mlflow(s.server("health-echo")),
    "version-echoes-the-header": lambda s: s.with_password().mlflow(s.server("version-echo")),
    "not-json-echo": lambda s: s.with_password().mlflow(s.server("not-json")),
    "redirect-to-credentials": lambda s: s.with_password().mlflow(s.server("redirect")),
    "client-path-500-echo": lambda s: s.with_password().mlflow(s.server("500"), "--set", "mlflow.client=mlflow"),
    "real-server-uri-password": lambda s: (s.env.update(MLFLOW_TRACKING_URI=uri_with(s.real().uri)), s.example())[1],
    # the workspace itself carries the secret: content, file names, its own path
    "broken-files-holding-the-secret": lambda s: (
        (s.workspace / "baseline.json").write_text(f'{{"schema": "{CANARY}", '),
        (s.workspace / "windows" / f"{CANARY}.json").write_text(f'["{CANARY}"]'),
        replace_with_folder(s.workspace / "alerts.json"),
        s.with_password().example(),
    )[-1],
    "workspace-path-holds-the-secret": lambda s: (
        s.workspace.rename(s.tmp / f"ws-{CANARY}"),
        s.with_password().example("--workspace", str(s.tmp / f"ws-{CANARY}")),
    )[-1],
    # object storage: the AWS secret key and session token are canaries too
    "s3-healthy-bucket": lambda s: s.bucket(),
    "s3-access-denied": lambda s: s.bucket("deny"),
    "s3-throttled": lambda s: [*s.bucket("slowdown"), "--set", "storage.retries=0"],
    "s3-no-such-bucket": lambda s: [*s.bucket(), "--workspace", f"s3://absent-{uuid.uuid4().hex[:12]}/ws"],
    "s3-credentials-in-the-url": lambda s: s.example("--workspace", f"s3://AKIAX:{CANARY}@bucket/ws"),
    "series-text-holds-the-nasty-secret": lambda s: (
        plant_in_series(s.workspace, NASTY),  # escaped in JSON: only scrubbing the Report itself can hide it
        s.with_password(NASTY).example(),
    )[-1],
    "escaped-forms-of-a-nasty-secret": lambda s: (
        (s.workspace / "windows" / f"{NASTY}.json").write_text(f'{{"x": "{NASTY}"}}'),
        s.with_password(NASTY).example(),
    )[-1],
}


@pytest.fixture
def lazy_s3(request: pytest.FixtureRequest) -> Callable[[], S3Server]:
    """The loopback S3 server with its faults cleared after the test, started only when a scenario needs it."""
    return lambda: request.getfixturevalue("s3")


@pytest.fixture
def lazy_real_server(request: pytest.FixtureRequest) -> Callable[[], MlflowServer]:
    """The session's real MLflow server, started only by the scenario that needs it."""
    return lambda: request.getfixturevalue("mlflow_server")


@pytest.mark.parametrize("reporter", REPORTERS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_secret_reaches_any_output(
    run_monitor: Callable[..., Outcome], workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    echo_server: Callable[[str], str], lazy_real_server: Callable[[], MlflowServer], lazy_s3: Callable[[], S3Server],
    scenario: str, reporter: str,
) -> None:  # fmt: skip
    cwd = tmp_path / "cwd"  # run_monitor's folder: a .env there is read
    cwd.mkdir(exist_ok=True)
    setup = Setup(tmp_path, workspace, cwd, {}, echo_server, lazy_real_server, lazy_s3)
    args = SCENARIOS[scenario](setup)
    summary, outputs, report = tmp_path / "summary.md", tmp_path / "outputs.txt", tmp_path / "report.out"
    page = tmp_path / "page.html"
    env = setup.env | {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    if reporter == "github":
        env["GITHUB_ACTIONS"] = "true"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    to_stdout = run_monitor(*args, "--format", reporter)
    to_file = run_monitor(*args, "--format", reporter, "--output", report, "--html", page)
    assert to_stdout.code in (0, 1, 2) and to_file.code == to_stdout.code, to_stdout.err
    assert "Traceback" not in to_stdout.text + to_file.text
    written = {"stdout": to_stdout.out + to_file.out, "stderr": to_stdout.err + to_file.err}
    for path in (report, summary, outputs, page):
        written[path.name] = path.read_text(encoding="utf-8") if path.exists() else ""
    if reporter == "github" and to_stdout.code != 2:
        assert written["summary.md"] and written["outputs.txt"], "the GitHub files were not written"
    if to_file.code != 2:
        assert written["page.html"], "the HTML page was not written"
    masks = {f"::add-mask::{escape_data(secret)}" for secret in (CANARY, NASTY)}
    for where, raw in written.items():
        text = "\n".join(line for line in raw.splitlines() if line not in masks)
        for secret in (CANARY, NASTY):
            leaked = [form for form in forms(secret) if form in text]
            assert not leaked, f"{scenario}/{reporter}: {leaked} in {where}:\n{text[:3000]}"


def test_a_secret_in_an_alert_or_a_class_name_is_scrubbed_from_the_report_series(
    run_monitor: Callable[..., Outcome], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planted text does reach the series, scrubbed (so the scenario above is not vacuous): JSON
    escapes the nasty secret, so the scrub of the printed text alone would miss it."""
    plant_in_series(workspace, NASTY)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", NASTY)
    done = run_monitor("--config", EXAMPLE_CONFIG, "--workspace", workspace, "--format", "json")
    assert not [form for form in forms(NASTY) if form in done.out + done.err]
    series = [f["series"] for f in json.loads(done.out)["findings"] if "series" in f]
    (alerts,) = [s for s in series if s["kind"] == "alerts"]
    assert {"id": "id-***", "title": "disk ***"}.items() <= alerts["events"][-1].items()
    (classes,) = [s for s in series if s["kind"] == "drift" and "circle" in s["histogram"]["labels"]]
    assert "class-***" in classes["histogram"]["labels"]
