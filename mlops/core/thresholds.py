"""Conditions on a metric, written ``">= 0.5"``: the monitor's thresholds and the trainer's gate."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

CONDITION = re.compile(r"^\s*(>=|<=|==|>|<)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}  # fmt: skip


def parse(condition: str) -> tuple[str, float] | None:
    """``(operator, limit)``, or None for anything that is not a condition like ``>= 0.5``."""
    match = CONDITION.match(condition)
    return (match[1], float(match[2])) if match else None


def holds(value: float, condition: str) -> bool:
    parsed = parse(condition)
    if parsed is None:
        raise ValueError(f"{condition!r} is not a condition like '>= 0.5'")
    return OPERATORS[parsed[0]](value, parsed[1])
