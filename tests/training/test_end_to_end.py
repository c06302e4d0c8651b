"""The whole loop, for real: `nox -s train` trains YOLO and registers it in a real MLflow server,
`observe` writes a production window with the registered model, and `nox -s monitor` judges it.

Slow and heavy: the train env (torch, Ultralytics, MLflow) is built once per checkout in .nox/train
and reused after (its sync stamp says when it must change); nothing downloads weights or data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mlops.training.dataset import generate
from tests.conftest import ENV_PREFIXES, ROOT, MlflowServer

pytestmark = [pytest.mark.slow, pytest.mark.nox]


def nox(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_train_observe_then_monitor(mlflow_server: MlflowServer, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith((*ENV_PREFIXES, "NOX", "PYTEST"))}
    env |= {
        "MLFLOW_TRACKING_URI": mlflow_server.uri,
        "MLFLOW_EXPERIMENT_NAME": f"e2e-{tag}",
        "MLOPS_MODEL_NAME": f"shapes-e2e-{tag}",
    }
    workspace = tmp_path / "ws"
    where = ["--workspace", str(workspace), "--set", f"project={tmp_path / 'runs' / 'detect'}"]

    trained = nox("-s", "train", "--", *where, env=env)
    output = trained.stdout + trained.stderr
    assert trained.returncode == 0, output[-4000:]
    registered = next(line for line in output.splitlines() if "registered version" in line)
    version = registered.split("registered version ")[1].split()[0]
    baseline = json.loads((workspace / "baseline.json").read_text())
    assert baseline["model"]["version"] == version
    assert baseline["signals"]["images"] == 8  # the synthetic validation set

    shifted = generate(tmp_path / "shifted", train=1, val=12, brightness=70, scale=1.6).parent / "images" / "val"
    observed = nox("-s", "train", "--", "observe", "--images", str(shifted), *where, env=env)
    assert observed.returncode == 0, (observed.stdout + observed.stderr)[-4000:]
    (window,) = sorted((workspace / "windows").glob("*.json"))
    assert json.loads(window.read_text())["model"]["version"] == version

    config = tmp_path / "monitor.yaml"  # MLflow settings come from the environment
    config.write_text("workspace: ws\nmlflow:\n  budget_seconds: 60\ndrift:\n  min_images: 5\n")
    monitored = nox("-s", "monitor", "--", "--config", str(config), "--format", "json", "--ignore", "MON4", env=env)
    report = json.loads(monitored.stdout[monitored.stdout.index("{") :])
    by_check = {f["check"]: f for f in report["findings"]}
    assert monitored.returncode == 0, monitored.stdout[-4000:]
    assert by_check["MON305"]["message"].startswith(f"@champion -> version {version} ")
    assert by_check["MON310"]["severity"] == "ok"
    assert all(f["severity"] in ("ok", "info") for f in report["findings"]), report["findings"]

    drifted = nox("-s", "monitor", "--", "--config", str(config), "--format", "json", "--select", "MON4", env=env)
    signals = {f["subject"]: f for f in json.loads(drifted.stdout[drifted.stdout.index("{") :])["findings"]}
    assert signals["brightness"]["severity"] in ("warning", "error"), signals["brightness"]  # the shifted images
    assert drifted.returncode == (1 if signals["brightness"]["severity"] == "error" else 0)
    assert not (ROOT / "runs").exists() or not any((ROOT / "runs").glob("detect/*"))


def test_ctrl_c_during_training_registers_nothing_and_leaves_no_partial_file(
    mlflow_server: MlflowServer, tmp_path: Path
) -> None:
    """SIGINT mid-epoch: exit 130, no baseline, no temporary file, no model version."""
    import signal
    import time

    tag = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith((*ENV_PREFIXES, "NOX", "PYTEST"))}
    env |= {"MLFLOW_TRACKING_URI": mlflow_server.uri, "MLOPS_MODEL_NAME": f"interrupted-{tag}"}
    prepared = nox("-s", "train", "--install-only", env=env)
    assert prepared.returncode == 0, prepared.stdout[-2000:]
    workspace = tmp_path / "ws"
    proc = subprocess.Popen(
        [str(ROOT / ".nox" / "train" / "bin" / "python"), "-m", "mlops.training", "--workspace", str(workspace),
         "--epochs", "200", "--set", f"project={tmp_path / 'runs' / 'detect'}"],
        cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if "Starting training" in line or time.monotonic() > deadline:
            break
    time.sleep(2)  # inside the first epochs
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, rest[-2000:]
    assert "interrupted; no monitoring file was half-written" in rest
    assert not (workspace / "baseline.json").exists()
    assert not list(tmp_path.rglob("*.tmp"))

    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):
        MlflowClient(tracking_uri=mlflow_server.uri).get_registered_model(f"interrupted-{tag}")
