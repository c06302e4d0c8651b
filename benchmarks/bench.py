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

    def run(self, quick: bool, report: Callable[[Row], None]) -> None:
        for row in self.rows(quick):
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
        yield from self.replay_rows()

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
        yield Row("monitor workflow replayed, warm (both caches restored)", self.samples(lambda: job(cold=False)))

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="warm runs only, 3 repeats: a smoke run for CI")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per row after one warm-up (default 5)")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"Measured {when} on {machine}; median (min-max, n) after one warm-up.\n")
    print("| measurement | value |\n|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        Bench(Path(tmp), repeat).run(args.quick, report=lambda row: print(f"| {row.name} | {row.cell()} |", flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
