"""The MLflow checks over https, on both paths, against the real tracking server behind real TLS.

A TLS-terminating proxy on loopback (the standard library's ``ssl``, certificates made here by
``cryptography``, a test-only dependency) stands in front of the session's MLflow server, the way a
load balancer does in production: a private CA, optionally mutual TLS.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import EXAMPLE_CONFIG, MlflowServer, Outcome, champion_scenario, report

RunMonitor = Callable[..., Outcome]
PATHS = ("rest", "mlflow")


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: Path
    """Server certificate and key, one .pem."""
    client: Path
    """Client certificate and key, one .pem: MLflow's MLFLOW_TRACKING_CLIENT_CERT_PATH convention."""


def _issue(subject: str, key: Any, issuer: Any, issuer_key: Any, *, ca: bool = False) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = tmp_path_factory.mktemp("pki")

    def pem(cert: Any, key: Any | None = None) -> bytes:
        out = cert.public_bytes(serialization.Encoding.PEM)
        if key is not None:
            out += key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        return bytes(out)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("mlops test CA", ca_key, None, None, ca=True)
    found = {"ca": folder / "ca.pem", "server": folder / "server.pem", "client": folder / "client.pem"}
    found["ca"].write_bytes(pem(ca_cert))
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        found[name].write_bytes(pem(_issue(f"mlops test {name}", key, ca_cert.subject, ca_key), key))
    return Pki(**found)


class TlsProxy:
    """Accepts TLS on a loopback port and relays the plain bytes to the backend port."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self.backend_port = backend_port
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.handshake_failures = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        raw.settimeout(30)
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            raw.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=30)
        with tls, backend, contextlib.suppress(OSError):
            self._pump(tls, backend)

    @staticmethod
    def _pump(tls: ssl.SSLSocket, backend: socket.socket) -> None:
        while True:
            readable, _, _ = select.select([tls, backend], [], [], 30)
            if not readable:
                return
            for sock in readable:
                other = backend if sock is tls else tls
                try:
                    data = sock.recv(65536)
                except ssl.SSLWantReadError:
                    continue
                if not data:
                    return
                other.sendall(data)
                while sock is tls and tls.pending():  # bytes TLS already decrypted that select cannot see
                    other.sendall(tls.recv(65536))

    def close(self) -> None:
        self.listener.close()


def proxy(mlflow_server: MlflowServer, pki: Pki, *, mutual: bool) -> Iterator[TlsProxy]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server)
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    port = urlsplit(mlflow_server.uri).port
    assert port is not None
    running = TlsProxy(port, context)
    yield running
    running.close()


@pytest.fixture(scope="module")
def tls(mlflow_server: MlflowServer, pki: Pki) -> Iterator[TlsProxy]:
    yield from proxy(mlflow_server, pki, mutual=False)


@pytest.fixture(scope="module")
def mtls(mlflow_server: MlflowServer, pki: Pki) -> Iterator[TlsProxy]:
    yield from proxy(mlflow_server, pki, mutual=True)


@pytest.fixture(scope="module")
def scenario(mlflow_server: MlflowServer) -> tuple[str, str]:
    """An experiment and a registered model with @champion on a finished run: every check can pass."""
    return champion_scenario(mlflow_server.uri, "tls")


@pytest.fixture
def ask(run_monitor: RunMonitor, workspace: Path, scenario: tuple[str, str]) -> Callable[..., dict[str, Seen]]:
    """MON302-MON307 over ``uri`` on one path; returns the findings by check."""
    experiment, model = scenario

    def run(uri: str, path: str, *extra: str) -> dict[str, Any]:
        outcome = run_monitor(
            "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--select", "MON302,MON303,MON304,MON305",
            "--tracking-uri", uri, "--experiment", experiment, "--model-name", model, "--format", "json",
            "--set", f"mlflow.client={path}", "--set", "mlflow.budget_seconds=120", *extra,
        )  # fmt: skip
        assert "Traceback" not in outcome.text
        return {f["check"]: Seen(f["severity"], f["message"]) for f in report(outcome)["findings"]}

    return run


@dataclass(frozen=True)
class Seen:
    severity: str
    message: str


def https(proxy: TlsProxy) -> str:
    return f"https://127.0.0.1:{proxy.port}"


@pytest.mark.parametrize("path", PATHS)
def test_a_private_ca_is_trusted_through_server_cert_path(
    ask: Callable[..., dict[str, Seen]], tls: TlsProxy, pki: Pki, path: str
) -> None:
    found = ask(https(tls), path, "--set", f"mlflow.server_cert_path={pki.ca}")
    assert {check: f.severity for check, f in found.items()} == dict.fromkeys(
        ("MON302", "MON303", "MON304", "MON305"), "ok"
    ), found


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_ca_fails_the_server_check(ask: Callable[..., dict[str, Seen]], tls: TlsProxy, path: str) -> None:
    """The system trust store does not know the private CA: no answer is trusted, nothing passes."""
    found = ask(https(tls), path)
    assert found["MON302"].severity == "error"
    assert f"127.0.0.1:{tls.port}" in found["MON302"].message
    assert all(f.severity != "ok" for f in found.values()), found


@pytest.mark.parametrize("path", PATHS)
def test_insecure_tls_skips_verification_from_the_environment(
    ask: Callable[..., dict[str, Seen]], tls: TlsProxy, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    found = ask(https(tls), path)
    assert found["MON302"].severity == "ok" and found["MON305"].severity == "ok", found


@pytest.mark.parametrize("path", PATHS)
def test_mutual_tls_needs_the_client_certificate(
    ask: Callable[..., dict[str, Seen]], mtls: TlsProxy, pki: Pki, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    trusted = ("--set", f"mlflow.server_cert_path={pki.ca}")
    refused = ask(https(mtls), path, *trusted)
    assert refused["MON302"].severity == "error", refused
    monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_CERT_PATH", str(pki.client))
    found = ask(https(mtls), path, *trusted)
    assert {f.severity for f in found.values()} == {"ok"}, found


def test_an_unusable_client_certificate_is_named(
    ask: Callable[..., dict[str, Seen]], mtls: TlsProxy, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_CERT_PATH", str(pki.ca))  # a certificate without its key
    found = ask(https(mtls), "rest", "--set", f"mlflow.server_cert_path={pki.ca}")
    message = found["MON302"].message
    assert found["MON302"].severity == "error"
    assert f"MLFLOW_TRACKING_CLIENT_CERT_PATH (mlflow.client_cert_path) {pki.ca}" in message
