"""The monitor on an S3 workspace, through the README's entry point (a real nox process), against a
real S3 server on loopback (moto behind a recording, fault-injecting front: tests/storage_server.py).

Every run here is read-only (the bucket is byte-identical afterwards, and nothing but GET and HEAD
reached the store), ends with a report and no traceback, and no credential of ``s3.environ()``
reaches stdout, stderr, the ``--output`` file or GitHub's files. Requests are counted at the server.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, NoxMonitor, Outcome, free_port, json_from
from tests.storage_server import Fault, S3Server, Seen

CONFIG = "mlops/example/monitor.yaml"  # relative to the repository copy nox_monitor runs in
AS_OF = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)  # the example config's as_of
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
TEMPLATES = [json.loads(p.read_text()) for p in sorted((EXAMPLE / "workspace" / "windows").iterdir())]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def listings(seen: list[Seen]) -> list[Seen]:
    return [s for s in seen if s.method == "GET" and "list-type=2" in s.path]


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def windows(count: int, newest: datetime, prefix: str) -> Iterator[tuple[str, bytes]]:
    """``count`` valid windows of the example's model, five minutes each, the newest ending at
    ``newest``, named by their end time as producers name them."""
    for back in range(count):
        end = newest - timedelta(minutes=5 * back)
        doc = dict(
            TEMPLATES[back % len(TEMPLATES)],
            window={"start": _z(end - timedelta(minutes=5)), "end": _z(end)},
            generated_at=_z(end + timedelta(minutes=1)),
        )
        yield f"{prefix}/windows/{end:%Y-%m-%dT%H%M%S}Z.json", json.dumps(doc).encode()


def workspace_bucket(s3: S3Server, name: str, count: int, newest: datetime) -> str:
    """A bucket holding the example's baseline and alerts below ``ws/`` and ``count`` windows."""
    bucket = s3.bucket(unique(name))
    for file in ("baseline.json", "alerts.json"):
        s3.put(bucket, f"ws/{file}", (EXAMPLE / "workspace" / file).read_bytes())
    s3.put_many(bucket, windows(count, newest, "ws"))
    return bucket


@dataclass
class Run:
    outcome: Outcome
    seen: list[Seen]
    written: dict[str, str]
    """Everything the run wrote: stdout, stderr, the --output file, GitHub's summary and outputs."""

    @property
    def report(self) -> dict[str, Any]:
        return json_from(self.outcome)

    def findings(self, check: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["check"] == check]


@pytest.fixture
def remote(nox_monitor: NoxMonitor, s3: S3Server, tmp_path: Path) -> Any:
    """``remote(url, *args)``: the entry point on ``url`` with the example config, checked for what
    every run must do (read-only, no traceback, no secret anywhere)."""

    def run(url: str, *args: str, env: dict[str, str] | None = None, snapshot: bool = True, config: bool = True) -> Run:
        bucket = url.partition("://")[2].partition("/")[0]
        existing = {b["Name"] for b in s3.client().list_buckets()["Buckets"]}
        before = s3.snapshot(bucket) if snapshot and bucket in existing else None
        folder = tmp_path / unique("run")
        folder.mkdir()
        files = {"summary": folder / "summary.md", "outputs": folder / "outputs.txt", "output": folder / "report"}
        environ = s3.environ() | {
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_OUTPUT": str(files["outputs"]),
            **(env or {}),
        }
        s3.front.seen.clear()
        head = ["--config", CONFIG] if config else []
        outcome = nox_monitor(*head, "--workspace", url, *args, "--output", str(files["output"]), env=environ)
        seen = list(s3.front.seen)
        written = {"stdout": outcome.out, "stderr": outcome.err}
        written |= {name: path.read_text(encoding="utf-8") for name, path in files.items() if path.exists()}
        if outcome.code != 2:  # the report went to --output: read it as json_from reads stdout
            outcome = Outcome(outcome.code, written["output"], outcome.err)
        assert "Traceback" not in outcome.text, outcome.text[-3000:]
        for name in SECRET_VARIABLES:
            for where, text in written.items():
                assert environ[name] not in text, f"{name} in {where}"
        assert {s.method for s in seen} <= {"GET", "HEAD"}, "the monitor sent a write"
        if before is not None:
            assert s3.snapshot(bucket) == before, "the bucket changed"
        return Run(outcome, seen, written)

    return run


