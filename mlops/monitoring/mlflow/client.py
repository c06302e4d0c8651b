"""The same questions through mlflow-skinny's MlflowClient, for schemes the REST path does not speak.

Imported only when such a URI is configured (``import mlflow`` costs seconds). MLflow's own
retries are switched off and its HTTP timeout set to the time left; the caller's deadline
thread bounds the rest. Nothing is created: a file store must already exist.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from mlops.core.redact import SECRET_VARIABLES, safe_uri
from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.auth import PLUGIN_VARIABLES, plugin
from mlops.monitoring.mlflow.base import ExperimentRecord, MlflowError, ModelRecord, NotFound, RunRecord, VersionRecord
from mlops.monitoring.mlflow.proxy import needs_client
from mlops.monitoring.mlflow.rest import CA_BUNDLE_VARIABLES, ERROR_CODE, RestBackend

DATABRICKS_HINT = (
    "Databricks did not answer; set DATABRICKS_HOST and DATABRICKS_TOKEN (or a ~/.databrickscfg profile, "
    "databricks://PROFILE)"
)


class ClientBackend:
    name = "mlflow"

    def __init__(self, config: MlflowConfig, *, env: Mapping[str, str], deadline: float) -> None:
        uri = config.tracking_uri or ""
        self.uri = uri
        self.shown = safe_uri(uri)
        self.env = env
        self.deadline = deadline
        scheme = self.scheme = urlsplit(uri).scheme or uri  # a bare "databricks" is its own scheme
        if scheme == "file":
            root = url2pathname(urlsplit(uri).path)
            if not os.path.isdir(root):
                raise MlflowError(
                    "no-store", f"the MLflow file store {self.shown} does not exist (nothing was created)"
                )
        # MLflow reads these on every call; they are this process's only MLflow configuration.
        # The variables that choose its credentials (mlflow/auth.py), .env included, as the REST path reads them.
        os.environ.update({k: env[k] for k in (*SECRET_VARIABLES, *PLUGIN_VARIABLES) if env.get(k)})
        # requests reads these itself (proxies, CA bundle): .env's too, as the REST path reads them.
        os.environ.update({k: v for k, v in env.items() if k.lower().endswith("_proxy") or k in CA_BUNDLE_VARIABLES})
        if "NETRC" in env:
            os.environ["NETRC"] = env["NETRC"]
        if config.username:
            os.environ["MLFLOW_TRACKING_USERNAME"] = config.username
        if config.insecure_tls:
            os.environ["MLFLOW_TRACKING_INSECURE_TLS"] = "true"
            # The user turned verification off on purpose; urllib3 would say so on stderr at every request.
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
        if config.server_cert_path:
            os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = config.server_cert_path
        if config.client_cert_path:
            os.environ["MLFLOW_TRACKING_CLIENT_CERT_PATH"] = config.client_cert_path
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")  # its warnings may echo a URI; findings say enough
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise MlflowError("no-client", f"mlflow-skinny cannot be imported ({type(exc).__name__})") from None
        try:
            self.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        except Exception as exc:  # noqa: BLE001 - MLflow refuses the URI: named, never echoed
            raise MlflowError("client", f"mlflow-skinny cannot open {self.shown} ({type(exc).__name__})") from None
        # A plugin signs requests only MLflow's client can make, and some proxies only it can use; otherwise
        # /health and /version come from the same code on both paths.
        http = scheme in ("http", "https") and plugin(env) is None and not needs_client(uri, env)
        self.rest = RestBackend(config, env=env, deadline=deadline) if http else None

    def server_version(self) -> str:
        if self.rest is not None:
            return self.rest.server_version()  # the same endpoint on both paths: identical findings
        # Only an answer may pass MON302: one read-only GET, whose "not found" is an answer too.
        try:
            self._call(self.client.get_experiment_by_name, "Default")
        except NotFound:
            pass
        except MlflowError as exc:
            if self.scheme == "databricks":
                raise MlflowError(exc.kind, f"{exc}: {DATABRICKS_HINT}") from None
            raise
        import mlflow

        return f"{mlflow.__version__} (client)"

    def experiment(self, name: str) -> ExperimentRecord:
        exp = self._call(self.client.get_experiment_by_name, name)
        if exp is None:
            raise NotFound(f"experiment {name!r}: not found")
        return ExperimentRecord(id=str(exp.experiment_id), name=str(exp.name), lifecycle_stage=str(exp.lifecycle_stage))

    def registered_model(self, name: str) -> ModelRecord:
        model = self._call(self.client.get_registered_model, name)
        return ModelRecord(name=str(model.name))

    def model_version_by_alias(self, name: str, alias: str) -> VersionRecord:
        mv = self._call(self.client.get_model_version_by_alias, name, alias)
        return VersionRecord(name=str(mv.name), version=str(mv.version), status=str(mv.status), run_id=mv.run_id or "")

    def run(self, run_id: str) -> RunRecord:
        run = self._call(self.client.get_run, run_id)
        info, data = run.info, run.data
        return RunRecord(
            run_id=str(info.run_id),
            experiment_id=str(info.experiment_id),
            status=str(info.status),
            lifecycle_stage=str(info.lifecycle_stage),
            start_time=info.start_time,
            end_time=info.end_time,
            metrics={k: float(v) for k, v in data.metrics.items()},
            params={str(k): str(v) for k, v in data.params.items()},
            tags={str(k): str(v) for k, v in data.tags.items()},
        )

    def _call(self, method: Any, *args: Any) -> Any:
        from mlflow.exceptions import MlflowException

        left = self.deadline - time.monotonic()
        if left <= 0:
            raise MlflowError("budget", f"no time left in the MLflow budget for {self.shown}")
        os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(max(1, int(left)))
        try:
            return method(*args)
        except MlflowException as exc:
            code = str(getattr(exc, "error_code", "") or "")
            code = code if ERROR_CODE.fullmatch(code) else ""  # the server chose it: a code, or nothing
            if code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
                raise NotFound(f"{self.shown}: {code}") from None
            if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
                raise MlflowError("auth", f"{self.shown} refused the credentials ({code})") from None
            raise MlflowError(code.lower() or "client", f"MLflow client error from {self.shown} ({code})") from None
        except Exception as exc:  # noqa: BLE001 - requests, OS and parsing errors: named, never echoed
            raise MlflowError("client", f"MLflow client failed for {self.shown} ({type(exc).__name__})") from None
