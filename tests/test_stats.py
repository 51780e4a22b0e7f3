"""The shared statistics leaf (``lossbench.stats``) against hand-computed values and scipy / statsmodels: the
sweep's racing and the report decide with these, so each rule is pinned here once."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from lossbench import stats


def test_one_significance_level_for_every_layer():
    from lossbench.report import thresholds
    from lossbench.sweep import racing

    assert stats.ALPHA == 0.05 and stats.LEVEL == 0.95 and stats.POWER == 0.8
    assert racing.ALPHA is stats.ALPHA and thresholds.ALPHA is stats.ALPHA


# -- paired tests ---------------------------------------------------------------------------------------------------


def test_paired_tests_match_scipy_and_hand_computed_effects():
    a = [0.81, 0.84, 0.79, 0.88, 0.86, 0.83]
    b = [0.80, 0.80, 0.80, 0.81, 0.82, 0.80]
    w = stats.paired_test(a, b, "wilcoxon")
    assert w.p == pytest.approx(scipy_stats.wilcoxon(a, b).pvalue)
    assert w.statistic == pytest.approx(scipy_stats.wilcoxon(a, b).statistic)
    t = stats.paired_test(a, b, "t")
    assert t.p == pytest.approx(scipy_stats.ttest_rel(a, b).pvalue)
    d = np.subtract(a, b)
    assert t.effect == pytest.approx(d.mean() / d.std(ddof=1))
    assert t.mean_difference == pytest.approx(d.mean())
    # rank-biserial by hand: |d| ranks 1, 2, 3, 4; W+ = 1 + 2 + 4 = 7, W- = 3: (7 - 3) / 10
    assert stats.rank_biserial([1.0, 2.0, -3.0, 4.0]) == pytest.approx(0.4)
    assert stats.paired_test([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], "t").effect == pytest.approx(2.0)  # mean 2, sd 1
    assert stats.paired_test([0.5], [0.4]) is None  # one pair: no test
    same = stats.paired_test([0.5, 0.6], [0.5, 0.6])
    assert same.p == 1.0 and same.effect == 0.0


def test_a_spread_below_the_metrics_grain_is_no_spread_and_no_effect_size_is_infinite():
    """Two seeds that both differ by one test example of 359 (the issue's digits sweep): a standard deviation of 0,
    which scipy would turn into t = infinity and p = 0. Floored at the grain (1/359), it is no evidence."""
    one = 1 / 359
    found = stats.paired_test([0.5 + one, 0.6 + one], [0.5, 0.6], "t", grain=one)
    assert found.p > 0.3 and found.effect == pytest.approx(1.0)
    assert stats.t_interval([one, one], 0.95, grain=one)[0] < 0 < stats.t_interval([one, one], 0.95, grain=one)[1]
    assert stats.paired_test([0.5 + one] * 3, [0.5] * 3, "t", grain=one).p > 0.2  # nor 3
    # without a grain, a thousandth of the mean difference is the floor: finite, at most MAX_EFFECT
    same = stats.paired_test([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], "t")
    assert same.effect == pytest.approx(stats.MAX_EFFECT) and 0 < same.p < 1e-6
    assert abs(stats.cohen_dz([-0.5, -0.5])) == stats.MAX_EFFECT and stats.cohen_dz([0.0, 0.0]) == 0.0
    assert all(math.isfinite(stats.cohen_dz(d)) for d in ([1e-12, 1e-12], [0.3, 0.3, 0.3], [-1.0, -1.0]))
    # where the spread is above the grain, the test is scipy's own
    a, b = [0.81, 0.84, 0.79, 0.88], [0.80, 0.80, 0.80, 0.81]
    assert stats.paired_test(a, b, "t", grain=0.001).p == pytest.approx(scipy_stats.ttest_rel(a, b).pvalue)


def test_the_grain_of_counted_outcomes_is_inferred_from_their_values_and_intervals_keep_to_their_bounds():
    assert stats.grain([250 / 359, 273 / 359, 300 / 359]) == pytest.approx(1 / 359)
    assert stats.grain([0.953, 0.95, 0.961]) == pytest.approx(1 / 1000)
    assert stats.grain([0.123456789123, 0.5]) is None  # not a count: a continuous metric
    assert stats.bounded((-1.2, 0.4), -1.0, 1.0) == ((-1.0, 0.4), True)
    assert stats.bounded((-0.2, 0.4), -1.0, 1.0) == ((-0.2, 0.4), False)
    assert stats.bounded(None, -1.0, 1.0) == (None, False)


def test_an_unknown_test_or_unpaired_samples_are_refused():
    with pytest.raises(ValueError, match="unknown test 'z'"):
        stats.paired_test([1.0, 2.0], [1.0, 2.0], "z")
    with pytest.raises(ValueError, match="differ in length"):
        stats.paired_test([1.0, 2.0], [1.0], "t")
    assert stats.TESTS == ("wilcoxon", "t")


def test_wilcoxon_cannot_decide_with_3_pairs_whatever_the_effect():
    """The smallest two-sided p of the exact signed-rank test over n pairs is 2 / 2^n: 0.25 with 3, so a caller
    can know before testing that no result could be significant."""
    assert stats.wilcoxon_min_p(3) == 0.25 and stats.wilcoxon_min_p(5) == 0.0625
    largest_effect = stats.paired_test([10.0, 20.0, 30.0], [0.0, 0.0, 0.0], "wilcoxon")
    assert largest_effect.p == pytest.approx(stats.wilcoxon_min_p(3)) and largest_effect.effect == 1.0
    assert stats.wilcoxon_floor_seeds() == 6  # 2 / 2^5 = 0.0625, 2 / 2^6 = 0.031
    assert stats.paired_test(np.arange(1.0, 7.0), np.zeros(6), "wilcoxon").p == pytest.approx(2 / 2 ** 6)


# -- Holm -----------------------------------------------------------------------------------------------------------


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, max(0.06, 1 x 0.04) = 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert stats.holm([0.02]) == pytest.approx([0.02])  # one test: nothing to correct
    assert stats.holm([]) == []


# -- TOST -----------------------------------------------------------------------------------------------------------


def test_tost_decides_equivalence_when_the_90_interval_lies_within_the_margin():
    close = [0.004, -0.003, 0.006, 0.001, -0.002, 0.0]
    p = stats.tost(close, 0.02)
    assert p < stats.ALPHA
    low, high = stats.t_interval(close, 1 - 2 * stats.ALPHA)
    assert -0.02 < low and high < 0.02  # the same decision, read from the interval
    from statsmodels.stats.weightstats import ttost_paired

    assert p == pytest.approx(ttost_paired(np.asarray(close), np.zeros(6), -0.02, 0.02)[0])  # statsmodels' TOST
    # the larger of the two one-sided t-tests' p-values, by hand
    d, se = np.asarray(close), np.std(close, ddof=1) / math.sqrt(len(close))
    df = len(d) - 1
    by_hand = max(scipy_stats.t.sf((d.mean() + 0.02) / se, df), scipy_stats.t.cdf((d.mean() - 0.02) / se, df))
    assert p == pytest.approx(by_hand)


def test_tost_does_not_decide_equivalence_for_a_noisy_or_a_real_difference():
    noisy = [0.05, -0.04, 0.03, -0.05, 0.04]  # mean 0.006, but the spread leaves +-0.02 open
    assert stats.tost(noisy, 0.02) >= stats.ALPHA
    shifted = [0.031, 0.029, 0.030, 0.032]  # surely outside the margin
    assert stats.tost(shifted, 0.02) > 0.5
    assert stats.tost([0.0, 0.0], 0.02) == 0.0  # every difference 0, no grain: the mean is known exactly
    assert stats.tost([0.01, 0.01], 0.02) < 0.05 and stats.tost([0.03, 0.03], 0.02) > 0.95  # a thousandth as spread
    assert stats.tost([0.001, -0.001], 0.0) >= stats.ALPHA  # a margin of 0: nothing is equivalent
    assert stats.tost([0.01], 0.02) is None  # one pair: no test


# -- intervals ------------------------------------------------------------------------------------------------------


def test_the_t_interval_of_the_mean_difference_matches_scipy():
    d = np.array([0.004, -0.003, 0.006, 0.001, -0.002, 0.0])
    for level in (0.95, 0.90):
        expected = scipy_stats.t.interval(level, len(d) - 1, loc=d.mean(), scale=scipy_stats.sem(d))
        assert stats.t_interval(d, level) == pytest.approx(expected)
    assert stats.t_interval([0.1]) is None
    assert stats.t_interval([0.1, 0.1], grain=0.01) == pytest.approx(
        scipy_stats.t.interval(0.95, 1, loc=0.1, scale=0.01 / math.sqrt(2)))  # no spread: the grain's


def test_bootstrap_interval():
    values = [0.70, 0.72, 0.75, 0.71, 0.74]
    low, high = stats.bootstrap_ci(values)
    assert min(values) <= low < np.mean(values) < high <= max(values)
    assert stats.bootstrap_ci(values) == stats.bootstrap_ci(values)  # seeded: the same report twice
    assert stats.bootstrap_ci([0.7, 0.8]) is None  # a bootstrap of 2 values is their range: no 95% interval
    assert stats.bootstrap_ci([0.7]) is None and stats.bootstrap_ci([]) is None


def test_the_bootstrap_is_bca_where_it_works_and_the_percentile_interval_where_it_degenerates():
    from scipy.stats import bootstrap

    def scipy_ci(values, method):
        found = bootstrap((np.asarray(values),), np.mean, n_resamples=10_000, method=method,
                          rng=np.random.default_rng(0)).confidence_interval
        return found.low, found.high

    skewed = [0.90, 0.95, 0.962, 0.971, 0.974, 0.981, 0.987, 0.991, 0.995, 0.998, 0.9991, 0.9996]  # near 1
    assert scipy_ci(skewed, "BCa") != pytest.approx(scipy_ci(skewed, "percentile"))
    assert stats.bootstrap_ci(skewed) == pytest.approx(scipy_ci(skewed, "BCa"))
    # 3 values: about 23% of the resamples redraw the sample (mean tied with the observed one), which biases BCa
    few = [0.7, 0.8, 0.9]
    assert stats.bootstrap_ci(few) == pytest.approx(scipy_ci(few, "percentile"))
    constant = stats.bootstrap_ci([0.7, 0.7, 0.7, 0.7])
    assert constant == pytest.approx((0.7, 0.7)) and all(map(math.isfinite, constant))


def test_mean_and_std_exist_only_where_they_can():
    assert stats.mean_std([]) == (None, None) and stats.mean_std([0.5]) == (0.5, None)
    assert stats.mean_std([0.5, 0.7]) == pytest.approx((0.6, math.sqrt(0.02)))


# -- seeds needed ---------------------------------------------------------------------------------------------------


def test_seeds_needed_by_hand_and_against_statsmodels():
    from statsmodels.stats.power import TTestPower

    d = np.array([0.004, -0.003, 0.006, 0.001, -0.002, 0.0])
    expected = math.ceil(TTestPower().solve_power(effect_size=abs(d.mean()) / d.std(ddof=1), alpha=0.05, power=0.8))
    assert stats.seeds_needed(d) == expected
    assert stats.seeds_needed([0.01, -0.01, 0.0]) is None  # a mean difference of 0: no number of seeds detects it
    assert stats.seeds_needed([0.02, 0.02, 0.02], "t") == 2 and stats.seeds_needed([0.02, 0.02, 0.02], "wilcoxon") == 6
    assert stats.seeds_needed([0.001, 0.001, 0.001], "t", grain=0.001) > 5  # a one-example gap: many seeds
    assert stats.seeds_needed([1e-6, -0.5, 0.5]) == stats.MAX_SEEDS  # far too many: capped, not a huge number
    assert stats.seeds_needed([0.1]) is None  # one pair: no spread to size a test by


def test_seeds_for_equivalence_give_tost_the_power_they_promise():
    from statsmodels.stats.weightstats import ttost_paired

    d = np.array([-0.006, -0.034, -0.016, 0.002, 0.016])  # bce against ce on the seed preset at 5 seeds
    n = stats.seeds_for_equivalence(d, 0.02)
    assert 10 <= n <= 25 and stats.seeds_for_equivalence(d, 0.02, power=0.5) < n
    rng = np.random.default_rng(0)
    found = [ttost_paired(x := rng.normal(d.mean(), d.std(ddof=1), n), np.zeros(n), -0.02, 0.02)[0] < 0.05
             for _ in range(1000)]
    assert 0.72 <= np.mean(found) <= 0.92  # about the 0.8 asked for (a simulation of TOST at that many pairs)
    assert stats.seeds_for_equivalence([0.03, 0.04, 0.035], 0.02) is None  # outside the margin: no seeds show a tie
    assert stats.seeds_for_equivalence([0.01, 0.01, 0.01], 0.02) == 2  # no spread: the fewest pairs a test can use
    assert stats.seeds_for_equivalence([0.01, 0.01, 0.01], 0.02, grain=0.01) > 2  # the grain's spread needs more
    assert stats.seeds_for_equivalence([0.019, -0.3, 0.3], 0.02) > 1000
