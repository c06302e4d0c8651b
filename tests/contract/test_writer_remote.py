"""Producers writing to object storage: the loopback S3 server (moto) the monitor reads in its tests.

Each test makes its own bucket; the client under test (obstore, through mlops.core.storage) is never
mocked, and the bucket is inspected with a separate boto3 client straight to moto.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.alerts import add_alert, touch_alerts
from mlops.contract.baseline import NewerBaselineError, write_baseline
from mlops.contract.signals import Signals
from mlops.contract.writer import WindowWriter
from mlops.core.storage import StorageError
from mlops.monitoring.config import load_config
from mlops.monitoring.workspace import Workspace, load_workspace
from tests.conftest import ROOT, in_threads
from tests.storage_server import Fault, S3Server

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, and the standard AWS variables pointing this process at the loopback server."""
    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    return s3.bucket(f"producers-{uuid.uuid4().hex[:12]}")


def window(url: str, end: datetime, *, model_version: str = "3") -> WindowWriter[Path | str]:
    writer = WindowWriter(url, model_name="shapes", model_version=model_version, start=end - timedelta(minutes=5))
    writer.add(width=640, height=480, brightness=100.0, detections=[("circle", 0.8)], latency_ms=9.0)
    return writer


def signals() -> Signals:
    found = Signals()
    found.add(width=640, height=480, brightness=100.0, detections=[("circle", 0.8)], latency_ms=9.0)
    return found


def monitor(url: str, tmp_path: Path, now: datetime = NOW) -> Workspace:
    """The workspace as the monitor reads it (every window: ``files.scan: all``)."""
    config = load_config(None, env={}, overrides={"workspace": url, "files": {"scan": "all"}}, cwd=tmp_path)
    return load_workspace(config, now)


