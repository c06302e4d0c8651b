"""tools/noxenv.py on its own: the sync decision row by row, the key and stamp formats, and nox's seam.

The sessions that use it are driven as real nox subprocesses in tests/test_noxfile.py and
tests/test_noxfile_races.py; here each part is called directly, on plain values or a real nox.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import itertools
import re
import subprocess
import sys
from pathlib import Path

import nox.virtualenv
import pytest
from packaging.specifiers import SpecifierSet

from tests.conftest import ROOT
from tools import noxenv

NOW = {"interpreter": "CPython-3.11.9-/usr", "key": "lock-a", "inventory": "files-a"}
INSTALLED = {"pyyaml": "6.0.2", "pip": "25.1"}
SEEDS_ONLY = {"pip": "25.1", "setuptools": "80.0", "wheel": "0.45"}


@pytest.mark.parametrize(
    ("created", "stamp", "packages", "backend", "expected"),
    [
        pytest.param(True, NOW, INSTALLED, "uv", "reuse", id="unchanged"),
        pytest.param(True, NOW, INSTALLED, "virtualenv", "reuse", id="unchanged-pip"),
        pytest.param(True, {**NOW, "written_by": "a later version"}, INSTALLED, "uv", "reuse", id="extra-stamp-keys"),
        pytest.param(False, None, {}, "uv", "rebuild", id="creation-cut-short"),
        pytest.param(False, NOW, INSTALLED, "uv", "rebuild", id="interpreter-gone-though-stamped"),
        pytest.param(True, None, {}, "uv", "sync", id="just-created"),
        pytest.param(True, None, SEEDS_ONLY, "virtualenv", "sync", id="just-created-with-seed-packages"),
        pytest.param(True, None, INSTALLED, "uv", "rebuild", id="install-cut-short-or-unstamped"),
        pytest.param(True, {**NOW, "key": "lock-b"}, INSTALLED, "uv", "sync", id="lock-changed"),
        pytest.param(True, {**NOW, "key": "lock-b"}, INSTALLED, "virtualenv", "rebuild", id="lock-changed-pip"),
        pytest.param(True, {**NOW, "inventory": "files-b"}, INSTALLED, "uv", "rebuild", id="files-changed"),
        pytest.param(
            True, {**NOW, "inventory": "files-b", "key": "lock-b"}, INSTALLED, "uv", "rebuild", id="files-and-lock"
        ),
        pytest.param(True, {**NOW, "interpreter": "CPython-3.11.8-/usr"}, INSTALLED, "uv", "rebuild", id="interpreter"),
        pytest.param(True, {"key": "lock-a", "inventory": "files-a"}, INSTALLED, "uv", "rebuild", id="partial-stamp"),
    ],
)
def test_plan(
    created: bool, stamp: dict[str, str] | None, packages: dict[str, str], backend: str, expected: str
) -> None:
    assert noxenv.plan(created=created, stamp=stamp, now=NOW, packages=packages, backend=backend) == expected


def legacy_plan(created: bool, stamp: dict[str, str] | None, packages: dict[str, str], backend: str) -> str:
    """The decision as the noxfile took it before plan(), with its five booleans, kept as the oracle."""
    want = {"interpreter": NOW["interpreter"], "key": NOW["key"]}
    intact = stamp is not None and stamp.get("inventory") == NOW["inventory"]
    if intact and stamp is not None and {k: stamp.get(k) for k in want} == want:
        return "reuse"
    fresh = stamp is None and not set(packages) - noxenv.SEED_PACKAGES
    stale = not intact or stamp is None or stamp.get("interpreter") != NOW["interpreter"] or backend != "uv"
    return "rebuild" if not created or (not fresh and stale) else "sync"


def test_plan_decides_as_the_noxfile_did_in_every_case_but_a_missing_interpreter() -> None:
    stamps = [None, NOW, *({**NOW, key: "changed"} for key in NOW)]
    for created, stamp, packages, backend in itertools.product(
        (True, False), stamps, ({}, SEEDS_ONLY, INSTALLED), ("uv", "virtualenv")
    ):
        new = noxenv.plan(created=created, stamp=stamp, now=NOW, packages=packages, backend=backend)
        old = legacy_plan(created, stamp, packages, backend)
        if not created and stamp == NOW:  # an interpreter gone, the file list intact: nox recreates such an
            # env before the session runs (its own reuse check), so through nox both end in a fresh env
            assert (old, new) == ("reuse", "rebuild")
        else:
            assert new == old, (created, stamp, packages, backend)


def test_env_key_is_the_format_stamps_already_hold(tmp_path: Path) -> None:
    """A different key for the same inputs would resync every env once and rebuild the pip-built train env."""
    lock = tmp_path / "monitoring.txt"
    lock.write_text("pyyaml==6.0.2\n")
    suffix = b'["uv", ["--require-hashes"], ["yaml", "dotenv"]]'
    assert noxenv.env_key(lock, "uv") == hashlib.sha256(lock.read_bytes() + suffix).hexdigest()
    other = tmp_path / "full.txt"
    other.write_text("pyyaml==6.0.2\n")
    suffix = b'["virtualenv", ["--require-hashes", "--no-deps"], null]'
    assert noxenv.env_key(other, "virtualenv") == hashlib.sha256(other.read_bytes() + suffix).hexdigest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"key": "k"}', {"key": "k"}),
        ("{not json", None),
        ("[]", None),  # valid JSON, not a stamp: the env is rebuilt, not a crash
        ('"key"', None),
        (None, None),
    ],
)
def test_read_stamp(tmp_path: Path, text: str | None, expected: dict[str, str] | None) -> None:
    path = tmp_path / noxenv.STAMP
    if text is not None:
        path.write_text(text)
    assert noxenv.read_stamp(path) == expected


def test_imports_only_the_standard_library_and_nox() -> None:
    """It runs in nox's own process, where the bootstrap env holds nox and its dependencies only."""
    tree = ast.parse((ROOT / "tools" / "noxenv.py").read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    tops = {name.split(".")[0] for name in names} - {"__future__"}
    assert tops - set(sys.stdlib_module_names) == {"nox"}


@pytest.fixture
def locked_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    """nox's backends as the noxfile registers them, restored afterwards."""
    for backend in noxenv.LOCKED_BACKENDS:
        monkeypatch.setitem(nox.virtualenv.ALL_VENVS, backend, nox.virtualenv.ALL_VENVS[backend])
    noxenv.lock_env_creation()


def lock_is_free(location: Path) -> bool:
    """Whether another process could take the env's lock now."""
    code = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'a')\n"
        "try: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError: sys.exit(1)\n"
    )
    lock = location.parent / f"{location.name}.lock"
    return subprocess.run([sys.executable, "-c", code, str(lock)], check=False).returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="probes the lock with fcntl")
