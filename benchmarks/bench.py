"""Measure the light monitor session: warm, cold (uv and pip), env size and download size.

Run through ``nox -s bench`` (``-- --quick`` for a fast smoke run, ``-- --repeat N``). Everything
runs on a temporary copy of the repository with private caches, so the numbers do not depend
on what this checkout or this machine's caches already hold. Prints a Markdown table; it
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".nox", ".git", "__pycache__", ".*_cache", ".hypothesis")


@dataclass(frozen=True)
class Row:
    name: str
    samples: tuple[float, ...]
    unit: str = "s"
    note: str = ""

    def cell(self) -> str:
        if not self.samples:
            return "n/a"
        med = statistics.median(self.samples)
        if len(self.samples) == 1:
            return f"{med:.2f} {self.unit}"
        return f"{med:.2f} {self.unit} ({min(self.samples):.2f}-{max(self.samples):.2f}, n={len(self.samples)})"


def timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return elapsed


def du(path: Path) -> float:
    """Megabytes on disk (apparent size of regular files, links not followed)."""
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1e6


class Bench:
    def __init__(self, workdir: Path, repeat: int) -> None:
        self.repo = workdir / "repo"
        shutil.copytree(ROOT, self.repo, ignore=IGNORE)
        self.workdir = workdir
        self.repeat = repeat
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLOPS_", "GITHUB_", "NOX"))}

    def nox(self, *args: str, env: dict[str, str] | None = None) -> float:
        command = [sys.executable, "-m", "nox", "-f", str(self.repo / "noxfile.py"), *args]
        return timed(command, cwd=self.repo, env={**self.env, **(env or {})})

    def samples(
        self, action: Callable[[], float], *, prepare: Callable[[], None] | None = None, warmup: bool = True
    ) -> tuple[float, ...]:
        if warmup:
            if prepare:
                prepare()
            action()
        out = []
        for _ in range(self.repeat):
            if prepare:
                prepare()
            out.append(action())
        return tuple(out)

    def fresh_cache(self, name: str) -> dict[str, str]:
        cache = self.workdir / f"cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        return {"UV_CACHE_DIR": str(cache), "PIP_CACHE_DIR": str(cache)}

    def drop_env(self) -> None:
        shutil.rmtree(self.repo / ".nox" / "monitor", ignore_errors=True)

    def run(self, quick: bool, sections: list[str], report: Callable[[Row], None]) -> None:
        groups = {"nox": lambda: self.rows(quick), "replay": self.replay_rows, "mlflow": self.mlflow_rows}
        for name in sections:
            for row in groups[name]():
                report(row)

    def rows(self, quick: bool) -> Iterator[Row]:
        yield Row("`nox -l` (floor of any nox session)", self.samples(lambda: self.nox("-l")))
        self.nox("-s", "monitor")
        yield Row("warm `nox -s monitor` (env reused, no installer)", self.samples(lambda: self.nox("-s", "monitor")))
        yield Row("monitor env on disk (uv)", (du(self.repo / ".nox" / "monitor"),), unit="MB")
        if quick:
            return
        cold = self.samples(
            lambda: self.nox("-s", "monitor", env=self.fresh_cache("uv")), prepare=self.drop_env, warmup=False
        )
        yield Row("cold `nox -s monitor`, uv, empty cache", cold)
        pip_backend = ("--force-venv-backend", "virtualenv")
        pip_cold = self.samples(
            lambda: self.nox(*pip_backend, "-s", "monitor", env=self.fresh_cache("pip")),
            prepare=self.drop_env,
            warmup=False,
        )
        yield Row("cold `nox -s monitor`, pip, empty cache", pip_cold)
        yield Row("monitor env on disk (pip)", (du(self.repo / ".nox" / "monitor"),), unit="MB")
        self.drop_env()
        yield Row("download size of requirements/monitoring.txt", (self.download_size(),), unit="MB")

    def mlflow_rows(self) -> Iterator[Row]:
        yield from MlflowRows(self).rows()

    def replay_rows(self) -> Iterator[Row]:
        """The monitor workflow's job, from checkout to the monitor's exit, on a simulated runner."""
        from benchmarks.replay import Runner

        workflow = ROOT / ".github" / "workflows" / "monitor.yml"
        store, workspace = self.workdir / "actions-cache", self.workdir / "runner" / "repo"

        def job(cold: bool) -> float:
            if cold:
                shutil.rmtree(store, ignore_errors=True)
            runner = Runner(workspace, store, extra_env=self.fresh_cache("replay-pip") if cold else {})
            return runner.run_job(workflow, "monitor").seconds

        yield Row(
            "monitor workflow replayed, cold (no cache restored, empty pip cache)",
            self.samples(lambda: job(cold=True), warmup=False),
        )
        job(cold=True)  # leaves the caches a warm run restores
        yield Row("monitor workflow replayed, warm (the .nox cache restored)", self.samples(lambda: job(cold=False)))

    def download_size(self) -> float:
        """What a cold install fetches on this platform: the wheels of the lock, as served."""
        dest = self.workdir / "wheels"
        pip = getattr(sys, "_base_executable", sys.executable)  # uv envs carry no pip
        command = [pip, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"]
        command += [
            "--disable-pip-version-check",
            "-r",
            str(self.repo / "requirements/monitoring.txt"),
            "-d",
            str(dest),
        ]
        timed(command, cwd=self.repo, env={**self.env, **self.fresh_cache("download")})
        return du(dest)


class MlflowRows:
    """The MLflow part against a real server on loopback, and against servers that never answer well."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.python = str(bench.repo / ".nox" / "monitor" / "bin" / "python")

    def monitor(self, uri: str, *extra: str) -> float:
        command = [self.python, "-m", "mlops.monitoring", "--example", "--tracking-uri", uri, *extra]
        start = time.perf_counter()
        subprocess.run(command, cwd=self.bench.repo, env=self.bench.env, capture_output=True, check=False)
        return time.perf_counter() - start

    def rows(self) -> Iterator[Row]:
        from tests.conftest import free_port

        self.bench.nox("-s", "monitor")  # the monitor env the rows below run in
        root = self.bench.workdir / "mlflow-server"
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
                "monitor on the example, MLflow checks off": ("--ignore", "MON3"),
                "... with MLflow checks, REST path, real server on loopback": (),
                "... with MLflow checks, mlflow-skinny client path, same server": ("--set", "mlflow.client=mlflow"),
            }
            times: dict[str, list[float]] = {name: [] for name in variants}
            for round_ in range(self.bench.repeat + 1):  # interleaved, so a busy moment hits all alike
                for name, extra in variants.items():
                    elapsed = self.monitor(uri, *args, *extra)
                    if round_:  # the first round warms up
                        times[name].append(elapsed)
            for name, samples in times.items():
                yield Row(name, tuple(samples))
        finally:
            server.terminate()
            server.wait(timeout=15)
        for label, target in self.hostile():
            yield Row(f"monitor against {label}, default 10 s budget", (self.monitor(target),))

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
    def hostile() -> Iterator[tuple[str, str]]:
        import http.server
        import socket
        import threading

        from tests.conftest import free_port

        yield "a closed port", f"http://127.0.0.1:{free_port()}"
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)  # accepts into the backlog, never answers
            yield "a listener that never answers", f"http://127.0.0.1:{silent.getsockname()[1]}"

        class Unavailable(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield "a server answering 503 forever", f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="warm runs only, 3 repeats: a smoke run for CI")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per row after one warm-up (default 5)")
    parser.add_argument(
        "--only", action="append", choices=("nox", "replay", "mlflow"), help="measure only these groups of rows"
    )
    args = parser.parse_args(argv)
    sections = args.only or (["nox"] if args.quick else ["nox", "replay", "mlflow"])
    repeat = 3 if args.quick else args.repeat
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"Measured {when} on {machine}; median (min-max, n) after one warm-up.\n")
    print("| measurement | value |\n|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        Bench(Path(tmp), repeat).run(
            args.quick, sections, report=lambda row: print(f"| {row.name} | {row.cell()} |", flush=True)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
