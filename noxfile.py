# /// script
# dependencies = ["nox[uv]>=2026.4.10"]
# ///
"""Sessions: a light ``monitor`` on the slim set, a heavy ``train`` on the full one, and the tools.

Every env is synced by :func:`sync`, which reuses it as long as its inputs are unchanged and
otherwise makes it match its lock file exactly; concurrent runs wait for each other, env by env.
``python noxfile.py ...`` works where nox is not installed yet (see :func:`bootstrap`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent
REQUIREMENTS = ROOT / "requirements"
BOOTSTRAP = ROOT / ".nox" / "_bootstrap"
STAMP = "mlops-env.json"
INSTALL_ARGS = {"uv": ("--require-hashes",), "virtualenv": ("--require-hashes", "--no-deps")}
"""Install arguments per backend; part of each env's key, so changing them resyncs."""
PRECOMPILE = {"monitoring": ("yaml", "dotenv")}
"""Packages whose bytecode is compiled at sync time: the ones the warm monitor imports (dotenv when a
``.env`` exists).
Compiling everything would double the slim env on disk for modules that never load."""
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
LOCK_INPUTS = ("monitoring", "dev", "nox", "full")
PYTHON = "python.exe" if os.name == "nt" else "python"


def interpreter_id() -> str:
    """What an env is built on: changing it means rebuilding, not syncing."""
    return f"{platform.python_implementation()}-{platform.python_version()}-{sys.base_prefix}"


# --- `python noxfile.py` with nothing but Python and pip ----------------------------------------


def bootstrap(argv: list[str]) -> int:
    """Run nox from a private env built from requirements/nox.txt (pinned, hashed) once."""
    python = BOOTSTRAP / ("Scripts" if os.name == "nt" else "bin") / PYTHON
    lock = REQUIREMENTS / "nox.txt"
    key = hashlib.sha256(lock.read_bytes() + interpreter_id().encode()).hexdigest()
    marker = BOOTSTRAP / "bootstrap.sha256"
    if not (python.exists() and marker.is_file() and marker.read_text() == key):
        print(f"noxfile.py: installing nox into {BOOTSTRAP.relative_to(ROOT)} (once)", file=sys.stderr)
        shutil.rmtree(BOOTSTRAP, ignore_errors=True)
        install = ["install", "--disable-pip-version-check", "-q", "--no-deps", "--require-hashes", "-r", str(lock)]
        # Seeding pip into the env (ensurepip) costs seconds; this pip can install into it from outside.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(BOOTSTRAP)], check=True)
        if subprocess.run([sys.executable, "-m", "pip", "--python", str(python), *install], check=False).returncode:
            shutil.rmtree(BOOTSTRAP, ignore_errors=True)  # a pip older than 22.3: seed the env's own
            subprocess.run([sys.executable, "-m", "venv", str(BOOTSTRAP)], check=True)
            subprocess.run([str(python), "-m", "pip", *install], check=True)
        marker.write_text(key)
    command = [str(python), "-m", "nox", "-f", str(Path(__file__).resolve()), *argv]
    if os.name == "nt":
        return subprocess.call(command)
    os.execv(command[0], command)  # noqa: S606 - replace this process, keep its exit code


try:
    import nox
except ModuleNotFoundError:
    if __name__ != "__main__":
        raise
    raise SystemExit(bootstrap(sys.argv[1:])) from None

nox.needs_version = ">=2026.4.10"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["monitor"]


# --- the one helper every session goes through -------------------------------------------


def env_key(lock: str, backend: str) -> str:
    """Hash of everything an env's content depends on besides the interpreter."""
    digest = hashlib.sha256((REQUIREMENTS / f"{lock}.txt").read_bytes())
    digest.update(json.dumps([backend, INSTALL_ARGS.get(backend), PRECOMPILE.get(lock)]).encode())
    return digest.hexdigest()