@pytest.mark.parametrize("backend", ["uv", "virtualenv"])
def test_nox_creates_envs_under_the_env_lock(tmp_path: Path, locked_backends: None, backend: str) -> None:
    """The seam in nox that tools/noxenv.py relies on (not public API): nox builds its envs from
    ALL_VENVS, and the env's lock is held from creation on. A nox that breaks this fails here."""
    location = tmp_path / "env"
    venv = nox.virtualenv.get_virtualenv(backend, download_python="never", envdir=str(location), reuse_existing=True)
    assert isinstance(venv, noxenv.LockedVirtualEnv)
    assert venv.venv_backend == backend
    try:
        venv.create()
        assert (location / "pyvenv.cfg").is_file()
        assert not lock_is_free(location)
    finally:
        noxenv.release_env_lock(location)
    assert lock_is_free(location)


def test_noxes_pinned_stay_below_the_bound_the_noxfile_declares() -> None:
    """One upper bound for nox, in the noxfile's header and requirements/nox.in, met by both locks."""
    header = re.search(r'^# dependencies = \["nox\[uv\](.+?)"\]$', (ROOT / "noxfile.py").read_text(), re.M)
    source = re.search(r"^nox\[uv\](.+)$", (ROOT / "requirements" / "nox.in").read_text(), re.M)
    assert header is not None and source is not None
    bound = SpecifierSet(header[1])
    assert bound == SpecifierSet(source[1])
    assert any(spec.operator == "<" for spec in bound)
    for lock in ("nox.txt", "dev.txt"):
        pinned = re.search(r"^nox==(\S+)", (ROOT / "requirements" / lock).read_text(), re.M)
        assert pinned is not None and pinned[1] in bound, lock
    assert importlib.metadata.version("nox") in bound  # the nox that ran the integration test above