def comparable(findings: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(f["check"], f["severity"], f["message"], f["subject"]) for f in findings if f["check"] != "MON100"]


# (a) the example workspace in a bucket judges as it does on disk


def test_the_example_uploaded_gives_the_findings_it_gives_on_disk(
    remote: Any, nox_monitor: NoxMonitor, s3: S3Server
) -> None:
    bucket = s3.bucket(unique("example"))
    s3.upload(EXAMPLE / "workspace", bucket, "prod/monitoring")
    url = f"s3://{bucket}/prod/monitoring"
    on_disk = nox_monitor("--config", CONFIG, "--workspace", "mlops/example/workspace", "--format", "json")
    in_bucket = remote(url, "--format", "json")
    assert in_bucket.outcome.code == on_disk.code == 0, in_bucket.outcome.text[-2000:]
    local = json_from(on_disk)["findings"]
    assert comparable(in_bucket.report["findings"]) == comparable(local) and len(local) > 20
    (mon100,) = in_bucket.findings("MON100")
    assert mon100["severity"] == "ok" and url in mon100["message"] and in_bucket.report["workspace"] == url
    assert len(listings(in_bucket.seen)) == 2  # the windows after the span's first key, and reports/


def test_a_text_report_names_the_bucket_and_not_a_credential(remote: Any, s3: S3Server) -> None:
    bucket = s3.bucket(unique("text"))
    s3.upload(EXAMPLE / "workspace", bucket, "ws")
    run = remote(f"s3://{bucket}/ws")
    assert run.outcome.code == 0 and run.outcome.out.startswith(f"mlops monitor: s3://{bucket}/ws ")
    assert s3.environ()["AWS_ACCESS_KEY_ID"] not in run.outcome.text


# (c) each way the store fails is a named finding, exit 1


@dataclass(frozen=True)
class Failure:
    check: str
    words: str
    args: tuple[str, ...] = ()
    fault: str | None = None
    bucket: bool = True


FAILURES = {
    "no-such-bucket": Failure("MON100", "no such bucket", bucket=False),
    "access-denied": Failure("MON100", "access denied", fault="deny"),
    "unreachable": Failure("MON100", "cannot be reached"),
    "throttled": Failure("MON100", "slow down", ("--set", "storage.retries=1"), fault="slowdown"),
    "too-large": Failure(
        "MON102", "over the 100-byte limit (refused before download)", ("--set", "files.max_bytes=100")
    ),
    "not-json": Failure("MON102", "windows/2026-11-20T120000Z.json"),
    "trickling-body": Failure(
        "MON100", "no answer within the 2 s storage budget", ("--set", "storage.budget_seconds=2"), fault="trickle"
    ),
}  # fmt: skip


