"""The monitor itself, without nox around it: run time, import time, peak memory, and scale.

Scale: a year of history must not cost a run more than a day of it. The default run (``files.scan:
recent``) on 1,000 / 10,000 / 100,000 five-minute windows in a folder and in a loopback S3 bucket,
``--scan all`` (every file read: the audit) on the largest, and each way a remote store fails.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

from benchmarks.harness import Row, Workdir, du, run
from benchmarks.scale import write_workspace
from benchmarks.storage import Storage

IMPORT = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"
SCALES = (1_000, 10_000, 100_000)
QUICK_SCALES = SCALES[:2]
STATISTICS = """
import json, random, timeit
from mlops.monitoring import stats
rng = random.Random(6)
ref = [rng.randrange(0, 500) for _ in range(100)]
cur = [max(c + rng.randrange(-40, 40), 0) for c in ref]
calls = {"psi": stats.psi, "js_distance": stats.js_distance, "ks_binned": stats.ks_binned,
         "chi_square": stats.chi_square}
print(json.dumps({name: min(timeit.repeat(lambda f=f: f(ref, cur), number=200, repeat=5)) / 200
                  for name, f in calls.items()}))
"""


class Monitor:
    def __init__(self, work: Workdir) -> None:
        self.work = work
        self.python = str(work.repo / ".nox" / "monitor" / "bin" / "python")

    def monitor(self, *args: str) -> tuple[float, float]:
        ran = run([self.python, "-m", "mlops.monitoring", *args], cwd=self.work.repo, env=self.work.env, ok=(0, 1))
        return ran.seconds, ran.peak_mb

    def rows(self, quick: bool) -> Iterator[Row]:
        self.work.nox("-s", "monitor", env=self.work.cache("uv"))  # the env the rows run in
        peaks: dict[str, list[float]] = {"on": [], "off": []}

        def timed(which: str, *args: str) -> float:
            seconds, peak = self.monitor("--example", *args)
            peaks[which].append(peak)
            return seconds

        def imported(module: str) -> float:
            code = IMPORT.format(module)
            return float(run([self.python, "-c", code], cwd=self.work.repo, env=self.work.env).output)

        variants = {
            "monitor on the example, MLflow checks on (file store)": lambda: timed("on"),
            "monitor on the example, MLflow checks off (`--ignore MON3`)": lambda: timed("off", "--ignore", "MON3"),
            "import of `mlops.monitoring.cli` (the monitor and its checks)": lambda: imported("mlops.monitoring.cli"),
            "import of `mlflow` (mlflow-skinny), for comparison: not on the REST path": lambda: imported("mlflow"),
        }
        yield from self.work.interleaved(variants)
        for which in ("on", "off"):  # the warm-up round is not counted
            yield Row(f"monitor peak memory, MLflow checks {which}", tuple(peaks[which][1:]), unit="MB")
        per_statistic: dict[str, list[float]] = {}
        for _ in range(self.work.repeat):
            ran = run([self.python, "-c", STATISTICS], cwd=self.work.repo, env=self.work.env)
            for name, seconds in json.loads(ran.output).items():
                per_statistic.setdefault(name, []).append(seconds * 1000)
        for name, ms in per_statistic.items():
            label = f"`stats.{name}` on two 100-bin histograms (best of 5x200 calls)"
            yield Row(label, tuple(ms), unit="ms", key=f"stats-{name}")

    def scale_rows(self, quick: bool) -> Iterator[Row]:
        """Each scale's workspace is written once and serves every row of that scale (folder and bucket)."""
        self.work.nox("-s", "monitor", env=self.work.cache("uv"))
        storage = Storage(self.work, self.python)
        try:
            for count in QUICK_SCALES if quick else SCALES:
                folder = self.work.root / f"scale-{count}"
                config = write_workspace(folder, count)
                try:
                    yield from self.scale(count, folder, config)
                    if count == SCALES[-1]:
                        yield from self.scale(count, folder, config, "--scan", "all")
                    yield from storage.scale(count, folder, config)
                    if count == SCALES[0]:
                        yield from storage.failures(folder, config, quick=quick)
                finally:
                    shutil.rmtree(folder)
        finally:
            storage.close()

    def scale(self, count: int, folder: Path, config: Path, *args: str) -> Iterator[Row]:
        """The monitor on ``count`` window files of about 9 KB, drift on the newest; by default only
        the recent ones are read (a day and a bit: about 300), with ``--scan all`` every one."""
        size = du(folder / "windows")
        out = str(self.work.root / "scale-report.json")
        times, peaks = [], []
        for round_ in range(self.work.repeat + 1):
            seconds, peak = self.monitor("--config", str(config), "--format", "json", "--output", out, *args)
            if round_:
                times.append(seconds)
                peaks.append(peak)
        label = f"{count:,} window files ({size:.0f} MB)"
        how, key = (", `--scan all`", f"scan-all-{count}") if args else ("", f"scale-{count}")
        yield Row(f"monitor on {label}{how}", tuple(times), key=key)
        yield Row(f"... peak memory on {label}{how}", tuple(peaks), unit="MB", key=f"{key}-mb")

    def page_rows(self, quick: bool) -> Iterator[Row]:
        """What ``--html`` adds: on the example and on 1,000 windows judged together (the monitor alone,
        text report to a file, with and without the page, interleaved), the page's size, and the warm
        ``nox -s monitor`` session with and without it."""
        self.work.nox("-s", "monitor", env=self.work.cache("uv"))
        page, out = self.work.root / "page.html", str(self.work.root / "page-report.txt")
        folder = self.work.root / "page-1000"
        config = str(write_workspace(folder, 1000))
        thousand = ("--config", config, "--windows", "1000", "--output", out)
        example = ("--example", "--output", out)
        try:
            runs = {
                "page-example-off": lambda: self.monitor(*example)[0],
                "page-example-on": lambda: self.monitor(*example, "--html", str(page))[0],
                "page-1000-off": lambda: self.monitor(*thousand)[0],
                "page-1000-on": lambda: self.monitor(*thousand, "--html", str(page))[0],
                "page-session-off": lambda: self.work.nox("-s", "monitor", env=self.work.cache("uv")),
                "page-session-on": lambda: self.work.nox(
                    "-s", "monitor", "--", "--html", str(page), env=self.work.cache("uv")
                ),
            }
            names = {
                "page-example-off": "monitor on the example, text report",
                "page-example-on": "... with `--html` (the page as well)",
                "page-1000-off": "monitor on 1,000 windows judged together (`--windows 1000`), text report",
                "page-1000-on": "... with `--html`",
                "page-session-off": "warm `nox -s monitor`",
                "page-session-on": "warm `nox -s monitor -- --html page.html`",
            }
            for row in self.work.interleaved(runs):
                yield Row(names[row.key], row.samples, key=row.key)
            self.monitor(*thousand, "--html", str(page))
            yield Row("... the 1,000-window page on disk", (page.stat().st_size / 1e6,), unit="MB", key="page-1000-mb")
        finally:
            shutil.rmtree(folder)

    @staticmethod
    def growth(rows: dict[str, Row]) -> str:
        """Time at each scale against the smallest, in a folder and in S3: flat means independent of history."""
        parts = []
        for where, prefix in (("folder", "scale"), ("S3", "s3")):
            measured = [count for count in SCALES if f"{prefix}-{count}" in rows and rows[f"{prefix}-{count}"].samples]
            if len(measured) < 2:
                continue
            base = statistics.median(rows[f"{prefix}-{measured[0]}"].samples)
            steps = ", ".join(
                f"{count:,}: {statistics.median(rows[f'{prefix}-{count}'].samples) / base:.2f}x" for count in measured
            )
            parts.append(f"{where} {steps}")
        return "; ".join(parts)
