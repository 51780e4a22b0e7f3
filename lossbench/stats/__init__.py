"""Statistics over seeds, one definition each, shared by every layer: the sweep's racing and the report decide
with the same rules. It imports nothing of lossbench (scipy and statsmodels load on first use).

- ``levels``: ``ALPHA`` (the significance level), ``LEVEL`` (intervals), ``POWER`` (seed counts);
- ``paired``: paired tests (``wilcoxon`` or ``t``) with effect sizes, Holm's correction, equivalence (TOST);
- ``intervals``: the bootstrap interval of a mean, the t interval of a mean difference;
- ``power``: the seeds a paired test needs, to find a difference or to show equivalence.

A spread is never taken below the metric's grain (``spread``): a zero spread over seeds is no evidence, and every
effect size stays finite. Where the data cannot support a number the answer is None: fewer than 3 values give no interval of one arm's
mean, fewer than 2 pairs no test and no interval of a difference."""

from lossbench.stats.intervals import MIN_INTERVAL_VALUES, bootstrap_ci, bounded, grain, mean_std, t_interval
from lossbench.stats.levels import ALPHA, LEVEL, POWER
from lossbench.stats.paired import (MAX_EFFECT, MIN_PAIRS, TESTS, PairedTest, cohen_dz, effect_name, holm,
                                    holm_levels, paired_test, spread,
                                    rank_biserial, tost, wilcoxon_min_p)
from lossbench.stats.power import MAX_SEEDS, seeds_for_equivalence, seeds_needed, wilcoxon_floor_seeds

__all__ = ["ALPHA", "LEVEL", "MAX_EFFECT", "MAX_SEEDS", "bounded", "grain", "spread", "MIN_INTERVAL_VALUES", "MIN_PAIRS", "POWER", "TESTS", "PairedTest",
           "bootstrap_ci", "cohen_dz", "effect_name", "holm", "holm_levels", "mean_std", "paired_test", "rank_biserial",
           "seeds_for_equivalence", "seeds_needed", "t_interval", "tost", "wilcoxon_floor_seeds", "wilcoxon_min_p"]
