"""The benchmark harness's bookkeeping: rows, ratios, targets and the README block (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench import END, START, ratio, targets, update_readme
from benchmarks.harness import Row, run


def rows(**medians: float) -> dict[str, Row]:
    return {key: Row(key, (value, value * 2, value / 2), key=key) for key, value in medians.items()}


def test_ratio_is_against_seeds_after_from_the_same_run() -> None:
    table = rows(**{"seed-after": 20.0, "warm": 0.5, "full": 200.0, "floor": 0.3})
    assert ratio(table["warm"], table) == "**40.0x faster**"
    assert ratio(table["full"], table) == "10.0x slower"
    assert ratio(table["floor"], table) == ""  # not a way of running the monitor session


def test_targets_say_met_missed_or_not_measured() -> None:
    lines = list(targets(rows(**{"seed-after": 20.0, "warm": 0.5, "cold": 10.0, "floor": 0.3})))
    assert "warm monitor session ≥ 10x faster than the seed's after: 40.0x — met" in lines[0]
    assert lines[1].endswith("2.0x — **MISSED**")
    assert lines[2].endswith("1.67x — met")
    assert lines[3].endswith("not measured in this run")


def test_the_compared_commit_is_judged_per_nox_l_and_only_when_measured() -> None:
    def compared(**medians: float) -> list[str]:
        return [line for line in targets(rows(**medians)) if "compared commit" in line]

    assert compared(warm=0.5, floor=0.3) == []
    assert compared(warm=0.5, against=0.6, floor=0.3)[0].endswith("1.67x against 2.00x — met")
    assert compared(warm=0.5, against=0.5, floor=0.3)[0].endswith("— met")  # equal is no slower
    assert compared(warm=0.6, against=0.5, floor=0.3)[0].endswith("2.00x against 1.67x — **MISSED**")


def test_update_readme_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nold\n{END}\noutro\n", encoding="utf-8")
    update_readme("| new | table |\n", readme)
    assert readme.read_text(encoding="utf-8") == f"intro\n{START}\n| new | table |\n{END}\noutro\n"


def test_update_readme_refuses_a_readme_without_one_pair_of_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{START}\n{START}\n{END}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="exactly one"):
        update_readme("x\n", readme)
    assert readme.read_text(encoding="utf-8") == f"{START}\n{START}\n{END}\n"


def test_run_reports_the_childs_own_peak_memory(tmp_path: Path) -> None:
    """ru_maxrss of this child alone: one that holds 200 MB reports more than one that holds nothing."""
    import sys

    small = run([sys.executable, "-c", "pass"], cwd=tmp_path, env={})
    big = run(
        [sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"], cwd=tmp_path, env={}
    )
    assert big.peak_mb > small.peak_mb + 150


def test_run_names_a_failing_command(tmp_path: Path) -> None:
    import sys

    with pytest.raises(SystemExit, match="exited 3"):
        run([sys.executable, "-c", "raise SystemExit(3)"], cwd=tmp_path, env={})


def test_history_targets_judge_the_largest_scale_against_the_smallest() -> None:
    def judged(**medians: float) -> dict[str, str]:
        lines = list(targets(rows(**medians)))
        names = ["≤ 1.5x the run on 1,000", "... and ≤ 1.0 s", "peak memory ≤ 60 MB", "`--scan all`"]
        names += ["in S3 (loopback) ≤ 3 s", "as many requests", "slim env ≤ 100 MB"]
        return {name: next(line for line in lines if name in line) for name in names}

    met = judged(
        **{"scale-1000": 0.4, "scale-100000": 0.5, "scale-100000-mb": 30.0, "scan-all-100000": 50.0},
        **{"s3-100000": 2.0, "s3-1000-requests": 317.0, "s3-100000-requests": 317.0, "slim-env": 60.0},
    )
    assert all(line.endswith("— met") for line in met.values()), met
    assert met["as many requests"].endswith("317 against 317 — met")
    missed = judged(
        **{"scale-1000": 0.4, "scale-100000": 1.2, "scale-100000-mb": 240.0, "scan-all-100000": 53.0},
        **{"s3-100000": 3.5, "s3-1000-requests": 317.0, "s3-100000-requests": 318.0, "slim-env": 120.0},
    )
    assert all(line.endswith("**MISSED**") for line in missed.values()), missed
    assert judged()["as many requests"].endswith("not measured in this run")


def test_remote_failures_are_judged_on_their_slowest_sample_against_the_budget() -> None:
    table = rows(**{"fail-budget": 10.0, "fail-denied": 0.2})
    table["fail-trickle"] = Row("trickle", (10.4, 11.5, 10.6), key="fail-trickle")  # median 10.6, one run over
    line = next(line for line in targets(table) if "remote failure" in line)
    assert line.endswith("slowest 11.50 s against 11 s — **MISSED**")
    table["fail-trickle"] = Row("trickle", (10.4, 10.9), key="fail-trickle")
    assert next(line for line in targets(table) if "remote failure" in line).endswith("— met")
    assert next(line for line in targets(rows()) if "remote failure" in line).endswith("not measured in this run")


def test_growth_is_each_scale_against_the_smallest_in_a_folder_and_in_s3() -> None:
    from benchmarks.monitor import Monitor

    table = rows(**{"scale-1000": 0.4, "scale-10000": 0.42, "scale-100000": 0.5, "s3-1000": 1.0, "s3-10000": 1.5})
    assert Monitor.growth(table) == "folder 1,000: 1.00x, 10,000: 1.05x, 100,000: 1.25x; S3 1,000: 1.00x, 10,000: 1.50x"
    assert Monitor.growth(rows(**{"scale-1000": 0.4})) == ""


def test_request_counts_print_as_whole_numbers() -> None:
    assert Row("r", (317.0, 317.0, 318.0), unit="requests").cell() == "317 requests (317-318, n=3)"


def test_scale_windows_are_five_minutes_apart_named_as_they_end_up_to_the_as_of() -> None:
    import itertools
    import json
    from datetime import timedelta

    from benchmarks.scale import window_files
    from mlops.contract.timestamps import parse_timestamp
    from mlops.example.generate import AS_OF

    files = list(window_files(300))
    names = [name for name, _ in files]
    assert names == sorted(names, reverse=True) and len(set(names)) == 300
    ends = [parse_timestamp(json.loads(data)["window"]["end"]) or AS_OF.min for _, data in files]
    assert ends[0] == AS_OF and all(a - b == timedelta(minutes=5) for a, b in itertools.pairwise(ends))
    assert names[0] == AS_OF.strftime("%Y-%m-%dT%H%M%SZ.json")
    for _, data in files[:3]:
        doc = json.loads(data)
        assert (parse_timestamp(doc["generated_at"]) or AS_OF.max) <= AS_OF  # never in the future of the run
