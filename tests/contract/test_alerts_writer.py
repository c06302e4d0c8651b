"""The producers' alerts and baseline writers: what the monitor reads, nothing lost to a concurrent writer."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.alerts import add_alert, create_alerts, touch_alerts
from mlops.contract.baseline import NewerBaselineError, write_baseline
from mlops.contract.reader import load_document
from mlops.contract.signals import Signals
from mlops.contract.timestamps import parse_timestamp
from tests.conftest import ROOT, in_threads

ALERTER = """
import sys
from mlops.contract.alerts import add_alert
for i in range(int(sys.argv[3])):
    add_alert(sys.argv[1], severity="warning", title=f"{sys.argv[2]} {i}", source=sys.argv[2])
"""
BASELINER = """
import sys
from mlops.contract.baseline import NewerBaselineError, write_baseline
from mlops.contract.signals import Signals
for version in sys.argv[2:]:
    try:
        write_baseline(sys.argv[1], model_name="m", model_version=version, dataset="d", signals=Signals())
    except NewerBaselineError:
        pass
"""
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
WHEN = datetime(2026, 11, 20, 12, tzinfo=UTC)


def read(path: Path, expect: str) -> dict[str, Any]:
    doc = load_document(path, root=path.parent, shown=path.name, expect=expect, max_bytes=16 << 20)
    assert doc.valid and not doc.rule_errors, (doc.error, doc.schema_errors, doc.rule_errors)
    data: dict[str, Any] = doc.data
    return data


def signals(images: int) -> Signals:
    found = Signals()
    for i in range(images):
        found.add(width=640, height=480, brightness=100.0 + i, detections=[("circle", 0.9)], latency_ms=5.0)
    return found


# --- alerts -------------------------------------------------------------------------------------


def test_an_alert_is_valid_contract_data(tmp_path: Path) -> None:
    alert_id = add_alert(
        tmp_path, severity="critical", title="p99 latency over 800 ms", source="replica-2", raised_at=WHEN,
        model_name="shapes", model_version="3",
    )  # fmt: skip
    doc = read(tmp_path / "alerts.json", "mlops.alerts")
    assert doc["alerts"] == [
        {"id": alert_id, "raised_at": "2026-11-20T12:00:00.000000Z", "severity": "critical",
         "title": "p99 latency over 800 ms", "source": "replica-2"}
    ]  # fmt: skip
    assert doc["model"] == {"name": "shapes", "version": "3"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".alerts.json.lock", "alerts.json"]


def test_producers_in_processes_and_threads_lose_no_alert(tmp_path: Path) -> None:
    """Four processes and four threads append 30 alerts each to one file, all at once."""
    procs = [subprocess.Popen([sys.executable, "-c", ALERTER, str(tmp_path), f"p{n}", "30"], env=ENV) for n in range(4)]
    barrier = threading.Barrier(4)

    def raise_alerts(n: int) -> None:
        barrier.wait()
        for i in range(30):
            add_alert(tmp_path, severity="info", title=f"t{n} {i}", source=f"t{n}")

    in_threads(raise_alerts, 4)
    assert [proc.wait(timeout=120) for proc in procs] == [0] * 4
    alerts = read(tmp_path / "alerts.json", "mlops.alerts")["alerts"]
    titles = sorted(a["title"] for a in alerts)
    assert titles == sorted(f"{who}{n} {i}" for who in "pt" for n in range(4) for i in range(30))
    assert len({a["id"] for a in alerts}) == 240


def test_a_retried_alert_is_not_added_twice(tmp_path: Path) -> None:
    first = add_alert(tmp_path, severity="warning", title="drift", alert_id="drift-2026-11-20")
    again = add_alert(tmp_path, severity="warning", title="drift", alert_id="drift-2026-11-20")
    assert first == again == "drift-2026-11-20"
    assert len(read(tmp_path / "alerts.json", "mlops.alerts")["alerts"]) == 1


@pytest.mark.parametrize("content", ["{not json", '{"schema": "mlops.alerts", "schema_version": 1, "alerts": []}', ""])
def test_an_unreadable_alerts_file_is_left_alone(tmp_path: Path, content: str) -> None:
    """It may hold alerts nobody else has: replacing it would lose them. The error names the file."""
    path = tmp_path / "alerts.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"alerts\.json.*left as it is"):
        add_alert(tmp_path, severity="critical", title="x")
    with pytest.raises(ValueError, match=r"alerts\.json"):
        touch_alerts(tmp_path)
    assert path.read_text() == content


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"severity": "error", "title": "x"}, "severity must be one of info, warning, critical"),
        ({"severity": "info", "title": ""}, r"breaks mlops\.alerts v1: /alerts/1/title"),
        ({"severity": "info", "title": "x", "raised_at": datetime(2026, 1, 1)}, "raised_at must be a timezone-aware"),
        ({"severity": "info", "title": "x", "model_name": "m"}, "model_name and model_version go together"),
    ],
)
def test_an_alert_the_monitor_would_refuse_is_never_written(tmp_path: Path, kwargs: dict[str, Any], match: str) -> None:
    add_alert(tmp_path, severity="info", title="first", alert_id="first")
    before = (tmp_path / "alerts.json").read_bytes()
    with pytest.raises(ValueError, match=match):
        add_alert(tmp_path, **kwargs)
    assert (tmp_path / "alerts.json").read_bytes() == before


def test_touch_is_the_alert_producers_heartbeat(tmp_path: Path) -> None:
    """No alert to raise still says "alive": generated_at moves (alerts.max_age_hours), alerts stay."""
    path = touch_alerts(tmp_path, model_name="shapes", model_version="3")
    created = read(path, "mlops.alerts")
    assert created["alerts"] == [] and created["model"] == {"name": "shapes", "version": "3"}
    add_alert(tmp_path, severity="warning", title="kept", alert_id="kept")
    stale = json.loads(path.read_text())
    stale["generated_at"] = "2026-01-01T00:00:00Z"
    path.write_text(json.dumps(stale))
    touch_alerts(tmp_path)
    touched = read(path, "mlops.alerts")
    assert [a["id"] for a in touched["alerts"]] == ["kept"]
    moved = parse_timestamp(touched["generated_at"])
    assert moved is not None and moved > datetime(2026, 1, 1, tzinfo=UTC)


def test_create_never_touches_an_existing_file(tmp_path: Path) -> None:
    """Training starts an empty alerts file; producers' alerts (or a file it cannot read) stay as they are."""
    assert create_alerts(tmp_path, model_name="shapes", model_version="3") is True
    add_alert(tmp_path, severity="critical", title="kept")
    before = (tmp_path / "alerts.json").read_bytes()
    assert create_alerts(tmp_path, model_name="shapes", model_version="4") is False
    assert (tmp_path / "alerts.json").read_bytes() == before
    (tmp_path / "alerts.json").write_text("{broken")
    assert create_alerts(tmp_path, model_name="shapes", model_version="4") is False
    assert (tmp_path / "alerts.json").read_text() == "{broken"


