"""What every group of rows shares: a temporary copy of the repo, timed child processes, rows.

Nothing here asserts a time: rows are printed, and compared only with each other.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".nox", ".git", "__pycache__", ".*_cache", ".hypothesis", "*.egg-info")


@dataclass(frozen=True)
class Row:
    """One line of the table: a name, its samples, and how to compare it."""

    name: str
    samples: tuple[float, ...]
    unit: str = "s"
    key: str = ""
    """Stable name used to compute ratios and targets (the display name may change)."""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    def cell(self) -> str:
        if not self.samples:
            return "n/a"
        digits = 0 if (self.unit == "MB" and self.median >= 100) or self.unit == "requests" else 2
        value = f"{self.median:.{digits}f} {self.unit}"
        if len(self.samples) == 1:
            return value
        return f"{value} ({min(self.samples):.{digits}f}-{max(self.samples):.{digits}f}, n={len(self.samples)})"


@dataclass(frozen=True)
class Ran:
    seconds: float
    peak_mb: float
    returncode: int
    output: str


LAUNCHER = """
import os, sys, time
out, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
with open(out, "w") as fh:
    fh.write(f"{elapsed} {usage.ru_maxrss}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""
"""Forks the measured command from a small process: Linux carries a process's peak RSS across fork and
exec, so a child forked by this (larger) harness would report at least the harness's own peak."""
MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def run(command: Sequence[str], *, cwd: Path, env: dict[str, str], ok: Sequence[int] = (0,)) -> Ran:
    """Run a child to completion: its wall time and its own peak RSS (``wait4`` in a small launcher)."""
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "out", "w+", encoding="utf-8", errors="replace") as out:
        measured = Path(tmp) / "measured"
        launcher = [sys.executable, "-S", "-c", LAUNCHER, str(measured), *command]
        returncode = subprocess.run(launcher, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        out.seek(0)
        text = out.read()
        if returncode.returncode not in ok or not measured.exists():
            raise SystemExit(f"bench: {' '.join(command)} exited {returncode.returncode}:\n{text[-3000:]}")
        seconds, maxrss = measured.read_text(encoding="utf-8").split()
    return Ran(float(seconds), int(maxrss) * MAXRSS_UNIT / 2**20, returncode.returncode, text)


def du(path: Path) -> float:
    """Megabytes on disk (apparent size of regular files, links not followed)."""
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1e6


class Workdir:
    """A private copy of the repository and private caches under one temporary folder."""

    def __init__(self, root: Path, repeat: int) -> None:
        self.root = root
        self.repo = root / "repo"
        shutil.copytree(ROOT, self.repo, ignore=IGNORE)
        self.repeat = repeat
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLOPS_", "GITHUB_", "NOX"))}
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"  # every variant pays the same compile cost for mlops/

    def nox(self, *args: str, env: dict[str, str] | None = None, noxfile: str = "noxfile.py") -> float:
        command = [sys.executable, "-m", "nox", "-f", str(self.repo / noxfile), *args]
        return run(command, cwd=self.repo, env={**self.env, **(env or {})}).seconds

    def cache(self, name: str, *, fresh: bool = False) -> dict[str, str]:
        """A private uv + pip cache: ``fresh`` empties it first (a cold run), otherwise it stays warm."""
        folder = self.root / f"cache-{name}"
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        return {"UV_CACHE_DIR": str(folder), "PIP_CACHE_DIR": str(folder)}

    def interleaved(self, variants: dict[str, Callable[[], float]], *, warmup: bool = True) -> Iterator[Row]:
        """Run each variant once per round, ``repeat`` rounds after one warm-up round.

        Interleaving spreads a busy moment of the machine over all variants alike, so the ratios
        between them hold even when the absolute numbers drift.
        """
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(self.repeat + warmup):
            for name, action in variants.items():
                elapsed = action()
                if round_ >= warmup:
                    times[name].append(elapsed)
        for name, samples in times.items():
            yield Row(name, tuple(samples), key=name)
