"""Train a YOLO detector, log and register it in MLflow, and write the baseline the monitor compares against.

Heavy imports (torch, ultralytics, mlflow) happen inside the functions: this module is only ever
imported in the ``train`` session's environment, and ``python -m mlops.training --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import yaml

from mlops.contract.alerts import create_alerts
from mlops.contract.baseline import NewerBaselineError, write_baseline
from mlops.contract.signals import Signals
from mlops.contract.writer import WindowWriter
from mlops.core import thresholds
from mlops.core.redact import safe_uri
from mlops.training.dataset import generate

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
PREDICT_CONF = 0.05
"""Keep low-confidence boxes in the signals: their histogram is what drifts first."""
DEVICE = re.compile(r"^(cpu|mps|\d+(,\d+)*)$")


class TrainError(Exception):
    """Bad input: the message names the file, key or value; nothing was registered or written."""


def resolve_device(device: str) -> str:
    """``auto``: every visible GPU (Ultralytics runs DDP itself when given several), else the CPU."""
    if device != "auto":
        if not DEVICE.match(device):
            raise TrainError(f"device {device!r} is not auto, cpu, mps or GPU indices like 0 or 0,1")
        return device
    import torch

    count = torch.cuda.device_count()
    return ",".join(str(i) for i in range(count)) if count else "cpu"


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []


def check_data(data_yaml: Path) -> dict[str, Any]:
    """Refuse a data.yaml that points nowhere, has empty image folders or labels outside its classes."""
    try:
        spec = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TrainError(f"{data_yaml}: cannot be read as YAML ({type(exc).__name__})") from None
    if not isinstance(spec, dict) or not {"train", "val", "names"} <= set(spec):
        raise TrainError(f"{data_yaml}: an Ultralytics data.yaml needs train, val and names")
    root = Path(spec.get("path") or data_yaml.parent)
    root = root if root.is_absolute() else data_yaml.parent / root
    names = spec["names"]
    count = len(names)
    for split in ("train", "val"):
        folder = root / str(spec[split])
        images = images_in(folder)
        if not folder.is_dir():
            raise TrainError(f"{data_yaml}: {split} points to {folder}, which is not a folder")
        if not images:
            raise TrainError(f"{data_yaml}: {split} folder {folder} holds no image")
        labels = Path(str(folder).replace(f"{os.sep}images", f"{os.sep}labels", 1))
        for label in sorted(labels.glob("*.txt")):
            for number, line in enumerate(label.read_text().splitlines(), 1):
                fields = line.split()
                if fields and (not fields[0].isdigit() or int(fields[0]) >= count):
                    raise TrainError(
                        f"{label}:{number}: class {fields[0]!r} is outside the {count} classes of {data_yaml}"
                    )
    return {"root": root, "names": names, "val": root / str(spec["val"])}


def sanitize(metrics: Mapping[str, Any]) -> dict[str, float]:
    """MLflow refuses parentheses in metric names; Ultralytics' own callback drops them the same way."""
    return {k.replace("(", "").replace(")", ""): float(v) for k, v in metrics.items()}


def gate_passes(gate: Mapping[str, str], metrics: Mapping[str, float]) -> tuple[bool, list[str]]:
    failures = [
        f"{name} = {metrics.get(name)} fails {condition}"
        for name, condition in gate.items()
        if metrics.get(name) is None or not thresholds.holds(float(metrics[name]), condition)
    ]
    return not failures, failures


def signals_of(model: Any, images: list[Path], *, imgsz: int, device: str) -> Signals:
    """Run the detector over images, one at a time, the way a serving loop would, and count what it saw."""
    signals = Signals()
    for path in images:
        result = model.predict(str(path), imgsz=imgsz, device=device, conf=PREDICT_CONF, verbose=False)[0]
        names = result.names
        boxes = result.boxes
        detections = [(names[int(c)], float(p)) for c, p in zip(boxes.cls.tolist(), boxes.conf.tolist(), strict=True)]
        height, width = result.orig_shape
        signals.add(
            width=int(width),
            height=int(height),
            brightness=float(result.orig_img.mean()),
            detections=detections,
            latency_ms=float(result.speed.get("inference", 0.0)),
        )
    return signals


