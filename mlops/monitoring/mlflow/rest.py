"""MLflow's REST API with the standard library: read-only GETs, every byte and second bounded.

``import mlflow`` costs 0.7-2.5 s and its client retries a closed port for minutes; these few
GETs answer the monitor's questions in milliseconds and fail in at most the time left.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from mlops.core.redact import safe_uri
from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.auth import credentials, plugin
from mlops.monitoring.mlflow.base import (
    ExperimentRecord,
    MlflowError,
    ModelRecord,
    NotFound,
    RunRecord,
    VersionRecord,
    int_or_none,
)
from mlops.monitoring.mlflow.proxy import Proxy, for_url

API = "/api/2.0/mlflow"
MAX_BODY = 8 * 1024 * 1024
MAX_PROXY_HEAD = 64 * 1024
"""The most a proxy may say before the tunnel opens."""
RETRY_DELAYS = (0.2, 0.5)
"""Pauses before retrying a 5xx answer, while time remains; never a process-wide retry storm."""
ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
VERSION = re.compile(r"\d[0-9A-Za-z.+-]{0,39}")
"""What the server may put in a finding: MLflow's error codes and version numbers. Anything else it
sends (a body that echoes the Authorization header, say) is counted, never shown."""
SERVER_CERT = "MLFLOW_TRACKING_SERVER_CERT_PATH (mlflow.server_cert_path)"
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""requests' CA bundle for ``verify=True``, the first set wins: where a TLS-inspecting proxy's CA usually goes."""
PROXY_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})(?: .*)?")


