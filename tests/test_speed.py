"""Speed where accuracy does not decide: the epochs two plateaued arms take to a target every run of both reaches
(``lossbench.decisions.speed``)."""

from __future__ import annotations

import math

import numpy as np

from lossbench.decisions import SPEED, JudgedArm, decide, speed

SEEDS = list(range(1000, 1008))


def curve(tau: float, top: float, epochs: int = 60) -> list[float]:
    """A saturating validation-accuracy curve that rises with time constant ``tau`` epochs to ``top``."""
    return [top * (1 - math.exp(-e / tau)) for e in range(1, epochs + 1)]


def arm(key: str, tau: float, accuracy: float, rng: np.random.Generator, improving: bool = False) -> JudgedArm:
    taus = {s: tau * (1 + 0.1 * rng.standard_normal()) for s in SEEDS}
    return JudgedArm(key, key, "rnn", "none", {s: accuracy + 0.002 * rng.standard_normal() for s in SEEDS},
               {s: not improving for s in SEEDS}, 5.0, 60, 0.01 if improving else 0.0,
               curves={s: curve(t, 0.95) for s, t in taus.items()})


def test_of_two_tied_arms_the_one_that_reaches_the_common_target_in_fewer_epochs_is_decided_faster():
    rng = np.random.default_rng(0)
    fast, slow = arm("ce", 3.0, 0.95, rng), arm("bce", 12.0, 0.95, rng)
    decisions = decide([slow, fast])
    assert [d.kind for d in decisions] == ["equivalent"]
    [d] = speed([slow, fast], decisions)
    assert d.metric == SPEED and d.kind == "worse" and d.arm == "bce" and d.other == "ce"
    # the target is 95% of the lower best (0.95 * 0.95): reached after about tau * ln(20) epochs
    expected = 12.0 * math.log(20) - 3.0 * math.log(20)
    assert d.interval[0] < d.difference < d.interval[1] and d.interval[0] > 0
    assert abs(d.difference - expected) < 0.25 * expected, (d.difference, expected)
    assert "ce reaches validation accuracy" in d.why


def test_arms_alike_in_speed_stay_open_on_it():
    rng = np.random.default_rng(1)
    a, b = arm("ce", 6.0, 0.95, rng), arm("bce", 6.0, 0.95, rng)
    [d] = speed([a, b], decide([a, b]))
    assert d.kind == "open" and d.interval[0] < 0 < d.interval[1]


def test_no_speed_for_a_pair_decided_on_accuracy_or_with_an_arm_still_improving():
    rng = np.random.default_rng(2)
    better, worse = arm("ce", 3.0, 0.95, rng), arm("bce", 12.0, 0.80, rng)
    decisions = decide([better, worse])
    assert decisions[0].kind == "better"
    assert speed([better, worse], decisions) == []
    still = arm("bce", 12.0, 0.95, rng, improving=True)
    assert speed([still, better], decide([still, better])) == []


def test_one_epoch_more_on_every_seed_is_the_grain_of_counting_epochs_not_a_speed_difference():
    rng = np.random.default_rng(3)
    a, b = arm("ce", 1.0, 0.95, rng), arm("ls", 1.0, 0.95, rng)
    b = JudgedArm(b.key, b.loss, b.cell, b.remedies, b.accuracy, b.plateaued, 5.0, 60,
            curves={s: [0.0] + c[:-1] for s, c in a.curves.items()})  # a's curves, one epoch later
    [d] = speed([a, b], decide([a, b]))
    assert d.difference == -1.0 and d.kind == "open" and "under the 1.5" in d.why


def test_a_diverged_epoch_neither_sets_the_target_nor_reaches_it():
    rng = np.random.default_rng(4)
    fast, slow = arm("ce", 3.0, 0.95, rng), arm("bce", 12.0, 0.95, rng)
    broken = {s: [math.nan, None, *c[2:]] for s, c in fast.curves.items()}  # epochs 1-2 lost, then it trains
    fast = JudgedArm(fast.key, fast.loss, fast.cell, fast.remedies, fast.accuracy, fast.plateaued, 5.0, 60,
                     curves=broken)
    [d] = speed([fast, slow], decide([fast, slow]))  # the lost epoch first: a NaN would win max() and min()
    assert d.kind == "better" and d.difference < 0 and "ce reaches validation accuracy 0.8" in d.why
