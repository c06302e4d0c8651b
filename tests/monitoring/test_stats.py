"""Every drift statistic against scipy (test env only) on generated histograms, to 1e-9, and PSI against
Evidently's own function (tests/fixtures/peers/psi/); and no input,
however odd (NaN, infinities, subnormal or 400-digit counts, ragged lengths), crashes one: it answers a
finite number in its range, or raises ValueError saying what is wrong."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from mlops.monitoring import stats as ours
from tests.conftest import ROOT

EXAMPLES = settings(max_examples=1000, deadline=None)
COUNTS = st.integers(min_value=0, max_value=10_000)


@st.composite
def histogram_pairs(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    bins = draw(st.integers(min_value=1, max_value=100))
    sparse = draw(st.booleans())  # many empty bins, some empty on one side only
    count = st.one_of(st.just(0), COUNTS) if sparse else COUNTS
    a = draw(st.lists(count, min_size=bins, max_size=bins).filter(any))
    b = draw(st.lists(count, min_size=bins, max_size=bins).filter(any))
    return a, b


def proportions(counts: list[int]) -> np.ndarray:
    return np.array(counts, dtype=float) / sum(counts)


PSI_CASES = json.loads((ROOT / "tests" / "fixtures" / "peers" / "psi" / "evidently-psi.json").read_text())


@pytest.mark.parametrize("case", PSI_CASES["cases"], ids=lambda case: case["name"])
def test_psi_equals_evidentlys_own_function(case: dict[str, Any]) -> None:
    """Values Evidently 0.7.23's ``_psi`` computed (make_psi_fixtures.py): tiny nonzero shares are kept,
    and an empty bin's floor scales down with them; clamping every share to 0.0001 was up to 70% low."""
    assert ours.psi(case["reference"], case["current"]) == pytest.approx(case["psi"], rel=1e-12, abs=1e-15)