def without_credentials(uri: str) -> str:
    """Move ``user:pass@`` out of the URI into MLflow's variables: MLflow prints the URI it is given
    (its "View run ... at" line, its errors), and a URI without credentials cannot leak them."""
    parts = urlsplit(uri)
    if parts.password is None and parts.username is None:
        return uri
    if parts.username:
        os.environ["MLFLOW_TRACKING_USERNAME"] = unquote(parts.username)
    if parts.password:
        os.environ["MLFLOW_TRACKING_PASSWORD"] = unquote(parts.password)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=netloc))


def prepare_env(cfg: Mapping[str, Any], cwd: Path) -> str:
    """MLflow and Ultralytics settings for this process; returns the tracking URI in use."""
    uri = cfg["mlflow"]["tracking_uri"] or (cwd / "runs" / "mlruns").resolve().as_uri()
    uri = without_credentials(uri)
    if uri.startswith("file:"):
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("YOLO_OFFLINE", "true")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(cfg["project"]).parent / ".ultralytics"))
    return str(uri)


def train(cfg: Mapping[str, Any], cwd: Path) -> dict[str, Any]:
    """The whole heavy path; returns what was registered. Raises TrainError for bad input, checked first."""
    if cfg["device"] != "auto" and not DEVICE.match(str(cfg["device"])):
        resolve_device(str(cfg["device"]))  # raises, naming the device, before anything is written
    data = Path(cfg["data"]) if cfg["data"] else None
    if data is None:
        synthetic = cfg["synthetic"]
        data = generate(
            Path(cfg["project"]).parent / "data" / "shapes",
            train=synthetic["train"], val=synthetic["val"], size=synthetic["size"], seed=cfg["seed"],
        )  # fmt: skip
    elif not data.is_file():
        raise TrainError(f"{data}: data.yaml not found")
    dataset = check_data(data)
    device = resolve_device(str(cfg["device"]))
    uri = prepare_env(cfg, cwd)

    import mlflow
    from ultralytics import YOLO, settings

    settings.update({"mlflow": False})  # we log ourselves, into the run we register from
    m = cfg["mlflow"]
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.set_experiment(m["experiment_name"])
    print(f"mlops train: MLflow at {safe_uri(uri)}, experiment {m['experiment_name']!r}, device {device}", flush=True)
    with mlflow.start_run(run_name=cfg["name"], log_system_metrics=False) as run:
        model = YOLO(cfg["model"])
        model.add_callback("on_fit_epoch_end", lambda t: mlflow.log_metrics(sanitize(t.metrics), step=t.epoch))
        model.train(
            data=str(data), epochs=cfg["epochs"], imgsz=cfg["imgsz"], batch=cfg["batch"], device=device,
            workers=cfg["workers"], seed=cfg["seed"], project=cfg["project"], name=cfg["name"], exist_ok=True,
            plots=False, amp=False, verbose=True,
        )  # fmt: skip
        trainer = model.trainer
        save_dir = Path(trainer.save_dir)
        mlflow.log_params({k: str(v)[:500] for k, v in vars(trainer.args).items()})
        mlflow.log_artifacts(str(save_dir / "weights"), artifact_path="weights")
        for extra in ("args.yaml", "results.csv"):
            if (save_dir / extra).is_file():
                mlflow.log_artifact(str(save_dir / extra))
        metrics = sanitize(trainer.metrics)
        mlflow.log_metrics(metrics, step=trainer.epoch)
        run_id = run.info.run_id
    # The signals come first: nothing is registered until the baseline is ready to be written.
    best = YOLO(str(save_dir / "weights" / "best.pt"))
    signals = signals_of(best, images_in(dataset["val"]), imgsz=cfg["imgsz"], device=device)
    workspace = str(cfg["workspace"])  # a folder or a storage URL (s3://...): the writers take both
    with registration(m, run_id, metrics) as version:
        if version["promoted"]:  # the baseline follows the alias: production is compared with what it serves
            try:  # never over a newer baseline (another trainer's later version): refused, the version taken back
                write_baseline(
                    workspace, model_name=m["model_name"], model_version=version["version"], run_id=run_id,
                    dataset=str(data), signals=signals,
                )  # fmt: skip
            except NewerBaselineError as exc:
                raise TrainError(str(exc)) from None
            create_alerts(workspace, model_name=m["model_name"], model_version=version["version"])
    return {**version, "run_id": run_id, "metrics": metrics, "workspace": workspace}


