"""What both command lines share: the exit codes, ``--set KEY=VALUE``, and how a failure is told.

The monitor (``python -m mlops.monitoring``) and the trainer (``python -m mlops.training``) refuse
bad input the same way: one sentence naming the file, key or URI, exit 2, no traceback, no secret.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from typing import Any

from mlops.core.config import ConfigError, safe_load, truthy


class ExitCode(enum.IntEnum):
    """The exit status of both command lines (README.md#exit-codes).

    OK: healthy (warnings allowed), or training done. FINDINGS: the monitor found something at or
    above ``--fail-on``. USAGE: bad command line, configuration or input; nothing was checked,
    registered or half-written. INTERNAL: a bug (``MLOPS_DEBUG=1`` shows its traceback).
    INTERRUPTED: SIGINT/SIGTERM.
    """

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


def parse_sets(items: Iterable[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` items as dotted keys and YAML values, as the config file would give them."""
    import yaml

    found: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"command line: --set {item[:60]!r} must look like KEY=VALUE")
        try:
            found[key] = safe_load(raw) if raw else None
        except (yaml.YAMLError, RecursionError):
            raise ConfigError(f"command line: --set {key[:80]!r}: value is not valid YAML") from None
    return found


def internal_error(exc: BaseException) -> str:
    """What a bug says: its kind, never its text (which may hold anything); ``MLOPS_DEBUG=1`` re-raises."""
    if truthy(os.environ.get("MLOPS_DEBUG")):
        raise exc
    return f"internal error ({type(exc).__name__}); rerun with MLOPS_DEBUG=1 for details"
