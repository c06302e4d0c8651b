"""nox as a real subprocess on a copy of the repository: envs are reused, never stale, and repaired.

Each test judges the env independently of the noxfile's own helpers: through the env's
interpreter and ``importlib.metadata``, against the pins read from the lock file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, clean_environ, copy_repo

pytestmark = [pytest.mark.nox, pytest.mark.slow]

INSTALLER = re.compile(r"uv pip (sync|install)|pip install|Creating virtual environment")
PIN = re.compile(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)(\s*;)?", re.M)
SEEDS = {"pip", "setuptools", "wheel"}


def nox_command(repo: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nox", "-f", str(repo / "noxfile.py"), *args]


def run_nox(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        nox_command(repo, *args),
        cwd=repo,
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def env_python(repo: Path, session: str = "monitor") -> Path:
    return repo / ".nox" / session / "bin" / "python"


def distributions(repo: Path, session: str = "monitor") -> dict[str, str]:
    """What the env really holds, asked of its own interpreter."""
    code = (
        "import importlib.metadata as m, json, re;"
        "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version for d in m.distributions()}))"
    )
    out = subprocess.run([env_python(repo, session), "-c", code], capture_output=True, text=True, check=True).stdout
    return {k: v for k, v in json.loads(out).items() if k not in SEEDS}


def lock_pins(lock: Path) -> dict[str, str]:
    """Unconditional pins of a lock (conditional ones depend on the platform)."""
    return {re.sub(r"[-_.]+", "-", m[1]).lower(): m[2] for m in PIN.finditer(lock.read_text()) if not m[3]}


def assert_env_matches(repo: Path) -> None:
    have = distributions(repo)
    want = lock_pins(repo / "requirements" / "monitoring.txt")
    assert {k: have.get(k) for k in want} == want
    all_pins = {
        re.sub(r"[-_.]+", "-", m[1]).lower() for m in PIN.finditer((repo / "requirements/monitoring.txt").read_text())
    }
    assert set(have) <= all_pins, f"not in the lock: {set(have) - all_pins}"


def compiled(requirement: str, tmp: Path) -> str:
    """Hashed lock lines for one requirement, as `nox -s lock` would write them."""
    from uv import find_uv_bin

    source = tmp / "extra.in"
    source.write_text(requirement + "\n")
    out = subprocess.run(
        [find_uv_bin(), "pip", "compile", "--quiet", "--generate-hashes", "--no-header", "--universal", str(source)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "\n".join(line for line in out.splitlines() if not line.lstrip().startswith("#")) + "\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository whose monitor env was built once, cold."""
    dst = copy_repo(tmp_path_factory.mktemp("nox") / "repo")
    output = ok(run_nox(dst, "-s", "monitor"))
    assert "uv pip sync" in output
    return dst


@pytest.fixture
def lockfile(repo: Path) -> Iterator[Path]:
    """The copy's monitoring lock, restored (and the env resynced) after the test."""
    path = repo / "requirements" / "monitoring.txt"
    original = path.read_bytes()
    yield path
    path.write_bytes(original)
    ok(run_nox(repo, "-s", "monitor"))


def test_warm_run_reuses_the_env_and_runs_no_installer(repo: Path) -> None:
    stamp = repo / ".nox" / "monitor" / "mlops-env.json"
    before = stamp.stat().st_mtime_ns
    output = ok(run_nox(repo, "-s", "monitor"))
    assert "nothing to install" in output
    assert not INSTALLER.search(output), output
    assert stamp.stat().st_mtime_ns == before
    assert "MON301" in output and "healthy" in output
    assert_env_matches(repo)


def test_posargs_reach_the_monitor(repo: Path) -> None:
    result = run_nox(repo, "-s", "monitor", "--", "--example", "--format", "json", "--fail-on", "warning")
    assert result.returncode == 1  # the example has warnings
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["schema"] == "mlops.report" and report["status"] == "failed"


def test_added_repinned_and_removed_packages_follow_the_lock(repo: Path, lockfile: Path, tmp_path: Path) -> None:
    original = lockfile.read_text()
    lockfile.write_text(original + compiled("six==1.16.0", tmp_path))
    assert "uv pip sync" in ok(run_nox(repo, "-s", "monitor"))
    assert distributions(repo)["six"] == "1.16.0"

    lockfile.write_text(original + compiled("six==1.17.0", tmp_path))
    ok(run_nox(repo, "-s", "monitor"))
    assert distributions(repo)["six"] == "1.17.0"

    lockfile.write_text(original)
    ok(run_nox(repo, "-s", "monitor"))
    assert "six" not in distributions(repo)
    assert_env_matches(repo)


