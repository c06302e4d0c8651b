# /// script
# dependencies = ["nox[uv]>=2026.4.10,<2027"]
# ///
"""Sessions: a light ``monitor`` on the slim set, a heavy ``train`` on the full one, and the tools.

Envs: tools/noxenv.py syncs each to its lock (:data:`SESSION_LOCKS`). Without nox installed: :func:`bootstrap`."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQUIREMENTS = ROOT / "requirements"
BOOTSTRAP = ROOT / ".nox" / "_bootstrap"
LOCK_INPUTS = ("monitoring", "dev", "nox", "full")
SESSION_LOCKS = {"monitor": "monitoring", "train": "full"} | dict.fromkeys(("tests", "lint", "bench", "mutate"), "dev")
"""The lock (requirements/NAME.txt) each session's env is synced to; ``cache-key`` reads it too."""
CACHE_INPUTS = (Path(__file__).resolve(), ROOT / "tools" / "noxenv.py", REQUIREMENTS / "nox.txt")
"""What a cached .nox holds besides a session's lock: the monitor workflow's ``hashFiles`` names them too."""


def bootstrap(argv: list[str]) -> int:
    """Run nox from a private env built from requirements/nox.txt (pinned, hashed) once."""
    python = BOOTSTRAP / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    lock = REQUIREMENTS / "nox.txt"
    built_on = f"{platform.python_implementation()}-{platform.python_version()}-{sys.base_prefix}"  # = interpreter_id()
    key = hashlib.sha256(lock.read_bytes() + built_on.encode()).hexdigest()
    marker = BOOTSTRAP / "bootstrap.sha256"
    if not (python.exists() and marker.is_file() and marker.read_text() == key):
        print(f"noxfile.py: installing nox into {BOOTSTRAP.relative_to(ROOT)} (once)", file=sys.stderr)
        shutil.rmtree(BOOTSTRAP, ignore_errors=True)
        install_nox(python, lock)
        marker.write_text(key)
    command = [str(python), "-m", "nox", "-f", str(Path(__file__).resolve()), *argv]
    if os.name == "nt":
        return subprocess.call(command)
    os.execv(command[0], command)  # noqa: S606 - replace this process, keep its exit code


def install_nox(python: Path, lock: Path) -> None:
    """With uv on PATH, from uv's cache (CI rebuilds on a new Python patch release offline, in a second);
    otherwise with this interpreter's pip."""
    args = ["install", "-q", "--no-deps", "--require-hashes", "-r", str(lock)]
    # Seeding pip into the env (ensurepip) costs seconds; uv, or this pip, installs into it from outside.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(BOOTSTRAP)], check=True)
    if (uv := shutil.which("uv")) and not subprocess.run(
        [uv, "pip", *args, "--python", str(python)], check=False
    ).returncode:
        return
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    if subprocess.run([*pip, *args], check=False).returncode:
        shutil.rmtree(BOOTSTRAP, ignore_errors=True)  # a pip older than 22.3: seed the env's own
        subprocess.run([sys.executable, "-m", "venv", str(BOOTSTRAP)], check=True)
        subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args], check=True)


try:
    import nox
except ModuleNotFoundError:
    if __name__ != "__main__":
        raise
    raise SystemExit(bootstrap(sys.argv[1:])) from None

sys.path.insert(0, str(ROOT))  # nox loads this file without its folder on sys.path, and cwd may be anywhere
from tools import noxenv  # noqa: E402
from tools.noxmonitor import run_monitor  # noqa: E402

nox.needs_version = ">=2026.4.10"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["monitor"]
noxenv.lock_env_creation()


def sync(session: nox.Session) -> None:
    """Make the session's env match its lock exactly, or run no installer at all."""
    noxenv.sync(session, REQUIREMENTS / f"{SESSION_LOCKS[session.name]}.txt")


@nox.session(reuse_venv=True)
def monitor(session: nox.Session) -> None:
    """Check a monitoring workspace on the slim set (nothing configured: the bundled example)."""
    sync(session)
    run_monitor(session, ["--example-if-unconfigured", *session.posargs])


@nox.session(venv_backend="virtualenv", reuse_venv=True, default=False, tags=["heavy"])
def train(session: nox.Session) -> None:
    """Train the YOLO detector on the full set (default: a synthetic dataset, one CPU epoch)."""
    # pip, not uv: pip honours a machine's own wheel mirror and constraints (where torch usually lives).
    sync(session)
    session.run("python", "-m", "mlops.training", *session.posargs)


@nox.session(reuse_venv=True)
def tests(session: nox.Session) -> None:
    """Run the test suite (real nox subprocesses, real servers); pass pytest args after --."""
    sync(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(reuse_venv=True)
def lint(session: nox.Session) -> None:
    """Run ruff, mypy (noxfile included) and the import-linter contracts that keep the monitor light."""
    sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")


@nox.session(reuse_venv=True, default=False, tags=["bench"])
def bench(session: nox.Session) -> None:
    """The before/after table, measured on a temporary copy (-- --quick, --full, --update-readme)."""
    sync(session)
    session.run("python", "-m", "benchmarks.bench", *session.posargs)


@nox.session(reuse_venv=True, default=False, tags=["mutate"])
def mutate(session: nox.Session) -> None:
    """Mutate the verdict modules one change at a time and print the mutants no test kills (-- PATH -- TESTS)."""
    sync(session)
    session.run("python", "-m", "tools.mutate", *session.posargs)


@nox.session(venv_backend="uv", default=False)
def lock(session: nox.Session) -> None:
    """Recompile requirements/*.txt from the short *.in files, with hashes (-- NAME to pick one)."""
    session.chdir(REQUIREMENTS)  # uv writes the paths it was given into each header: keep them relative
    for name in session.posargs or LOCK_INPUTS:
        source = REQUIREMENTS / f"{name}.in"
        if not source.is_file():
            session.error(f"{source.relative_to(ROOT)} does not exist; choose from {', '.join(LOCK_INPUTS)}")
        session.run_install(
            "uv", "pip", "compile", "--quiet", "--universal", "--python-version", "3.11", "--generate-hashes",
            f"{name}.in", "-o", f"{name}.txt", env={"UV_CUSTOM_COMPILE_COMMAND": f"nox -s lock -- {name}"},
            external=True,
        )  # fmt: skip


@nox.session(python=False, name="cache-key")
def cache_key(session: nox.Session) -> None:
    """Print the key a CI cache of .nox should use for the uv sessions CI runs (-- SESSION for one)."""
    osname = f"{platform.system()}-{platform.machine()}".lower()
    inputs = hashlib.sha256(b"".join(path.read_bytes() for path in CACHE_INPUTS)).hexdigest()
    for name in ("monitor", "tests", "lint"):
        if not session.posargs or name in session.posargs:
            env = noxenv.env_key(REQUIREMENTS / f"{SESSION_LOCKS[name]}.txt", "uv")
            key = hashlib.sha256(f"{env}{inputs}".encode()).hexdigest()[:24]
            print(f"{name}: nox-{name}-{osname}-py{platform.python_version()}-{key}")


if __name__ == "__main__":
    sys.argv[1:1] = ["-f", str(Path(__file__).resolve())]  # nox.main() looks for ./noxfile.py: run from anywhere
    nox.main()