# --- baseline -----------------------------------------------------------------------------------


def test_a_baseline_is_valid_contract_data(tmp_path: Path) -> None:
    path = write_baseline(
        tmp_path, model_name="shapes", model_version="3", run_id="abc123", dataset="data.yaml", signals=signals(4),
        created_at=WHEN,
    )  # fmt: skip
    doc = read(path, "mlops.baseline")
    assert doc["model"] == {"name": "shapes", "version": "3", "run_id": "abc123"}
    assert doc["created_at"] == "2026-11-20T12:00:00.000000Z" and doc["signals"]["images"] == 4


@pytest.mark.parametrize(
    ("version", "created_at"),
    [("3", WHEN), ("4", WHEN - timedelta(days=1)), ("4", WHEN - timedelta(microseconds=1))],
    ids=["older-version", "same-version-made-earlier", "a-microsecond-earlier"],
)
def test_a_newer_baseline_is_never_replaced(tmp_path: Path, version: str, created_at: datetime) -> None:
    """A slow trainer finishing last must not put back the baseline of a version production no longer serves."""
    path = write_baseline(
        tmp_path, model_name="shapes", model_version="4", dataset="d", signals=signals(2), created_at=WHEN
    )
    before = path.read_bytes()
    with pytest.raises(NewerBaselineError, match=r"baseline\.json holds a newer baseline \(shapes version 4"):
        write_baseline(
            tmp_path, model_name="shapes", model_version=version, dataset="d", signals=signals(1), created_at=created_at
        )
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "version", "created_at", "replace_newer"),
    [
        ("shapes", "5", WHEN - timedelta(days=9), False),  # a later version, even computed earlier
        ("shapes", "4", WHEN + timedelta(seconds=1), False),  # the same version, recomputed
        ("people", "1", WHEN, False),  # the workspace now serves another model
        ("shapes", "3", WHEN, True),  # a rollback, on purpose
    ],
)
def test_a_baseline_replaces_an_older_one(
    tmp_path: Path, name: str, version: str, created_at: datetime, replace_newer: bool
) -> None:
    write_baseline(tmp_path, model_name="shapes", model_version="4", dataset="d", signals=signals(2), created_at=WHEN)
    path = write_baseline(
        tmp_path, model_name=name, model_version=version, dataset="d", signals=signals(1), created_at=created_at,
        replace_newer=replace_newer,
    )  # fmt: skip
    assert read(path, "mlops.baseline")["model"] == {"name": name, "version": version}


@pytest.mark.parametrize("content", ["{broken", '{"schema": "mlops.baseline"}'])
def test_an_unusable_baseline_is_replaced(tmp_path: Path, content: str) -> None:
    """Unlike alerts, a baseline holds nothing another producer could lose: a fresh one repairs it."""
    (tmp_path / "baseline.json").write_text(content)
    path = write_baseline(tmp_path, model_name="shapes", model_version="1", dataset="d", signals=signals(1))
    assert read(path, "mlops.baseline")["model"]["version"] == "1"


def test_a_baseline_the_monitor_would_refuse_is_never_written(tmp_path: Path) -> None:
    broken = signals(1).to_dict() | {"images": -1}
    with pytest.raises(ValueError, match=r"breaks mlops\.baseline v1: /signals/images"):
        write_baseline(tmp_path, model_name="shapes", model_version="1", dataset="d", signals=broken)
    assert not (tmp_path / "baseline.json").exists()


def test_racing_trainers_leave_the_newest_baseline(tmp_path: Path) -> None:
    """Three processes write versions 1-30 in different orders at once: version 30 is what stays."""
    orders = [list(range(1, 31)), list(range(30, 0, -1)), list(range(1, 31, 2)) + list(range(2, 31, 2))]
    procs = [
        subprocess.Popen([sys.executable, "-c", BASELINER, str(tmp_path), *map(str, order)], env=ENV)
        for order in orders
    ]
    assert [proc.wait(timeout=300) for proc in procs] == [0] * 3
    assert read(tmp_path / "baseline.json", "mlops.baseline")["model"]["version"] == "30"
