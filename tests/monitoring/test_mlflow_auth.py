"""Both MLflow paths send the credentials MLflow's own client sends, so a server gives one verdict.

A checking gate stands in front of the real MLflow server and, like MLflow's basic-auth app, leaves
``/health`` open and lets anything else through only with one exact ``Authorization`` header. The
monitor runs on the REST path and on the mlflow-skinny path against it with several credentials set
at once; the order MLflow follows (docs/security.md) decides which one the gate sees.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import EXAMPLE_CONFIG, MlflowServer, NoxMonitor, Outcome, json_from, report
from tests.monitoring.test_checks_mlflow_server import NOW, Scenario, make_scenario, point_workspace_at

RunMonitor = Callable[..., Outcome]
USER = "monitor"
PASSWORD = "pw-canary-16180"  # noqa: S105 - canaries, searched for in every output
TOKEN = "tok-canary-27182"  # noqa: S105
FILE_PASSWORD = "file-canary-14142"  # noqa: S105
NETRC_PASSWORD = "netrc-canary-17320"  # noqa: S105
URI_PASSWORD = "uri-canary-22360"  # noqa: S105
CANARIES = (PASSWORD, TOKEN, FILE_PASSWORD, NETRC_PASSWORD, URI_PASSWORD)
EVERYTHING_OK = {f"MON{n}": "ok" for n in range(302, 311)}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Gate(BaseHTTPRequestHandler):
    """A proxy to the real server that checks credentials the way a token-only or basic-only server does."""

    upstream = ""
    expected = ""
    seen: list[str]

    def _forward(self) -> None:
        header = self.headers.get("Authorization", "")
        if self.path.split("?")[0] != "/health":
            self.seen.append(header.split(" ")[0] or "(none)")
            if header != self.expected:  # MLflow's own refusal (mlflow/server/auth make_basic_auth_response)
                challenge = {"WWW-Authenticate": 'Basic realm="mlflow"'}
                self._send(401, b"You are not authenticated.", "text/plain", challenge)
                return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            self._send(answer.status, answer.read(), answer.getheader("Content-Type") or "application/json")
        finally:
            conn.close()

    do_GET = do_POST = do_PATCH = do_DELETE = _forward

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": kind, "Content-Length": str(len(body)), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


GateFactory = Callable[[str], tuple[str, list[str]]]


@pytest.fixture
def gate(mlflow_server: MlflowServer) -> Iterator[GateFactory]:
    """``gate(expected)`` -> (its URI, the kinds of header it was sent: ``Basic``, ``Bearer`` ...)."""
    servers: list[ThreadingHTTPServer] = []

    def start(expected: str) -> tuple[str, list[str]]:
        seen: list[str] = []
        upstream = urlsplit(mlflow_server.uri).netloc
        handler = type("Handler", (Gate,), {"upstream": upstream, "expected": expected, "seen": seen})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def scenario_maker(mlflow_server: MlflowServer) -> Callable[[], Scenario]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)
    return lambda: make_scenario(client)


@pytest.fixture
def scenario(scenario_maker: Callable[[], Scenario], workspace: Path) -> Scenario:
    made = scenario_maker()
    point_workspace_at(workspace, made)
    return made


def args_for(workspace: Path, scenario: Scenario, uri: str) -> list[str | Path]:
    base: list[str | Path] = ["--config", EXAMPLE_CONFIG, "--workspace", workspace, "--as-of", NOW.isoformat()]
    base += ["--select", "MON302,MON303,MON304,MON305,MON306,MON307,MON308,MON309,MON310", "--tracking-uri", uri]
    base += ["--experiment", scenario.experiment, "--model-name", scenario.model, "--format", "json"]
    metrics = 'mlflow.metrics={"metrics/mAP50-95B": ">= 0.5"}'
    return [*base, "--set", metrics, "--set", "mlflow.budget_seconds=120"]  # importing mlflow may be slow


Verdict = tuple[int, dict[str, str]]


def verdict(outcome: Outcome, doc: dict[str, Any]) -> Verdict:
    """The exit code and each check's worst severity: what a user acts on."""
    rank = {"ok": 0, "info": 1, "warning": 2, "error": 3}
    worst: dict[str, str] = {}
    for f in doc["findings"]:
        if rank[f["severity"]] >= rank.get(worst.get(f["check"], "ok"), 0):
            worst[f["check"]] = f["severity"]
    return outcome.code, worst


@pytest.fixture
def both_paths(run_monitor: RunMonitor, workspace: Path) -> Callable[..., Verdict]:
    """Judge on the REST path and on MLflow's client; the verdicts must be the same and leak nothing."""

    def run(scenario: Scenario, uri: str, *extra: str) -> Verdict:
        verdicts = {}
        for path in ("rest", "mlflow"):
            outcome = run_monitor(*args_for(workspace, scenario, uri), *extra, "--set", f"mlflow.client={path}")
            assert "Traceback" not in outcome.text
            for canary in CANARIES:
                assert canary not in outcome.text
            verdicts[path] = verdict(outcome, report(outcome))
        assert verdicts["rest"] == verdicts["mlflow"]
        return verdicts["rest"]

    return run