@contextlib.contextmanager
def registration(m: Mapping[str, Any], run_id: str, metrics: Mapping[str, float]) -> Iterator[dict[str, Any]]:
    """A new version of the registered model from this run, the alias moved to it only if the gate passes.

    Taken back if the block fails or is interrupted (the version deleted, the alias restored, a model
    created here removed): a served version without its baseline would leave the monitor nothing to
    compare production with.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    name, alias = m["model_name"], m["model_alias"]
    created = False
    try:
        client.create_registered_model(name)
        created = True
    except MlflowException as exc:
        if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
            raise
    passed, failures = gate_passes(m["gate"], metrics)
    previous: str | None = None
    if passed:
        with contextlib.suppress(MlflowException):  # no version behind the alias yet
            previous = str(client.get_model_version_by_alias(name, alias).version)
    version: str | None = None
    try:
        version = str(client.create_model_version(name, f"runs:/{run_id}/weights", run_id).version)
        if passed:
            client.set_registered_model_alias(name, alias, version)
        yield {"version": version, "promoted": passed, "gate_failures": failures}
    except BaseException:
        with contextlib.suppress(Exception):
            if created:
                client.delete_registered_model(name)
            elif version is not None:
                client.delete_model_version(name, version)  # takes an alias pointing at it along
                if previous is not None:
                    client.set_registered_model_alias(name, alias, previous)
        raise


def observe(cfg: Mapping[str, Any], cwd: Path, images: Path, *, window_minutes: int = 60) -> Path | str:
    """Run the version the alias names over new images and write one production window, atomically:
    into the workspace folder, or below its storage URL in one conditional PUT (:class:`WindowWriter`)."""
    found = images_in(images)
    if not found:
        raise TrainError(f"{images}: no image to observe")
    device = resolve_device(str(cfg["device"]))
    uri = prepare_env(cfg, cwd)
    import mlflow
    from mlflow import MlflowClient
    from ultralytics import YOLO

    m = cfg["mlflow"]
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    version = MlflowClient().get_model_version_by_alias(m["model_name"], m["model_alias"])
    weights = Path(mlflow.artifacts.download_artifacts(f"models:/{m['model_name']}@{m['model_alias']}"))
    best = next(iter(sorted(weights.rglob("best.pt"))), None)
    if best is None:
        raise TrainError(f"version {version.version} of {m['model_name']!r} holds no best.pt")
    began = datetime.now(UTC)
    signals = signals_of(YOLO(str(best)), found, imgsz=cfg["imgsz"], device=device)
    end = datetime.now(UTC)
    start = min(began, end - timedelta(minutes=window_minutes))
    window = WindowWriter(
        str(cfg["workspace"]), model_name=m["model_name"], model_version=str(version.version), start=start
    )
    window.signals = signals
    return window.close(end=end)


def iter_lines(result: Mapping[str, Any]) -> Iterator[str]:
    yield f"registered version {result['version']} (run {result['run_id']})"
    if result["promoted"]:
        yield "promoted to the alias"
        yield f"baseline written to {result['workspace']}/baseline.json"
    else:
        yield "NOT promoted: " + "; ".join(result["gate_failures"])
        yield f"the alias and {result['workspace']}/baseline.json are left as they were"
