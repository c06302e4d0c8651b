"""Conditions like ``">= 0.5"``: the parser, ``holds()``, and the two verdicts built on them.

MON309 (the serving version's run metrics) and the trainer's gate (register or not) both judge a
metric with :func:`mlops.core.thresholds.holds`. Every operator is tried just below, exactly at and
just above its limit, with positive, negative and exponent limits: an operator read the wrong way
(``>`` as ``>=``, or as ``<``) changes at least one row. ``python -m tools.mutate
mlops/core/thresholds.py`` runs this file against every mutant of the module.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops.core import thresholds
from mlops.core.config import ConfigError
from mlops.training import config as training_config
from mlops.training.pipeline import gate_passes
from tests.conftest import EXAMPLE, EXAMPLE_CONFIG, Outcome, report

RunMonitor = Callable[..., Outcome]

TRUTH = {
    ">=": (False, True, True), ">": (False, False, True), "<=": (True, True, False), "<": (True, False, False),
    "==": (False, True, False),
}  # fmt: skip
"""Per operator: does it hold just below, exactly at, and just above the limit?"""
LIMITS = {
    "0.5": (0.4, 0.5, 0.6), "-0.5": (-0.6, -0.5, -0.4), "1e-3": (0.0009, 0.001, 0.0011),
    "-2.5E+2": (-251.0, -250.0, -249.0),
}  # fmt: skip
"""A limit as written, and a value just below it, at it, and just above it."""
ROWS = [
    (f"{op} {limit}", value, holds)
    for op, truth in TRUTH.items()
    for limit, values in LIMITS.items()
    for value, holds in zip(values, truth, strict=True)
]


def row_id(row: tuple[str, float, bool]) -> str:
    return f"{row[1]!r} {row[0]} is {row[2]}"


@pytest.mark.parametrize(("condition", "value", "expected"), ROWS, ids=[row_id(r) for r in ROWS])
def test_holds_below_at_and_above_every_limit(condition: str, value: float, expected: bool) -> None:
    assert thresholds.holds(value, condition) is expected


@pytest.mark.parametrize(
    ("condition", "parsed"),
    [
        (">= 0.5", (">=", 0.5)),
        ("> 0", (">", 0.0)),
        ("<= 1e-3", ("<=", 0.001)),
        ("< -0.5", ("<", -0.5)),
        ("== 3", ("==", 3.0)),
        ("  >=-2.5E+2  ", (">=", -250.0)),
        (">=0.5", (">=", 0.5)),
        ("< +.5", ("<", 0.5)),
        ("> 5.", (">", 5.0)),
        ("<= 1E3", ("<=", 1000.0)),
    ],
)
def test_parse_reads_the_operator_and_the_limit(condition: str, parsed: tuple[str, float]) -> None:
    assert thresholds.parse(condition) == parsed


@pytest.mark.parametrize(
    "condition",
    [
        "", "0.5", ">=", "=> 0.5", "=< 0.5", "!= 0.5", "= 0.5", ">> 0.5", ">= 0.5 0.6", ">= 0.5x", ">= 1,5",
        ">= e3", ">= 1e", ">= nan", "> inf", "< -inf", ">= 1e999", "<= -1e400", "> 0x10", ">= ½",
    ],
)  # fmt: skip
def test_parse_refuses_anything_else_and_holds_names_it(condition: str) -> None:
    """A limit that is not a finite number is refused when the config is read: ``> 1e999`` (infinity)
    would hold for nothing, ``<= 1e999`` for every value, a threshold that is silently no threshold."""
    assert thresholds.parse(condition) is None
    with pytest.raises(ValueError, match=r"is not a condition like '>= 0.5'") as raised:
        thresholds.holds(0.5, condition)
    assert repr(condition) in str(raised.value)


@pytest.mark.parametrize("condition", [f"{op} 0.5" for op in TRUTH])
def test_a_nan_metric_meets_no_threshold(condition: str) -> None:
    assert thresholds.holds(math.nan, condition) is False


# --- the training gate -------------------------------------------------------------------------


@pytest.mark.parametrize(("condition", "value", "expected"), ROWS, ids=[row_id(r) for r in ROWS])
def test_the_training_gate_registers_only_what_meets_it(condition: str, value: float, expected: bool) -> None:
    passes, failures = gate_passes({"metrics/mAP50B": condition}, {"metrics/mAP50B": value})
    assert passes is expected
    assert failures == ([] if expected else [f"metrics/mAP50B = {value} fails {condition}"])


def test_the_training_gate_fails_a_missing_or_nan_metric() -> None:
    gate = {"metrics/mAP50B": ">= 0.5", "metrics/recallB": "<= 1e-3"}
    assert gate_passes(gate, {"metrics/mAP50B": 0.6, "metrics/recallB": math.nan}) == (
        False, ["metrics/recallB = nan fails <= 1e-3"],
    )  # fmt: skip
    assert gate_passes(gate, {"metrics/mAP50B": 0.6}) == (False, ["metrics/recallB = None fails <= 1e-3"])


@pytest.mark.parametrize("condition", [">= 1e999", "< -1e400", ">= nan"])
def test_the_training_config_refuses_a_limit_that_is_not_finite(tmp_path: Path, condition: str) -> None:
    with pytest.raises(ConfigError, match=r"mlflow\.gate\.m: .* is not a condition like '>= 0.5'"):
        training_config.load(None, env={}, overrides={"mlflow.gate": {"m": condition}}, cwd=tmp_path)


# --- MON309, through the monitor on a real MLflow file store ----------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The bundled store, with one metric per table row logged on every run (the served one included)."""
    store = tmp_path / "mlruns"
    shutil.copytree(EXAMPLE / "mlruns", store)
    runs = sorted(store.glob("*/*/metrics"))
    assert runs
    for metrics in runs:
        for n, (_, value, _) in enumerate(ROWS):
            (metrics / f"row{n:02d}").write_text(f"1791536340000 {value!r} 0\n", encoding="utf-8")
    return store


