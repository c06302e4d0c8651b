"""HTTP(S)_PROXY, ALL_PROXY and NO_PROXY on the stdlib REST path, as MLflow's client (requests) honours them.

The choice of proxy is compared with requests' own functions over a matrix of environments; the
transport runs through a real forward proxy on loopback (``proxy_server.py``) in front of the
session's real MLflow server, on both paths, with canary proxy passwords searched for in every output.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops.core.redact import secrets_in
from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.base import MlflowError
from mlops.monitoring.mlflow.gather import backend_name
from mlops.monitoring.mlflow.proxy import for_url
from mlops.monitoring.mlflow.rest import CA_BUNDLE_VARIABLES
from tests.conftest import EXAMPLE_CONFIG, MlflowServer, NoxMonitor, Outcome, champion_scenario, free_port, report
from tests.monitoring.proxy_server import ForwardProxy
from tests.monitoring.test_mlflow_tls import Pki, TlsProxy, https
from tests.monitoring.test_mlflow_tls import pki as pki  # noqa: PLC0414 - the fixtures, shared
from tests.monitoring.test_mlflow_tls import tls as tls  # noqa: PLC0414

RunMonitor = Callable[..., Outcome]
PATHS = ("rest", "mlflow")
CANARY = "canary@proxy-2718"
"""A proxy password, searched for in every output, as written (percent-encoded) and as sent."""
CANARY_IN_URL = CANARY.replace("@", "%40")
USER = "proxy-user"
CORP = "http://proxy.corp:3128"


@pytest.fixture(autouse=True)
def restored_environ() -> Iterator[None]:
    """The mlflow-skinny path sets MLflow's variables in the process environment, by design: none may
    reach the next test (a left-over MLFLOW_TRACKING_INSECURE_TLS breaks MLflow's client there)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def no_inherited_proxy_or_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's (or this machine's) proxies and CA bundle stay out of these tests."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in (*CA_BUNDLE_VARIABLES, "REQUEST_METHOD"):
            monkeypatch.delenv(name)


# --- the choice, against requests ------------------------------------------------------------------


def by_requests(url: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """What requests (MLflow's transport) does: its Session's environment merge, select_proxy,
    prepend_scheme_if_needed, urllib3's parse_url and the adapter's proxy headers. ``os.environ`` holds
    no proxy variable before (``no_inherited_proxy_or_bundle``)."""
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import prepend_scheme_if_needed, select_proxy
    from urllib3.util import parse_url

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    proxies = requests.Session().merge_environment_settings(url, {}, None, None, None)["proxies"]
    chosen = select_proxy(url, proxies)
    if not chosen:
        return None
    full = prepend_scheme_if_needed(chosen, "http")
    parsed = parse_url(full)
    if not parsed.host or parsed.scheme != "http":
        return "refused"
    authorization = HTTPAdapter().proxy_headers(full).get("Proxy-Authorization")
    return parsed.host, parsed.port or 80, authorization


def by_slim_path(url: str, env: dict[str, str]) -> Any:
    try:
        proxy = for_url(url, env)
    except MlflowError:
        return "refused"
    return None if proxy is None else (proxy.host, proxy.port, proxy.authorization)


CHOICES = [
    ("http://mlflow.corp:5000", {"HTTP_PROXY": CORP}),
    ("https://mlflow.corp", {"HTTP_PROXY": CORP}),
    ("https://mlflow.corp", {"HTTPS_PROXY": CORP}),
    ("http://mlflow.corp", {"HTTPS_PROXY": CORP}),
    ("http://mlflow.corp", {"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"}),
    ("http://mlflow.corp", {"http_proxy": "", "HTTP_PROXY": CORP}),
    ("http://mlflow.corp", {"Http_Proxy": CORP}),
    ("https://mlflow.corp", {"ALL_PROXY": CORP}),
    ("http://mlflow.corp", {"all_proxy": "http://all:1", "HTTP_PROXY": CORP}),
    ("http://mlflow.corp", {"HTTP_PROXY": CORP, "REQUEST_METHOD": "GET"}),
    ("http://mlflow.corp", {"http_proxy": CORP, "REQUEST_METHOD": "GET"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "proxy.corp"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "//proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "HTTP://Proxy.Corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "localhost:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "u:pw@proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "ftp://proxy.corp:21"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "http://u:p%40ss@proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "http://u@proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "http://:pw@proxy.corp:3128"}),
    ("http://mlflow.corp", {"HTTP_PROXY": "http://u:@proxy.corp"}),
    ("http://user:pw@mlflow.corp:5000/prefix", {"HTTP_PROXY": CORP}),
]
HOSTS = [
    "http://mlflow.corp:5000", "https://mlflow.corp", "http://api.mlflow.corp:5000", "http://badmlflow.corp",
    "http://MLflow.Corp", "http://127.0.0.1:5000", "http://10.1.2.3", "http://[::1]:5000", "http://localhost:5000",
]  # fmt: skip
NO_PROXY = [
    "mlflow.corp", ".mlflow.corp", "mlflow.corp:5000", "mlflow.corp:6000", "*", "a.b, *", " mlflow.corp , x",
    "MLFLOW.CORP", ".corp", "corp", "127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "10.1.2.3/33", "127.1", "localhost",
    "localhost:5000", "::1", "[::1]", "::", " * ", ".",
]  # fmt: skip
BYPASS = [
    (url, {"HTTP_PROXY": CORP, "HTTPS_PROXY": CORP, "NO_PROXY": no}) for url, no in itertools.product(HOSTS, NO_PROXY)
] + [
    ("http://mlflow.corp", {"HTTP_PROXY": CORP, "no_proxy": "", "NO_PROXY": "mlflow.corp"}),
    ("http://mlflow.corp", {"HTTP_PROXY": CORP, "no_proxy": "other", "NO_PROXY": "mlflow.corp"}),
    ("http://mlflow.corp", {"HTTP_PROXY": CORP, "no_proxy": "*", "NO_PROXY": "other"}),
    ("http://mlflow.corp", {"HTTP_PROXY": CORP, "No_Proxy": "*"}),
]


@pytest.mark.parametrize(("url", "env"), CHOICES + BYPASS)
def test_the_proxy_is_the_one_requests_chooses(url: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert by_slim_path(url, env) == by_requests(url, env, monkeypatch)


def test_the_matrix_covers_both_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A matrix where every host went direct (or none did) would prove nothing."""
    outcomes = {by_slim_path(url, env) is None for url, env in BYPASS}
    assert outcomes == {True, False}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"socks5://{USER}:{CANARY_IN_URL}@127.0.0.1:1080", "SOCKS proxy (socks5://127.0.0.1:1080)"),
        (f"socks5h://{USER}:{CANARY_IN_URL}@127.0.0.1:1080", "PySocks"),
        (f"https://{USER}:{CANARY_IN_URL}@127.0.0.1:3129", "https:// proxy (https://127.0.0.1:3129)"),
        (f"{USER}:{CANARY_IN_URL}@127.0.0.1:3128", "HTTPS_PROXY (***@127.0.0.1:3128) is not a proxy URL"),
    ],
)
def test_a_proxy_the_slim_path_cannot_use_is_named_never_bypassed(value: str, says: str) -> None:
    with pytest.raises(MlflowError) as raised:
        for_url("https://mlflow.corp", {"HTTPS_PROXY": value})
    assert says in str(raised.value) and "HTTPS_PROXY" in str(raised.value)
    assert CANARY not in str(raised.value) and CANARY_IN_URL not in str(raised.value)


def test_auto_takes_mlflows_client_for_an_https_proxy_only() -> None:
    config = MlflowConfig(tracking_uri="https://mlflow.corp", experiment_name=None, model_name=None, model_alias="a")
    assert backend_name(config, {"HTTPS_PROXY": "https://proxy.corp:3129"}) == "mlflow"
    assert backend_name(config, {"HTTPS_PROXY": CORP}) == "rest"
    assert backend_name(config, {"HTTPS_PROXY": "socks5://proxy.corp:1080"}) == "rest"  # no PySocks: named there


@pytest.mark.parametrize("value", [f"http://{USER}:{CANARY_IN_URL}@proxy:3128", f"{USER}:{CANARY_IN_URL}@proxy:3128"])
def test_proxy_passwords_are_secrets_as_written_and_as_sent(value: str) -> None:
    found = secrets_in({"https_proxy": value})
    assert CANARY in found and CANARY_IN_URL in found


# --- through a real proxy, to the real server ------------------------------------------------------


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    running = ForwardProxy()
    yield running
    running.close()


@pytest.fixture
def guarded() -> Iterator[ForwardProxy]:
    """A proxy that wants ``USER:CANARY``."""
    running = ForwardProxy(user=USER, password=CANARY)
    yield running
    running.close()


@pytest.fixture(scope="module")
def scenario(mlflow_server: MlflowServer) -> tuple[str, str]:
    """An experiment and a registered model with @champion on a finished run: every check can pass."""
    return champion_scenario(mlflow_server.uri, "proxy")


CHECKS = ("MON302", "MON303", "MON304", "MON305")


@pytest.fixture
def ask(run_monitor: RunMonitor, workspace: Path, scenario: tuple[str, str]) -> Callable[..., dict[str, Any]]:
    """MON302-MON305 over ``uri`` on one path; the findings by check. No canary in any output."""
    experiment, model = scenario

    def run(uri: str, path: str, *extra: str) -> dict[str, Any]:
        outcome = run_monitor(
            "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--select", ",".join(CHECKS),
            "--tracking-uri", uri, "--experiment", experiment, "--model-name", model, "--format", "json",
            "--set", f"mlflow.client={path}", "--set", "mlflow.budget_seconds=120", *extra,
        )  # fmt: skip
        assert "Traceback" not in outcome.text
        assert CANARY not in outcome.text and CANARY_IN_URL not in outcome.text
        return {f["check"]: f for f in report(outcome)["findings"]}

    return run


def forwarded_paths(proxy: ForwardProxy) -> set[str]:
    return {s.target.split("?", 1)[0].split("/", 3)[-1] for s in proxy.seen if s.forwarded}


@pytest.mark.parametrize("path", PATHS)
def test_http_goes_through_http_proxy(
    ask: Callable[..., dict[str, Any]], mlflow_server: MlflowServer, proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    found = ask(mlflow_server.uri, path)
    assert {check: f["severity"] for check, f in found.items()} == dict.fromkeys(CHECKS, "ok"), found
    assert all(s.method == "GET" and s.target.startswith(f"{mlflow_server.uri}/") for s in proxy.seen)
    assert {"health", "version", "api/2.0/mlflow/registered-models/alias"} <= forwarded_paths(proxy)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("no_proxy", "bypassed"), [("127.0.0.0/8", True), ("127.0.0.1", True), ("localhost", False)])
def test_no_proxy_bypasses_as_requests_does(
    ask: Callable[..., dict[str, Any]], mlflow_server: MlflowServer, proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str, no_proxy: str, bypassed: bool,
) -> None:  # fmt: skip
    """An IP host matches an address or a CIDR block only, never a name (requests' rule)."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    found = ask(mlflow_server.uri, path)
    assert {f["severity"] for f in found.values()} == {"ok"}, found
    assert (proxy.seen == []) is bypassed


@pytest.mark.parametrize("path", PATHS)
def test_proxy_credentials_are_sent_never_shown(
    ask: Callable[..., dict[str, Any]], mlflow_server: MlflowServer, guarded: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("http_proxy", f"http://{USER}:{CANARY_IN_URL}@127.0.0.1:{guarded.port}")
    found = ask(mlflow_server.uri, path)
    assert {f["severity"] for f in found.values()} == {"ok"}, found
    assert guarded.seen and all(s.forwarded for s in guarded.seen)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("password", ["wrong-canary-pw", None])
def test_a_proxy_that_refuses_the_credentials_is_named(
    ask: Callable[..., dict[str, Any]], mlflow_server: MlflowServer, guarded: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str, password: str | None,
) -> None:  # fmt: skip
    userinfo = f"{USER}:{password}@" if password else ""
    monkeypatch.setenv("HTTP_PROXY", f"http://{userinfo}127.0.0.1:{guarded.port}")
    message = ask(mlflow_server.uri, path)["MON302"]["message"]
    assert f"the proxy http://127.0.0.1:{guarded.port} (HTTP_PROXY) refused the credentials (HTTP 407)" in message
    assert ("Basic credentials from HTTP_PROXY" if password else "no user:password@ in HTTP_PROXY") in message
    assert "wrong-canary-pw" not in message


@pytest.mark.parametrize("path", PATHS)
def test_a_proxy_that_is_down_is_named(
    ask: Callable[..., dict[str, Any]], mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://{USER}:{CANARY_IN_URL}@127.0.0.1:{port}")
    found = ask(mlflow_server.uri, path)
    assert found["MON302"]["severity"] == "error"
    assert f"nothing listens at the proxy http://127.0.0.1:{port} (HTTP_PROXY)" in found["MON302"]["message"]
    assert all(f["severity"] != "ok" for f in found.values()), found


@pytest.mark.parametrize("path", PATHS)
def test_the_proxy_resolves_the_servers_name_not_the_monitor(
    ask: Callable[..., dict[str, Any]], proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Names other than loopback do not resolve in the tests: an answer at all proves the proxy was asked.
    Its 502 (it relays only to loopback) is retried as a 5xx and said to come through the proxy."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    message = ask("http://mlflow.corp:5000", path)["MON302"]["message"]
    assert f"answered HTTP 502 after retries through the proxy {proxy.url} (HTTP_PROXY)" in message
    assert {(s.method, s.target) for s in proxy.seen} == {("GET", "http://mlflow.corp:5000/health")}


# --- https: a CONNECT tunnel to the TLS front of the server ---------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_https_tunnels_through_connect(
    ask: Callable[..., dict[str, Any]], tls: TlsProxy, pki: Pki, guarded: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str,
) -> None:  # fmt: skip
    """The certificate is checked against the server's name inside the tunnel; only CONNECT reaches the proxy."""
    monkeypatch.setenv("HTTPS_PROXY", f"http://{USER}:{CANARY_IN_URL}@127.0.0.1:{guarded.port}")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the wrong scheme's proxy: never used
    found = ask(https(tls), path, "--set", f"mlflow.server_cert_path={pki.ca}")
    assert {f["severity"] for f in found.values()} == {"ok"}, found
    assert {(s.method, s.target, s.forwarded) for s in guarded.seen} == {("CONNECT", f"127.0.0.1:{tls.port}", True)}


@pytest.mark.parametrize("path", PATHS)
def test_a_tunnel_the_proxy_refuses_is_named(
    ask: Callable[..., dict[str, Any]], tls: TlsProxy, pki: Pki, guarded: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("HTTPS_PROXY", f"http://{USER}:wrong-canary-pw@127.0.0.1:{guarded.port}")
    message = ask(https(tls), path, "--set", f"mlflow.server_cert_path={pki.ca}")["MON302"]["message"]
    assert f"the proxy http://127.0.0.1:{guarded.port} (HTTPS_PROXY) refused the credentials (HTTP 407)" in message
    assert "wrong-canary-pw" not in message


# --- the documented entry point ---------------------------------------------------------------------


@pytest.mark.nox
def test_the_entry_point_goes_through_the_proxy_and_hides_its_password(
    nox_monitor: NoxMonitor, mlflow_server: MlflowServer, guarded: ForwardProxy, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    env = {"HTTP_PROXY": f"http://{USER}:{CANARY_IN_URL}@127.0.0.1:{guarded.port}"}
    r = nox_monitor(
        "--example", "--select", "MON302", "--tracking-uri", mlflow_server.uri, "--format", "json",
        "--output", out, env=env,
    )  # fmt: skip
    text = r.out + r.err + out.read_text()
    assert CANARY not in text and CANARY_IN_URL not in text
    (server,) = [f for f in json.loads(out.read_text())["findings"] if f["check"] == "MON302"]
    assert server["severity"] == "ok", (server, r.err)
    assert {"health", "version"} <= forwarded_paths(guarded)


# --- a TLS-inspecting proxy's CA: the bundle requests reads for MLflow's verify=True ----------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("variable", CA_BUNDLE_VARIABLES)
def test_the_ca_bundle_requests_reads_is_trusted(
    ask: Callable[..., dict[str, Any]], tls: TlsProxy, pki: Pki, proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch, path: str, variable: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv(variable, str(pki.ca))
    found = ask(https(tls), path)
    assert {f["severity"] for f in found.values()} == {"ok"}, found
    assert {(s.method, s.target) for s in proxy.seen} == {("CONNECT", f"127.0.0.1:{tls.port}")}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("setting", ["server_cert_path", "insecure_tls"])
def test_the_config_or_insecure_tls_wins_over_the_bundle_variables(
    ask: Callable[..., dict[str, Any]], tls: TlsProxy, pki: Pki, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, path: str, setting: str,
) -> None:  # fmt: skip
    """MLflow passes requests ``verify=<server_cert_path>`` or ``False`` then: the variables are not read."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    value = pki.ca if setting == "server_cert_path" else "true"
    found = ask(https(tls), path, "--set", f"mlflow.{setting}={value}")
    assert {f["severity"] for f in found.values()} == {"ok"}, [f["message"] for f in found.values()]


def test_an_unusable_ca_bundle_is_named(
    ask: Callable[..., dict[str, Any]], tls: TlsProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing.pem"
    monkeypatch.setenv("CURL_CA_BUNDLE", str(missing))
    message = ask(https(tls), "rest")["MON302"]["message"]
    assert f"CURL_CA_BUNDLE {missing} cannot be used as a CA bundle" in message


def test_proxy_credentials_http_basic_cannot_carry_are_refused_naming_the_variable() -> None:
    """requests fails before sending such a header; the stdlib path names the variable, never the password."""
    with pytest.raises(MlflowError) as caught:
        for_url("http://mlflow.example.com:5000", {"HTTP_PROXY": "http://user:p%E2%82%ACss@proxy:3128"})
    assert caught.value.kind == "proxy-config"
    assert str(caught.value) == "the credentials from HTTP_PROXY hold characters HTTP Basic cannot send (latin-1)"
