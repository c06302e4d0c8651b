"""Regenerate the example's MLflow file store with real MLflow: ``python -m mlops.example.make_mlruns [DIR]``.

Needs the full ``mlflow`` package (the tests env has it; the monitor env never does). Times are
pinned before the example's ``as_of`` so the example reads the same every year; absolute paths
MLflow writes into meta.yaml are made relative, so no machine's path lands in the repository.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

EXPERIMENT = "shapes-detection"
MODEL = "shapes-detector"
RUN_ENDS = ("2026-08-02T09:00:00", "2026-09-05T09:00:00", "2026-10-09T09:00:00")
METRICS = ({"metrics/mAP50-95B": 0.48, "metrics/mAP50B": 0.70}, {"metrics/mAP50-95B": 0.55, "metrics/mAP50B": 0.76},
           {"metrics/mAP50-95B": 0.62, "metrics/mAP50B": 0.81})  # fmt: skip


def millis(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def make(dest: Path) -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow import MlflowClient

    dest = dest.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # MLflow drops an mlflow.db into the current folder for its own bookkeeping
        store = Path(tmp) / "mlruns"
        client = MlflowClient(tracking_uri=store.as_uri(), registry_uri=store.as_uri())
        exp = client.create_experiment(EXPERIMENT)
        client.create_registered_model(MODEL, description="YOLO detector of synthetic shapes (example)")
        for end, metrics in zip(RUN_ENDS, METRICS, strict=True):
            run = client.create_run(exp, start_time=millis(end) - 3_600_000, run_name=f"train-{end[:10]}")
            for key, value in metrics.items():
                client.log_metric(run.info.run_id, key, value, timestamp=millis(end) - 60_000, step=0)
            # git keeps no empty folder, and MLflow's FileStore cannot find a run without params/ or
            # artifacts/: give both content, as a real training run would.
            for name, setting in {"epochs": "1", "imgsz": "64", "model": "yolo11n.yaml"}.items():
                client.log_param(run.info.run_id, name, setting)
            args = Path(tmp) / "args.yaml"
            args.write_text("epochs: 1\nimgsz: 64\nmodel: yolo11n.yaml\n")
            client.log_artifact(run.info.run_id, str(args))
            client.set_terminated(run.info.run_id, "FINISHED", end_time=millis(end))
            version = client.create_model_version(MODEL, f"runs:/{run.info.run_id}/weights", run.info.run_id)
        client.set_registered_model_alias(MODEL, "champion", version.version)
        (store / ".trash" / ".gitkeep").touch()  # MLflow's client creates .trash when it is missing
        for path in store.rglob("meta.yaml"):
            path.write_text(path.read_text().replace(store.as_uri(), "file:./mlruns"))
        if dest.exists():
            raise SystemExit(f"{dest} exists: remove it first")
        shutil.copytree(store, dest)


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("mlruns"))
