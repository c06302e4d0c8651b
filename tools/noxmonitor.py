"""The ``monitor`` session's command, run as its users run it (``noxfile.py``).

Apart from :mod:`tools.noxenv` because it shapes no env: a change here needs no new CI cache of
``.nox``. Runs in nox's own process; imports ``mlops.core.redact`` (standard library only) when it
echoes a command, from the checkout the noxfile put on ``sys.path``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

import nox

from tools.noxenv import PYTHON

ROOT = Path(__file__).resolve().parents[1]
EXIT_MEANINGS = {1: "findings", 2: "usage or configuration error", 3: "internal error", 130: "interrupted"}


def shown_command(args: list[str]) -> str:
    """The command line as nox echoes it, with URI passwords and secret variables' values hidden."""
    from mlops.core.redact import hide_userinfo, scrub, secrets_in

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