def inventory(location: Path) -> str:
    """Hash of every path in the env except bytecode caches: notices added and deleted files.

    The lines and their order are ``os.walk``'s (top-down, sorted, links to folders not entered), so
    stamps written by earlier versions still match; ``scandir`` once per folder halves its cost.
    """
    lines: list[str] = []
    stack = [(".", os.fspath(location))]
    while stack:
        rel, path = stack.pop()
        try:
            with os.scandir(path) as found:
                entries = sorted(found, key=lambda entry: entry.name)
        except OSError:
            continue
        below = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                if entry.name != STAMP:
                    lines.append(f"{rel}/{entry.name}\n")
            elif entry.name != "__pycache__" and not entry.is_symlink():
                below.append((entry.name if rel == "." else f"{rel}/{entry.name}", entry.path))
        stack.extend(reversed(below))
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def site_packages(location: Path) -> Path:
    found = sorted(location.glob("lib/python3*/site-packages")) or [location / "Lib" / "site-packages"]
    return found[0]


def pins(lock: Path) -> tuple[dict[str, set[str]], set[str]]:
    """``name -> versions`` pinned (a universal lock may pin one per marker), and the names pinned
    only under an environment marker, which this platform may rightly leave out."""
    found: dict[str, set[str]] = {}
    conditional: set[str] = set()
    for match in re.finditer(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)(\s*;)?", lock.read_text(), re.M):
        name = re.sub(r"[-_.]+", "-", match[1]).lower()
        found.setdefault(name, set()).add(match[2])
        if match[3]:
            conditional.add(name)
    return found, conditional


def installed(location: Path) -> dict[str, str]:
    dists = {}
    for info in site_packages(location).glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        dists[re.sub(r"[-_.]+", "-", name).lower()] = version
    return dists


def mismatches(location: Path, lock: Path) -> list[str]:
    """Differences between the env and its lock; [] when the env holds exactly the lock."""
    wanted, conditional = pins(lock)
    have = {k: v for k, v in installed(location).items() if k not in SEED_PACKAGES}
    problems = [f"{n}=={v} is not in {lock.name}" for n, v in have.items() if v not in wanted.get(n, set())]
    problems += [f"{n} is missing" for n in wanted if n not in have and n not in conditional | SEED_PACKAGES]
    return problems


HELD_LOCKS: dict[Path, IO[str]] = {}
"""Env locks this process holds; at most one, as nox runs a process's sessions one at a time."""


def lock_file(handle: IO[str]) -> None:
    """Wait for an exclusive lock on ``handle``; the OS drops it if the process dies."""
    if sys.platform == "win32":
        import msvcrt

        while True:
            with contextlib.suppress(OSError):  # LK_LOCK gives up after ten seconds: keep waiting
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                return
    else:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX)


def hold_env_lock(location: Path) -> None:
    """Own the env at ``location`` until :func:`release_env_lock`: only one run creates or syncs it.

    Taking one env's lock first gives up any other this process holds (its session is over), so a
    process never waits while holding a lock and two runs cannot deadlock.
    """
    if location in HELD_LOCKS:
        return
    for other in list(HELD_LOCKS):
        release_env_lock(other)
    location.parent.mkdir(parents=True, exist_ok=True)
    handle = open(location.parent / f"{location.name}.lock", "a")  # noqa: SIM115 - held past this call
    lock_file(handle)
    HELD_LOCKS[location] = handle


def release_env_lock(location: Path) -> None:
    handle = HELD_LOCKS.pop(location, None)
    if handle is not None:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        handle.close()


@contextlib.contextmanager
def env_lock(location: Path) -> Iterator[None]:
    """Hold the env's lock for a sync, taken here unless its creation already took it."""
    hold_env_lock(location)
    try:
        yield
    finally:
        release_env_lock(location)


class LockedVirtualEnv(nox.virtualenv.VirtualEnv):
    """A nox env that is created under its lock, which :func:`sync` then keeps until the env is synced.

    nox creates, or wipes, a session's env before the session function runs, so a lock taken only in
    :func:`sync` comes too late: two first runs on a fresh checkout both find no env, and the later
    ``uv venv --clear`` empties the env the earlier run is installing into. Creating under the lock
    makes create-then-sync one critical section: the second run waits, then finds a built env and
    reuses it. nox builds envs from the classes in ``nox.virtualenv.ALL_VENVS`` (the table behind
    ``--force-venv-backend``); registering this subclass there is the one way to run code before
    creation without patching nox's session runner or giving up its env handling (python=False).
    """

    def create(self) -> bool:
        hold_env_lock(Path(self.location))
        return super().create()


