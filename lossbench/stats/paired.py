"""Paired tests over shared seeds, their effect sizes, Holm's correction over several tests, and the equivalence
test (TOST) of what a difference can still be. Each returns None where the data cannot support it: fewer than 2
pairs give no test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

TESTS = ("wilcoxon", "t")
MIN_PAIRS = 2


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
    if len(a) < MIN_PAIRS:
        return None
    d = a - b
    mean_difference, name = float(d.mean()), effect_name(test)
    if not np.any(d != 0):  # identical on every seed: nothing to test, and scipy would divide by zero
        return PairedTest(test, len(d), 0.0, 0.0, 1.0, 0.0, name)
    if test == "t":
        effect = cohen_dz(d)
        if not math.isfinite(effect):  # the same difference on every seed: certain, and scipy would divide by 0
            return PairedTest(test, len(d), mean_difference, effect, 0.0, effect, name)
        result = stats.ttest_rel(a, b)
        return PairedTest(test, len(d), mean_difference, float(result.statistic), float(result.pvalue), effect, name)
    result = stats.wilcoxon(a, b)
    return PairedTest(test, len(d), mean_difference, float(result.statistic), float(result.pvalue),
                      rank_biserial(d), name)


def effect_name(test: str) -> str:
    return "rank-biserial r" if test == "wilcoxon" else "Cohen's d_z"


def cohen_dz(differences: Sequence[float]) -> float:
    """Mean paired difference over its standard deviation; +-inf when every difference is the same but 0, 0 when
    all are 0."""
    d = np.asarray(differences, dtype=float)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    return mean / sd if sd > 0 else math.copysign(math.inf, mean) if mean else 0.0


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


def tost(differences: Sequence[float], margin: float) -> float | None:
    """The p-value of two one-sided paired t-tests (statsmodels' ``ttost_paired``) that the mean difference lies
    within (-margin, +margin): equivalent at level a when p < a, which is the 1 - 2a t interval lying inside the
    margin. None with fewer than 2 pairs."""
    d = np.asarray(differences, dtype=float)
    if len(d) < MIN_PAIRS:
        return None
    if not np.any(d != d[0]):  # no spread: the mean is known exactly, and statsmodels would divide by zero
        return 0.0 if abs(d[0]) < margin else 1.0
    from statsmodels.stats.weightstats import ttost_paired

    return float(ttost_paired(d, np.zeros_like(d), -margin, margin)[0])
