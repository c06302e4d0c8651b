"""Conditions on a metric, written ``">= 0.5"``: the monitor's thresholds and the trainer's gate."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops.core.config import ConfigError, kind

CONDITION = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}  # fmt: skip


def parse(condition: str) -> tuple[str, float] | None:
    """``(operator, limit)``, or None for anything that is not a condition like ``>= 0.5``.

    A limit too large for a float (``1e999``) is None too: as infinity, ``<= 1e999`` would hold for
    every value and ``> 1e999`` for none, a threshold that silently judges nothing.
    """
    match = CONDITION.match(condition)
    if match is None or not math.isfinite(limit := float(match[2])):
        return None
    return match[1], limit


def holds(value: float, condition: str) -> bool:
    parsed = parse(condition)
    if parsed is None:
        raise ValueError(f"{condition!r} is not a condition like '>= 0.5'")
    return OPERATORS[parsed[0]](value, parsed[1])


def mapping(key: str, value: Any, where: str, base: Path) -> dict[str, str]:
    """A config key mapping metric names to conditions (the monitor's ``mlflow.metrics``, the trainer's
    ``mlflow.gate``), checked as :class:`~mlops.core.config.Spec` checks its special keys."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ConfigError(f"{where}: {key!r} must map metric names to conditions like '>= 0.5', got {kind(value)}")
    for name, condition in value.items():
        if parse(condition) is None:
            raise ConfigError(f"{where}: {key}.{name[:40]}: {kind(condition)} is not a condition like '>= 0.5'")
    return {str(k): str(v) for k, v in value.items()}
