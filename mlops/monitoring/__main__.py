"""``python -m mlops.monitoring``: SIGINT and SIGTERM exit 130, without a traceback, from the first line.

:func:`~mlops.monitoring.cli.main` handles them while it runs; this covers the imports before it.
"""

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _interrupted)
try:
    from mlops.monitoring.cli import main
except KeyboardInterrupt:
    sys.stderr.write("mlops monitor: interrupted; no report was written\n")
    raise SystemExit(130) from None

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:  # `--list-checks | head`: the reader left early; Python's documented way out
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
raise SystemExit(code)