def evidently_rule(counts: list[int]) -> np.ndarray:
    """``get_binned_data``'s zero filling in Evidently 0.7, verbatim in numpy."""
    shares = proportions(counts)
    smallest = min(shares[shares != 0])
    np.place(shares, shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return shares


@EXAMPLES
@given(histogram_pairs())
def test_psi_matches_evidentlys_rule_in_numpy(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    both = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x or y]  # Evidently has no such category
    p, q = evidently_rule(a)[both], evidently_rule(b)[both]
    assert ours.psi(a, b) == pytest.approx(float(np.sum((p - q) * np.log(p / q))), rel=1e-9, abs=1e-12)


def test_psi_keeps_a_tiny_nonzero_share() -> None:
    """One image in a million moved bins: clamped to 0.0001 both shares looked alike."""
    assert ours.psi([999_990, 10], [999_999, 1]) == pytest.approx(
        (1e-6 - 1e-5) * math.log(1e-6 / 1e-5) + (0.999999 - 0.99999) * math.log(0.999999 / 0.99999)
    )


def test_psi_refuses_shares_too_small_for_a_finite_value() -> None:
    with pytest.raises(ValueError, match="too small"):
        ours.psi([5e-324, 1.0, 0.0], [1.0, 1.0, 1.0])


@EXAMPLES
@given(histogram_pairs())
def test_js_distance_matches_scipy_base_2(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    expected = float(jensenshannon(proportions(a), proportions(b), base=2))
    assert ours.js_distance(a, b) == pytest.approx(expected, abs=1e-9)
    assert 0 <= ours.js_distance(a, b) <= 1


@EXAMPLES
@given(histogram_pairs())
def test_binned_ks_matches_scipy_on_the_expanded_samples(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    d, p = ours.ks_binned(a, b)
    samples_a = np.repeat(np.arange(len(a)), a)
    samples_b = np.repeat(np.arange(len(b)), b)
    with warnings.catch_warnings():  # scipy's exact p-value (unused here) can overflow on large samples
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = stats.ks_2samp(samples_a, samples_b).statistic
    assert d == pytest.approx(reference, abs=1e-9)
    en = sum(a) * sum(b) / (sum(a) + sum(b))
    assert p == pytest.approx(float(special.kolmogorov(d * math.sqrt(en))), abs=1e-9)


@EXAMPLES
@given(histogram_pairs())
def test_chi_square_matches_scipy_contingency(pair: tuple[list[int], list[int]]) -> None:
    a, b = pair
    columns = [(x, y) for x, y in zip(a, b, strict=True) if x + y]
    statistic, p = ours.chi_square(a, b)
    if len(columns) < 2:
        assert (statistic, p) == (0.0, 1.0)
        return
    chi, expected_p, _, _ = stats.chi2_contingency(np.array(columns).T, correction=False)
    assert statistic == pytest.approx(chi, rel=1e-9, abs=1e-9)
    assert p == pytest.approx(expected_p, abs=1e-9)


@pytest.mark.parametrize("x", [0.01, 0.5, 3.0, 30.0, 300.0, 3000.0])
@pytest.mark.parametrize("dof", [1, 2, 5, 49, 99])
def test_chi2_tail_matches_scipy(x: float, dof: int) -> None:
    assert ours.chi2_sf(x, dof) == pytest.approx(float(stats.chi2.sf(x, dof)), abs=1e-12)


@pytest.mark.parametrize("function", [ours.psi, ours.js_distance, ours.ks_binned, ours.chi_square])
@pytest.mark.parametrize(
    ("a", "b", "message"),
    [([1, 2], [1, 2, 3], "bins"), ([0, 0], [1, 2], "no observation"), ([1, -1], [1, 1], "negative"), ([], [], "bins")],
)
def test_edge_cases_are_clear_errors(function: object, a: list[int], b: list[int], message: str) -> None:
    assert callable(function)
    with pytest.raises(ValueError, match=message):
        function(a, b)


def test_single_bin_histograms_show_no_drift() -> None:
    assert ours.psi([5], [9]) == pytest.approx(0.0)
    assert ours.js_distance([5], [9]) == pytest.approx(0.0)
    assert ours.ks_binned([5], [9]) == (0.0, 1.0)
    assert ours.chi_square([5], [9]) == (0.0, 1.0)


Statistic = Callable[[Sequence[float], Sequence[float]], float | tuple[float, float]]
FUNCTIONS: list[Statistic] = [ours.psi, ours.js_distance, ours.ks_binned, ours.chi_square]
PLAUSIBLE = st.one_of(st.integers(0, 10**12), st.floats(1e-6, 1e12), st.just(0.0))
"""Counts a producer could write: whole or fractional (weighted, down to a millionth), up to a trillion."""
ANYTHING = st.one_of(st.floats(), st.integers(), st.integers(-(10**400), 10**400), st.sampled_from([5e-324, 1e308]))
"""Everything a JSON file can hold as a number, and the float extremes."""


def answers_or_refuses(function: Statistic, a: list[float], b: list[float]) -> None:
    """The contract every statistic keeps: a finite value in its range, or a ValueError with a message."""
    try:
        result = function(a, b)
    except ValueError as exc:
        assert str(exc)
        return
    values: tuple[float, ...] = result if isinstance(result, tuple) else (result,)
    assert all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in values), (function.__name__, values)
    if function is ours.js_distance:
        assert values[0] <= 1
    if function is ours.ks_binned:
        assert values[0] <= 1 + 1e-12 and values[1] <= 1
    if function is ours.chi_square:
        assert values[1] <= 1


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
@EXAMPLES
@given(a=st.lists(PLAUSIBLE, max_size=30), b=st.lists(PLAUSIBLE, max_size=30))
def test_plausible_counts_give_a_finite_answer_or_a_value_error(
    function: Statistic, a: list[float], b: list[float]
) -> None:
    answers_or_refuses(function, a, b)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
@EXAMPLES
@given(a=st.lists(ANYTHING, max_size=30), b=st.lists(ANYTHING, max_size=30))
def test_any_numbers_give_a_finite_answer_or_a_value_error(function: Statistic, a: list[float], b: list[float]) -> None:
    answers_or_refuses(function, a, b)
