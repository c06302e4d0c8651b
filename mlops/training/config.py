"""The trainer's configuration: ``default.yaml`` documents every key; layering is shared with the monitor."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.core import thresholds
from mlops.core.config import Spec

DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
ENV_KEYS = {
    "MLFLOW_TRACKING_URI": "mlflow.tracking_uri",
    "MLFLOW_EXPERIMENT_NAME": "mlflow.experiment_name",
    "MLOPS_MODEL_NAME": "mlflow.model_name",
    "MLOPS_MODEL_ALIAS": "mlflow.model_alias",
}


SPEC = Spec(
    DEFAULTS_FILE,
    env_keys=ENV_KEYS,
    path_keys=frozenset({"data", "project", "workspace"}),
    special={"mlflow.gate": thresholds.mapping},
)


def load(path: Path | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    tree = SPEC.merge(path, env=env, overrides=overrides, cwd=cwd)
    for key in ("project", "workspace"):  # defaults are relative to where the trainer runs
        tree[key] = str(cwd / tree[key])
    return tree