def set_all_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)


@pytest.fixture(autouse=True)
def no_stray_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A HOME with no ~/.netrc or ~/.mlflow/credentials, and no NETRC: only what a test writes counts."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)
    return home


# --- user name + password beat the token ----------------------------------------------------------------


def test_a_token_only_server_refuses_both_paths_when_a_password_is_set_too(
    gate: GateFactory, both_paths: Callable[..., Verdict], scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow sends Basic whenever it has a user name and password: the REST path did send the token."""
    set_all_three(monkeypatch)
    uri, seen = gate(f"Bearer {TOKEN}")
    code, found = both_paths(scenario, uri)
    assert (code, found["MON302"]) == (1, "error")
    assert set(seen) == {"Basic"}


def test_a_basic_only_server_accepts_both_paths_when_a_token_is_set_too(
    gate: GateFactory, both_paths: Callable[..., Verdict], scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_all_three(monkeypatch)
    uri, seen = gate(basic(USER, PASSWORD))
    assert both_paths(scenario, uri) == (0, EVERYTHING_OK)
    assert set(seen) == {"Basic"}


def test_the_token_alone_is_sent_as_bearer(
    gate: GateFactory, both_paths: Callable[..., Verdict], scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)  # a user name without a password is not Basic
    uri, seen = gate(f"Bearer {TOKEN}")
    assert both_paths(scenario, uri) == (0, EVERYTHING_OK)
    assert set(seen) == {"Bearer"}


# --- ~/.mlflow/credentials fills in what the environment leaves out, field by field -----------------------


def credentials_text(user: str, password: str) -> str:
    return f"[mlflow]\nmlflow_tracking_username = {user}\nmlflow_tracking_password = {password}\n"


def write_credentials(home: Path, text: str) -> None:
    (home / ".mlflow").mkdir()
    (home / ".mlflow" / "credentials").write_text(text, encoding="utf-8")


def test_the_credentials_file_completes_the_environment_and_beats_the_token(
    gate: GateFactory,
    both_paths: Callable[..., Verdict],
    scenario: Scenario,
    monkeypatch: pytest.MonkeyPatch,
    no_stray_files: Path,
) -> None:
    write_credentials(no_stray_files, credentials_text("other", FILE_PASSWORD))
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)  # the environment wins for the user name ...
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)  # ... and the file's password beats the token
    uri, _ = gate(basic(USER, FILE_PASSWORD))
    assert both_paths(scenario, uri) == (0, EVERYTHING_OK)


def test_a_credentials_file_mlflow_cannot_parse_fails_both_paths_without_its_values(
    gate: GateFactory,
    both_paths: Callable[..., Verdict],
    scenario: Scenario,
    monkeypatch: pytest.MonkeyPatch,
    no_stray_files: Path,
) -> None:
    write_credentials(no_stray_files, f"mlflow_tracking_password = {FILE_PASSWORD}\n")  # no [mlflow] header
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    uri, _ = gate(f"Bearer {TOKEN}")
    code, found = both_paths(scenario, uri)
    assert code == 1
    assert "error" in found.values()


def test_a_password_from_the_credentials_file_is_never_printed(
    gate: GateFactory, run_monitor: RunMonitor, workspace: Path, scenario: Scenario, no_stray_files: Path
) -> None:
    write_credentials(no_stray_files, credentials_text(USER, FILE_PASSWORD))
    uri, _ = gate(basic(USER, FILE_PASSWORD))
    outcome = run_monitor(*args_for(workspace, scenario, uri), "--experiment", FILE_PASSWORD)
    assert outcome.code == 1  # the experiment does not exist, and MON303 says so with the name hidden
    assert FILE_PASSWORD not in outcome.text
    assert "***" in outcome.text


# --- netrc and the URI's user:password replace MLflow's own header -----------------------------------------


def write_netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, login: str = "netrc-user") -> Path:
    path = tmp_path / "netrc"
    path.write_text(f"machine 127.0.0.1 login {login} password {NETRC_PASSWORD}\n", encoding="utf-8")
    monkeypatch.setenv("NETRC", str(path))
    return path


def test_a_netrc_entry_beats_the_uri_the_environment_and_the_token(
    gate: GateFactory,
    both_paths: Callable[..., Verdict],
    scenario: Scenario,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    set_all_three(monkeypatch)
    write_netrc(tmp_path, monkeypatch)
    uri, seen = gate(basic("netrc-user", NETRC_PASSWORD))
    with_userinfo = uri.replace("://", f"://uri-user:{URI_PASSWORD}@")
    assert both_paths(scenario, with_userinfo) == (0, EVERYTHING_OK)
    assert set(seen) == {"Basic"}


def test_the_uris_user_and_password_beat_the_environment_and_the_token(
    gate: GateFactory, both_paths: Callable[..., Verdict], scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_all_three(monkeypatch)
    uri, _ = gate(basic("uri-user", URI_PASSWORD))
    assert both_paths(scenario, uri.replace("://", f"://uri-user:{URI_PASSWORD}@")) == (0, EVERYTHING_OK)


def test_a_user_name_alone_in_the_uri_leaves_mlflows_header(
    gate: GateFactory, both_paths: Callable[..., Verdict], scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests takes credentials from a URI only when it has a password part."""
    set_all_three(monkeypatch)
    uri, _ = gate(basic(USER, PASSWORD))
    assert both_paths(scenario, uri.replace("://", "://uri-user@"))[0] == 0


# --- a request-auth provider plugin comes first, and only MLflow's client runs it --------------------------

PLUGIN = """
from mlflow.tracking.request_auth.abstract_request_auth_provider import RequestAuthProvider
from requests.auth import AuthBase


class Sign(AuthBase):
    def __call__(self, request):
        request.headers["Authorization"] = "Bearer plugin-signed"
        return request


class Provider(RequestAuthProvider):
    def get_name(self):
        return "canary_plugin"

    def get_auth(self):
        return Sign()
"""


def install_plugin(root: Path) -> Path:
    """A real entry point (``mlflow.request_auth_provider``) on a folder that goes on PYTHONPATH."""
    root.mkdir()
    (root / "canary_auth_plugin.py").write_text(PLUGIN, encoding="utf-8")
    info = root / "canary_auth_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: canary-auth-plugin\nVersion: 1.0\n", encoding="utf-8")
    entry = "[mlflow.request_auth_provider]\ncanary_plugin = canary_auth_plugin:Provider\n"
    (info / "entry_points.txt").write_text(entry, encoding="utf-8")
    return root


