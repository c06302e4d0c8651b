"""The seed's "before": the full training set (requirements/full.txt) into a fresh env, behind ``--full``.

Gigabytes and minutes per run: ``--full-repeat`` fresh installs (default: ``--repeat``), each from an
empty pip cache, so there is nothing for a warm-up round to warm.
pip installs it, as ``nox -s train`` does (uv would fetch the CUDA build of torch, ignoring a
machine's own wheel mirror).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator

from benchmarks.harness import Row, Workdir, du, run


def rows(work: Workdir, repeat: int) -> Iterator[Row]:
    lock = str(work.repo / "requirements" / "full.txt")
    venv = work.root / "full-venv"
    times = []
    for _ in range(repeat):
        shutil.rmtree(venv, ignore_errors=True)
        env = {**work.env, **work.cache("full", fresh=True)}
        python = str(venv / "bin" / "python")
        install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "-r", lock]
        steps = ([sys.executable, "-m", "venv", str(venv)], install)
        times.append(sum(run(step, cwd=work.repo, env=env).seconds for step in steps))
    name = "**before**: fresh venv + `pip install -r requirements/full.txt` (empty pip cache)"
    yield Row(name, tuple(times), key="full")
    yield Row("full env on disk", (du(venv),), unit="MB", key="full-env")
    shutil.rmtree(venv)
    dest = work.root / "full-wheels"
    pip = getattr(sys, "_base_executable", sys.executable)  # uv envs carry no pip
    command = [pip, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check"]
    run([*command, "-r", lock, "-d", str(dest)], cwd=work.repo, env={**work.env, **work.cache("full-dl", fresh=True)})
    yield Row("download size of requirements/full.txt (wheels for this platform)", (du(dest),), unit="MB")
    shutil.rmtree(dest)
