"""What a comparison that is not significant can still say: the interval of the paired difference (what it rules
out) and how many seeds a paired test would need to detect the difference observed.

Seeds needed: the paired t-test's power (statsmodels ``TTestPower``, two-sided) with the observed mean paired
difference and its standard deviation taken as the truth (Cohen's d_z), at ``ALPHA`` for that comparison alone
and ``POWER``. The exact Wilcoxon signed-rank test cannot go below p = 2 / 2^n, so with it at least
``wilcoxon_floor_seeds()`` seeds are needed whatever the effect.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from lossbench.report.thresholds import ALPHA, LEVEL, POWER

MAX_SEEDS = 100_000  # beyond this a number of seeds says nothing more than "far too many"


def difference_interval(differences: Sequence[float], level: float = LEVEL) -> tuple[float, float] | None:
    """The t interval of the mean paired difference; None with fewer than 2 pairs."""
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return None
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
    return float(d.mean()) - half, float(d.mean()) + half


def wilcoxon_floor_seeds(alpha: float = ALPHA) -> int:
    """The fewest pairs whose smallest exact two-sided Wilcoxon p-value (2 / 2^n) is below ``alpha``."""
    return next(n for n in range(1, 64) if 2.0 / 2 ** n < alpha)


def seeds_needed(differences: Sequence[float], test: str = "t", alpha: float = ALPHA,
                 power: float = POWER) -> int | None:
    """Pairs a paired test needs to detect the observed mean difference; None when it is 0 (no number would)."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2 or d.mean() == 0:
        return None
    sd = d.std(ddof=1)
    floor = wilcoxon_floor_seeds(alpha) if test == "wilcoxon" else 2
    if sd == 0:  # the same difference on every seed: any test with enough pairs to reach alpha finds it
        return floor
    import warnings

    from statsmodels.stats.power import TTestPower
    from statsmodels.tools.sm_exceptions import ConvergenceWarning  # its import sets "always": before ours

    effect = abs(float(d.mean())) / float(sd)
    with warnings.catch_warnings():  # the solver warns, and returns nan, when the answer is below 2 pairs
        warnings.simplefilter("ignore", ConvergenceWarning)
        solved = TTestPower().solve_power(effect_size=effect, alpha=alpha, power=power)
    if not math.isfinite(solved):
        return floor if effect >= 1 else MAX_SEEDS  # large effects need the fewest pairs a test can use
    return max(min(math.ceil(solved), MAX_SEEDS), floor)