def test_a_request_auth_plugin_is_run_by_mlflows_client_through_the_entry_point(
    gate: GateFactory, nox_monitor: NoxMonitor, workspace: Path, scenario: Scenario, tmp_path: Path
) -> None:
    uri, seen = gate("Bearer plugin-signed")
    env = {"MLFLOW_TRACKING_USERNAME": USER, "MLFLOW_TRACKING_PASSWORD": PASSWORD, "MLFLOW_TRACKING_TOKEN": TOKEN}
    env |= {"MLFLOW_TRACKING_AUTH": "canary_plugin", "PYTHONPATH": str(install_plugin(tmp_path / "plugin"))}
    outcome = nox_monitor(*args_for(workspace, scenario, uri), env=env)
    assert outcome.code == 0, outcome.text
    doc = json_from(outcome)
    assert {f["check"]: f["severity"] for f in doc["findings"]} == EVERYTHING_OK
    assert set(seen) == {"Bearer"}
    forced = nox_monitor(*args_for(workspace, scenario, uri), "--set", "mlflow.client=rest", env=env)
    assert forced.code == 1
    (mon302,) = [f for f in json_from(forced)["findings"] if f["check"] == "MON302"]
    assert "MLFLOW_TRACKING_AUTH is set" in mon302["message"]
    for canary in CANARIES:
        assert canary not in outcome.text + forced.text


# --- the documented entry point ------------------------------------------------------------------------


def test_through_the_entry_point_a_token_only_server_refuses_the_password_mlflow_sends(
    gate: GateFactory, nox_monitor: NoxMonitor, workspace: Path, scenario: Scenario
) -> None:
    uri, seen = gate(f"Bearer {TOKEN}")
    env = {"MLFLOW_TRACKING_USERNAME": USER, "MLFLOW_TRACKING_PASSWORD": PASSWORD, "MLFLOW_TRACKING_TOKEN": TOKEN}
    outcome = nox_monitor(*args_for(workspace, scenario, uri), env=env)
    assert outcome.code == 1, outcome.text
    (mon302,) = [f for f in json_from(outcome)["findings"] if f["check"] == "MON302"]
    assert mon302["severity"] == "error"
    assert "MLFLOW_TRACKING_USERNAME/PASSWORD" in mon302["message"]
    assert seen == ["Basic"]
    for canary in CANARIES:
        assert canary not in outcome.text


def test_through_the_entry_point_netrc_is_used_and_its_password_never_printed(
    gate: GateFactory, nox_monitor: NoxMonitor, workspace: Path, scenario: Scenario, tmp_path: Path
) -> None:
    """The netrc password, typed as an argument too: neither nox's echo nor the report may show it."""
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login netrc-user password {NETRC_PASSWORD}\n", encoding="utf-8")
    uri, _ = gate(basic("netrc-user", NETRC_PASSWORD))
    env = {"MLFLOW_TRACKING_TOKEN": TOKEN, "NETRC": str(netrc)}
    outcome = nox_monitor(*args_for(workspace, scenario, uri), "--experiment", NETRC_PASSWORD, env=env)
    assert outcome.code == 1, outcome.text  # MON303: no such experiment; everything else answered
    severities = {f["check"]: f["severity"] for f in json_from(outcome)["findings"]}
    assert severities == EVERYTHING_OK | {"MON303": "error"}
    for canary in CANARIES:
        assert canary not in outcome.text
    assert json.dumps(NETRC_PASSWORD) not in outcome.text
