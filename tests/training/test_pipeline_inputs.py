"""Bad input to the trainer is refused before anything heavy starts: no torch here, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.core.config import ConfigError
from mlops.training import config
from mlops.training.dataset import generate
from mlops.training.pipeline import TrainError, check_data, gate_passes, resolve_device


def test_a_generated_dataset_passes(tmp_path: Path) -> None:
    found = check_data(generate(tmp_path / "ds", train=2, val=2))
    assert found["val"].is_dir()


def test_data_yaml_pointing_nowhere(tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    data.write_text("path: /nonexistent/place\ntrain: images/train\nval: images/val\nnames: {0: a}\n")
    with pytest.raises(TrainError, match="not a folder"):
        check_data(data)


def test_label_out_of_range_names_the_file_and_line(tmp_path: Path) -> None:
    data = generate(tmp_path / "ds", train=2, val=2)
    label = next((tmp_path / "ds" / "labels" / "train").glob("*.txt"))
    label.write_text("7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(TrainError, match=rf"{label.name}:1: class '7' is outside the 3 classes"):
        check_data(data)


def test_empty_image_folder(tmp_path: Path) -> None:
    data = generate(tmp_path / "ds", train=2, val=2)
    for image in (tmp_path / "ds" / "images" / "val").iterdir():
        image.unlink()
    with pytest.raises(TrainError, match=r"val folder .* holds no image"):
        check_data(data)


@pytest.mark.parametrize("device", ["gpu", "cuda:0", "0,a", ""])
def test_unknown_device(device: str) -> None:
    with pytest.raises(TrainError, match="is not auto, cpu, mps or GPU indices"):
        resolve_device(device)


def test_unknown_config_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'epoch' \(did you mean 'epochs'\?\)"):
        config.load(None, env={}, overrides={"epoch": 3}, cwd=tmp_path)


def test_gate() -> None:
    assert gate_passes({"metrics/mAP50B": ">= 0.5"}, {"metrics/mAP50B": 0.6}) == (True, [])
    ok, failures = gate_passes({"metrics/mAP50B": ">= 0.5", "x": "> 0"}, {"metrics/mAP50B": 0.4})
    assert not ok and len(failures) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "nowhere/data.yaml"], "data.yaml not found"),
        (["--device", "tpu"], "is not auto, cpu, mps"),
        (["--set", "mlflow.gate={'x': 'about 3'}"], "is not a condition like"),
        (["--set", "epoch=3"], "unknown key 'epoch'"),
        (["observe"], "observe needs --images"),
    ],
)
def test_the_cli_refuses_bad_input_with_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from mlops.training.cli import main

    monkeypatch.chdir(tmp_path)
    code = main([*args, "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_credentials_leave_the_tracking_uri_for_mlflows_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow prints the tracking URI it is given; a URI without credentials cannot leak them."""
    from mlops.training.pipeline import without_credentials

    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    assert without_credentials("https://alice:s%40cret@mlflow.example.com:8443/prefix") == (
        "https://mlflow.example.com:8443/prefix"
    )
    import os

    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "alice"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == "s@cret"  # noqa: S105 - a test value
    assert without_credentials("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_the_cli_reads_dotenv_as_the_monitor_does_and_never_prints_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``.env`` fills what the environment lacks (MLflow reads its credentials from there); real
    variables win; a password that came only from ``.env`` is still scrubbed from errors."""
    import os

    from mlops.training.cli import main

    secret = "dotenv-canary-7f3a"  # noqa: S105 - a test value
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLOPS_MODEL_NAME"):
        monkeypatch.setenv(name, "x")  # recorded, so the test leaves the environment as it found it
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-the-environment")
    monkeypatch.delenv("PYTHON_DOTENV_DISABLED", raising=False)
    (tmp_path / ".env").write_text(
        f"MLFLOW_TRACKING_USERNAME=alice\nMLFLOW_TRACKING_PASSWORD={secret}\n"
        "MLFLOW_EXPERIMENT_NAME=from-dotenv\nMLOPS_MODEL_NAME=from-dotenv\n"
    )
    monkeypatch.chdir(tmp_path)
    code = main(["--data", f"{secret}/data.yaml", "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2
    assert "data.yaml not found" in err and secret not in err and "***" in err
    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "alice"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == secret
    assert os.environ["MLFLOW_EXPERIMENT_NAME"] == "from-the-environment"
    assert os.environ["MLOPS_MODEL_NAME"] == "from-dotenv"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "epochs=["], "command line: --set 'epochs': value is not valid YAML"),
        (["--set", "epochs"], "command line: --set 'epochs' must look like KEY=VALUE"),
        (["--set", "=3"], "command line: --set '=3' must look like KEY=VALUE"),
    ],
)
def test_bad_set_values_are_one_sentence_and_exit_2_as_in_the_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """The trainer's --set parsing is the monitor's (mlops.core.cli.parse_sets): it printed a YAML traceback."""
    from mlops.monitoring.cli import main as monitor
    from mlops.training.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == f"mlops train: {message}\n"
    assert monitor(["--example", *args]) == 2
    assert capsys.readouterr().err == f"mlops monitor: {message}\n"
    assert sorted(tmp_path.iterdir()) == []


def test_a_bug_in_the_trainer_is_exit_3_without_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (here: the config loader raising something no code expects) is exit 3, named by its kind
    only, as in the monitor; MLOPS_DEBUG=1 lets the traceback through."""
    from mlops.training import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("text that could hold anything")

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLOPS_DEBUG", raising=False)
    monkeypatch.setattr(config, "load", broken)  # the module the CLI calls through
    assert cli.main([]) == 3
    err = capsys.readouterr().err
    assert err == "mlops train: internal error (ZeroDivisionError); rerun with MLOPS_DEBUG=1 for details\n"
    monkeypatch.setenv("MLOPS_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main([])
