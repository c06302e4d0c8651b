"""MLflow's file store (``file:`` tracking URIs), read with the standard library and pyyaml.

mlflow-skinny can read it too, but ``import mlflow`` alone costs 0.7-2.5 s, the monitor's whole
warm budget; and MLflow's FileStore writes (a Default experiment, ``mlruns/``) when it opens a
folder that lacks them. This reader opens files for reading only and follows the layout MLflow
writes (tests compare it with mlflow-skinny's client on the same stores)::

    <root>/<experiment_id>/meta.yaml                 name, lifecycle_stage
    <root>/<experiment_id>/<run_id>/meta.yaml        status (RunStatus number), start/end_time
    <root>/<experiment_id>/<run_id>/metrics/<key>    lines "timestamp value step"
    <root>/.trash/<experiment_id>/                   deleted experiments
    <root>/models/<name>/meta.yaml, aliases/<alias>, version-<n>/meta.yaml
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from mlops.contract.reader import read_bytes
from mlops.core.redact import safe_uri
from mlops.monitoring.config import MlflowConfig
from mlops.monitoring.mlflow.base import (
    ExperimentRecord,
    MlflowError,
    ModelRecord,
    NotFound,
    RunRecord,
    VersionRecord,
    int_or_none,
)

RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
MAX_FILE = 16 * 1024 * 1024


def store_root(uri: str) -> Path:
    return Path(url2pathname(urlsplit(uri).path))


def url2pathname(path: str) -> str:
    """``urllib.request.url2pathname`` without importing urllib.request (http.client, ssl, email: ~25 ms)."""
    if os.name == "nt":  # pragma: no cover - drive letters and backslashes
        from nturl2path import url2pathname as nt_url2pathname

        return nt_url2pathname(path)
    return unquote(path)


class FileStoreBackend:
    name = "filestore"

    def __init__(self, config: MlflowConfig, *, env: Mapping[str, str], deadline: float) -> None:
        uri = config.tracking_uri or ""
        self.shown = safe_uri(uri)
        self.root = store_root(uri)
        self.deadline = deadline
        if not self.root.is_dir():
            raise MlflowError("no-store", f"the MLflow file store {self.shown} does not exist (nothing was created)")

    def server_version(self) -> str:
        if not (self._experiment_dirs(self.root) or self._experiment_dirs(self.root / ".trash")):
            raise MlflowError("not-a-store", f"{self.shown} holds no MLflow experiment: is it an MLflow file store?")
        return "file store"

    def experiment(self, name: str) -> ExperimentRecord:
        for base in (self.root, self.root / ".trash"):
            for folder in self._experiment_dirs(base):
                meta = self._yaml(folder / "meta.yaml")
                if meta.get("name") == name:
                    stage = "deleted" if base.name == ".trash" else str(meta.get("lifecycle_stage", ""))
                    experiment_id = str(meta.get("experiment_id", folder.name))
                    return ExperimentRecord(id=experiment_id, name=name, lifecycle_stage=stage)
        raise NotFound(f"experiment {name!r}: not found")

    def registered_model(self, name: str) -> ModelRecord:
        folder = self._model_dir(name)
        meta = self._yaml(folder / "meta.yaml")
        return ModelRecord(name=str(meta.get("name", name)))

    def model_version_by_alias(self, name: str, alias: str) -> VersionRecord:
        folder = self._model_dir(name)
        version = self._read(folder / "aliases" / alias, missing=f"alias {alias!r} of {name!r}").strip()
        meta = self._yaml(folder / f"version-{version}" / "meta.yaml")
        return VersionRecord(
            name=str(meta.get("name", name)),
            version=str(meta.get("version", version)),
            status=str(meta.get("status", "")),
            run_id=str(meta.get("run_id") or ""),
        )

    def run(self, run_id: str) -> RunRecord:
        if not run_id.isalnum():
            raise NotFound(f"run {run_id!r}: not found")
        for base in (self.root, self.root / ".trash"):
            for exp in self._experiment_dirs(base):
                if _has_meta(exp / run_id):
                    return self._run_record(exp / run_id)
        raise NotFound(f"run {run_id}: not found")

    def _run_record(self, folder: Path) -> RunRecord:
        meta = self._yaml(folder / "meta.yaml")
        metrics: dict[str, float] = {}
        metrics_dir = folder / "metrics"
        for dirpath, _, files in os.walk(metrics_dir):
            for file in files:
                key = Path(dirpath, file).relative_to(metrics_dir).as_posix()
                if (value := self._latest(Path(dirpath, file))) is not None:
                    metrics[key] = value
        status = meta.get("status")
        return RunRecord(
            run_id=str(meta.get("run_id", folder.name)),
            experiment_id=str(meta.get("experiment_id", folder.parent.name)),
            status=RUN_STATUS.get(status, str(status)) if isinstance(status, int) else str(status or ""),
            lifecycle_stage=str(meta.get("lifecycle_stage", "")),
            start_time=int_or_none(meta.get("start_time")),
            end_time=int_or_none(meta.get("end_time")),
            metrics=metrics,
            params=self._values(folder / "params"),
            tags=self._values(folder / "tags"),
        )

    def _values(self, folder: Path) -> dict[str, str]:
        """A params/ or tags/ folder: one file per key (``/`` in a key is a subfolder), its text the value."""
        found: dict[str, str] = {}
        for dirpath, _, files in os.walk(folder):
            for file in files:
                key = Path(dirpath, file).relative_to(folder).as_posix()
                found[key] = self._read(Path(dirpath, file), missing=key)
        return found

    def _latest(self, path: Path) -> float | None:
        """MLflow's latest value: the highest step, then the latest timestamp, then the largest value."""
        best: tuple[int, int, float] | None = None
        for line in self._read(path, missing=str(path)).splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            try:
                entry = (int(parts[2]) if len(parts) > 2 else 0, int(parts[0]), float(parts[1]))
            except ValueError:
                continue
            if not math.isnan(entry[2]) and (best is None or entry > best):
                best = entry
        return best[2] if best else None

    # --- reading, bounded and read-only ---------------------------------------------------------

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise MlflowError("budget", f"no time left in the MLflow budget for {self.shown}")

    def _experiment_dirs(self, base: Path) -> list[Path]:
        self._check_time()
        if not base.is_dir():
            return []
        return [p for p in sorted(base.iterdir()) if p.name.isdigit() and _has_meta(p)]

    def _model_dir(self, name: str) -> Path:
        folder = self.root / "models" / name
        if "/" in name or name in (".", "..") or not _has_meta(folder):
            raise NotFound(f"registered model {name!r}: not found")
        return folder

    def _read(self, path: Path, *, missing: str) -> str:
        """The file's text, read as the workspace's files are: size checked before reading, in chunks
        (no 16 MiB buffer per small file), regular files only (a FIFO would block), never outside the store."""
        self._check_time()
        try:
            raw = read_bytes(path, root=self.root, max_bytes=MAX_FILE)
        except ValueError as exc:
            if str(exc) == "does not exist":
                raise NotFound(f"{missing}: not found") from None
            name = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else path.name
            raise MlflowError("unreadable", f"{self.shown}: store file {name} {exc}") from None
        return raw.decode("utf-8", "replace")

    def _yaml(self, path: Path) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self._read(path, missing=str(path.relative_to(self.root))))
        except yaml.YAMLError:
            raise MlflowError("bad-store", f"{self.shown}: {path.relative_to(self.root)} is not valid YAML") from None
        if not isinstance(data, dict):
            raise MlflowError("bad-store", f"{self.shown}: {path.relative_to(self.root)} is not a mapping")
        return data


def _has_meta(folder: Path) -> bool:
    """An entry MLflow would list: its meta.yaml exists, whatever it is; reading it says if it is usable
    (a FIFO or a link out of the store is then a finding that names it, not "not found")."""
    return os.path.lexists(folder / "meta.yaml")
