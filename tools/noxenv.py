"""Session envs that match their lock file exactly, and are reused while they do (``noxfile.py``).

:func:`sync` keeps a stamp in each env: the hash of its inputs (lock bytes, backend, install
arguments; :func:`env_key`), the interpreter, and the env's file list (:func:`inventory`). The
decision it takes from them is :func:`plan`, a pure function. Runs on one checkout take turns, env
by env: :class:`LockedVirtualEnv`. Imports only the standard library and nox: it runs in nox's own
process, whose env holds nothing else (``requirements/nox.txt``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import re
import shutil
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Literal

import nox.virtualenv

STAMP = "mlops-env.json"
INSTALL_ARGS = {"uv": ("--require-hashes",), "virtualenv": ("--require-hashes", "--no-deps")}
"""Install arguments per backend; part of each env's key, so changing them resyncs."""
PRECOMPILE = {"monitoring": ("yaml", "dotenv")}
"""Packages whose bytecode is compiled at sync time, per lock: the ones the warm monitor imports
(dotenv when a ``.env`` exists). Compiling everything would double the slim env on disk for modules
that never load."""
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
PYTHON = "python.exe" if os.name == "nt" else "python"
LOCKED_BACKENDS = ("uv", "virtualenv", "venv")

Plan = Literal["reuse", "sync", "rebuild"]


def interpreter_id() -> str:
    """What an env is built on: changing it means rebuilding, not syncing (the noxfile's bootstrap() keys
    nox's own env on the same string, computed there because this module needs nox)."""
    return f"{platform.python_implementation()}-{platform.python_version()}-{sys.base_prefix}"


def env_key(lock: Path, backend: str) -> str:
    """Hash of everything an env's content depends on besides the interpreter."""
    digest = hashlib.sha256(lock.read_bytes())
    digest.update(json.dumps([backend, INSTALL_ARGS.get(backend), PRECOMPILE.get(lock.stem)]).encode())
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


# --- the decision -----------------------------------------------------------------------------


def plan(
    *,
    created: bool,
    stamp: Mapping[str, object] | None,
    now: Mapping[str, str],
    packages: Collection[str],
    backend: str,
) -> Plan:
    """Reuse the env, sync it in place, or rebuild it, from plain facts about it.

    ``created``: nox's creation finished (``pyvenv.cfg`` and the interpreter are there; nox reuses a
    folder whose creation was cut short). ``stamp``: what the last sync wrote (``None``: none, or
    unreadable). ``now``: the same keys (``interpreter``, ``key``, ``inventory``) for the env as it is.
    ``packages``: the distributions installed. An env is synced in place only when nothing but its lock
    changed and the backend removes what a lock drops (uv); or when nox has just created it.
    """
    if not created:
        return "rebuild"
    if stamp is not None and all(stamp.get(k) == v for k, v in now.items()):
        return "reuse"
    if stamp is None:  # never synced, or an install was cut short (it removes the stamp first)
        return "rebuild" if set(packages) - SEED_PACKAGES else "sync"
    same_env = stamp.get("inventory") == now["inventory"] and stamp.get("interpreter") == now["interpreter"]
    return "sync" if same_env and backend == "uv" else "rebuild"


def read_stamp(path: Path) -> dict[str, object] | None:
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


# --- one run at a time per env ----------------------------------------------------------------

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
    reuses it.
    """

    def create(self) -> bool:
        hold_env_lock(Path(self.location))
        return super().create()


def lock_env_creation() -> None:
    """Have nox build its virtualenv, venv and uv envs as :class:`LockedVirtualEnv`.

    nox has no public hook that runs before an env is created (wntrblm/nox#751 asks for one). It builds
    envs from the classes in ``nox.virtualenv.ALL_VENVS`` (in that module's ``__all__``, the table
    behind ``--force-venv-backend``, not in nox's documented API); registering the subclass there is the
    one way short of patching nox's session runner or giving up its env handling (``python=False``).
    Hence nox's upper bound in requirements/nox.in and the noxfile's header, and a test of the
    integration (tests/tools/test_noxenv.py) that a new nox must pass before the bound moves.
    """
    for backend in LOCKED_BACKENDS:
        nox.virtualenv.ALL_VENVS[backend] = functools.partial(LockedVirtualEnv, venv_backend=backend)


# --- the one helper every session goes through ------------------------------------------------


def sync(session: nox.Session, lock: Path) -> None:
    """Make the session's env match ``lock`` exactly, or run no installer (the cases: :func:`plan`).

    Reused when the lock bytes, interpreter, backend and install arguments are unchanged and the
    env's files are as the last sync left them; synced in place when only the lock changed (uv);
    rebuilt when the interpreter changed, the env was modified by hand, or its creation or install was
    cut short.
    """
    venv = session.virtualenv
    if not isinstance(venv, nox.virtualenv.VirtualEnv):
        session.error("sync needs a virtualenv or uv env")
    location, backend = Path(venv.location), venv.venv_backend
    stamp_path = location / STAMP
    want = {"interpreter": interpreter_id(), "key": env_key(lock, backend)}
    with env_lock(location):
        step = plan(
            created=(location / "pyvenv.cfg").is_file() and Path(venv.bin, PYTHON).exists(),
            stamp=read_stamp(stamp_path),
            now={**want, "inventory": inventory(location)},
            packages=installed(location),
            backend=backend,
        )
        if step == "reuse":
            session.log(f"env matches {lock.name} ({want['key'][:12]}): nothing to install")
            return
        if step == "rebuild":
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
        packages = [site_packages(location) / name for name in PRECOMPILE.get(lock.stem, ())]
        if packages:
            session.run("python", "-m", "compileall", "-q", *map(str, packages), silent=True)
        stamp_path.write_text(json.dumps({**want, "inventory": inventory(location)}))
        session.log(f"env synced to {lock.name} ({want['key'][:12]})")
