"""Every backend returns the same typed records for the same MLflow objects, params and tags included.

The REST path and mlflow-skinny's client read one real tracking server; the file-store reader and
the client read one file store written by MLflow itself.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.base import Backend, ExperimentRecord, ModelRecord, RunRecord, VersionRecord
from mlops.monitoring.mlflow.gather import make_backend
from tests.conftest import MlflowServer


def populate(client: Any) -> tuple[str, str, str]:
    """An experiment, a run with metrics, params and tags (one nested), a model version under an alias."""
    tag = uuid.uuid4().hex[:8]
    experiment, model = f"exp-{tag}", f"detector-{tag}"
    run = client.create_run(client.create_experiment(experiment))
    run_id = run.info.run_id
    client.log_metric(run_id, "metrics/mAP50-95B", 0.61)
    client.log_param(run_id, "epochs", "3")
    client.log_param(run_id, "data/version", "v2")
    client.set_tag(run_id, "mlops.data", "s3://bucket/data@abc123")
    client.set_terminated(run_id, "FINISHED")
    client.create_registered_model(model)
    version = client.create_model_version(model, f"runs:/{run_id}/model", run_id)
    client.set_registered_model_alias(model, "champion", version.version)
    return experiment, model, run_id


def records(backend: Backend, experiment: str, model: str, run_id: str) -> tuple[Any, ...]:
    return (
        backend.experiment(experiment),
        backend.registered_model(model),
        backend.model_version_by_alias(model, "champion"),
        backend.run(run_id),
    )


def backends(uri: str, *names: str) -> list[Backend]:
    config = MlflowConfig(tracking_uri=uri, experiment_name=None, model_name=None, model_alias="champion")
    return [make_backend(name, config, {}, time.monotonic() + 60) for name in names]


def assert_typed_and_equal(found: list[tuple[Any, ...]], run_id: str) -> None:
    first = found[0]
    assert [type(r) for r in first] == [ExperimentRecord, ModelRecord, VersionRecord, RunRecord]
    run = first[3]
    assert run.run_id == run_id and run.status == "FINISHED" and run.metrics == {"metrics/mAP50-95B": 0.61}
    assert run.params == {"epochs": "3", "data/version": "v2"}
    assert run.tags["mlops.data"] == "s3://bucket/data@abc123"
    assert first[2].run_id == run_id and first[2].status == "READY"
    for other in found[1:]:
        assert other == first


def test_rest_and_client_read_the_same_records_from_a_server(mlflow_server: MlflowServer) -> None:
    from mlflow import MlflowClient

    experiment, model, run_id = populate(MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri))
    found = [records(b, experiment, model, run_id) for b in backends(mlflow_server.uri, "rest", "mlflow")]
    assert_typed_and_equal(found, run_id)


def test_the_file_store_reader_and_the_client_read_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)  # MLflow's client leaves an mlflow.db in the current folder
    from mlflow import MlflowClient

    uri = (tmp_path / "store").as_uri()
    experiment, model, run_id = populate(MlflowClient(tracking_uri=uri, registry_uri=uri))
    found = [records(b, experiment, model, run_id) for b in backends(uri, "filestore", "mlflow")]
    assert_typed_and_equal(found, run_id)
