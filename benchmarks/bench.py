"""The seed's before/after table, measured side by side: ``nox -s bench`` (``-- --help``).

Everything runs on a temporary copy of the repository with private caches, so the numbers do
not depend on what this checkout or this machine's caches already hold. Comparable variants run
interleaved (one of each per round, one warm-up round, then ``--repeat`` rounds) and every ratio
is computed between rows of the same run. Prints Markdown; asserts nothing about time.
``--update-readme`` writes the table into README.md between its bench markers, so the README
shows no number this harness did not produce.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import full
from benchmarks.ci import CiRows
from benchmarks.harness import ROOT, Row, Workdir
from benchmarks.mlflow_rows import MlflowRows
from benchmarks.monitor import Monitor
from benchmarks.sessions import RATIO_BASE, Sessions

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
GROUPS = ("sessions", "monitor", "page", "scale", "replay", "mlflow")
QUICK_GROUPS = ("sessions", "monitor", "page", "scale")
SCAN_ALL_BEFORE = 52.0
"""Seconds ``--scan all``'s work (every one of 100,000 windows) took before recent-only reads (issue 14)."""
TIMES_WITH_RATIO = frozenset({"seed-after", "plain", "plain-r", "cold", "warm", "change", "full"})


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        cpu = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(encoding="utf-8")).group(1))  # type: ignore[union-attr]
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration, AttributeError):
        pass
    system = f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs{memory}"
    return f"{system}, Python {platform.python_version()}"


def ratio(row: Row, rows: dict[str, Row]) -> str:
    base = rows.get(RATIO_BASE)
    if row.key not in TIMES_WITH_RATIO or base is None or not row.samples:
        return ""
    if row.key == RATIO_BASE:
        return "1x"
    factor = base.median / row.median
    return f"**{factor:.1f}x faster**" if factor >= 1 else f"{1 / factor:.1f}x slower"


