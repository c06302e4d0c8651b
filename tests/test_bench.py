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