def test_stale_env_is_refused_under_no_install(repo: Path, lockfile: Path, tmp_path: Path) -> None:
    lockfile.write_text(lockfile.read_text() + compiled("six==1.16.0", tmp_path))
    result = run_nox(repo, "-R", "-s", "monitor")
    assert result.returncode != 0
    assert "--no-install" in result.stdout + result.stderr
    assert "six" not in distributions(repo)


def test_hand_installed_package_is_removed(repo: Path) -> None:
    from uv import find_uv_bin

    subprocess.run(
        [find_uv_bin(), "pip", "install", "--quiet", "--python", str(env_python(repo)), "six"],
        check=True,
        capture_output=True,
    )
    assert "six" in distributions(repo)
    output = ok(run_nox(repo, "-s", "monitor"))
    assert "rebuilding" in output
    assert "six" not in distributions(repo)
    assert_env_matches(repo)


def uninstall_by_hand(env: Path) -> None:
    from uv import find_uv_bin

    command = [find_uv_bin(), "pip", "uninstall", "--quiet", "--python", str(env / "bin" / "python"), "pyyaml"]
    subprocess.run(command, check=True, capture_output=True)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda env: next(env.glob("lib/python3*/site-packages/yaml/__init__.py")).unlink(), id="deleted-file"
        ),
        pytest.param(
            lambda env: next(env.glob("lib/python3*/site-packages")).joinpath("extra.pth").write_text("import os\n"),
            id="added-file",  # a .pth file runs code at every start, and belongs to no package
        ),
        pytest.param(uninstall_by_hand, id="uninstalled-package"),
        pytest.param(lambda env: (env / "mlops-env.json").unlink(), id="interrupted-install"),
        pytest.param(lambda env: (env / "pyvenv.cfg").unlink(), id="interrupted-creation"),  # uv will not --clear it
        pytest.param(lambda env: (env / "mlops-env.json").write_text("{not json"), id="corrupt-stamp"),
        pytest.param(lambda env: (env / "mlops-env.json").write_text("[]"), id="stamp-not-an-object"),
    ],
)
def test_damaged_env_is_rebuilt(repo: Path, damage: object) -> None:
    assert callable(damage)
    damage(repo / ".nox" / "monitor")
    output = ok(run_nox(repo, "-s", "monitor"))
    assert "rebuilding" in output
    assert "healthy" in output
    assert_env_matches(repo)
    assert not any((repo / ".nox" / "monitor").glob("lib/python3*/site-packages/extra.pth"))
    assert "nothing to install" in ok(run_nox(repo, "-s", "monitor"))


def test_deleted_env_is_recreated(repo: Path) -> None:
    shutil.rmtree(repo / ".nox" / "monitor")
    ok(run_nox(repo, "-s", "monitor"))
    assert_env_matches(repo)


def test_cache_key_follows_the_lock(repo: Path, lockfile: Path) -> None:
    first = ok(run_nox(repo, "-s", "cache-key"))
    keys = dict(line.split(": ", 1) for line in first.splitlines() if line.startswith(("monitor:", "tests:", "lint:")))
    assert set(keys) == {"monitor", "tests", "lint"}
    assert ok(run_nox(repo, "-s", "cache-key", "--", "monitor")).count("monitor: ") == 1
    lockfile.write_text(lockfile.read_text() + "\n# a comment changes the bytes\n")
    second = ok(run_nox(repo, "-s", "cache-key"))
    assert f"monitor: {keys['monitor']}" not in second
    assert f"tests: {keys['tests']}" in second
    # The cached .nox holds the bootstrap env as well, and is shaped by the code that syncs it.
    for path in (repo / "requirements" / "nox.txt", repo / "tools" / "noxenv.py"):
        original = path.read_text()
        path.write_text(original + "\n# a comment changes the bytes\n")
        try:
            third = ok(run_nox(repo, "-s", "cache-key"))
        finally:
            path.write_text(original)
        assert f"tests: {keys['tests']}" not in third, path