for _backend in ("uv", "virtualenv", "venv"):
    nox.virtualenv.ALL_VENVS[_backend] = functools.partial(LockedVirtualEnv, venv_backend=_backend)


def sync(session: nox.Session, lock_name: str) -> None:
    """Make the session's env match ``requirements/<lock_name>.txt`` exactly, or run no installer.

    Reused when the lock bytes, interpreter, backend and install arguments are unchanged and the
    env's files are as the last sync left them; synced in place when only the lock changed (uv);
    rebuilt when the interpreter changed, the env was modified by hand, or its creation or install was
    cut short. Runs on one checkout take turns: see :class:`LockedVirtualEnv`.
    """
    venv = session.virtualenv
    if not isinstance(venv, nox.virtualenv.VirtualEnv):
        session.error("sync needs a virtualenv or uv env")
    location, lock, backend = Path(venv.location), REQUIREMENTS / f"{lock_name}.txt", venv.venv_backend
    stamp_path = location / STAMP
    want = {"interpreter": interpreter_id(), "key": env_key(lock_name, backend)}
    with env_lock(location):
        try:
            stamp = json.loads(stamp_path.read_text())
        except (OSError, ValueError):
            stamp = None
        intact = stamp is not None and stamp.get("inventory") == inventory(location)
        if intact and stamp is not None and {k: stamp.get(k) for k in want} == want:
            session.log(f"env matches {lock.name} ({want['key'][:12]}): nothing to install")
            return
        # nox reuses a folder whose creation was cut short (no pyvenv.cfg, no interpreter): rebuild it.
        created = (location / "pyvenv.cfg").is_file() and Path(venv.bin, PYTHON).exists()
        fresh = stamp is None and not set(installed(location)) - SEED_PACKAGES  # nothing installed yet
        stale = not intact or stamp.get("interpreter") != want["interpreter"] or backend != "uv"
        rebuild = not created or (not fresh and stale)
        if rebuild:
            session.log("env is stale, modified or half-built: rebuilding it")
            shutil.rmtree(location, ignore_errors=True)  # uv will not clear a folder that has no pyvenv.cfg
            venv.reuse_existing = False
            venv.create()
        stamp_path.unlink(missing_ok=True)  # an interrupted install leaves no stamp: rebuilt next time
        if backend == "uv":
            done = session.run_install("uv", "pip", "sync", *INSTALL_ARGS["uv"], str(lock), silent=True)
        else:
            args = ("--disable-pip-version-check", "-q", *INSTALL_ARGS["virtualenv"], "-r", str(lock))
            done = session.run_install("python", "-m", "pip", "install", *args, silent=True)
        if done is None:
            session.error(f"env is out of date with {lock.name} and --no-install was given: drop -R/--no-install")
        if problems := mismatches(location, lock):
            session.error(f"env does not match {lock.name} after install: {'; '.join(problems[:5])}")
        packages = [site_packages(location) / name for name in PRECOMPILE.get(lock_name, ())]
        if packages:
            session.run("python", "-m", "compileall", "-q", *map(str, packages), silent=True)
        stamp_path.write_text(json.dumps({**want, "inventory": inventory(location)}))
        session.log(f"env synced to {lock.name} ({want['key'][:12]})")


# --- sessions ---------------------------------------------------------------------------------


# --- the monitor, run as its users run it -----------------------------------------------------


def shown_command(args: list[str]) -> str:
    """The command line as nox echoes it, with URI passwords and secret variables' values hidden."""
    sys.path.insert(0, str(ROOT))  # nox imports this file without its folder on sys.path
    try:
        from mlops.core.redact import hide_userinfo, scrub, secrets_in
    finally:
        sys.path.remove(str(ROOT))
    return hide_userinfo(scrub(shlex.join(args), secrets_in(os.environ, args)))


def install_only(session: nox.Session) -> bool:
    """nox's ``--install-only``, which ``session.run`` honours by itself; nox has no public accessor."""
    config = getattr(getattr(session, "_runner", None), "global_config", None)
    return bool(getattr(config, "install_only", False))


