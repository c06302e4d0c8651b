"""What a check may ask for, by parameter name; each input is computed once per run, when first needed.

Three are given by the runner: ``config``, ``now`` (the judging time) and ``gatherer`` (asks MLflow,
bound to the run's environment and time budget). The others are derived here, as pytest fixtures are:
a provider's own parameters name the inputs it is built from (a test may give any of them instead,
through ``compute_check``), and an input that cannot be had is an :class:`Unavailable` whose reason
every check that needed it reports.
MLflow is asked only when a selected check needs ``mlflow`` (or ``version`` or ``run``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mlops.contract.reader import Document
from mlops.monitoring import drift as drift_verdicts
from mlops.monitoring.checks.base import Unavailable, shifted
from mlops.monitoring.config import Config, MlflowConfig
from mlops.monitoring.mlflow.base import RunRecord, State, VersionRecord
from mlops.monitoring.mlflow.uri import uri_problem
from mlops.monitoring.workspace import Workspace, load_workspace

GIVEN = ("config", "now", "gatherer")
"""The inputs the runner provides; every other one is derived by a provider below."""
Gatherer = Callable[[MlflowConfig], State]

PROVIDERS: dict[str, Callable[..., Any]] = {}


def provider(func: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``func`` as the input named after it."""
    PROVIDERS[func.__name__] = func
    return func


@provider
def workspace(config: Config, now: datetime) -> Workspace:
    """The workspace, read once, read-only: the windows the checks judge as of ``now`` (``files.scan``)."""
    return load_workspace(config, now)


@provider
def counts_as_now(config: Config, now: datetime) -> datetime:
    """The latest time that still counts as now: ``now`` plus the clock-skew tolerance
    (``files.future_tolerance_seconds``). A producer whose clock runs a little ahead is not wrong, and
    its alert is not ignored; a time beyond this is a MON104 error and is never judged as fresh."""
    return shifted(now, seconds=config.files.future_tolerance_seconds)


@provider
def readable(workspace: Workspace) -> Workspace | Unavailable:
    return Unavailable("the workspace cannot be read (MON100)") if workspace.problem else workspace


@provider
def documents(readable: Workspace) -> list[Document] | Unavailable:
    """Every contract file found: a per-file check that looked at no file must never read as a pass."""
    return readable.documents() or Unavailable("no monitoring file to read (MON101)")


@provider
def parsed(documents: list[Document]) -> list[Document] | Unavailable:
    return [d for d in documents if d.error is None] or Unavailable("no file parses as JSON (MON102)")


@provider
def valid(documents: list[Document]) -> list[Document] | Unavailable:
    return [d for d in documents if d.valid] or Unavailable("no file matches its schema (MON103)")


@provider
def ended(workspace: Workspace) -> tuple[tuple[datetime, Document], ...] | Unavailable:
    """Valid windows with the end time written inside them, oldest first."""
    return workspace.by_end or Unavailable("no valid window file")


@provider
def baseline(workspace: Workspace) -> Document | Unavailable:
    found = workspace.baseline
    return found if found is not None and found.valid else Unavailable("no valid baseline")


@provider
def alerts(workspace: Workspace) -> Document | Unavailable:
    found = workspace.alerts
    return found if found is not None and found.valid else Unavailable("no valid alerts file (see MON101-MON103)")


@provider
def drift(workspace: Workspace, baseline: Document, config: Config) -> drift_verdicts.Drift | Unavailable:
    """The drift verdicts, computed once for MON401 and MON402."""
    return drift_verdicts.compute(workspace, baseline, config.drift)


@provider
def mlflow(config: Config, gatherer: Gatherer) -> State | Unavailable:
    """What MLflow answered; asked only when a URI is set and usable (MON301 says why not)."""
    uri = config.mlflow.tracking_uri
    if not uri or uri_problem(uri):
        return Unavailable("MLflow is not configured or its URI is unusable (MON301)")
    return gatherer(config.mlflow)


@provider
def version(mlflow: State) -> VersionRecord | Unavailable:
    """The model version the serving alias points to."""
    return mlflow.version.value if mlflow.version.ok else Unavailable("the alias resolves to no model version (MON305)")


@provider
def run(mlflow: State) -> RunRecord | Unavailable:
    """The source run of that version."""
    return mlflow.run.value if mlflow.run.ok else Unavailable("no source run to judge (MON307)")


def needs(func: Callable[..., Any]) -> tuple[str, ...]:
    """The inputs a check or provider names, refused at import when one does not exist."""
    names = tuple(inspect.signature(func).parameters)
    for name in names:
        if name not in GIVEN and name not in PROVIDERS:
            raise TypeError(f"{func.__qualname__} needs {name!r}, which is no input ({', '.join(known())})")
    return names


def known() -> list[str]:
    return [*GIVEN, *PROVIDERS]


class Inputs:
    """The inputs of one run, each computed at most once; given values may be zero-argument thunks."""

    def __init__(self, **given: Any) -> None:
        unknown = set(given) - set(known())
        if unknown:
            raise TypeError(f"no input named {', '.join(sorted(unknown))} ({', '.join(known())})")
        self._given = given
        self._values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The value, or the :class:`Unavailable` that stands in for it."""
        if name in self._values:
            return self._values[name]
        if name in self._given:
            value = self._given[name]
        elif name in PROVIDERS:
            provide = PROVIDERS[name]
            args = self.arguments(needs(provide))
            value = args if isinstance(args, Unavailable) else provide(**args)
        else:
            raise KeyError(f"no input named {name!r} was given, and none derives it")
        self._values[name] = value
        return value

    def arguments(self, names: Sequence[str]) -> dict[str, Any] | Unavailable:
        """Keyword arguments for a function naming ``names``, or the first input that is unavailable."""
        args = {}
        for name in names:
            value = self.get(name)
            if isinstance(value, Unavailable):
                return value
            args[name] = value
        return args

    def computed(self, name: str) -> Any:
        """The value if this run has already computed it, else None: never computes (the report's links)."""
        value = self._values.get(name)
        return None if isinstance(value, Unavailable) else value