def targets(rows: dict[str, Row]) -> Iterator[str]:
    """The issue's targets, each met, missed, or not measured in this run."""

    def verdict(
        name: str, keys: tuple[str, ...], value: Callable[[], float], goal: Callable[[float], bool], shown: str
    ) -> str:
        if not all(k in rows and rows[k].samples for k in keys):
            return f"- {name}: not measured in this run"
        measured = value()
        return f"- {name}: {shown.format(measured)} — {'met' if goal(measured) else '**MISSED**'}"

    med = {key: row.median for key, row in rows.items() if row.samples}
    yield verdict(
        "warm monitor session ≥ 10x faster than the seed's after", ("warm", RATIO_BASE),
        lambda: med[RATIO_BASE] / med["warm"], lambda x: x >= 10, "{:.1f}x",
    )  # fmt: skip
    yield verdict(
        "cold monitor session ≥ 3x faster than the seed's after", ("cold", RATIO_BASE),
        lambda: med[RATIO_BASE] / med["cold"], lambda x: x >= 3, "{:.1f}x",
    )  # fmt: skip
    yield verdict(
        "warm `nox -s monitor` within 3x of `nox -l`", ("warm", "floor"),
        lambda: med["warm"] / med["floor"], lambda x: x <= 3, "{:.2f}x",
    )  # fmt: skip
    yield verdict(
        "slim env ≤ 1/50 of the full env on disk (`--full`)", ("slim-env", "full-env"),
        lambda: med["full-env"] / med["slim-env"], lambda x: x >= 50, "1/{:.0f}",
    )  # fmt: skip
    if "against" in med:
        yield verdict(
            "warm `nox -s monitor` no slower than at the compared commit, per `nox -l`", ("warm", "against", "floor"),
            lambda: med["warm"] / med["floor"], lambda x: x <= med["against"] / med["floor"],
            "{:.2f}x" + f" against {med.get('against', 0) / med['floor']:.2f}x",
        )  # fmt: skip
    statistics = tuple(key for key in med if key.startswith("stats-"))
    yield verdict(
        "each drift statistic on 100-bin histograms ≤ 1 ms", statistics or ("stats-psi",),
        lambda: max(med[key] for key in statistics), lambda x: x <= 1, "slowest {:.2f} ms",
    )  # fmt: skip
    yield verdict(
        "10,000 window files judged in ≤ 5 s",
        ("scale-10000",),
        lambda: med["scale-10000"],
        lambda x: x <= 5,
        "{:.2f} s",
    )
    yield verdict(
        "... with peak memory ≤ 150 MB", ("scale-10000-mb",), lambda: med["scale-10000-mb"], lambda x: x <= 150,
        "{:.0f} MB",
    )  # fmt: skip
    yield verdict(
        "slim env ≤ 100 MB on disk", ("slim-env",), lambda: med["slim-env"], lambda x: x <= 100, "{:.0f} MB",
    )  # fmt: skip
    yield verdict(
        "default run on 100,000 windows ≤ 1.5x the run on 1,000 (a folder)", ("scale-100000", "scale-1000"),
        lambda: med["scale-100000"] / med["scale-1000"], lambda x: x <= 1.5, "{:.2f}x",
    )  # fmt: skip
    yield verdict(
        "... and ≤ 1.0 s", ("scale-100000",), lambda: med["scale-100000"], lambda x: x <= 1.0, "{:.2f} s",
    )  # fmt: skip
    yield verdict(
        "... with peak memory ≤ 60 MB", ("scale-100000-mb",), lambda: med["scale-100000-mb"], lambda x: x <= 60,
        "{:.0f} MB",
    )  # fmt: skip
    yield verdict(
        f"`--scan all` on 100,000 windows no slower than before recent-only reads ({SCAN_ALL_BEFORE:g} s)",
        ("scan-all-100000",), lambda: med["scan-all-100000"], lambda x: x <= SCAN_ALL_BEFORE, "{:.1f} s",
    )  # fmt: skip
    yield verdict(
        "default run on 100,000 windows in S3 (loopback) ≤ 3 s", ("s3-100000",), lambda: med["s3-100000"],
        lambda x: x <= 3, "{:.2f} s",
    )  # fmt: skip
    yield verdict(
        "... with as many requests as on 1,000 (independent of history)", ("s3-100000-requests", "s3-1000-requests"),
        lambda: med["s3-100000-requests"], lambda x: x == med["s3-1000-requests"],
        "{:.0f}" + f" against {med.get('s3-1000-requests', 0):.0f}",
    )  # fmt: skip
    yield verdict(
        "run after a failing run: warm, no installer (checked each round), ≤ 1.2x the run after a healthy one",
        ("replay-after-failure", "replay-after-healthy"),
        lambda: med["replay-after-failure"] / med["replay-after-healthy"], lambda x: x <= 1.2, "{:.2f}x",
    )  # fmt: skip
    yield verdict(
        "new Python patch release: envs rebuilt from the uv cache, offline, and the run ≤ 5 s", ("replay-patch",),
        lambda: max(rows["replay-patch"].samples), lambda x: x <= 5, "slowest {:.2f} s",
    )  # fmt: skip
    yield verdict(
        "the page on the example ≤ 50 ms extra over the text report", ("page-example-on", "page-example-off"),
        lambda: (med["page-example-on"] - med["page-example-off"]) * 1000, lambda x: x <= 50, "{:.0f} ms",
    )  # fmt: skip
    yield verdict(
        "the page on 1,000 judged windows ≤ 0.3 s extra", ("page-1000-on", "page-1000-off"),
        lambda: med["page-1000-on"] - med["page-1000-off"], lambda x: x <= 0.3, "{:.2f} s",
    )  # fmt: skip
    yield verdict(
        "... and ≤ 1 MB on disk", ("page-1000-mb",), lambda: med["page-1000-mb"], lambda x: x <= 1, "{:.2f} MB",
    )  # fmt: skip
    yield verdict(
        "warm `nox -s monitor -- --html page.html` within 1.2x of the same run without it",
        ("page-session-on", "page-session-off"),
        lambda: med["page-session-on"] / med["page-session-off"], lambda x: x <= 1.2, "{:.2f}x",
    )  # fmt: skip
    silent = tuple(key for key in med if key.startswith("silent-"))
    yield verdict(
        "heartbeat, keepalive and incident calls each end ≤ 5 s against a silent server",
        silent or ("silent-heartbeat",), lambda: max(max(rows[key].samples) for key in silent),
        lambda x: x <= 5, "slowest {:.2f} s",
    )  # fmt: skip
    failures = tuple(key for key in med if key.startswith("fail-") and key != "fail-budget")
    yield verdict(
        "each remote failure ends within the storage budget + 1 s", ("fail-budget", *(failures or ("fail-denied",))),
        lambda: max(max(rows[key].samples) for key in failures), lambda x: x <= med["fail-budget"] + 1,
        "slowest {:.2f} s" + f" against {med.get('fail-budget', 0) + 1:g} s",
    )  # fmt: skip


