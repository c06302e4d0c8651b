"""The monitor workflow as GitHub runs it, replayed (benchmarks/replay.py), and its calls to services.

Rows: the job cold and warm; the run after a failing run against the run after a healthy one
(both must restore .nox and run no installer, or the row is refused); a new Python patch release
rebuilt from the uv cache with no index at all; and each call to a service (heartbeat, keepalive,
incident issue) against a server that accepts and never answers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

from benchmarks.harness import ROOT, Row, Workdir
from benchmarks.replay import MONITOR, Runner

STRICT_CONFIG = "mlops/example/strict.yaml"
STRICT = {STRICT_CONFIG: (ROOT / "mlops" / "example" / "monitor.yaml").read_text() + "fail_on: warning\n"}
"""A config that fails on the example's three warnings: a monitor in the middle of an incident."""
INSTALLER = re.compile(r"uv pip (sync|install)|pip install|Creating virtual environment|installing nox")
OFFLINE = {"UV_OFFLINE": "1", "PIP_NO_INDEX": "1"}


class CiRows:
    def __init__(self, work: Workdir) -> None:
        self.work = work
        self.workspace = work.root / "runner" / "repo"

    def rows(self, quick: bool) -> Iterator[Row]:
        yield from self.cold_and_warm()
        yield from self.after_failure()
        yield from self.patch_release()
        yield from self.silent_services()

    def cold_and_warm(self) -> Iterator[Row]:
        store = self.work.root / "actions-cache"

        def job(cold: bool) -> float:
            if cold:
                shutil.rmtree(store, ignore_errors=True)
            extra = self.work.cache("replay-pip", fresh=True) if cold else {}
            return Runner(self.workspace, store, extra_env=extra).run_job(MONITOR, "monitor").seconds

        yield from self.work.interleaved(
            {
                "monitor workflow replayed, cold (no cache restored, empty pip cache)": lambda: job(cold=True),
                "monitor workflow replayed, warm (the .nox cache restored)": lambda: job(cold=False),
            }
        )

    def after_failure(self) -> Iterator[Row]:
        """A healthy run then warm runs, and a failing run then warm (still failing) runs, interleaved."""
        healthy = Runner(self.workspace, self.work.root / "store-healthy")
        failing = Runner(
            self.workspace, self.work.root / "store-failing", variables={"MLOPS_CONFIG": STRICT_CONFIG}, files=STRICT
        )
        for runner, result in ((healthy, "success"), (failing, "failure")):
            first = runner.run_job(MONITOR, "monitor")
            if first.result != result or len(first.saved) != 2:
                raise RuntimeError(f"bench: the first run ended {first.result} and saved {first.saved}")

        def warm(runner: Runner) -> float:
            job = runner.run_job(MONITOR, "monitor")
            output = job.step("Run the monitor").output
            if list(job.cache_hits.values()) != [True] or INSTALLER.search(output):
                raise RuntimeError(f"bench: a run after the first was not warm:\n{output}")
            return job.seconds

        rows = list(
            self.work.interleaved(
                {
                    "monitor workflow replayed, warm, after a healthy run": lambda: warm(healthy),
                    "monitor workflow replayed, after a failing run (warm, no installer: checked)": lambda: warm(
                        failing
                    ),
                }
            )
        )
        keys = ("replay-after-healthy", "replay-after-failure")
        yield from (Row(row.name, row.samples, row.unit, key) for row, key in zip(rows, keys, strict=True))

    def patch_release(self) -> Iterator[Row]:
        """Each round a new Python patch release (a .nox key never seen), the uv cache restored, offline.

        Two rows: the monitor step, which rebuilds nox's env and the monitor's from the uv cache and
        runs the monitor, and the whole job, whose cache restore and save are local copies here (on
        GitHub, a download and an upload of the same archives)."""
        store = self.work.root / "store-patch"
        first = Runner(self.workspace, store).run_job(MONITOR, "monitor")
        if first.result != "success":
            raise RuntimeError("bench: the first run failed")
        steps: list[float] = []
        jobs: list[float] = []
        for round_ in range(self.work.repeat + 1):  # the first is the warm-up
            version = f"3.11.{100 + round_}"
            job = Runner(self.workspace, store, python_version=version, extra_env=OFFLINE).run_job(MONITOR, "monitor")
            step = job.step("Run the monitor")
            if job.result != "success" or list(job.cache_hits.values()) != [False, True]:
                raise RuntimeError(f"bench: the rebuild on Python {version} did not use the uv cache:\n{step.output}")
            if "installing nox" not in step.output:
                raise RuntimeError(f"bench: nothing was rebuilt on Python {version}:\n{step.output}")
            if round_:
                steps.append(step.seconds)
                jobs.append(job.seconds)
        name = "new Python patch release, offline: nox and the monitor env rebuilt from the uv cache, and the run"
        yield Row(name, tuple(steps), key="replay-patch")
        yield Row("... the whole job, the cache restore and save being local copies here", tuple(jobs))

    def silent_services(self) -> Iterator[Row]:
        """Each service call against a server that never answers: how long until the run goes on."""
        from tests.http_server import HttpServer

        with HttpServer() as server:
            server.fault = "silent"
            timings = {
                "heartbeat (MLOPS_HEARTBEAT_URL) against a silent server": ("silent-heartbeat", self._heartbeat),
                "keepalive job's enable call against a silent server": ("silent-keepalive", self._keepalive),
            }
            if (ROOT / "mlops" / "monitoring" / "incidents.py").is_file():
                timings["incident job's calls against a silent server"] = ("silent-incident", self._incident)
            for name, (key, measure) in timings.items():
                samples = tuple(measure(server.url) for _ in range(self.work.repeat))
                print(f"bench: {name}: {', '.join(f'{s:.2f} s' for s in samples)}", file=sys.stderr, flush=True)
                yield Row(name, samples, key=key)

    @staticmethod
    def _heartbeat(url: str) -> float:
        from mlops.monitoring.heartbeat import Heartbeat, ping

        start = time.perf_counter()
        why = ping(Heartbeat(f"{url}/ping/bench-secret"), 0, "mlops monitor: bench")
        seconds = time.perf_counter() - start
        if why is None:
            raise RuntimeError("bench: a silent server took the heartbeat")
        return seconds

    def _keepalive(self, url: str) -> float:
        job = Runner(self.workspace, self.work.root / "store-keepalive", github_api=url).run_job(MONITOR, "keepalive")
        if job.result != "failure":
            raise RuntimeError("bench: the keepalive job succeeded against a silent server")
        return job.step("Re-enable this workflow").seconds

    @staticmethod
    def _incident(url: str) -> float:
        env = {
            "PATH": "/usr/bin:/bin",
            "GITHUB_TOKEN": "ghs_bench",
            "GITHUB_API_URL": url,
            "GITHUB_REPOSITORY": "mlops-team/models",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "1",
            "MLOPS_SUMMARY": "## mlops monitor: failed",
        }
        command = [sys.executable, "-m", "mlops.monitoring.incidents", "--result", "failure", "--exit-code", "1"]
        start = time.perf_counter()
        done = subprocess.run([*command, "--model", "m"], cwd=ROOT, env=env, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode == 0:
            raise RuntimeError("bench: the incident call succeeded against a silent server")
        return seconds
