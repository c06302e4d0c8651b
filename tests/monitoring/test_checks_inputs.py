"""The inputs checks name: computed once, only when a selected check needs them, and 'skipped' for them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring import drift as drift_module
from mlops.monitoring.checks import compute_check, run_checks, selected_checks
from mlops.monitoring.checks.base import REGISTRY, Result, Unavailable, check
from mlops.monitoring.checks.inputs import GIVEN, PROVIDERS, Inputs, known, needs
from mlops.monitoring.config import Config, MlflowConfig, load_config
from mlops.monitoring.mlflow.base import Answer, State
from mlops.monitoring.results import Severity
from mlops.monitoring.workspace import load_workspace
from tests.conftest import EXAMPLE_CONFIG, ROOT

NOW = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


def example(workspace: Path, **overrides: Any) -> Config:
    return load_config(EXAMPLE_CONFIG, env={}, overrides={"workspace": str(workspace), **overrides}, cwd=workspace)


class CountingGatherer:
    """A gatherer that answers like a server with nothing registered, and counts how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, config: MlflowConfig) -> State:
        self.calls += 1
        return State(uri="http://127.0.0.1:1", backend="rest", server=Answer(value="3.0"))


def test_every_input_is_documented_and_every_documented_input_exists() -> None:
    table = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    assert documented == known()


def test_every_check_names_only_inputs_that_exist() -> None:
    for chk in REGISTRY:
        assert chk.needs == needs(chk.func)
        assert set(chk.needs) <= set(known()), chk.id


def test_a_parameter_naming_no_input_is_refused() -> None:
    def typo(alert: Any) -> Iterator[Result]:
        yield from ()

    with pytest.raises(TypeError, match="'alert', which is no input"):
        needs(typo)
    with pytest.raises(TypeError, match="'alert', which is no input"):
        check("MON998", "alerts", "typo")(typo)  # refused where it is registered, not mid-run
    assert all(c.id != "MON998" for c in REGISTRY)
    with pytest.raises(TypeError, match="no input named alert"):
        Inputs(alert=1)


@pytest.mark.parametrize(
    ("select", "asked"),
    [
        (("MON1", "MON2", "MON4", "MON5"), 0),
        (("MON301",), 0),  # judges the URI alone: MLflow is not asked
        (("MON302",), 1),
        (("MON3",), 1),  # ten checks, one gathering
        (("MON306", "MON308"), 1),  # through `version` and `run`
    ],
)
def test_mlflow_is_asked_once_and_only_when_a_selected_check_needs_it(
    workspace: Path, select: tuple[str, ...], asked: int
) -> None:
    config = example(workspace, **{"mlflow.tracking_uri": "http://127.0.0.1:1"})
    gatherer = CountingGatherer()
    findings = run_checks(Inputs(config=config, now=NOW, gatherer=gatherer), selected_checks(select, ()))
    assert gatherer.calls == asked
    assert findings


def test_mlflow_is_not_asked_for_an_unusable_uri_and_every_mlflow_check_says_why(workspace: Path) -> None:
    config = example(workspace, **{"mlflow.tracking_uri": "sqlite:///mlflow.db"})
    gatherer = CountingGatherer()
    findings = run_checks(Inputs(config=config, now=NOW, gatherer=gatherer), selected_checks(("MON3",), ()))
    assert gatherer.calls == 0
    skipped = [f for f in findings if f.check != "MON301"]
    assert len({f.check for f in skipped}) == 9
    assert all(f.message == "skipped: MLflow is not configured or its URI is unusable (MON301)" for f in skipped)
    assert all(f.severity is Severity.INFO for f in skipped)


def test_the_drift_verdicts_are_computed_once_for_both_drift_checks(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = drift_module.compute

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(drift_module, "compute", counted)
    findings = run_checks(Inputs(config=example(workspace), now=NOW), selected_checks(("MON4",), ()))
    assert len(calls) == 1
    assert {f.check for f in findings} == {"MON401", "MON402"}
    assert all(not f.message.startswith("skipped") for f in findings)


def test_an_unavailable_input_is_the_checks_finding(workspace: Path) -> None:
    (workspace / "baseline.json").unlink()
    findings = run_checks(Inputs(config=example(workspace), now=NOW), selected_checks(("MON106", "MON4"), ()))
    assert [(f.check, f.severity, f.message) for f in findings] == [
        ("MON106", Severity.INFO, "skipped: no valid baseline"),
        ("MON401", Severity.INFO, "skipped: no valid baseline"),
        ("MON402", Severity.INFO, "skipped: no valid baseline"),
    ]


def test_a_broken_input_is_an_error_for_every_check_that_needs_it() -> None:
    broken = Unavailable("windows/a.json: confidence bin edges differ from the other windows'", Severity.ERROR)
    for check_id in ("MON401", "MON402"):
        (found,) = compute_check(check_id, drift=broken)
        assert (found.severity, found.message) == (Severity.ERROR, broken.reason)


def test_compute_check_runs_one_check_on_the_inputs_given(workspace: Path) -> None:
    """No config file and no workspace: the alerts document alone, judged on the defaults."""
    config = example(workspace)
    alerts = load_workspace(config, config.as_of or datetime.now(UTC)).alerts
    assert alerts is not None
    (found,) = compute_check("MON201", alerts=alerts, now=NOW)
    assert found.check == "MON201" and found.severity is Severity.WARNING  # a warning 4 h before NOW
    assert "alerts.json: 2 alert(s) in the last 24 h (0 critical, 1 warning, 1 info)" in found.message
    wide = example(workspace, **{"alerts.window_hours": 100})
    (wider,) = compute_check("MON201", alerts=alerts, now=NOW, config=wide)
    assert wider.severity is Severity.ERROR  # now the critical one, 3 days before, counts
    (late,) = compute_check("MON202", alerts=alerts, now=datetime(2026, 12, 20, tzinfo=UTC))
    assert late.severity is Severity.ERROR and "over the 26 h limit" in late.message
    with pytest.raises(KeyError, match="MON999"):
        compute_check("MON999")


def test_the_given_inputs_are_the_documented_three() -> None:
    assert GIVEN == ("config", "now", "gatherer")
    assert not set(GIVEN) & set(PROVIDERS)
