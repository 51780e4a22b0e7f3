"""Speed, where accuracy does not separate two plateaued arms (AlgoPerf's time to result): which reaches a
validation accuracy every run of both reaches in fewer epochs, by the same paired t-test, Holm-corrected over
those pairs. Epochs, not seconds: they do not depend on how busy the machine was. Only between arms trained at one
learning rate: arms tuned to different rates differ in speed because of the rate, so such a pair is
``CONFOUNDED``, with both rates named, and never tested."""

from __future__ import annotations

import math

from lossbench import stats
from lossbench.convergence import TARGET_SHARE
from lossbench.decisions.arms import JudgedArm
from lossbench.decisions.rule import TEST
from lossbench.decisions.verdict import ARMS, BETTER, CONFOUNDED, EQUIVALENT, OPEN, WORSE, Verdict
from lossbench.stats import ALPHA

SPEED = "epochs_to_target"  # the metric of a speed verdict: fewer epochs is better
# A speed difference counts when one arm needs this many times the other's epochs: epochs are counted whole, so a
# difference of one epoch in two or three is the grain of counting (and sure on every seed), not a finding.
SPEED_FACTOR = 1.5
EPOCH = 1.0  # the grain of counting epochs: a spread below one epoch is no spread
RATE_DIGITS = 3  # learning rates equal to 3 significant digits are one rate


def speed(arms: list[JudgedArm], verdicts: list[Verdict], alpha: float = ALPHA) -> list[Verdict]:
    """For every pair of arms not separated on accuracy whose arms both plateaued: which reaches a common target
    in fewer epochs (``SPEED``: "better" is fewer; ``difference`` is arm - other in epochs), or open when the
    paired test cannot tell or one needs less than ``SPEED_FACTOR`` times the other's epochs. The target is
    ``TARGET_SHARE`` of the lowest best validation accuracy of any run of the two, so that every run reaches it."""
    by_key = {a.key: a for a in arms}
    tested, confounded = [], []
    for d in verdicts:
        a, b = by_key.get(d.arm), by_key.get(d.other)
        if (d.scope != ARMS or d.kind not in (EQUIVALENT, OPEN) or a is None or b is None or a.still_improving
                or b.still_improving):
            continue
        if a.lr is not None and b.lr is not None and _rate(a.lr) != _rate(b.lr):
            confounded.append(Verdict(
                kind=CONFOUNDED, arm=d.arm, other=d.other, factor=d.factor, levels=d.levels, metric=SPEED,
                difference=None, interval=None, level=None, p=None, seeds=d.seeds, test=TEST, pairs=d.pairs,
                why=f"not compared on speed: {a.key} was tuned to lr {a.lr:.2e} and {b.key} to {b.lr:.2e}, so a "
                    f"difference in epochs would be the learning rates' as much as the arms' (confounded); fix one "
                    f"lr for both to tell"))
            continue
        shared = sorted(set(a.curves) & set(b.curves))
        bests = [max(v for v in arm.curves[s] if _finite(v)) for arm in (a, b) for s in shared
                 if any(_finite(v) for v in arm.curves[s])]
        if len(bests) < 2 * len(shared) or not shared:
            continue
        target = TARGET_SHARE * min(bests)
        epochs = [(_reached(a.curves[s], target), _reached(b.curves[s], target)) for s in shared]
        diffs = [float(x - y) for x, y in epochs]
        test = stats.paired_test(diffs, [0.0] * len(diffs), "t", EPOCH)
        if test is not None:
            totals = sum(x for x, _ in epochs), sum(y for _, y in epochs)  # every run reaches it: at epoch 1 or later
            tested.append((d, diffs, target, max(totals) / min(totals), test, tuple(shared)))
    out = []
    pvalues = [item[4].p for item in tested]
    for (d, diffs, target, ratio, test, shared), p_adj, step in zip(tested, stats.holm(pvalues),
                                                             stats.holm_levels(pvalues, alpha)):
        mean = sum(diffs) / len(diffs)
        goal = f"validation accuracy {target:.3f} ({TARGET_SHARE:.0%} of the lower best)"
        if p_adj > alpha or mean == 0:
            kind, why = OPEN, f"the epochs to {goal} do not differ significantly"
        elif ratio < SPEED_FACTOR:
            kind, why = OPEN, (f"the epochs to {goal} differ by {abs(mean):.1f}, a factor of {ratio:.2f}: under the "
                               f"{SPEED_FACTOR:g} that counts as faster")
        else:
            kind = BETTER if mean < 0 else WORSE
            why = (f"{d.arm if mean < 0 else d.other} reaches {goal} in {abs(mean):.1f} fewer epochs "
                   f"({ratio:.1f}x as fast)")
        out.append(Verdict(kind=kind, arm=d.arm, other=d.other, factor=d.factor, levels=d.levels, metric=SPEED,
                           difference=mean, interval=stats.t_interval(diffs, 1 - step, EPOCH), level=1 - step, p=p_adj,
                           seeds=len(diffs), test=TEST, why=why, pairs=d.pairs, p_raw=test.p, effect=test.effect,
                           units=tuple(diffs), unit_seeds=shared, grain=EPOCH))
    return out + confounded


def _rate(lr: float) -> float:
    return float(f"{lr:.{RATE_DIGITS}g}")


def _reached(curve: list[float | None], target: float) -> int:
    return next(epoch for epoch, v in enumerate(curve, start=1) if _finite(v) and v >= target)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