def run_monitor(session: nox.Session, args: list[str]) -> None:
    """Run the monitor in the folder nox was started from, and end nox with the monitor's exit code.

    nox runs every command in the noxfile's folder and turns any failure into exit 1, echoing the
    command line (passwords included) twice. The monitor's own exit codes (README: 0, 1, 2, 3, 130) are
    its interface, and its paths, ``./mlops.yaml`` and ``.env`` belong to the user's folder: so it runs
    there, nox's echo hides secrets, SIGTERM and SIGINT reach it, and its code becomes nox's.
    """
    if install_only(session):
        session.log("skipping the monitor: --install-only")
        return
    command = [str(Path(session.bin, PYTHON)), "-P", "-m", "mlops.monitoring", *args]
    session.log(shown_command(["python", *command[1:]]))
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []

    def forward(signum: int, frame: object) -> None:  # the monitor exits 130 for either, leaving no partial file
        if child is None:
            pending.append(signum)
        elif child.poll() is None:
            child.send_signal(signum)

    handlers = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = subprocess.Popen(command, cwd=session.invoked_from, env={**os.environ, "PYTHONPATH": path})
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if code:
        code = 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N
        session.warn(f"the monitor exited {code} ({EXIT_MEANINGS.get(code, 'killed')}); nox exits {code} too")
        raise SystemExit(code)


EXIT_MEANINGS = {1: "findings", 2: "usage or configuration error", 3: "internal error", 130: "interrupted"}


@nox.session(reuse_venv=True)
def monitor(session: nox.Session) -> None:
    """Check a monitoring workspace on the slim set (nothing configured: the bundled example)."""
    sync(session, "monitoring")
    run_monitor(session, ["--example-if-unconfigured", *session.posargs])


@nox.session(venv_backend="virtualenv", reuse_venv=True, default=False, tags=["heavy"])
def train(session: nox.Session) -> None:
    """Train the YOLO detector on the full set (default: a synthetic dataset, one CPU epoch)."""
    # pip, not uv: pip honours a machine's own wheel mirror and constraints (where torch usually lives).
    sync(session, "full")
    session.run("python", "-m", "mlops.training", *session.posargs)


@nox.session(reuse_venv=True)
def tests(session: nox.Session) -> None:
    """Run the test suite (real nox subprocesses, real servers); pass pytest args after --."""
    sync(session, "dev")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(reuse_venv=True)
def lint(session: nox.Session) -> None:
    """Run ruff, mypy (noxfile included) and the import-linter contracts that keep the monitor light."""
    sync(session, "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")


@nox.session(reuse_venv=True, default=False, tags=["bench"])
def bench(session: nox.Session) -> None:
    """The before/after table, measured on a temporary copy (-- --quick, --full, --update-readme)."""
    sync(session, "dev")
    session.run("python", "-m", "benchmarks.bench", *session.posargs)


@nox.session(reuse_venv=True, default=False, tags=["mutate"])
def mutate(session: nox.Session) -> None:
    """Mutate the verdict modules one change at a time and print the mutants no test kills (-- PATH -- TESTS)."""
    sync(session, "dev")
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
    """Print the key a CI cache of .nox should use for the uv sessions (-- SESSION for one).

    Its parts are the workflow's: OS, arch, full Python version, the session's lock, requirements/nox.txt
    (the cached .nox holds the bootstrap env too) and this file."""
    osname = f"{platform.system()}-{platform.machine()}".lower()
    noxfile = hashlib.sha256(Path(__file__).read_bytes() + (REQUIREMENTS / "nox.txt").read_bytes()).hexdigest()
    for name, lock_name in {"monitor": "monitoring", "tests": "dev", "lint": "dev"}.items():
        if not session.posargs or name in session.posargs:
            key = hashlib.sha256(f"{env_key(lock_name, 'uv')}{noxfile}".encode()).hexdigest()[:24]
            print(f"{name}: nox-{name}-{osname}-py{platform.python_version()}-{key}")


if __name__ == "__main__":
    # nox.main() looks for ./noxfile.py: name this file, so `python3 ../repo/noxfile.py` runs from anywhere.
    sys.argv[1:1] = ["-f", str(Path(__file__).resolve())]
    nox.main()