def test_monitor_env_holds_and_imports_nothing_heavy(repo: Path) -> None:
    heavy = ("torch", "torchvision", "ultralytics", "cv2", "numpy", "pandas", "scipy", "evidently", "mlflow")
    code = (
        "import sys, json, contextlib, io\n"
        "from mlops.monitoring.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): code = main(['--example'])\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n"
    )
    out = subprocess.run([env_python(repo), "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["code"] == 0
    imported = {m.split(".")[0] for m in result["modules"]}
    assert not imported & {*heavy, "opencv"}, imported & set(heavy)
    assert "mlops.training" not in result["modules"]
    assert not imported & {"obstore", "asyncio"}, "a local workspace never loads the object-storage client"
    assert "mlops.core.storage" not in result["modules"], "nor this project's side of it"
    installed = set(distributions(repo))
    forbidden = {"torch", "torchvision", "ultralytics", "opencv-python", "numpy", "pandas", "scipy", "evidently"}
    assert not installed & (forbidden | {"whylogs", "great-expectations", "dvc"})


def test_monitor_env_fits_the_seeds_budget_on_disk(repo: Path) -> None:
    """The seed's "after" bound: the slim env, object-storage client included, holds at most 100 MB."""
    folder = repo / ".nox" / "monitor"
    size = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    assert "obstore" in set(distributions(repo))
    assert size <= 100 * 10**6, f"{folder} holds {size / 1e6:.1f} MB"


def test_pip_fallback_builds_the_same_env_and_drops_removed_packages(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    output = ok(run_nox(repo, "--force-venv-backend", "virtualenv", "-s", "monitor"))
    assert "pip install" in output and "healthy" in output
    assert_env_matches(repo)
    assert "nothing to install" in ok(run_nox(repo, "--force-venv-backend", "virtualenv", "-s", "monitor"))

    lock = repo / "requirements" / "monitoring.txt"
    original = lock.read_text()
    lock.write_text(original + compiled("six==1.16.0", tmp_path))
    ok(run_nox(repo, "--force-venv-backend", "virtualenv", "-s", "monitor"))
    assert distributions(repo)["six"] == "1.16.0"
    lock.write_text(original)
    ok(run_nox(repo, "--force-venv-backend", "virtualenv", "-s", "monitor"))
    assert "six" not in distributions(repo)


def test_noxfile_bootstraps_nox_where_it_is_not_installed(tmp_path: Path) -> None:
    """`python noxfile.py` is the Quick start: it must work with a Python that has no nox."""
    base = getattr(sys, "_base_executable", sys.executable)
    probe = subprocess.run([base, "-c", "import nox"], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("the base interpreter has nox installed; nothing to bootstrap")
    repo = copy_repo(tmp_path / "repo")
    result = subprocess.run(
        [base, "noxfile.py", "--list"], cwd=repo, env=clean_environ(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "* monitor" in result.stdout
    assert (repo / ".nox" / "_bootstrap").is_dir()


@pytest.mark.parametrize("launcher", ["python noxfile.py", "python -m nox -f noxfile.py"])
def test_noxfile_finds_its_helpers_from_any_folder(tmp_path: Path, launcher: str) -> None:
    """nox loads the noxfile without its folder on sys.path: tools/noxenv.py comes from beside it, never
    from a ``tools`` package in the folder the user started from."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "tools").mkdir(parents=True)
    (elsewhere / "tools" / "__init__.py").write_text("raise ImportError('a tools package of the user')\n")
    noxfile = str(ROOT / "noxfile.py")
    command = [sys.executable, noxfile] if launcher == "python noxfile.py" else nox_command(ROOT)
    result = subprocess.run(
        [*command, "--list"], cwd=elsewhere, env=clean_environ(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "* monitor" in result.stdout and "cache-key" in result.stdout


def walked(location: Path) -> str:
    """The inventory as the first stamps were written: ``os.walk``, sorted, ``__pycache__`` and stamps left out."""
    import hashlib
    import os

    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(location):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        rel = os.path.relpath(folder, location)
        for name in sorted(files):
            if name != "mlops-env.json":
                digest.update(f"{rel}/{name}\n".encode())
    return digest.hexdigest()


def test_inventory_matches_the_stamps_already_written(tmp_path: Path) -> None:
    """A different hash for the same env would rebuild every user's envs once, the train env's GBs included."""
    from tools import noxenv as module

    env = tmp_path / "env"
    for name in (
        "bin/python",
        "lib/python3.11/site-packages/a/__init__.py",
        "lib/python3.11/site-packages/a-1.dist-info/RECORD",
        "lib/python3.11/site-packages/a/__pycache__/x.pyc",
        "mlops-env.json",
        "lib/mlops-env.json",
        "pyvenv.cfg",
        "b/c/d/e.txt",
    ):
        (env / name).parent.mkdir(parents=True, exist_ok=True)
        (env / name).write_text("x")
    (env / "lib64").symlink_to(env / "lib")  # a link to a folder: named by neither walk
    (env / "bin" / "python3").symlink_to(env / "bin" / "python")
    (env / "bin" / "gone").symlink_to(env / "nowhere")
    before = module.inventory(env)
    assert before == walked(env)
    (env / "lib/python3.11/site-packages/extra.pth").write_text("")
    assert module.inventory(env) == walked(env) != before
    (env / "lib/python3.11/site-packages/extra.pth").unlink()
    (env / "lib/python3.11/site-packages/a/__pycache__/y.pyc").write_text("")
    assert module.inventory(env) == before  # bytecode written at run time is not a change
    (env / "b/c/d/e.txt").unlink()
    assert module.inventory(env) == walked(env) != before