def update_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    if text.count(START) != 1 or text.count(END) != 1:
        raise SystemExit(f"bench: {readme.name} needs exactly one {START} and one {END}")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    readme.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")
    print(f"bench: wrote the table into {readme}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run under a minute (CI): warm rows, 3 rounds")
    parser.add_argument("--repeat", type=int, help="measured rounds after one warm-up (default 5; 3 with --quick)")
    parser.add_argument("--only", action="append", choices=GROUPS, help="measure only these groups of rows")
    parser.add_argument("--full", action="store_true", help="also the seed's before: the full set (gigabytes)")
    parser.add_argument(
        "--full-repeat", type=int, help="fresh full installs to time (default: --repeat; minutes and GBs each)"
    )
    parser.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    parser.add_argument(
        "--against", metavar="REV", help="also time the warm monitor session of this git commit, interleaved"
    )
    args = parser.parse_args(argv)
    if args.update_readme and (args.quick or args.only):
        parser.error("--update-readme needs the whole table: drop --quick and --only")
    groups = args.only or (QUICK_GROUPS if args.quick else GROUPS)
    repeat = args.repeat if args.repeat is not None else 3 if args.quick else 5
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    flags = [
        *(["--full"] if args.full else []),
        *([f"--full-repeat {args.full_repeat}"] if args.full_repeat else []),
        *([f"--against {args.against}"] if args.against else []),
    ]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()} by `nox -s bench"
        + (f" -- {' '.join(flags)}`" if flags else "`")
        + f"; median (min-max, n) of {repeat} interleaved rounds after a warm-up.",
        "",
        "| measurement | value | time vs seed's after |",
        "|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    rows: dict[str, Row] = {}
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        work = Workdir(Path(tmp), repeat)
        sources: dict[str, Callable[[], Iterator[Row]]] = {
            "sessions": lambda: Sessions(work, args.against).rows(args.quick),
            "monitor": lambda: Monitor(work).rows(args.quick),
            "page": lambda: Monitor(work).page_rows(args.quick),
            "scale": lambda: Monitor(work).scale_rows(args.quick),
            "replay": lambda: CiRows(work).rows(args.quick),
            "mlflow": lambda: MlflowRows(work).rows(args.quick),
        }
        if args.full:
            sources["full"] = lambda: full.rows(work, args.full_repeat or repeat)
        chosen = [sources[g] for g in (*groups, *(["full"] if args.full else []))]
        for source in chosen:
            for row in source():
                rows[row.key or row.name] = row
                line = f"| {row.name} | {row.cell()} | {ratio(row, rows)} |"
                lines.append(line)
                print(line, flush=True)
    growth = Monitor.growth(rows)
    tail = ["", "Targets:", *targets(rows)]
    if growth:
        tail.append(f"- time of the default run against 1,000 windows: {growth} (flat = independent of history)")
    print("\n".join(tail), flush=True)
    if args.update_readme:
        update_readme("\n".join(lines + tail) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
