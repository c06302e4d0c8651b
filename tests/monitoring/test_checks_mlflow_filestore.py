"""MLflow file stores (``file:`` URIs): the stdlib reader and mlflow-skinny's client agree, and neither writes.

The bundled example store was written by MLflow itself (mlops/example/make_mlruns.py); the other
stores here are written by full MLflow in each test.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, EXAMPLE_CONFIG, Outcome, report, snapshot
from tests.monitoring.test_checks_mlflow_server import NOW, comparable, make_scenario, point_workspace_at

RunMonitor = Callable[..., Outcome]


@pytest.fixture
def example_store(tmp_path: Path) -> Path:
    """The bundled store as a git checkout has it: files only, since git keeps no empty folder."""
    source, store = EXAMPLE / "mlruns", tmp_path / "mlruns"
    for path in source.rglob("*"):
        if path.is_file():
            (store / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, store / path.relative_to(source))
    return store


def test_the_example_store_has_no_empty_folder() -> None:
    """What MLflow wrote must survive git: an empty params/ or artifacts/ would vanish, and MLflow's
    own FileStore then reports the run as missing."""
    assert not [p for p in (EXAMPLE / "mlruns").rglob("*") if p.is_dir() and not any(p.iterdir())]


def both_paths(run_monitor: RunMonitor, *args: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    # A generous budget: importing mlflow on a loaded machine can take seconds; findings are compared here.
    extra = ("--format", "json", "--set", "mlflow.budget_seconds=120")
    outcomes = [run_monitor(*args, *extra, "--set", f"mlflow.client={c}") for c in ("filestore", "mlflow")]
    assert outcomes[0].code == outcomes[1].code
    return report(outcomes[0]), report(outcomes[1])


def test_the_example_store_reads_alike_on_both_paths_and_stays_untouched(
    run_monitor: RunMonitor, workspace: Path, example_store: Path
) -> None:
    before = snapshot(example_store)
    ours, theirs = both_paths(
        run_monitor, "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", example_store.as_uri()
    )
    assert comparable(ours) == comparable(theirs)
    found = {f["check"]: f["severity"] for f in ours["findings"] if f["family"] == "mlflow"}
    assert found == {f"MON{n}": "ok" for n in range(301, 311)} | {"MON308": "warning"}
    assert snapshot(example_store) == before


def test_the_bundled_config_points_at_the_bundled_store(run_monitor: RunMonitor) -> None:
    doc = report(run_monitor("--example", "--format", "json"))
    mon302 = next(f for f in doc["findings"] if f["check"] == "MON302")
    assert mon302["severity"] == "ok" and "filestore path" in mon302["message"]


@pytest.fixture
def file_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Path]:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)  # MLflow's client leaves an mlflow.db in the current folder
    from mlflow import MlflowClient

    store = tmp_path / "store"
    return MlflowClient(tracking_uri=store.as_uri(), registry_uri=store.as_uri()), store


@pytest.mark.parametrize(
    ("change", "check", "severity"),
    [
        (lambda c, s: None, "MON307", "ok"),
        (lambda c, s: c.delete_experiment(c.get_experiment_by_name(s.experiment).experiment_id), "MON303", "error"),
        (lambda c, s: c.delete_registered_model_alias(s.model, "champion"), "MON305", "error"),
        (lambda c, s: c.set_terminated(s.run_id, "KILLED"), "MON307", "error"),
        (lambda c, s: c.delete_run(s.run_id), "MON307", "error"),
        (lambda c, s: c.log_metric(s.run_id, "metrics/mAP50-95B", 0.2, step=5), "MON309", "error"),
    ],
    ids=["healthy", "deleted-experiment", "no-alias", "killed-run", "deleted-run", "later-metric-below"],
)
def test_file_stores_judged_alike(
    run_monitor: RunMonitor, workspace: Path, file_client: tuple[Any, Path], change: Any, check: str, severity: str
) -> None:
    client, store = file_client
    scenario = make_scenario(client)
    change(client, scenario)
    point_workspace_at(workspace, scenario)
    before = snapshot(store)
    ours, theirs = both_paths(
        run_monitor, "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--as-of", NOW.isoformat(),
        "--select", "MON3", "--tracking-uri", store.as_uri(), "--experiment", scenario.experiment,
        "--model-name", scenario.model, "--set", 'mlflow.metrics={"metrics/mAP50-95B": ">= 0.5"}',
    )  # fmt: skip
    assert comparable(ours) == comparable(theirs)
    worst = max((f for f in ours["findings"] if f["check"] == check), key=lambda f: f["severity"] == severity)
    assert worst["severity"] == severity
    assert snapshot(store) == before


def test_a_missing_store_is_a_finding_and_is_not_created(
    run_monitor: RunMonitor, workspace: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-store"
    for client in ("filestore", "mlflow"):
        outcome = run_monitor(
            "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", missing.as_uri(),
            "--select", "MON3", "--format", "json", "--set", f"mlflow.client={client}",
        )  # fmt: skip
        assert outcome.code == 1
        assert "does not exist (nothing was created)" in outcome.out
        assert not missing.exists()
    assert not (Path(os.getcwd()) / "mlruns").exists()


@pytest.mark.parametrize("hostile", ["fifo", "huge", "link-out"])
def test_a_hostile_store_file_is_a_finding_naming_it(
    run_monitor: RunMonitor, workspace: Path, example_store: Path, tmp_path: Path, hostile: str
) -> None:
    """The store is read like the workspace: a FIFO never blocks, a 200 MB file is refused by size
    before it is read, a link out of the store is not followed."""
    meta = example_store / "models" / "shapes-detector" / "meta.yaml"  # the registered model MON304 reads
    meta.unlink()
    if hostile == "fifo":
        os.mkfifo(meta)
    elif hostile == "huge":
        with meta.open("wb") as fh:
            fh.truncate(200 * 2**20)  # sparse: no 200 MB written, and none may be read
    else:
        outside = tmp_path / "outside.yaml"
        outside.write_text("name: elsewhere\n", encoding="utf-8")
        meta.symlink_to(outside)
    before = snapshot(example_store) if hostile != "huge" else None
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--tracking-uri", example_store.as_uri(),
        "--format", "json", "--set", "mlflow.client=filestore",
    )  # fmt: skip
    assert outcome.code == 1 and "Traceback" not in outcome.text
    errors = [f["message"] for f in report(outcome)["findings"] if f["severity"] == "error"]
    name = meta.relative_to(example_store).as_posix()
    assert any(name in message for message in errors), errors
    if before is not None:
        assert snapshot(example_store) == before


# --- MON310: name, version and source run, against the bundled store (@champion = version 3) ------

CHAMPION_RUN = "aca30a5b17ac44a894bc7fc0d4b7a1c6"
"""The source run of version 3 in mlops/example/mlruns (models/shapes-detector/version-3/meta.yaml)."""
NEWEST = "windows/2026-11-20T120000Z.json"


def set_model(workspace: Path, names: list[str], **model: str | None) -> None:
    for name in names:
        path = workspace / name
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["model"].update({k: v for k, v in model.items() if v is not None})
        for key in [k for k, v in model.items() if v is None]:
            doc["model"].pop(key)
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def all_files(workspace: Path) -> list[str]:
    return ["baseline.json", *(f"windows/{p.name}" for p in sorted((workspace / "windows").iterdir()))]


def mon310(run_monitor: RunMonitor, workspace: Path) -> list[dict[str, Any]]:
    outcome = run_monitor(
        "--config", EXAMPLE_CONFIG, "--workspace", workspace, "--format", "json", "--select", "MON310"
    )
    return [f for f in report(outcome)["findings"] if f["check"] == "MON310"]


def test_mon310_example_matches_name_version_and_source_run(run_monitor: RunMonitor, workspace: Path) -> None:
    (found,) = mon310(run_monitor, workspace)
    assert found["severity"] == "ok", found
    assert f"'shapes-detector' version 3 (source run {CHAMPION_RUN}), the one @champion points to" in found["message"]
    assert json.loads((EXAMPLE / "workspace" / "baseline.json").read_text())["model"]["run_id"] == CHAMPION_RUN


def test_mon310_files_of_another_model_with_the_same_version_fail(run_monitor: RunMonitor, workspace: Path) -> None:
    """my-detector v3 is not shapes-detector@champion v3: equal version numbers say nothing across models."""
    set_model(workspace, all_files(workspace), name="my-detector")
    found = {f["subject"]: f for f in mon310(run_monitor, workspace)}
    assert found[NEWEST]["severity"] == "error"
    assert "production serves model 'my-detector', @champion is on 'shapes-detector'" in found[NEWEST]["message"]
    assert found["baseline.json"]["severity"] == "error"
    assert (
        "baseline.json is for model 'my-detector', @champion is on 'shapes-detector'"
        in found["baseline.json"]["message"]
    )


@pytest.mark.parametrize(
    ("files", "model", "severity", "wording"),
    [
        (["baseline.json"], {"run_id": "0123456789abcdef0123456789abcdef"}, "warning",
         f"baseline.json was computed from run 0123456789abcdef0123456789abcdef, version 3's source run is "
         f"{CHAMPION_RUN}: rerun training's baseline"),
        (["baseline.json"], {"version": "2"}, "warning", "baseline.json is for version 2, @champion points to 3"),
        ([NEWEST], {"version": "2"}, "error", "production serves version 2 while @champion points to version 3"),
        (["baseline.json"], {"run_id": None}, "ok", "'shapes-detector' version 3, the one @champion points to"),
    ],
    ids=["other-run", "baseline-version", "served-version", "no-run-id"],
)  # fmt: skip
def test_mon310_says_which_differs(
    run_monitor: RunMonitor, workspace: Path, files: list[str], model: dict[str, str | None], severity: str,
    wording: str,
) -> None:  # fmt: skip
    set_model(workspace, files, **model)
    found = mon310(run_monitor, workspace)
    worst = max(found, key=lambda f: ["ok", "info", "warning", "error"].index(f["severity"]))
    assert worst["severity"] == severity, found
    assert wording in worst["message"]
    assert worst["subject"] == (files[0] if severity != "ok" else NEWEST)
