"""nox runs cut short or started side by side: the next run repairs the env, and a lock keeps runs apart.

POSIX only: a run is cut short with SIGKILL to its process group, as a CI timeout or an OOM killer
would, and a slow ``uv`` is a shell script in front of the real one.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import clean_environ, copy_repo
from tests.test_noxfile import assert_env_matches, lock_pins, nox_command, ok, run_nox

pytestmark = [
    pytest.mark.nox,
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="kills process groups and runs a shell script"),
]


def start_nox(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """nox in its own process group, so that a kill takes its installers down with it."""
    return subprocess.Popen(
        nox_command(repo, *args),
        cwd=repo,
        env=env or clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def dists(env: Path) -> list[Path]:
    return list(env.glob("lib/python3*/site-packages/*.dist-info"))


def assert_env_valid(repo: Path) -> None:
    """The env holds the lock's packages and carries the noxfile's stamp, so the next run installs nothing."""
    assert_env_matches(repo)
    assert (repo / ".nox" / "monitor" / "mlops-env.json").is_file()
    assert "nothing to install" in ok(run_nox(repo, "-s", "monitor"))


def report(output: str) -> None:
    assert "MON301" in output and "healthy" in output, output


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("races") / "repo")


HALF = len(lock_pins(Path(__file__).parents[1] / "requirements" / "monitoring.txt")) // 2


@pytest.mark.parametrize(
    "reached",
    [
        pytest.param(lambda env: env.exists(), id="creating-the-env"),  # nox's own `uv venv`
        pytest.param(lambda env: bool(dists(env)), id="installer-started"),
        pytest.param(lambda env: len(dists(env)) >= HALF, id="half-installed"),
    ],
)
def test_run_killed_mid_build_is_repaired_by_the_next(repo: Path, reached: Callable[[Path], bool]) -> None:
    env = repo / ".nox" / "monitor"
    shutil.rmtree(env, ignore_errors=True)
    run = start_nox(repo, "-s", "monitor")
    deadline = time.monotonic() + 600
    while run.poll() is None and not reached(env) and time.monotonic() < deadline:
        time.sleep(0)  # yield, but poll tightly: `uv venv` writes its pyvenv.cfg within a millisecond
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    output = run.communicate()[0]
    assert run.returncode == -signal.SIGKILL, f"the run ended before it was killed:\n{output}"
    assert not (env / "mlops-env.json").exists()
    left = dists(env)

    output = ok(run_nox(repo, "-s", "monitor"))
    report(output)
    if left:
        assert "rebuilding" in output
    assert_env_valid(repo)


def slow_uv(folder: Path, env: Path) -> Path:
    """The real uv behind a script that makes two first creations of ``env`` overlap the worst way.

    The first ``uv venv`` waits a second, so that a second run also finds no env; the second waits
    until the first run's installer is writing into the env, then runs (``--clear``: it empties it).
    With a lock around creation, the second run never gets that far: it waits, then reuses the env.
    """
    from uv import find_uv_bin

    gate = folder / "first-venv"
    script = folder / "uv"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = venv ]; then\n'
        f"  if mkdir {shlex.quote(str(gate))} 2>/dev/null; then sleep 1; else\n"
        "    i=0\n"
        f"    while [ $i -lt 500 ] && ! ls {shlex.quote(str(env))}/lib/python3*/site-packages/*.dist-info"
        " >/dev/null 2>&1; do sleep 0.02; i=$((i+1)); done\n"
        "  fi\n"
        "fi\n"
        f'exec {shlex.quote(find_uv_bin())} "$@"\n'
    )
    script.chmod(0o755)
    return script


def test_two_first_runs_at_once_both_succeed(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo")
    uv = slow_uv(tmp_path, repo / ".nox" / "monitor")
    runs = [start_nox(repo, "-s", "monitor", env={**clean_environ(), "UV": str(uv)}) for _ in range(2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
        report(output)
    # One built the env; the other waited for it and found it built: a lock, not luck.
    assert sorted("nothing to install" in output for output in outputs) == [False, True], outputs
    assert_env_valid(repo)
