"""Ask MLflow everything the checks need, in order, and stop at the deadline whatever happens.

The questions run in a daemon thread: a socket timeout bounds each read, but not a DNS lookup
or a library's own loop; the join with a timeout bounds all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from mlops.core.redact import safe_uri
from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.auth import plugin
from mlops.monitoring.mlflow.base import SKIPPED, Answer, Backend, MlflowError, State

RESERVE = 0.3
"""Seconds of the budget kept back so that the report is written before the budget ends."""
GRACE = 0.1
"""Seconds past the questions' deadline the caller waits for an answer already on its way."""


def backend_name(config: MlflowConfig, env: Mapping[str, str]) -> str:
    """``auto``: the stdlib paths where they send what MLflow would; its client for plugin-signed requests
    and for proxies only it can use (SOCKS, https://)."""
    if config.client != "auto":
        return config.client
    scheme = urlsplit(config.tracking_uri or "").scheme
    if scheme in ("http", "https"):
        from mlops.monitoring.mlflow.proxy import needs_client

        return "mlflow" if plugin(env) or needs_client(config.tracking_uri or "", env) else "rest"
    return "filestore" if scheme == "file" else "mlflow"


def make_backend(name: str, config: MlflowConfig, env: Mapping[str, str], deadline: float) -> Backend:
    if name == "rest":
        from mlops.monitoring.mlflow.rest import RestBackend

        return RestBackend(config, env=env, deadline=deadline)
    if name == "filestore":
        from mlops.monitoring.mlflow.filestore import FileStoreBackend

        return FileStoreBackend(config, env=env, deadline=deadline)
    from mlops.monitoring.mlflow.client import ClientBackend

    return ClientBackend(config, env=env, deadline=deadline)


def gather(config: MlflowConfig, env: Mapping[str, str], *, started: float | None = None) -> State:
    """Answer every question the configuration allows, so that the monitor, counted from ``started``
    (its own start, by ``time.monotonic``), is done within ``config.budget_seconds``."""
    uri = config.tracking_uri or ""
    name = backend_name(config, env)
    start = time.monotonic()
    deadline = (started if started is not None else start) + max(config.budget_seconds - RESERVE, 0.1)
    answers: dict[str, Answer] = {}
    current: list[str] = ["server"]  # the question in flight; creating the backend counts as "server"

    def ask(key: str, question: Callable[[], Any]) -> Answer:
        current[:] = [key]
        try:
            answer = Answer(value=question())
        except MlflowError as exc:
            answer = Answer(error=exc)
        answers[key] = answer
        return answer

    def work() -> None:
        try:
            questions()
        except Exception as exc:  # noqa: BLE001 - an unexpected failure must never read as a pass
            failure = MlflowError("internal", f"asking {safe_uri(uri)} failed unexpectedly ({type(exc).__name__})")
            answers.setdefault(current[0], Answer(error=failure))

    def questions() -> None:
        try:
            backend = make_backend(name, config, env, deadline)
        except MlflowError as exc:
            answers["server"] = Answer(error=exc)
            return
        if not ask("server", backend.server_version).ok:
            return
        if config.experiment_name:
            ask("experiment", lambda: backend.experiment(config.experiment_name or ""))
        if not config.model_name or not ask("model", lambda: backend.registered_model(config.model_name or "")).ok:
            return
        version = ask("version", lambda: backend.model_version_by_alias(config.model_name or "", config.model_alias))
        if version.ok and version.value.run_id:
            ask("run", lambda: backend.run(version.value.run_id))

    thread = threading.Thread(target=work, name="mlflow-gather", daemon=True)
    thread.start()
    thread.join(max(deadline - time.monotonic(), 0) + GRACE)
    out_of_time = thread.is_alive()
    answers = dict(answers)  # a late thread may still write; judge what was there at the deadline
    if out_of_time and current[0] not in answers:
        slow_path = " on the mlflow-skinny path, whose import alone takes seconds" if name == "mlflow" else ""
        late = MlflowError(
            "budget",
            f"{safe_uri(uri)} did not answer within the {config.budget_seconds:g} s MLflow budget "
            f"(mlflow.budget_seconds){slow_path}; the remaining MLflow checks were not run",
        )
        answers[current[0]] = Answer(error=late)
    return State(
        uri=safe_uri(uri),
        backend=name,
        server=answers.get("server", SKIPPED),
        experiment=answers.get("experiment", SKIPPED),
        model=answers.get("model", SKIPPED),
        version=answers.get("version", SKIPPED),
        run=answers.get("run", SKIPPED),
        seconds=time.monotonic() - start,
        budget=config.budget_seconds,
        out_of_time=out_of_time,
    )
