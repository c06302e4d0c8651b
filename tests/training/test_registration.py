"""Registering a version is undone when what follows it fails: against a real MLflow server.

The train session registers a version, moves the alias, then writes the baseline. A Ctrl-C in
between must not leave production's alias on a version the monitor has no baseline for.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from mlops.training.pipeline import registration
from tests.conftest import MlflowServer


@pytest.fixture
def client(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", mlflow_server.uri)
    yield MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)


def settings(gate: dict[str, str] | None = None) -> dict[str, Any]:
    return {"model_name": f"reg-{uuid.uuid4().hex[:8]}", "model_alias": "champion", "gate": gate or {}}


def new_run(client: Any) -> str:
    experiment = client.create_experiment(f"reg-{uuid.uuid4().hex[:8]}")
    run_id: str = client.create_run(experiment).info.run_id
    client.set_terminated(run_id)
    return run_id


def versions(client: Any, name: str) -> list[str]:
    return sorted(v.version for v in client.search_model_versions(f"name='{name}'"))


def champion(client: Any, name: str) -> str:
    return str(client.get_model_version_by_alias(name, "champion").version)


def test_a_completed_block_keeps_the_version_and_moves_the_alias(client: Any) -> None:
    m = settings()
    with registration(m, new_run(client), {}) as first:
        pass
    with registration(m, new_run(client), {}) as second:
        pass
    assert (first["version"], second["version"]) == ("1", "2")
    assert champion(client, m["model_name"]) == "2"


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_an_interrupted_block_takes_the_version_back_and_restores_the_alias(
    client: Any, interruption: type[BaseException]
) -> None:
    m = settings()
    with registration(m, new_run(client), {}):
        pass
    with pytest.raises(interruption), registration(m, new_run(client), {}) as version:
        assert champion(client, m["model_name"]) == version["version"] == "2"
        raise interruption
    assert versions(client, m["model_name"]) == ["1"]
    assert champion(client, m["model_name"]) == "1"


def test_an_interrupted_first_registration_leaves_no_model(client: Any) -> None:
    from mlflow.exceptions import MlflowException

    m = settings()
    with pytest.raises(KeyboardInterrupt), registration(m, new_run(client), {}):
        raise KeyboardInterrupt
    with pytest.raises(MlflowException):
        client.get_registered_model(m["model_name"])


def test_a_failed_gate_registers_the_version_but_leaves_the_alias(client: Any) -> None:
    m = settings()
    with registration(m, new_run(client), {}):
        pass
    m["gate"] = {"metrics/mAP50B": ">= 0.9"}
    with registration(m, new_run(client), {"metrics/mAP50B": 0.4}) as version:
        assert not version["promoted"] and version["gate_failures"]
    assert versions(client, m["model_name"]) == ["1", "2"]
    assert champion(client, m["model_name"]) == "1"
