"""How many seeds a paired test needs: the paired t-test's power (statsmodels ``TTestPower``, two-sided) with the
observed mean paired difference and its standard deviation taken as the truth (Cohen's d_z), at ``ALPHA`` for that
comparison alone and ``POWER``. The exact Wilcoxon signed-rank test cannot go below p = 2 / 2^n, so with it at
least ``wilcoxon_floor_seeds()`` seeds are needed whatever the effect.

``seeds_for_equivalence``: the pairs two one-sided t-tests (TOST) need to show the mean difference within
+-margin, with the same truth assumed: the smallest n with (t_{1-alpha, n-1} + t_{power, n-1}) * sd / sqrt(n) at
most margin - |mean| (the usual approximation of TOST's power, close whenever the difference is not near 0 with
a wide margin, where it errs on the side of more seeds)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from lossbench.stats.levels import ALPHA, POWER
from lossbench.stats.paired import MIN_PAIRS, cohen_dz, spread, wilcoxon_min_p

MAX_SEEDS = 100_000  # beyond this a number of seeds says nothing more than "far too many"


def wilcoxon_floor_seeds(alpha: float = ALPHA) -> int:
    """The fewest pairs whose smallest exact two-sided Wilcoxon p-value (2 / 2^n) is below ``alpha``."""
    return next(n for n in range(1, 64) if wilcoxon_min_p(n) < alpha)


def seeds_needed(differences: Sequence[float], test: str = "t", alpha: float = ALPHA,
                 power: float = POWER, grain: float | None = None) -> int | None:
    """Pairs a paired test needs to detect the observed mean difference (its spread floored at ``grain``); None
    when it is 0 (no number would)."""
    d = np.asarray(differences, dtype=float)
    if len(d) < MIN_PAIRS or d.mean() == 0:
        return None
    floor = wilcoxon_floor_seeds(alpha) if test == "wilcoxon" else MIN_PAIRS
    effect = abs(cohen_dz(d, grain))
    import warnings

    from statsmodels.stats.power import TTestPower
    from statsmodels.tools.sm_exceptions import ConvergenceWarning  # its import sets "always": before ours

    with warnings.catch_warnings():  # the solver warns, and returns nan, when the answer is below 2 pairs
        warnings.simplefilter("ignore", ConvergenceWarning)
        solved = TTestPower().solve_power(effect_size=effect, alpha=alpha, power=power)
    if not math.isfinite(solved):
        return floor if effect >= 1 else MAX_SEEDS  # large effects need the fewest pairs a test can use
    return max(min(math.ceil(solved), MAX_SEEDS), floor)


def seeds_for_equivalence(differences: Sequence[float], margin: float, alpha: float = ALPHA,
                          power: float = POWER, grain: float | None = None) -> int | None:
    """Pairs TOST needs to show the observed mean difference within +-``margin`` (its spread floored at ``grain``);
    None when it lies outside (no number would) or with fewer than 2 pairs."""
    from scipy.stats import norm, t

    d = np.asarray(differences, dtype=float)
    if len(d) < MIN_PAIRS:
        return None
    room, sd = margin - abs(float(d.mean())), spread(d, grain)
    if room <= 0:
        return None
    if sd == 0:
        return MIN_PAIRS
    start = ((norm.ppf(1 - alpha) + norm.ppf(power)) * sd / room) ** 2  # the normal approximation: t needs more
    if start > MAX_SEEDS:
        return MAX_SEEDS
    n = max(MIN_PAIRS, math.floor(start))
    while (t.ppf(1 - alpha, n - 1) + t.ppf(power, n - 1)) * sd / math.sqrt(n) > room:
        n += 1
    return min(n, MAX_SEEDS)
