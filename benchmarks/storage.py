"""The monitor on an object-storage workspace: moto's S3 on loopback, behind the tests' recording front.

The server is the one the tests use (:class:`tests.storage_server.S3Server`): moto in server mode,
and a front that counts every request and can deny, throttle or trickle. The monitor runs as a user
runs it, from the monitor env with the standard ``AWS_*`` variables and ``--workspace s3://...``;
the rows are its wall time, its own peak memory and the requests it sent, which must not grow with
the number of windows the bucket holds. Failure rows time each way a store fails against the budget.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.harness import Row, Workdir, run
from tests.storage_server import Fault, S3Server

ACCOUNT = "123456789012"
"""moto's default account: where the server keeps the buckets it is asked for."""
FAILURES: dict[str, str] = {
    "no-bucket": "no such bucket",
    "denied": "access denied (403)",
    "unreachable": "endpoint unreachable (nothing listening)",
    "throttled": "throttled (503 SlowDown on every request)",
    "trickle": "trickling body (the baseline, a byte every 0.5 s)",
}
QUICK_BUDGET = 2.0
"""The storage budget of the failure rows with ``--quick`` (the default, 10 s, without)."""


class Storage:
    """One loopback S3 server for the bench run; a bucket per scale, filled straight into moto."""

    def __init__(self, work: Workdir, python: str) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
        self.work, self.python = work, python
        self.server = S3Server()
        self.env = {k: v for k, v in work.env.items() if not k.startswith(("AWS_", "AZURE_", "GOOGLE_"))}
        self.env.update(self.server.environ())

    def close(self) -> None:
        self.server.stop()

    def monitor(
        self, config: Path, url: str, *args: str, env: dict[str, str] | None = None
    ) -> tuple[float, float, int]:
        """One run of the monitor on ``url``: (seconds, peak MB, exit code)."""
        out = str(self.work.root / "storage-report.json")
        command = [self.python, "-m", "mlops.monitoring", "--config", str(config), "--workspace", url, *args]
        ran = run(
            [*command, "--format", "json", "--output", out], cwd=self.work.repo, env=env or self.env, ok=range(256)
        )
        return ran.seconds, ran.peak_mb, ran.returncode

    def fill(self, bucket: str, folder: Path) -> str:
        """Every file of the local workspace ``folder`` under ``s3://bucket/scale/``; return that URL.

        A bucket of 100,000 objects filled over HTTP takes minutes: the objects go straight into
        moto's in-process store, the bucket itself is made over HTTP as a client would.
        """
        from moto.s3.models import s3_backends

        self.server.bucket(bucket)
        backend = s3_backends[ACCOUNT]["global"]
        for path in (folder / "baseline.json", folder / "alerts.json", *sorted((folder / "windows").iterdir())):
            backend.put_object(bucket, f"scale/{path.relative_to(folder).as_posix()}", path.read_bytes())
        return f"s3://{bucket}/scale"

    def drop(self, bucket: str) -> None:
        """Forget the bucket (moto holds every object in memory: 100,000 windows are a gigabyte)."""
        from moto.s3.models import s3_backends

        removed = s3_backends[ACCOUNT]["global"].buckets.pop(bucket, None)
        if removed is not None:
            for key in removed.keys.values():
                key.dispose()

    def scale(self, count: int, folder: Path, config: Path) -> Iterator[Row]:
        """The default run on ``count`` windows in the bucket: time, peak memory, requests per run."""
        bucket = f"bench-scale-{count}"
        url = self.fill(bucket, folder)
        times, peaks, requests = [], [], []
        try:
            for round_ in range(self.work.repeat + 1):
                self.server.front.seen.clear()
                seconds, peak, _ = self.monitor(config, url)
                if round_:
                    times.append(seconds)
                    peaks.append(peak)
                    requests.append(float(len(self.server.front.seen)))
            label = f"{count:,} windows in S3 (moto on loopback)"
            yield Row(f"monitor on {label}", tuple(times), key=f"s3-{count}")
            yield Row(f"... peak memory on {label}", tuple(peaks), unit="MB", key=f"s3-{count}-mb")
            yield Row(f"... requests per run on {label}", tuple(requests), unit="requests", key=f"s3-{count}-requests")
        finally:
            self.drop(bucket)

    def failures(self, folder: Path, config: Path, *, quick: bool) -> Iterator[Row]:
        """Each way a store fails, timed from start to exit: all must end within the budget."""
        bucket = "bench-faults"
        url = self.fill(bucket, folder)
        budget = QUICK_BUDGET if quick else None
        extra = ["--set", f"storage.budget_seconds={budget:g}"] if budget is not None else []
        front = self.server.front
        with socket.socket() as probe:  # a port nothing listens on once this closes
            probe.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
        cases: dict[str, Callable[[], tuple[float, float, int]]] = {
            "no-bucket": lambda: self.monitor(config, "s3://bench-no-such-bucket/scale", *extra),
            "denied": lambda: self.faulty(Fault("deny"), config, url, extra),
            "unreachable": lambda: self.monitor(config, url, *extra, env={**self.env, "AWS_ENDPOINT_URL": closed}),
            "throttled": lambda: self.faulty(Fault("slowdown"), config, url, extra),
            "trickle": lambda: self.faulty(
                Fault("trickle", lambda method, path: path.endswith("/baseline.json")), config, url, extra
            ),
        }
        try:
            shown = budget or 10.0
            yield Row("storage budget of the failure rows (`storage.budget_seconds`)", (shown,), key="fail-budget")
            for case, action in cases.items():
                samples, codes = [], set()
                for _ in range(1 if quick else min(self.work.repeat, 3)):
                    seconds, _, code = action()
                    samples.append(seconds)
                    codes.add(code)
                exits = "/".join(str(c) for c in sorted(codes))
                yield Row(f"remote failure, {FAILURES[case]}: exit {exits}", tuple(samples), key=f"fail-{case}")
        finally:
            front.faults.clear()
            self.drop(bucket)

    def faulty(self, fault: Fault, config: Path, url: str, extra: list[str]) -> tuple[float, float, int]:
        self.server.front.faults[:] = [fault]
        try:
            return self.monitor(config, url, *extra)
        finally:
            self.server.front.faults.clear()