class RestBackend:
    name = "rest"

    def __init__(
        self, config: MlflowConfig, *, env: Mapping[str, str], deadline: float, max_body: int = MAX_BODY
    ) -> None:
        uri = config.tracking_uri or ""
        parts = urlsplit(uri)
        self.shown = safe_uri(uri)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.netloc = parts.netloc.rsplit("@", 1)[-1]
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.deadline = deadline
        self.max_body = max_body
        self.headers = {"Accept": "application/json", "User-Agent": "mlops-monitor"}
        if (variable := plugin(env)) is not None:
            raise MlflowError(
                "auth-plugin",
                f"{variable} is set: only MLflow's client can sign requests that way; "
                "set mlflow.client to auto or mlflow",
            )
        self.auth = credentials(uri, username=config.username, env=env)
        if self.auth.header:
            self.headers["Authorization"] = self.auth.header
        self.proxy: Proxy | None = for_url(uri, env)
        self.via = f" through {self.proxy.described}" if self.proxy else ""
        if self.proxy and self.proxy.authorization and not self.https:  # over a tunnel, only the CONNECT has it
            self.headers["Proxy-Authorization"] = self.proxy.authorization
        self.context: ssl.SSLContext | None = None
        if self.https:
            cafile, setting = config.server_cert_path, SERVER_CERT
            if cafile is None and not config.insecure_tls:  # MLflow hands requests verify=True: it reads these
                found = next((name for name in CA_BUNDLE_VARIABLES if env.get(name)), None)
                cafile, setting = (env[found], found) if found else (None, setting)
            self.context = _tls_context(cafile, config.client_cert_path, setting=setting)
            if config.insecure_tls:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    # --- the questions ------------------------------------------------------------------------

    def server_version(self) -> str:
        health = self._get("/health", raw=True)
        if health.strip().upper() != "OK":
            raise MlflowError("unhealthy", f"{self.shown}/health answered {len(health)} characters, not OK")
        version = str(self._get("/version", raw=True)).strip()
        return version if VERSION.fullmatch(version) else f"(unrecognised /version answer, {len(version)} characters)"

    def experiment(self, name: str) -> ExperimentRecord:
        exp = self._api("/experiments/get-by-name", experiment_name=name)["experiment"]
        stage = str(exp.get("lifecycle_stage", ""))
        return ExperimentRecord(id=str(exp["experiment_id"]), name=str(exp["name"]), lifecycle_stage=stage)

    def registered_model(self, name: str) -> ModelRecord:
        model = self._api("/registered-models/get", name=name)["registered_model"]
        return ModelRecord(name=str(model["name"]))

    def model_version_by_alias(self, name: str, alias: str) -> VersionRecord:
        mv = self._api("/registered-models/alias", name=name, alias=alias)["model_version"]
        return VersionRecord(
            name=str(mv["name"]),
            version=str(mv["version"]),
            status=str(mv.get("status", "")),
            run_id=str(mv.get("run_id") or ""),
        )

    def run(self, run_id: str) -> RunRecord:
        run = self._api("/runs/get", run_id=run_id)["run"]
        info, data = run["info"], run.get("data", {})
        return RunRecord(
            run_id=str(info["run_id"]),
            experiment_id=str(info.get("experiment_id", "")),
            status=str(info.get("status", "")),
            lifecycle_stage=str(info.get("lifecycle_stage", "")),
            start_time=int_or_none(info.get("start_time")),
            end_time=int_or_none(info.get("end_time")),
            metrics={m["key"]: float(m["value"]) for m in data.get("metrics", [])},
            params={str(p["key"]): str(p.get("value", "")) for p in data.get("params", [])},
            tags={str(t["key"]): str(t.get("value", "")) for t in data.get("tags", [])},
        )

    # --- transport ----------------------------------------------------------------------------

    def _api(self, path: str, **params: str) -> dict[str, Any]:
        doc = self._get(f"{API}{path}?{urlencode(params)}")
        if not isinstance(doc, dict):
            raise MlflowError("bad-answer", f"{self.shown}{API}{path} did not answer a JSON object")
        return doc

    def _get(self, path: str, *, raw: bool = False) -> Any:
        for attempt in range(len(RETRY_DELAYS) + 1):
            status, body = self._request(path)
            if status < 500 or attempt == len(RETRY_DELAYS) or self._left() < RETRY_DELAYS[attempt] + 0.1:
                break
            time.sleep(RETRY_DELAYS[attempt])
        where = f"{self.shown}{path.split('?', maxsplit=1)[0]}"
        if status >= 400:
            raise self._http_error(status, body, where)
        if raw:
            return body.decode("utf-8", "replace")
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise MlflowError("not-json", f"{where} answered {len(body)} bytes that are not JSON") from None

    def _http_error(self, status: int, body: bytes, where: str) -> MlflowError:
        try:
            code = json.loads(body).get("error_code", "")
        except (ValueError, AttributeError, RecursionError):
            code = ""
        code = code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else ""
        if status == 407 and self.proxy is not None:
            return self._proxy_auth(self.proxy)
        if status == 404 or code == "RESOURCE_DOES_NOT_EXIST":
            return NotFound(f"{where}: not found")
        if status == 400 and code == "INVALID_PARAMETER_VALUE":
            return NotFound(f"{where}: {code}")
        if status in (401, 403):
            return MlflowError(
                "auth",
                f"{where} refused the credentials (HTTP {status}): it was sent {self.auth.described}, "
                "as MLflow's client would (the order is in docs/security.md)",
            )
        kind = f"http-{status}"
        retried = " after retries" if status >= 500 else ""
        # Through a proxy, a 502 or 504 may be the proxy's own answer: say which way it came.
        return MlflowError(kind, f"{where} answered HTTP {status}{retried}{f' ({code})' if code else ''}{self.via}")

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _request(self, path: str) -> tuple[int, bytes]:
        left = self._left()
        if left <= 0:
            raise MlflowError("budget", f"no time left in the MLflow budget for {self.shown}")
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=left, context=self.context)
        elif self.proxy is not None:
            conn = http.client.HTTPConnection(self.proxy.host, self.proxy.port, timeout=left)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=left)
        target = f"{self.prefix}{path}"
        if self.proxy is not None and not self.https:
            target = f"http://{self.netloc}{target}"  # absolute form: the proxy forwards it, as urllib3 sends it
        stage = "connect"
        try:
            if self.proxy is not None and self.context is not None:  # https through a proxy
                conn.sock = self._tunnel(self.proxy, self.context, left)
            else:
                conn.connect()
            stage = "answer"
            conn.request("GET", target, headers=self.headers)
            response = conn.getresponse()
            stage = "body"
            return response.status, self._read(conn, response)
        except ConnectionRefusedError:
            if self.proxy is not None:
                raise MlflowError(
                    "proxy-down",
                    f"nothing listens at {self.proxy.described}, which MLflow's client would also go through "
                    f"for {self.shown} (connection refused)",
                ) from None
            raise MlflowError("refused", f"nothing listens at {self.shown} (connection refused)") from None
        except TimeoutError:
            raise self._timeout(stage) from None
        except ssl.SSLError as exc:
            reason = exc.reason or type(exc).__name__
            raise MlflowError("tls", f"TLS with {self.shown}{self.via} failed ({reason})") from None
        except (socket.gaierror, UnicodeError):
            if self.proxy is not None:
                raise MlflowError("proxy-dns", f"the host of {self.proxy.described} cannot be resolved") from None
            raise MlflowError("dns", f"the host of {self.shown} cannot be resolved") from None
        except (http.client.HTTPException, OSError) as exc:
            raise MlflowError("broken", f"{self.shown}{self.via} broke the connection ({type(exc).__name__})") from None
        finally:
            conn.close()

    def _tunnel(self, proxy: Proxy, context: ssl.SSLContext, left: float) -> ssl.SSLSocket:
        """``CONNECT`` through the proxy, then TLS with the server inside it, as urllib3 does for https."""
        sock = socket.create_connection((proxy.host, proxy.port), timeout=left)
        try:
            host = self.host if self.host.isascii() else self.host.encode("idna").decode("ascii")
            where = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
            head = [f"CONNECT {where} HTTP/1.1", f"Host: {where}"]
            if proxy.authorization:
                head.append(f"Proxy-Authorization: {proxy.authorization}")
            sock.sendall("".join(f"{line}\r\n" for line in [*head, ""]).encode("ascii"))
            status = self._tunnel_status(proxy, sock)
            if status == 407:
                raise self._proxy_auth(proxy)
            if status != 200:
                raise MlflowError(
                    "proxy-refused", f"{proxy.described} would not open a tunnel to {self.shown} (HTTP {status})"
                )
            return context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise

    def _tunnel_status(self, proxy: Proxy, sock: socket.socket) -> int:
        """The status of the proxy's answer to ``CONNECT``; its headers are read and dropped."""
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise MlflowError("proxy-broken", f"{proxy.described} closed the connection, not answering CONNECT")
            head += chunk
            if len(head) > MAX_PROXY_HEAD:
                raise MlflowError("proxy-broken", f"{proxy.described} sent over {MAX_PROXY_HEAD:,} bytes to CONNECT")
        line = head.partition(b"\r\n")[0]
        found = PROXY_STATUS.fullmatch(line)
        if found is None or (found[1] == b"200" and not head.endswith(b"\r\n\r\n")):
            raise MlflowError("proxy-broken", f"{proxy.described} did not answer CONNECT as an HTTP proxy does")
        return int(found[1])

    def _proxy_auth(self, proxy: Proxy) -> MlflowError:
        return MlflowError(
            "proxy-auth",
            f"{proxy.described} refused the credentials (HTTP 407) for {self.shown}: it was sent {proxy.credentials}",
        )

    def _timeout(self, stage: str) -> MlflowError:
        if stage == "connect":
            return MlflowError("connect-timeout", f"{self.shown}{self.via} did not accept a connection in time")
        if stage == "answer":
            return MlflowError("no-answer", f"{self.shown}{self.via} accepted the connection but never answered")
        return MlflowError("slow-body", f"{self.shown}{self.via} sent its answer too slowly to finish in time")

    def _read(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            left = self._left()
            if left <= 0:
                raise TimeoutError
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = response.read1(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_body:
                raise MlflowError("too-large", f"{self.shown} sent an answer over {self.max_body:,} bytes")
            chunks.append(chunk)


def _tls_context(cafile: str | None, certfile: str | None = None, *, setting: str = SERVER_CERT) -> ssl.SSLContext:
    """The system's trust store or the CA bundle, and the client certificate for mutual TLS (MLflow's
    convention: certificate and key in one .pem). A file that cannot be used is named, not raised; so is a
    folder, which requests would read as ``ca_cert_dir``."""
    try:
        context = ssl.create_default_context(cafile=cafile)
    except OSError as exc:  # ssl.SSLError included: the file is there but holds no certificate
        raise _unusable(setting, cafile, "a CA bundle", exc) from None
    if certfile:
        try:
            context.load_cert_chain(certfile)
        except OSError as exc:
            raise _unusable(
                "MLFLOW_TRACKING_CLIENT_CERT_PATH (mlflow.client_cert_path)", certfile, "a certificate and key", exc
            ) from None
    return context


def _unusable(setting: str, path: str | None, what: str, exc: OSError) -> MlflowError:
    why = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
    return MlflowError("tls-config", f"{setting} {path} cannot be used as {what} ({why})")
