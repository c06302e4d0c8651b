"""The MLflow checks against a real MLflow server on loopback, and against servers that never answer well."""

from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
import time
from collections.abc import Iterator

from benchmarks.harness import Row, Workdir, run


class MlflowRows:
    """A real server (full ``mlflow`` from the bench env, sqlite) populated like a trained model's."""

    def __init__(self, work: Workdir) -> None:
        self.work = work
        self.python = str(work.repo / ".nox" / "monitor" / "bin" / "python")

    def monitor(self, uri: str, *extra: str) -> float:
        command = [self.python, "-m", "mlops.monitoring", "--example", "--tracking-uri", uri, *extra]
        return run(command, cwd=self.work.repo, env=self.work.env, ok=range(256)).seconds

    def rows(self, quick: bool) -> Iterator[Row]:
        from tests.conftest import free_port

        self.work.nox("-s", "monitor", env=self.work.cache("uv"))  # the monitor env the rows below run in
        root = self.work.root / "mlflow-server"
        root.mkdir()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}", "--default-artifact-root", str(root / "art")],
            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        uri = f"http://127.0.0.1:{port}"
        try:
            self.wait_healthy(uri)
            names = self.populate(uri)
            args = ("--experiment", names[0], "--model-name", names[1], "--set", "mlflow.metrics={}")
            variants = {
                "monitor against a real MLflow server on loopback, MLflow checks off": ("--ignore", "MON3"),
                "... MLflow checks on, stdlib REST path": (),
                "... MLflow checks on, mlflow-skinny client path": ("--set", "mlflow.client=mlflow"),
            }
            yield from self.work.interleaved(
                {name: functools.partial(self.monitor, uri, *args, *extra) for name, extra in variants.items()}
            )
        finally:
            server.terminate()
            server.wait(timeout=15)
        with self.hostile() as targets:
            yield from self.work.interleaved(
                {
                    f"monitor against {label}, default 10 s budget": functools.partial(self.monitor, target)
                    for label, target in targets.items()
                }
            )

    @staticmethod
    def wait_healthy(uri: str) -> None:
        import urllib.request

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=1):  # noqa: S310 - loopback
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("bench: the MLflow server did not start")

    @staticmethod
    def populate(uri: str) -> tuple[str, str]:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        exp = client.create_experiment("bench")
        run = client.create_run(exp)
        client.log_metric(run.info.run_id, "metrics/mAP50-95B", 0.6)
        client.set_terminated(run.info.run_id, "FINISHED")
        client.create_registered_model("shapes-detector-bench")
        version = client.create_model_version(
            "shapes-detector-bench", f"runs:/{run.info.run_id}/model", run.info.run_id
        )
        client.set_registered_model_alias("shapes-detector-bench", "champion", version.version)
        return "bench", "shapes-detector-bench"

    @staticmethod
    @contextlib.contextmanager
    def hostile() -> Iterator[dict[str, str]]:
        """Three servers that never answer well, alive together so that their rows interleave."""
        import http.server
        import socket
        import threading

        from tests.conftest import free_port

        class Unavailable(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(64)  # accepts into the backlog, never answers
            try:
                yield {
                    "a closed port": f"http://127.0.0.1:{free_port()}",
                    "a listener that never answers": f"http://127.0.0.1:{silent.getsockname()[1]}",
                    "a server answering 503 forever": f"http://127.0.0.1:{server.server_address[1]}",
                }
            finally:
                server.shutdown()
