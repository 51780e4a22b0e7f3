"""Intervals of a mean over seeds: the bootstrap interval (of one arm's values) and the Student-t interval (of
paired differences). None where the data cannot support one."""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np

from lossbench.stats.levels import LEVEL

MIN_INTERVAL_VALUES = 3  # the bootstrap of 2 values is their range, which covers the mean only about half the time
MAX_TIED_SHARE = 0.05  # BCa's bias term shifted by at most 0.06 (each tail's share by under a percentage point)


def mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (None where it does not exist)."""
    if not values:
        return None, None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), (float(array.std(ddof=1)) if len(array) > 1 else None)


def bootstrap_ci(values: Sequence[float], level: float = LEVEL, resamples: int = 10_000,
                 seed: int = 0) -> tuple[float, float] | None:
    """Bootstrap interval of the mean (scipy's, seeded: the same report twice); None with fewer than 3 values.

    BCa where it works: it corrects the percentile interval for bias and skew (accuracies near 1 are skewed).
    Its bias term counts the resample means strictly below the observed mean, so resample means equal to it
    (constant values; few values, where resampling often redraws the sample; accuracies on a grid of 1/test-set
    size) bias it downwards: past ``MAX_TIED_SHARE`` of ties, or when it degenerates (NaN, scipy's
    DegenerateDataWarning), the percentile interval of the same resamples is given instead. With 3 values about
    23% of the resamples tie; with 10 accuracies on 1000 test cases about 3%."""
    array = np.asarray(values, dtype=float)
    if len(array) < MIN_INTERVAL_VALUES:
        return None
    from scipy.stats import DegenerateDataWarning, bootstrap  # about a second to import: only where it is used

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        bca = bootstrap((array,), np.mean, n_resamples=resamples, confidence_level=level, method="BCa",
                        rng=np.random.default_rng(seed))
    low, high = float(bca.confidence_interval.low), float(bca.confidence_interval.high)
    tied = float(np.mean(np.isclose(bca.bootstrap_distribution, array.mean(), rtol=1e-9, atol=0.0)))
    degenerate = any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    if math.isfinite(low) and math.isfinite(high) and not degenerate and tied <= MAX_TIED_SHARE:
        return low, high
    found = bootstrap((array,), np.mean, n_resamples=0, confidence_level=level, method="percentile",
                      bootstrap_result=bca).confidence_interval
    return float(found.low), float(found.high)


def t_interval(values: Sequence[float], level: float = LEVEL, grain: float | None = None) -> tuple[float, float] | None:
    """The Student-t interval of the mean (of paired differences, say), its spread floored as the paired t-test's
    (``paired.spread``: at the metric's ``grain``); None with fewer than 2 values."""
    from scipy import stats

    from lossbench.stats.paired import spread

    d = np.asarray(values, dtype=float)
    if len(d) < 2:
        return None
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1) * spread(d, grain) / math.sqrt(len(d)))
    return float(d.mean()) - half, float(d.mean()) + half


def bounded(interval: tuple[float, float] | None, low: float, high: float) -> tuple[tuple[float, float] | None, bool]:
    """``interval`` cut at the bounds the quantity lies in (an accuracy difference in [-1, 1]), and whether it was
    cut there: a t interval knows no bounds, and "0.593 to 1.058" is no difference of accuracies."""
    if interval is None:
        return None, False
    cut = (max(interval[0], low), min(interval[1], high))
    return cut, cut != tuple(interval)


def grain(values: Sequence[float], max_denominator: int = 100_000) -> float | None:
    """The step a metric of counted outcomes moves in, inferred from its values (each k / n): 1 over the least
    common multiple of their denominators; None where that is not a count under ``max_denominator`` (a
    continuous metric). For stored runs that do not say how many test examples they scored."""
    from fractions import Fraction

    n = 1
    for value in values:
        fraction = Fraction(float(value)).limit_denominator(max_denominator)
        if abs(float(fraction) - float(value)) > 1e-9:
            return None
        n = math.lcm(n, fraction.denominator)
        if n > max_denominator:
            return None
    return 1 / n if n > 1 else None
