"""The trainer's configuration: ``default.yaml`` documents every key; layering is shared with the monitor."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.core import thresholds
from mlops.core.config import Spec, coerce, workspace_location
from mlops.core.location import remote_url

DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
ENV_KEYS = {
    "MLFLOW_TRACKING_URI": "mlflow.tracking_uri",
    "MLFLOW_EXPERIMENT_NAME": "mlflow.experiment_name",
    "MLOPS_MODEL_NAME": "mlflow.model_name",
    "MLOPS_MODEL_ALIAS": "mlflow.model_alias",
}


def _workspace(key: str, value: Any, where: str, base: Path) -> str:
    """A folder (relative to the config file), ``file:///PATH``, or a storage URL kept as given:
    the baseline and windows go wherever the monitor reads them (``s3://bucket/prefix``)."""
    return workspace_location(key, coerce(key, value, "", where), where, base)


SPEC = Spec(
    DEFAULTS_FILE,
    env_keys=ENV_KEYS,
    path_keys=frozenset({"data", "project"}),
    special={"mlflow.gate": thresholds.mapping, "workspace": _workspace},
)


def load(path: Path | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    tree = SPEC.merge(path, env=env, overrides=overrides, cwd=cwd)
    for key in ("project", "workspace"):  # defaults are relative to where the trainer runs
        if key == "project" or remote_url(tree[key]) is None:
            tree[key] = str(cwd / tree[key])
    return tree
