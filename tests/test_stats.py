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


@pytest.mark.filterwarnings("ignore:Precision loss")  # scipy on differences equal up to rounding: expected
def test_the_same_difference_on_every_seed_is_certain_not_a_division_by_zero():
    found = stats.paired_test([0.9, 0.8, 0.7], [0.8, 0.7, 0.6], "t")
    assert found.p < 1e-6 and found.effect > 1e6  # 0.1 each, up to float rounding
    exact = stats.paired_test([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], "t")
    assert exact.p == 0.0 and exact.effect == math.inf and exact.mean_difference == 1.0
    assert stats.cohen_dz([-0.5, -0.5]) == -math.inf and stats.cohen_dz([0.0, 0.0]) == 0.0


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
    assert stats.tost([0.01, 0.01], 0.02) == 0.0 and stats.tost([0.03, 0.03], 0.02) == 1.0  # no spread: exact
    assert stats.tost([0.001, -0.001], 0.0) >= stats.ALPHA  # a margin of 0: nothing is equivalent
    assert stats.tost([0.01], 0.02) is None  # one pair: no test


# -- intervals ------------------------------------------------------------------------------------------------------


def test_the_t_interval_of_the_mean_difference_matches_scipy():
    d = np.array([0.004, -0.003, 0.006, 0.001, -0.002, 0.0])
    for level in (0.95, 0.90):
        expected = scipy_stats.t.interval(level, len(d) - 1, loc=d.mean(), scale=scipy_stats.sem(d))
        assert stats.t_interval(d, level) == pytest.approx(expected)
    assert stats.t_interval([0.1]) is None and stats.t_interval([0.1, 0.1]) == pytest.approx((0.1, 0.1))


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
    assert stats.seeds_for_equivalence([0.019, -0.3, 0.3], 0.02) > 1000
