"""Statistics over seeds: bootstrap intervals, paired tests, Holm's correction, effect sizes.

Every function returns None (or says so) where the data cannot support a number: fewer than 3 values
give no interval, fewer than 2 pairs no test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

TESTS = ("wilcoxon", "t")


def mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (None where it does not exist)."""
    if not values:
        return None, None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), (float(array.std(ddof=1)) if len(array) > 1 else None)


MIN_INTERVAL_VALUES = 3


def bootstrap_ci(values: Sequence[float], level: float = 0.95, resamples: int = 10_000,
                 seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean; None with fewer than 3 values (the bootstrap of 2 values is
    their range, which covers the mean only about half the time, not 95%)."""
    array = np.asarray(values, dtype=float)
    if len(array) < MIN_INTERVAL_VALUES:
        return None
    rng = np.random.default_rng(seed)
    means = array[rng.integers(0, len(array), size=(resamples, len(array)))].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


@dataclass
class PairedTest:
    test: str  # "wilcoxon" or "t"
    n: int  # pairs
    mean_difference: float  # mean of (arm - baseline)
    statistic: float
    p: float
    effect: float  # rank-biserial (wilcoxon) or Cohen's d_z (t)
    effect_name: str


def paired_test(arm: Sequence[float], baseline: Sequence[float], test: str = "wilcoxon") -> PairedTest | None:
    """A two-sided paired test of ``arm`` against ``baseline`` (same order: one pair per seed); None with < 2 pairs."""
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; known: {', '.join(TESTS)}")
    a, b = np.asarray(arm, dtype=float), np.asarray(baseline, dtype=float)
    if len(a) != len(b):
        raise ValueError("paired samples differ in length")
    if len(a) < 2:
        return None
    d = a - b
    mean_difference = float(d.mean())
    if not np.any(d != 0):  # identical on every seed: nothing to test, and scipy would divide by zero
        return PairedTest(test, len(d), 0.0, 0.0, 1.0, 0.0, _effect_name(test))
    if test == "t":
        result = stats.ttest_rel(a, b)
        sd = d.std(ddof=1)
        effect = mean_difference / sd if sd > 0 else math.copysign(math.inf, mean_difference)
        return PairedTest(test, len(d), mean_difference, float(result.statistic), float(result.pvalue), float(effect),
                          _effect_name(test))
    result = stats.wilcoxon(a, b)
    return PairedTest(test, len(d), mean_difference, float(result.statistic), float(result.pvalue), rank_biserial(d),
                      _effect_name(test))


def rank_biserial(differences: Sequence[float]) -> float:
    """Matched-pairs rank-biserial correlation: (W+ - W-) / (W+ + W-), zeros dropped; in [-1, 1]."""
    from scipy.stats import rankdata

    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if len(d) == 0:
        return 0.0
    ranks = rankdata(np.abs(d))
    plus, minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    return float((plus - minus) / (plus + minus))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def _effect_name(test: str) -> str:
    return "rank-biserial r" if test == "wilcoxon" else "Cohen's d_z"
