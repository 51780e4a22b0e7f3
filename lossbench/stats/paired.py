"""Paired tests over shared seeds, their effect sizes, Holm's correction over several tests, and the equivalence
test (TOST) of what a difference can still be. Each returns None where the data cannot support it: fewer than 2
pairs give no test.

A spread is never taken below the metric's grain (``spread``): accuracy on n test examples moves in steps of 1/n,
so two seeds that both differ by one example have a standard deviation of 0 and, taken at its word, a t statistic
of infinity: no evidence at all. Nor below a thousandth of the mean difference (``MAX_EFFECT``), so every effect
size is finite and at most 1000 (a spread that small is below what any measurement here resolves)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

TESTS = ("wilcoxon", "t")
MIN_PAIRS = 2
MAX_EFFECT = 1e3  # |mean| / spread never exceeds this: Cohen's d_z is finite and bounded


def spread(differences: Sequence[float], grain: float | None = None) -> float:
    """The sample standard deviation of paired differences, floored at the metric's ``grain`` (the step it moves
    in: 1 / test examples for accuracy) and at |mean| / ``MAX_EFFECT``; 0 only where every difference is 0 and no
    grain is given."""
    d = np.asarray(differences, dtype=float)
    sd = float(d.std(ddof=1)) if len(d) > 1 else 0.0
    return max(sd, grain or 0.0, abs(float(d.mean())) / MAX_EFFECT if len(d) else 0.0)


@dataclass
class PairedTest:
    test: str  # "wilcoxon" or "t"
    n: int  # pairs
    mean_difference: float  # mean of (arm - baseline)
    statistic: float
    p: float
    effect: float  # rank-biserial (wilcoxon) or Cohen's d_z (t)
    effect_name: str


def paired_test(arm: Sequence[float], baseline: Sequence[float], test: str = "wilcoxon",
                grain: float | None = None) -> PairedTest | None:
    """A two-sided paired test of ``arm`` against ``baseline`` (same order: one pair per seed); None with < 2 pairs.
    The t-test takes the spread of the differences no lower than ``spread`` allows (``grain``: the metric's step)."""
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; known: {', '.join(TESTS)}")
    a, b = np.asarray(arm, dtype=float), np.asarray(baseline, dtype=float)
    if len(a) != len(b):
        raise ValueError("paired samples differ in length")
    if len(a) < MIN_PAIRS:
        return None
    d = a - b
    mean_difference, name = float(d.mean()), effect_name(test)
    if not np.any(d != 0):  # identical on every seed: nothing to test, and scipy would divide by zero
        return PairedTest(test, len(d), 0.0, 0.0, 1.0, 0.0, name)
    if test == "t":
        sd = spread(d, grain)
        statistic = mean_difference / (sd / math.sqrt(len(d)))
        p = float(2 * stats.t.sf(abs(statistic), len(d) - 1))  # scipy's ttest_rel, with the floored spread
        return PairedTest(test, len(d), mean_difference, statistic, p, mean_difference / sd, name)
    result = stats.wilcoxon(a, b)
    return PairedTest(test, len(d), mean_difference, float(result.statistic), float(result.pvalue),
                      rank_biserial(d), name)


def effect_name(test: str) -> str:
    return "rank-biserial r" if test == "wilcoxon" else "Cohen's d_z"


def cohen_dz(differences: Sequence[float], grain: float | None = None) -> float:
    """Mean paired difference over its spread (``spread``: floored at the grain and at |mean| / 1000): finite, at
    most ``MAX_EFFECT`` in size; 0 when all are 0."""
    d = np.asarray(differences, dtype=float)
    mean, sd = float(d.mean()), spread(d, grain)
    return mean / sd if sd > 0 else 0.0


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


def wilcoxon_min_p(pairs: int) -> float:
    """The smallest two-sided p the exact Wilcoxon signed-rank test can give over ``pairs`` pairs (every
    difference of one sign): 2 / 2^n, so 0.25 with 3 pairs, 0.0625 with 5: below that no effect can be shown."""
    return 2.0 / 2 ** pairs


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order (statsmodels' ``multipletests``)."""
    if len(pvalues) == 0:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(list(pvalues), method="holm")[1]]


def holm_levels(pvalues: Sequence[float], alpha: float) -> list[float]:
    """The level Holm's step-down procedure tests each p-value at, in the input order: alpha / (m - rank), the
    smallest p first (the interval of a comparison at 1 - that level excludes 0 exactly when its own test rejects
    there)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    levels = [alpha] * len(pvalues)
    for rank, i in enumerate(order):
        levels[i] = alpha / (len(pvalues) - rank)
    return levels


def tost(differences: Sequence[float], margin: float, grain: float | None = None,
         center: float = 0.0) -> float | None:
    """The p-value of two one-sided paired t-tests that the mean difference lies within (center - margin, center +
    margin) (what statsmodels' ``ttost_paired`` gives, with the spread floored as ``spread`` says): equivalent at
    level a when p < a, which is the 1 - 2a t interval lying inside those bounds. None with fewer than 2 pairs."""
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < MIN_PAIRS:
        return None
    sd, mean = spread(d, grain), float(d.mean())
    if margin <= 0:
        return 1.0
    if sd == 0:  # every difference 0 and no grain: the mean is known exactly
        return 0.0 if abs(mean - center) < margin else 1.0
    mean -= center
    se, df = sd / math.sqrt(len(d)), len(d) - 1
    return float(max(stats.t.sf((mean + margin) / se, df), stats.t.cdf((mean - margin) / se, df)))
