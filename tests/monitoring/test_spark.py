"""Sparklines: one character per window, a fixed scale, holes where there is no number."""

from __future__ import annotations

import math

import pytest

from mlops.monitoring.reporters.spark import BARS, GAP, MAX_POINTS, judged, latest, sparkline, trend_line
from mlops.monitoring.results import Band, Trend


def test_a_rising_series_climbs_from_the_lowest_to_the_highest_bar() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == BARS
    assert sparkline([7, 6, 5, 4, 3, 2, 1, 0]) == BARS[::-1]


def test_one_character_per_value_with_gaps_kept_in_place() -> None:
    line = sparkline([None, 0.0, None, 1.0, float("nan"), float("inf"), -math.inf])
    assert len(line) == 7
    assert line == f"{GAP}{BARS[0]}{GAP}{BARS[-1]}{GAP}{GAP}{GAP}"


@pytest.mark.parametrize("values", [[], [None], [None, float("nan")]])
def test_nothing_to_draw_is_all_gaps(values: list[float | None]) -> None:
    assert sparkline(values) == GAP * len(values)


def test_a_flat_series_sits_at_mid_height() -> None:
    assert sparkline([0.3, 0.3, 0.3]) == BARS[3] * 3
    assert sparkline([5.0]) == BARS[3]


def test_bounds_widen_the_scale_so_noise_stays_low() -> None:
    """PSI wobbling around 0.01 against an error threshold of 0.25 must not look like a climb."""
    assert sparkline([0.010, 0.012, 0.011]) != BARS[0] * 3
    assert sparkline([0.010, 0.012, 0.011], lo=0.0, hi=0.25) == BARS[0] * 3
    assert sparkline([0.0, 0.25, 0.5], lo=0.0, hi=0.25) == BARS[0] + BARS[4] + BARS[-1]
    assert sparkline([0.1], lo=float("nan"), hi=float("inf")) == BARS[3]  # non-finite bounds are ignored


def test_extreme_values_do_not_overflow() -> None:
    line = sparkline([-1.7e308, 0.0, 1.7e308, 5e-324])
    assert line == BARS[0] + BARS[4] + BARS[-1] + BARS[4]


def test_latest_is_the_newest_finite_value() -> None:
    assert latest([0.1, 0.2, None, float("nan")]) == 0.2
    assert latest([None]) is None


def trend(**statistics: tuple[float | None, ...]) -> Trend:
    windows = tuple(f"2026-11-{d:02d}T12:00:00Z" for d in range(1, 1 + len(next(iter(statistics.values())))))
    return Trend(
        windows=windows,
        statistics=tuple(statistics.items()),
        bands=(Band(statistic="js"), Band(statistic="psi", warning=0.1, error=0.25)),
    )


def test_the_judged_statistic_is_the_first_with_a_threshold() -> None:
    t = trend(js=(0.1, 0.2), psi=(0.05, 0.3))
    assert judged(t) == ("psi", (0.05, 0.3))
    assert judged(Trend(windows=("w",), statistics=(("chi2", (1.0,)),))) == ("chi2", (1.0,))
    assert judged(Trend(windows=(), statistics=())) is None


def test_trend_line_names_the_statistic_scales_to_its_thresholds_and_ends_with_the_latest_value() -> None:
    t = trend(js=(0.1,) * 4, psi=(0.0, None, 0.15, 0.3))
    assert trend_line(t) == f"psi {BARS[0]}{GAP}{BARS[4]}{BARS[-1]} 0.3"
    assert trend_line(trend(psi=(None, None))) == ""


def test_a_long_trend_draws_the_newest_windows_and_says_so() -> None:
    t = trend(psi=tuple(i / 1000 for i in range(1000)))
    line = trend_line(t)
    assert line.endswith(f"0.999 (newest {MAX_POINTS} of 1000)")
    assert len(line.split(" ")[1]) == MAX_POINTS
