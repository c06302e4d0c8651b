"""Drift statistics on pre-aggregated counts, with the standard library's ``math`` only.

Each function takes two count vectors on the same bins (reference first) and returns a float, or
raises ``ValueError`` naming what is wrong (different lengths, negative counts, an empty side).
Tests hold every function to scipy on generated histograms.

- PSI uses natural logs and Evidently's rule for empty bins (``get_binned_data`` in Evidently 0.7):
  only a share of exactly 0 is replaced, by ``EPSILON``, or by the side's smallest nonzero share / 1e6
  when that share is already at or below ``EPSILON``; nonzero shares, however tiny, are kept. A bin
  empty on both sides is left out, as Evidently leaves out a category neither sample holds. Tests hold
  it to Evidently's own function (tests/fixtures/peers/psi/).
- The Jensen-Shannon *distance* (square root of the divergence) uses log base 2: it lies in [0, 1].
- The binned two-sample Kolmogorov-Smirnov statistic is the largest gap between the two cumulative
  histograms; its p-value is the asymptotic Kolmogorov one, ``Q(D * sqrt(n*m/(n+m)))``.
- Chi-square is Pearson's on the 2 x k table of both count vectors, without continuity correction;
  bins empty on both sides are dropped, and the p-value comes from the chi-square law with k-1 dof.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EPSILON = 0.0001
"""Evidently's floor for an empty bin's share, unless the smallest nonzero share is already this small."""


def _check(reference: Sequence[float], current: Sequence[float]) -> tuple[float, float]:
    if len(reference) != len(current) or not reference:
        raise ValueError(f"the histograms have {len(reference)} and {len(current)} bins")
    try:  # an integer of hundreds of digits (valid JSON) does not fit a float
        counts = [float(c) for c in (*reference, *current)]
    except OverflowError:
        raise ValueError("a count is too large for a float") from None
    if not all(map(math.isfinite, counts)) or min(counts) < 0:  # C loops: a trend checks thousands
        raise ValueError("a count is negative or not finite")
    n, m = sum(counts[: len(reference)]), sum(counts[len(reference) :])
    if not math.isfinite(n + m):
        raise ValueError("the counts add up past the range of a float")
    if n == 0 or m == 0:
        raise ValueError("one side has no observation")
    return n, m


def _empty_share(shares: list[float]) -> float:
    """What Evidently puts in an empty bin: 0.0001, or far below the smallest share when that is tiny."""
    smallest = min(s for s in shares if s > 0)
    return smallest / 10**6 if smallest <= EPSILON else EPSILON


def psi(reference: Sequence[float], current: Sequence[float]) -> float:
    return _psi(reference, current, *_check(reference, current))


def _psi(reference: Sequence[float], current: Sequence[float], n: float, m: float) -> float:
    kept = [(r, c) for r, c in zip(reference, current, strict=True) if r or c]
    ps, qs = [r / n for r, _ in kept], [c / m for _, c in kept]
    empty_p, empty_q = _empty_share(ps), _empty_share(qs)
    if not (empty_p and empty_q):  # a subnormal smallest share divided by 1e6 rounds to 0
        raise ValueError("a share is too small for a finite PSI")
    total = 0.0
    for share_p, share_q in zip(ps, qs, strict=True):
        p, q = share_p or empty_p, share_q or empty_q
        total += (q - p) * math.log(q / p)
    if not math.isfinite(total):
        raise ValueError("the shares are too far apart for a finite PSI")
    return total


def js_distance(reference: Sequence[float], current: Sequence[float]) -> float:
    return _js_distance(reference, current, *_check(reference, current))


def _js_distance(reference: Sequence[float], current: Sequence[float], n: float, m: float) -> float:
    divergence = 0.0
    for r, c in zip(reference, current, strict=True):
        p, q = r / n, c / m
        if p > 0:  # p / mid as 2p / (p + q): the midpoint of two subnormal numbers can round to 0
            divergence += p * math.log2(2 * p / (p + q)) / 2
        if q > 0:
            divergence += q * math.log2(2 * q / (p + q)) / 2
    return math.sqrt(max(divergence, 0.0))


def ks_binned(reference: Sequence[float], current: Sequence[float]) -> tuple[float, float]:
    """(statistic D, asymptotic p-value)."""
    return _ks_binned(reference, current, *_check(reference, current))


def _ks_binned(reference: Sequence[float], current: Sequence[float], n: float, m: float) -> tuple[float, float]:
    cdf_r = cdf_c = gap = 0.0
    for r, c in zip(reference, current, strict=True):
        cdf_r += r / n
        cdf_c += c / m
        gap = max(gap, abs(cdf_r - cdf_c))
    return gap, kolmogorov_sf(gap * math.sqrt(n / (n + m) * m))  # n * m alone may overflow


def numeric(
    reference: Sequence[float], current: Sequence[float], *, ks: bool
) -> tuple[float, float, tuple[float, float] | None]:
    """PSI, JS distance and (when ``ks``) the binned KS test of one pair, its counts checked once:
    the same numbers as the three functions, a third of the checking (a trend measures every window)."""
    n, m = _check(reference, current)
    return (
        _psi(reference, current, n, m),
        _js_distance(reference, current, n, m),
        _ks_binned(reference, current, n, m) if ks else None,
    )


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's limiting distribution (scipy.special.kolmogorov)."""
    if x < 0.1:  # 1 - P(K <= 0.1), and P(K <= 0.1) is about 1e-52: below a double's resolution of 1
        return 1.0
    if x < 1.18:  # the theta-function form converges fast for small x
        t = math.exp(-(math.pi**2) / (8 * x * x))
        total = sum(t ** ((2 * k - 1) ** 2) for k in range(1, 50))
        return min(1.0, max(0.0, 1 - math.sqrt(2 * math.pi) / x * total))
    series = sum(math.copysign(math.exp(-2 * k * k * x * x), 1 if k % 2 else -1) for k in range(1, 101))
    return min(1.0, max(0.0, 2 * series))


def chi_square(reference: Sequence[float], current: Sequence[float]) -> tuple[float, float]:
    """(statistic, p-value) of Pearson's test of homogeneity on the 2 x k table."""
    n, m = _check(reference, current)
    cells = [(r, c) for r, c in zip(reference, current, strict=True) if r + c > 0]
    if len(cells) < 2:
        return 0.0, 1.0
    total = n + m
    statistic = 0.0
    for r, c in cells:
        column = r + c
        for observed, row in ((r, n), (c, m)):
            expected = row / total * column  # in this order neither product nor quotient overflows
            if expected == 0:
                raise ValueError("the counts are too small to compare")
            diff = observed - expected
            statistic += diff * (diff / expected)
    if not math.isfinite(statistic):
        raise ValueError("the counts are too far apart for a finite statistic")
    return statistic, chi2_sf(statistic, len(cells) - 1)


def chi2_sf(x: float, dof: int) -> float:
    """Upper tail of the chi-square law: the regularised upper incomplete gamma Q(dof/2, x/2)."""
    return _gamma_q(dof / 2, x / 2) if x > 0 else 1.0


def _gamma_q(a: float, x: float) -> float:
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # the series for P converges here; Q = 1 - P
        term = total = 1 / a
        k = a
        for _ in range(10_000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    tiny = 1e-300  # Lentz's continued fraction for Q
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-17:
            break
    return min(1.0, h * math.exp(log_prefix))
