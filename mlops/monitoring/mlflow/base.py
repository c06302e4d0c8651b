"""The questions every backend answers (REST, file store, mlflow-skinny), the answers, and how they fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Record = dict[str, Any]
"""A normalised MLflow object: only the keys the checks read, with the same types on every path."""


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
    def experiment(self, name: str) -> Record: ...
    def registered_model(self, name: str) -> Record: ...
    def model_version_by_alias(self, name: str, alias: str) -> Record: ...
    def run(self, run_id: str) -> Record: ...


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