def mon309(run_monitor: RunMonitor, workspace: Path, store: Path, conditions: dict[str, str]) -> list[dict[str, str]]:
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", store.as_uri(),
        "--select", "MON309", "--format", "json", "--set", f"mlflow.metrics={json.dumps(conditions)}",
    )  # fmt: skip
    assert "Traceback" not in outcome.text
    return [f for f in report(outcome)["findings"] if f["check"] == "MON309"]


def test_mon309_judges_every_row_of_the_table(run_monitor: RunMonitor, workspace: Path, store: Path) -> None:
    """One run judges the whole table: an error for exactly the rows that do not hold, each named."""
    conditions = {f"row{n:02d}": condition for n, (condition, _, _) in enumerate(ROWS)}
    findings = mon309(run_monitor, workspace, store, conditions)
    failing = {f"row{n:02d}" for n, (_, _, holds) in enumerate(ROWS) if not holds}
    assert {f["subject"] for f in findings} == failing
    assert {f["severity"] for f in findings} == {"error"}
    row = next(n for n, (condition, value, holds) in enumerate(ROWS) if condition == "> -0.5" and value == -0.5)
    assert any(f"row{row:02d} = -0.5 fails > -0.5" in f["message"] for f in findings)


def test_mon309_is_ok_when_every_row_that_holds_is_judged(
    run_monitor: RunMonitor, workspace: Path, store: Path
) -> None:
    conditions = {f"row{n:02d}": condition for n, (condition, _, holds) in enumerate(ROWS) if holds}
    (finding,) = mon309(run_monitor, workspace, store, conditions)
    assert finding["severity"] == "ok"
    row = next(n for n, (condition, value, _) in enumerate(ROWS) if condition == "<= 1e-3" and value == 0.001)
    assert f"row{row:02d} = 0.001 <= 1e-3" in finding["message"]


@pytest.mark.parametrize("condition", [">= 1e999", "< -1e400", ">= nan"])
def test_the_monitor_config_refuses_a_limit_that_is_not_finite(
    run_monitor: RunMonitor, workspace: Path, condition: str
) -> None:
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--set", f"mlflow.metrics={json.dumps({'m': condition})}"
    )
    assert outcome.code == 2
    assert "mlflow.metrics.m" in outcome.err and "is not a condition like '>= 0.5'" in outcome.err


@pytest.mark.parametrize(
    "value",
    [["metrics/mAP50-95B", ">= 0.5"], {"metrics/mAP50-95B": 0.5}, {1: ">= 0.5"}, ">= 0.5"],
    ids=["a-list", "a-number-not-a-condition", "a-number-as-name", "a-bare-condition"],
)
def test_a_threshold_map_of_the_wrong_shape_is_refused_naming_the_key(value: object) -> None:
    """The monitor's mlflow.metrics and the trainer's mlflow.gate share this check: a config error, never a
    crash later (a number where a condition belongs would fail MON309 or the gate mid-run)."""
    with pytest.raises(ConfigError, match=r"^cfg.yaml: 'mlflow.gate' must map metric names to conditions"):
        thresholds.mapping("mlflow.gate", value, "cfg.yaml", Path())
    assert thresholds.mapping("mlflow.gate", {"m": ">= 0.5"}, "cfg.yaml", Path()) == {"m": ">= 0.5"}
