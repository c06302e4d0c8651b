"""The monitor session against what users would otherwise run, interleaved in one run.

- **seed's after**: a fresh venv, ``pip install -r requirements/monitoring.txt`` with a warm pip
  cache, then the monitor: what ``setup-python`` with ``cache: pip`` does on every CI run.
- **plain nox**: the same session written with nox's defaults (virtualenv backend, a fresh env
  each run), and the same with ``-r`` (env reused, but pip still runs).
- **this project**: cold (no env, empty uv cache), warm (env reused, no installer), and after a
  one-line change to the lock (one package re-pinned: ``uv pip sync`` moves just that one).
- ``--against REV``: the warm session of another commit, interleaved with this one and ``nox -l``,
  so "no slower than before" is a comparison within one run, not against a table from another day.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.harness import ROOT, Row, Workdir, du, run

PLAIN_NOXFILE = '''\
"""The monitor session as nox's tutorial would write it: defaults everywhere."""
import nox


@nox.session
def monitor(session: nox.Session) -> None:
    session.install("-r", "requirements/monitoring.txt")
    session.run("python", "-m", "mlops.monitoring", "--example")
'''

NAMES = {
    "floor": "`nox -l` (the floor of any nox session)",
    "seed-after": "**seed's after**: fresh venv + `pip install -r` (warm pip cache) + monitor",
    "plain": "plain nox (virtualenv, new env each run, warm pip cache)",
    "plain-r": "plain nox with `-r` (env reused, pip still runs)",
    "cold": "this project, cold (no env, empty uv cache)",
    "warm": "this project, warm (env reused, no installer)",
    "change": "this project after a one-line lock change (one package re-pinned)",
}
RATIO_BASE = "seed-after"
REPINNED = "python-dotenv"
"""The package the one-line change re-pins to its previous release (a leaf: nothing depends on it)."""


class Sessions:
    def __init__(self, work: Workdir, against: str | None = None) -> None:
        self.work = work
        self.against = against
        self.repo = work.repo
        self.lock = self.repo / "requirements" / "monitoring.txt"
        self.original = self.lock.read_bytes()

    def rows(self, quick: bool) -> Iterator[Row]:
        (self.repo / "noxfile_plain.py").write_text(PLAIN_NOXFILE, encoding="utf-8")
        self.work.nox("-s", "monitor", env=self.work.cache("uv"))
        if quick:
            variants: dict[str, Callable[[], float]] = {"floor": lambda: self.work.nox("-l"), "warm": self.warm}
        else:
            locks = self.lock_variants()
            variants = {
                "floor": lambda: self.work.nox("-l"),
                "seed-after": self.seed_after,
                "plain": lambda: self.plain(reuse=False),
                "plain-r": lambda: self.plain(reuse=True),
                "cold": self.cold,
                "warm": self.warm,
                "change": lambda: self.change(locks),
            }
        if self.against is not None:
            other = self.checkout(self.against)
            variants["against"] = lambda: self.warm(other)
            variants["against"]()  # its env, built once from the same warm uv cache
        for row in self.work.interleaved(variants):
            name = f"the same, warm, at `{self.against}` (for comparison)" if row.key == "against" else NAMES[row.key]
            yield Row(name, row.samples, key=row.key)
        self.lock.write_bytes(self.original)
        self.work.nox("-s", "monitor", env=self.work.cache("uv"))
        yield Row("monitor env on disk (uv)", (du(self.repo / ".nox" / "monitor"),), unit="MB", key="slim-env")
        if not quick:
            yield Row("download size of requirements/monitoring.txt", (self.download_size(),), unit="MB")

    # --- the variants: each returns the seconds of what a user would wait for --------------------

    def seed_after(self) -> float:
        venv = self.work.root / "seed-venv"
        shutil.rmtree(venv, ignore_errors=True)
        env = {**self.work.env, **self.work.cache("pip-warm")}
        python = str(venv / "bin" / "python")
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(self.lock)],
            [python, "-m", "mlops.monitoring", "--example"],
        ]
        return sum(run(step, cwd=self.repo, env=env).seconds for step in steps)

    def plain(self, *, reuse: bool) -> float:
        envdir = ".nox-plain-r" if reuse else ".nox-plain"
        args = ["--envdir", envdir, "--force-venv-backend", "virtualenv", *(["-r"] if reuse else [])]
        return self.work.nox(*args, "-s", "monitor", noxfile="noxfile_plain.py", env=self.work.cache("pip-warm"))

    def cold(self) -> float:
        shutil.rmtree(self.repo / ".nox" / "monitor", ignore_errors=True)
        return self.work.nox("-s", "monitor", env=self.work.cache("uv-cold", fresh=True))

    def warm(self, repo: Path | None = None) -> float:
        if repo is None:
            return self.work.nox("-s", "monitor", env=self.work.cache("uv"))
        command = [sys.executable, "-m", "nox", "-f", str(repo / "noxfile.py"), "-s", "monitor"]
        return run(command, cwd=repo, env={**self.work.env, **self.work.cache("uv")}).seconds

    def change(self, locks: tuple[bytes, bytes]) -> float:
        """Flip the lock between the original and the re-pinned one: each run follows a one-line change."""
        current = self.lock.read_bytes()
        self.lock.write_bytes(locks[1] if current == locks[0] else locks[0])
        return self.warm()

    # --- set-up -------------------------------------------------------------------------------

    def checkout(self, rev: str) -> Path:
        """The tree of ``rev`` (``git archive``), beside the copy of this one."""
        dest = self.work.root / "against"
        archive = self.work.root / "against.tar"
        with archive.open("wb") as out:
            done = subprocess.run(
                ["git", "-C", str(ROOT), "archive", rev], stdout=out, stderr=subprocess.PIPE, check=False
            )
        if done.returncode:
            raise SystemExit(f"bench: --against {rev}: {done.stderr.decode(errors='replace').strip()}")
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        archive.unlink()
        return dest

    def lock_variants(self) -> tuple[bytes, bytes]:
        """The lock as committed, and the same with REPINNED moved to its previous release."""
        pin = next(line for line in self.original.decode().splitlines() if line.startswith(f"{REPINNED}=="))
        version = pin.split("==", 1)[1].split()[0]
        out = self.work.root / "repinned.txt"
        out.write_bytes(self.original)  # uv keeps the pins of an existing output: only REPINNED may move
        command = [
            sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--universal", "--python-version", "3.11",
            "--generate-hashes",
            str(self.repo / "requirements" / "monitoring.in"), "-o", str(out),
            "--upgrade-package", f"{REPINNED}<{version}",
        ]  # fmt: skip
        subprocess.run(command, cwd=self.repo / "requirements", env=self.work.env, check=True)
        # The compile header names the output file; keep the committed header so only the pin differs.
        header, _ = _split(self.original)
        _, changed = _split(out.read_bytes())
        if len(set(_requirements(changed)) ^ set(_requirements(self.original))) != 2:
            raise SystemExit(f"bench: re-pinning {REPINNED} changed more than one requirement")
        return self.original, header + changed

    def download_size(self) -> float:
        """What a cold install fetches on this platform: the lock's wheels, as served."""
        dest = self.work.root / "wheels"
        pip = getattr(sys, "_base_executable", sys.executable)  # uv envs carry no pip
        command = [pip, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes", "--disable-pip-version-check"]
        env = {**self.work.env, **self.work.cache("dl", fresh=True)}
        run([*command, "-r", str(self.lock), "-d", str(dest)], cwd=self.repo, env=env)
        return du(dest)


def _split(lock: bytes) -> tuple[bytes, bytes]:
    """(comment header, requirements) of a compiled lock."""
    lines = lock.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith(b"#"))
    return b"".join(lines[:first]), b"".join(lines[first:])


def _requirements(lock: bytes) -> list[str]:
    return [line.split()[0] for line in lock.decode().splitlines() if "==" in line and not line.startswith(" ")]
