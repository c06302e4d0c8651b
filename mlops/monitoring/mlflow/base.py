"""The questions every backend answers (REST, file store, mlflow-skinny), the answers, and how they fail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class ExperimentRecord:
    id: str
    name: str
    lifecycle_stage: str


@dataclass(frozen=True, kw_only=True)
class ModelRecord:
    name: str


@dataclass(frozen=True, kw_only=True)
class VersionRecord:
    """A registered model version, as every backend reads it (MON305-MON307, MON310)."""

    name: str
    version: str
    status: str
    run_id: str
    """"" when the version names no source run."""


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """A run, as every backend reads it: the same fields with the same types on every path (tested)."""

    run_id: str
    experiment_id: str
    status: str
    lifecycle_stage: str
    start_time: int | None
    end_time: int | None
    """Milliseconds since the epoch, as MLflow stores them."""
    metrics: Mapping[str, float] = field(default_factory=dict)
    """The latest value of each metric."""
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    """MLflow's own (``mlflow.*``) included: where a run records what it was trained on."""


Record = ExperimentRecord | ModelRecord | VersionRecord | RunRecord


class MlflowError(Exception):
    """A failed question. ``kind`` is stable and short (``refused``, ``timeout``, ``http-503`` ...);
    the message is written for a person and never holds a credential."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class NotFound(MlflowError):
    def __init__(self, message: str) -> None:
        super().__init__("not-found", message)


class Backend(Protocol):
    """Read-only questions; each returns a normalised record or raises MlflowError/NotFound."""

    name: str

    def server_version(self) -> str: ...
    def experiment(self, name: str) -> ExperimentRecord: ...
    def registered_model(self, name: str) -> ModelRecord: ...
    def model_version_by_alias(self, name: str, alias: str) -> VersionRecord: ...
    def run(self, run_id: str) -> RunRecord: ...


@dataclass(frozen=True)
class Answer:
    """One question's outcome: a value, or the error that stopped it, or not asked (skipped)."""

    value: Any = None
    error: MlflowError | None = None
    asked: bool = True

    @property
    def ok(self) -> bool:
        return self.asked and self.error is None


SKIPPED = Answer(asked=False)


@dataclass(frozen=True, kw_only=True)
class State:
    """Everything the MON3xx checks judge."""

    uri: str
    """Tracking URI as it may be shown: ``scheme://host:port``."""
    backend: str
    server: Answer = SKIPPED
    experiment: Answer = SKIPPED
    model: Answer = SKIPPED
    version: Answer = SKIPPED
    run: Answer = SKIPPED
    seconds: float = 0.0
    budget: float = 0.0
    out_of_time: bool = False


def int_or_none(value: Any) -> int | None:
    """A time in milliseconds as a backend found it: an int, or None when absent or unreadable."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