@pytest.mark.parametrize("reporter", ["json", "github"])
@pytest.mark.parametrize("case", sorted(FAILURES))
def test_each_failure_is_a_named_error_never_healthy(remote: Any, s3: S3Server, case: str, reporter: str) -> None:
    failure = FAILURES[case]
    bucket = s3.bucket(unique("fail")) if failure.bucket else unique("absent")
    if failure.bucket:
        s3.upload(EXAMPLE / "workspace", bucket, "ws")
    if case == "not-json":
        s3.put(bucket, "ws/windows/2026-11-20T120000Z.json", b"{not json")
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"} if case == "unreachable" else {}
    if failure.fault:
        s3.front.faults.append(Fault(failure.fault))
    url = f"s3://{bucket}/ws"
    run = remote(url, *failure.args, "--format", reporter, env=env)
    s3.front.faults.clear()
    assert run.outcome.code == 1, run.outcome.text[-2000:]
    assert "healthy" not in run.outcome.out.lower()
    if reporter == "github":
        assert failure.words in run.written["summary"] and url in run.written["summary"]
        return
    errors = [f for f in run.findings(failure.check) if f["severity"] == "error"]
    assert errors and all(failure.words in f["message"] for f in errors), run.report["findings"]
    assert run.report["workspace"] == url and run.report["status"] == "failed" and run.report["counts"]["error"] >= 1
    if failure.check == "MON100":
        assert errors[0]["message"].startswith(url)
    if case == "throttled":  # baseline and alerts asked at once, each sent twice at most (retries=1)
        assert 1 <= len(run.seen) <= 2 * 2, [(x.path, x.status) for x in run.seen]
    if case == "too-large":  # every window was listed with its size: none was downloaded
        assert not [s for s in run.seen if "/windows/" in s.path and "list-type" not in s.path]


# (d) credentials never sit in the URL; other clouds are accepted and fail by name


@pytest.mark.parametrize("where", ["--workspace", "MLOPS_WORKSPACE"])
def test_a_workspace_url_holding_credentials_is_a_config_error(nox_monitor: NoxMonitor, where: str) -> None:
    url = "s3://AKIAX:cAnAry-url-secret-0ff1ce@bucket/p"
    args, env = (["--workspace", url], {}) if where == "--workspace" else ([], {"MLOPS_WORKSPACE": url})
    outcome = nox_monitor("--config", CONFIG, *args, env=env)
    assert outcome.code == 2 and "holds no credentials" in outcome.err
    assert "cAnAry-url-secret-0ff1ce" not in outcome.text and "Traceback" not in outcome.text


@pytest.mark.parametrize(
    ("url", "env", "words"),
    [
        ("gs://a-gcs-bucket/ws", {"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/key.json"}, "cannot be configured"),
        ("az://container/ws", {}, "Account must be specified"),
        ("abfs://container/ws", {}, "Account must be specified"),
        ("az://container/ws", {"AZURE_STORAGE_USE_EMULATOR": "true"}, "cannot be reached"),
    ],
)
def test_gcs_and_azure_urls_are_accepted_and_fail_by_name(
    nox_monitor: NoxMonitor, url: str, env: dict[str, str], words: str
) -> None:
    """No GCS or Azure server runs here (Azurite's default port is closed): the config takes the URL,
    and the store's failure is a MON100 finding, not a traceback. Nothing leaves the machine."""
    outcome = nox_monitor("--config", CONFIG, "--workspace", url, "--select", "MON1", "--format", "json", env=env)
    assert outcome.code == 1 and "Traceback" not in outcome.text, outcome.text[-2000:]
    (mon100,) = [f for f in json_from(outcome)["findings"] if f["check"] == "MON100"]
    assert mon100["severity"] == "error" and mon100["message"].startswith(url) and words in mon100["message"]


# (e) a run costs what it judges, not what has accumulated


@dataclass(frozen=True)
class Histories:
    small: str
    large: str


@pytest.fixture(scope="session")
def histories(s3_server: S3Server) -> Histories:
    """1,000 and 100,000 five-minute windows, the newest 3 minutes before as_of; built once."""
    newest = AS_OF - timedelta(minutes=3)
    return Histories(
        workspace_bucket(s3_server, "hist-1k", 1_000, newest), workspace_bucket(s3_server, "hist-100k", 100_000, newest)
    )


@pytest.mark.slow
def test_a_default_run_costs_the_same_at_1000_and_100000_windows(remote: Any, histories: Histories) -> None:
    small = remote(f"s3://{histories.small}/ws", "--format", "json")
    large = remote(f"s3://{histories.large}/ws", "--format", "json", snapshot=False)  # 100,000 GETs to compare
    print(f"requests per default run: 1,000 windows: {len(small.seen)}, 100,000 windows: {len(large.seen)}")
    assert small.outcome.code == large.outcome.code == 0
    assert len(small.seen) == len(large.seen) and len(listings(large.seen)) <= 2
    assert comparable(small.report["findings"]) == comparable(large.report["findings"])
    (mon101,) = large.findings("MON101")
    assert "312 window file(s)" in mon101["message"]  # the 26-hour span: 312 windows of five minutes