def body(s3: S3Server, bucket: str, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(s3.snapshot(bucket)[key][0])
    return data


def test_windows_baseline_and_alerts_land_under_the_prefix_and_the_monitor_reads_them(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    url = f"s3://{bucket}/team/shapes"
    paths = [window(url, NOW - timedelta(minutes=5 * i)).close(end=NOW - timedelta(minutes=5 * i)) for i in range(3)]
    baseline = write_baseline(url, model_name="shapes", model_version="3", dataset="d", signals=signals())
    alerts = touch_alerts(url, model_name="shapes", model_version="3")
    keys = sorted(s3.snapshot(bucket))
    assert keys == sorted(["team/shapes/baseline.json", "team/shapes/alerts.json"] + [
        "team/shapes/windows/" + str(p).rpartition("/")[2] for p in paths
    ])  # fmt: skip
    assert all(isinstance(p, str) and p.startswith(f"{url}/windows/2026-11-20T") for p in paths)
    assert (baseline, alerts) == (f"{url}/baseline.json", f"{url}/alerts.json")
    loaded = monitor(url, tmp_path)
    assert loaded.problem is None and not loaded.missing
    assert loaded.baseline is not None and loaded.baseline.valid
    assert loaded.alerts is not None and loaded.alerts.valid
    assert len(loaded.windows) == 3 and all(d.valid and not d.rule_errors for d in loaded.windows)


def test_a_url_with_a_trailing_slash_writes_the_same_keys(s3: S3Server, bucket: str) -> None:
    path = window(f"s3://{bucket}/p/", NOW).close(end=NOW)
    (key,) = s3.snapshot(bucket)
    assert key.startswith("p/windows/") and path == f"s3://{bucket}/{key}"


def test_an_existing_key_is_never_overwritten_the_window_takes_another_id(s3: S3Server, bucket: str) -> None:
    """Another replica drew the same writer id at the same microsecond: its object stays, ours is renamed."""
    url = f"s3://{bucket}/ws"
    taken = "ws/windows/2026-11-20T120000.000000Z-0badc0de.json"
    s3.put(bucket, taken, b'{"theirs": true}')
    before = s3.snapshot(bucket)
    writer = window(url, NOW)
    writer.writer_id = "0badc0de"
    path = writer.close(end=NOW)
    after = s3.snapshot(bucket)
    assert after[taken] == before[taken]
    assert writer.writer_id != "0badc0de" and path == f"{url}/windows/2026-11-20T120000.000000Z-{writer.writer_id}.json"
    assert set(after) == {taken, path.removeprefix(f"s3://{bucket}/")}
    assert [s.status for s in s3.front.requests("PUT")] == [412, 200]  # the first PUT was refused, not applied


def test_two_threads_appending_to_one_remote_alerts_file_lose_none(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/ws"
    barrier = threading.Barrier(2)

    def raise_alerts(n: int) -> None:
        barrier.wait()
        for i in range(15):
            add_alert(url, severity="info", title=f"t{n} {i}", source=f"t{n}")

    in_threads(raise_alerts, 2)
    alerts = body(s3, bucket, "ws/alerts.json")["alerts"]
    assert sorted(a["title"] for a in alerts) == sorted(f"t{n} {i}" for n in range(2) for i in range(15))
    read = monitor(url, tmp_path).alerts
    assert read is not None and read.valid
    puts = s3.front.requests("PUT")
    assert len([s for s in puts if s.status == 200]) == 30  # one replace per alert; a refused one (412) was retried


def test_a_remote_baseline_never_replaces_a_newer_one(s3: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/ws"
    write_baseline(url, model_name="shapes", model_version="4", dataset="d", signals=signals())
    before = s3.snapshot(bucket)
    with pytest.raises(NewerBaselineError, match=rf"s3://{bucket}/ws/baseline.json holds a newer baseline"):
        write_baseline(url, model_name="shapes", model_version="3", dataset="d", signals=signals())
    assert s3.snapshot(bucket) == before
    write_baseline(url, model_name="shapes", model_version="3", dataset="d", signals=signals(), replace_newer=True)
    assert body(s3, bucket, "ws/baseline.json")["model"]["version"] == "3"


def test_the_monitor_racing_a_producer_on_one_prefix_never_sees_a_partial_window(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    """A thread writes 200 windows while the monitor reads the prefix again and again."""
    url = f"s3://{bucket}/ws"
    done = threading.Event()
    errors: list[BaseException] = []

    def produce() -> None:
        try:
            for i in range(200):
                end = NOW - timedelta(hours=2) + timedelta(seconds=30 * i)
                window(url, end).close(end=end)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[int] = []
    while True:
        finished = done.is_set()  # read once more after the last window: that read sees all 200
        loaded = monitor(url, tmp_path)
        assert loaded.problem is None, loaded.problem
        bad = [(d.shown, d.error, d.schema_errors) for d in loaded.windows if not d.valid or d.rule_errors]
        assert not bad, bad
        seen.append(len(loaded.windows))
        if finished:
            break
    producer.join(timeout=120)
    assert not errors, errors
    assert seen[-1] == 200 and seen == sorted(seen)


def test_a_denied_write_names_the_url_and_no_credential(s3: S3Server, bucket: str) -> None:
    s3.front.faults.append(Fault("deny", lambda method, path: method == "PUT"))
    with pytest.raises(StorageError) as caught:
        window(f"s3://{bucket}/ws", NOW).close(end=NOW)
    text = str(caught.value)
    assert caught.value.kind == "denied" and f"s3://{bucket}/ws/windows/" in text
    assert not any(secret in text for secret in s3.environ().values() if "canary" in secret.lower())


@pytest.mark.parametrize(
    ("workspace", "message"),
    [
        ("s3://", "needs a bucket"),
        ("s3://key:secret@bucket/p", "holds no credentials"),
        ("ftp://host/p", "no workspace"),
    ],
)
def test_a_url_the_monitor_cannot_read_is_refused_before_anything_is_written(workspace: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        WindowWriter(workspace, model_name="shapes", model_version="3")
    assert "secret" not in str(caught.value)


def test_a_local_write_never_loads_the_storage_client(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from mlops.contract.alerts import add_alert\n"
        "from mlops.contract.baseline import write_baseline\n"
        "from mlops.contract.signals import Signals\n"
        "from mlops.contract.writer import WindowWriter\n"
        "WindowWriter(sys.argv[1], model_name='m', model_version='1').close()\n"
        "write_baseline(sys.argv[1], model_name='m', model_version='1', dataset='d', signals=Signals())\n"
        "add_alert(sys.argv[1], severity='info', title='t')\n"
        "print(sorted(m for m in sys.modules if m in ('obstore', 'mlops.core.storage', 'asyncio')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
    assert len(list((tmp_path / "windows").glob("*.json"))) == 1


def test_an_unreadable_remote_alerts_file_is_left_as_it_is(s3: S3Server, bucket: str) -> None:
    """It may hold alerts nobody else has: as locally, it is never replaced."""
    s3.put(bucket, "ws/alerts.json", b'{"alerts": [')
    before = s3.snapshot(bucket)
    with pytest.raises(ValueError, match=rf"s3://{bucket}/ws/alerts.json .*left as it is"):
        add_alert(f"s3://{bucket}/ws", severity="critical", title="x")
    assert s3.snapshot(bucket) == before