@pytest.mark.slow
def test_scan_all_reads_every_window(remote: Any, histories: Histories) -> None:
    run = remote(f"s3://{histories.small}/ws", "--scan", "all", "--format", "json")
    assert run.outcome.code == 0
    (mon101,) = run.findings("MON101")
    assert "1000 window file(s) present" in mon101["message"]
    window_gets = [s for s in run.seen if "/windows/" in s.path and "list-type" not in s.path]
    assert len(window_gets) == 1000 and len(listings(run.seen)) == 1 + 1  # one page of windows, reports/


@pytest.mark.slow
def test_scan_all_lists_100000_windows_at_one_request_per_1000(
    histories: Histories, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing half of --scan all at 100,000 windows (reading them all through moto takes about
    seven minutes here, so the reads are proven at 1,000 above)."""
    from mlops.core.storage import RemoteStore

    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    store = RemoteStore(f"s3://{histories.large}/ws", budget_seconds=300)
    try:
        assert len(store.listing("windows")) == 100_000
    finally:
        store.close()
    assert len(listings(s3.front.seen)) == 100 == store.requests


# (f) a stale bucket: the loader steps back, and the step costs the same however long the history


@pytest.mark.slow
def test_a_stale_bucket_is_an_error_with_its_age_at_a_bounded_cost(remote: Any, s3: S3Server) -> None:
    newest = AS_OF - timedelta(days=10)
    runs = [
        remote(f"s3://{workspace_bucket(s3, 'stale', days * 288, newest)}/ws", "--format", "json", snapshot=False)
        for days in (20, 40)
    ]
    for run in runs:
        assert run.outcome.code == 1
        (mon105,) = run.findings("MON105")
        assert mon105["severity"] == "error" and "ended 10.0 days ago" in mon105["message"]
        assert mon105["subject"] == f"windows/{newest:%Y-%m-%dT%H%M%S}Z.json"
    print(f"stale bucket, 20 and 40 days of history: {[len(r.seen) for r in runs]} requests")
    assert len(runs[0].seen) == len(runs[1].seen) <= 2 + 6 + 64  # baseline, alerts; listings; one read batch
    assert len(listings(runs[0].seen)) <= 6


# --scan all and the default differ only in which windows they read (a local folder)


def test_scan_all_and_recent_differ_only_in_the_windows_read(nox_monitor: NoxMonitor, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    shutil.copytree(EXAMPLE / "workspace", folder)
    for day in range(1, 6):
        (folder / "windows" / f"2026-11-0{day}T120000Z.json").write_text("{not json")
        (folder / "windows" / f"2026-11-1{day}T120000Z.json").write_text('{"schema": "mlops.window"}')
    recent = nox_monitor("--config", CONFIG, "--workspace", str(folder), "--format", "json")
    full = nox_monitor("--config", CONFIG, "--workspace", str(folder), "--format", "json", "--scan", "all")
    example = nox_monitor("--config", CONFIG, "--workspace", "mlops/example/workspace", "--format", "json")
    assert (recent.code, full.code) == (0, 1) and "Traceback" not in recent.text + full.text

    def by_check(outcome: Outcome) -> dict[str, list[tuple[str, str, str]]]:
        found: dict[str, list[tuple[str, str, str]]] = {}
        for f in json_from(outcome)["findings"]:
            found.setdefault(f["check"], []).append((f["severity"], f["message"], f["subject"]))
        return found

    recent_found, full_found = by_check(recent), by_check(full)
    assert {k: v for k, v in recent_found.items() if k != "MON100"} == {
        k: v for k, v in by_check(example).items() if k != "MON100"
    }  # the old broken windows are never opened
    broken = sorted(s for sev, _, s in full_found["MON102"] if sev == "error")
    off_contract = sorted(s for sev, _, s in full_found["MON103"] if sev == "error")
    assert broken == [f"windows/2026-11-0{d}T120000Z.json" for d in range(1, 6)]
    assert off_contract == [f"windows/2026-11-1{d}T120000Z.json" for d in range(1, 6)]
    differ = {k for k in recent_found.keys() | full_found.keys() if recent_found.get(k) != full_found.get(k)}
    assert differ == {"MON101", "MON102", "MON103"}  # the count of files read, and the broken ones named


# Azure for real, where Azurite (npm package `azurite`) is installed: `azurite-blob` on PATH


@dataclass(frozen=True)
class Azurite:
    url: str
    env: dict[str, str]

    def container(self) -> str:
        """A new container, created with the emulator's well-known SharedKey (obstore cannot create one)."""
        import base64
        import hashlib
        import hmac
        import urllib.request
        from email.utils import formatdate

        name, account = unique("c"), "devstoreaccount1"
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": "2021-08-06", "Content-Length": "0"}
        signed = (  # the verb, eleven standard headers (all empty here), the x-ms- headers, the resource
            "PUT\n" + "\n" * 11 + "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()) if k.startswith("x-ms-"))
        )
        signed += f"/{account}/{account}/{name}\nrestype:container"
        signature = hmac.new(base64.b64decode(AZURITE_KEY), signed.encode(), hashlib.sha256).digest()
        headers["Authorization"] = f"SharedKey {account}:{base64.b64encode(signature).decode()}"
        request = urllib.request.Request(
            f"{self.url}/{account}/{name}?restype=container", method="PUT", headers=headers
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
        return name


AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""Azurite's published development key (not a secret: every emulator has it)."""


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    import subprocess
    import time
    import urllib.error
    import urllib.request

    binary = shutil.which("azurite-blob")
    if binary is None:
        pytest.skip("Azurite is not installed (npm install azurite; azurite-blob on PATH)")
    port, data = free_port(), tmp_path_factory.mktemp("azurite")
    command = [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(data)]
    proc = subprocess.Popen([*command, "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose"])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
            except urllib.error.HTTPError:
                break  # it answers: a 400 for a request that names no account
            except OSError:
                time.sleep(0.2)
        env = {"AZURE_STORAGE_USE_EMULATOR": "true", "AZURITE_BLOB_STORAGE_URL": url}
        yield Azurite(url, env)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_example_in_azurite_gives_the_findings_it_gives_on_disk(
    azurite: Azurite, nox_monitor: NoxMonitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops.core.storage import RemoteStore

    for name, value in azurite.env.items():
        monkeypatch.setenv(name, value)
    container = azurite.container()
    store = RemoteStore(f"az://{container}/ws")
    try:
        for path in sorted((EXAMPLE / "workspace").rglob("*.json")):
            store.put_new(path.relative_to(EXAMPLE / "workspace").as_posix(), path.read_bytes())
    finally:
        store.close()
    on_disk = nox_monitor("--config", CONFIG, "--workspace", "mlops/example/workspace", "--format", "json")
    url = f"az://{container}/ws"
    in_azure = nox_monitor("--config", CONFIG, "--workspace", url, "--format", "json", env=azurite.env)
    assert in_azure.code == on_disk.code == 0, in_azure.text[-2000:]
    assert comparable(json_from(in_azure)["findings"]) == comparable(json_from(on_disk)["findings"])
    absent = nox_monitor("--config", CONFIG, "--workspace", "az://absent-container/ws", "--format", "json",
                         env=azurite.env)  # fmt: skip
    (mon100,) = [f for f in json_from(absent)["findings"] if f["check"] == "MON100"]
    assert absent.code == 1 and "no such bucket (or container)" in mon100["message"], mon100
