"""The rule for one tested pair, given the level Holm tests it at: decided (better, worse, equivalent) or open, and
what would decide an open one. ``judge_values``: the same rule for a metric the family does not test (a claim on
calibration or gradient flow), on its own."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from lossbench import stats
from lossbench.decisions.units import Pair, Side
from lossbench.decisions.verdict import BETTER, EQUIVALENT, OPEN, WORSE, Verdict
from lossbench.stats import ALPHA

MARGIN = 0.02  # test accuracy: differences within this count as a tie (equivalence margin)
BOUNDS = (-1.0, 1.0)  # a difference of accuracies lies here; a t interval that does not is cut and says so
TEST = "paired t-test over shared seeds (one unit per seed), Holm-corrected over the comparisons"
EVEN_CHANCE = 0.5  # the race gives more seeds while the test has at least this power at its maximum
MIN_SEEDS = 3  # the fewest paired units a verdict is decided on: a spread from 2 values says almost nothing
SEEDS_WORTH = 30  # a pair needing more seeds than this is within the noise: no advice offers them


def judge(pair: Pair, test: stats.PairedTest, step: float, p_adj: float, alpha: float = ALPHA, workers: int = 1,
          margin: float = MARGIN) -> Verdict:
    """The verdict on a tested pair: ``step`` is the level Holm tests it at, ``p_adj`` its adjusted p-value."""
    found = _unknown_ends(pair, _judge(pair, test, step, p_adj, alpha, workers, margin))
    notes = [identical_note(pair), CLIPPED if found.clipped else ""]
    return replace(found, why="; ".join(filter(None, [found.why, *notes])))


CLIPPED = "the t interval ran past the bounds of an accuracy difference and is cut at -1 or +1"


def identical_note(pair: Pair) -> str:
    """Matched arms whose runs are identical seed for seed, in words: a remedy that never acted (clipping that never
    fired) makes its arm a copy of the plain one, and a copy is no evidence of its own."""
    if not pair.identical:
        return ""
    arms = {a.key: a for a in (*pair.a.arms, *pair.b.arms)}
    clipped = [f"{k} clipped {arms[k].clip_rate:.1%} of its steps" for x, y in pair.identical for k in (x, y)
               if arms[k].clip_rate is not None and arms[k].remedies != "none" and arms[k].clip_rate == 0]
    what = " and ".join(f"{x} and {y}" for x, y in pair.identical)
    return (f"{what} ran identically seed for seed (a remedy that never acted"
            + (f": {', '.join(clipped)}, so clipping never fired" if clipped else "") + ")")


def _judge(pair: Pair, test: stats.PairedTest, step: float, p_adj: float, alpha: float, workers: int,
           margin: float) -> Verdict:
    a, b, units, grain = pair.a, pair.b, list(pair.units), pair.grain
    n, mean = len(units), sum(units) / len(units)
    interval, clipped = stats.bounded(stats.t_interval(units, 1 - step, grain), *BOUNDS)
    common = _common(pair, mean, interval, 1 - step, p_adj, test, margin, clipped)
    if n < MIN_SEEDS:
        return Verdict(kind=OPEN, why=f"{n} seeds run by both sides: a verdict needs at least {MIN_SEEDS} (the spread "
                                      f"of 2 values says almost nothing)", needs_seeds=MIN_SEEDS,
                       minutes=_sum(_minutes(side, workers, seeds=MIN_SEEDS - n) for side in (a, b)), **common)
    if p_adj <= alpha and mean != 0:
        leader, trailer = (a, b) if mean > 0 else (b, a)
        horizon = trailer.epochs_cap or 0
        closing = max(0.0, interval[0] if mean > 0 else -interval[1])  # the smallest gap the interval allows
        if not trailer.still_improving or trailer.could_gain(horizon) < closing:  # the leader improving only widens it
            return Verdict(kind=BETTER if mean > 0 else WORSE, why=_decided_why(trailer, closing), **common)
        rate = trailer.gain_per_epoch
        more = math.ceil(closing / rate) if rate > 0 else None
        return Verdict(kind=OPEN, why=f"{trailer.key} trails by {abs(mean):.3f} but was still improving at its cap of "
                                      f"{trailer.epochs_cap} epochs (+{rate:.4f} per epoch): training longer could "
                                      f"close the gap",
                       needs_epochs=None if more is None else horizon + more,
                       minutes=_minutes(trailer, workers, epochs=True), longer=trailer.improving, **common)
    p_equivalent = stats.tost(units, margin, grain)  # two one-sided tests: equivalent at `step` when below it
    if p_equivalent is not None and p_equivalent < step:
        if not a.still_improving and not b.still_improving:
            return Verdict(kind=EQUIVALENT, why=f"within +-{margin:g} both ways (two one-sided t-tests), both "
                                                f"plateaued", **common)
        if (bound := _bounded_tie(pair, margin, step)) is not None:
            return Verdict(kind=EQUIVALENT, why=f"within +-{margin:g} both ways (two one-sided t-tests) even after "
                                                f"the most {bound} could still gain at its recent rate in as many "
                                                f"epochs again (a learning curve is concave)", **common)
        improving = a if a.still_improving else b
        return Verdict(kind=OPEN, why=f"within +-{margin:g} so far, but {improving.key} was still improving and could "
                                      f"gain enough to leave the margin",
                       needs_epochs=_more_epochs(improving), minutes=_minutes(improving, workers, epochs=True),
                       longer=pair.a.improving + pair.b.improving, **common)
    why = (f"the interval [{interval[0]:.3f}, {interval[1]:.3f}] includes 0 and is wider than the +-{margin:g} "
           f"that would make it a tie")
    trailer = b if mean > 0 else a
    if trailer.could_gain(trailer.epochs_cap or 0) > abs(mean):  # no number of seeds could decide it: epochs first
        return Verdict(kind=OPEN, why=f"{why}, and {trailer.key}, still improving at its cap of {trailer.epochs_cap} "
                                      f"epochs (+{trailer.gain_per_epoch:.4f} per epoch), could close the gap: train "
                                      f"longer before adding seeds",
                       needs_epochs=_more_epochs(trailer), minutes=_minutes(trailer, workers, epochs=True),
                       longer=trailer.improving, **common)
    plateaued = not a.still_improving and not b.still_improving
    need, even, route = _seeds_to_decide(units, step, margin, grain, plateaued)
    if need is not None:  # a rough estimate (a large observed effect solves below 3): never the seeds it failed at
        need, even = max(need, n + 1), None if even is None else max(even, n + 1)
    tie = None if plateaued else stats.seeds_for_equivalence(units, margin, step, grain=grain)
    if tie is not None and (need is None or tie < need):  # a tie is nearer, but the improving arm could still leave it
        improving = a if a.still_improving else b
        return Verdict(kind=OPEN, why=f"{why}; a tie within +-{margin:g} is nearer (about {tie} seeds) than a "
                                      f"difference, but {improving.key} was still improving, and a tie with an arm still "
                                      f"improving holds only once its possible gain cannot leave the margin: train "
                                      f"longer first",
                       needs_epochs=_more_epochs(improving), minutes=_minutes(improving, workers, epochs=True),
                       longer=a.improving + b.improving, **common)
    extra = None if need is None else max(0, need - n)
    if need is not None:
        why += f": about {need} seeds would decide it ({route})"
    minutes = None if extra is None else _sum(_minutes(side, workers, seeds=extra) for side in (a, b))
    return Verdict(kind=OPEN, why=why, needs_seeds=need, even_chance_seeds=even, minutes=minutes, **common)


def untested(pair: Pair, why: str, kind: str = OPEN, needs_seeds: int | None = None) -> Verdict:
    """A pair no test was made of (too few seeds; both sides at chance): its difference, no interval or p."""
    units = list(pair.units)
    note = identical_note(pair)
    why = f"{why}; {note}" if note else why
    mean = sum(units) / len(units) if units else None
    return Verdict(kind=kind, arm=pair.a.key, other=pair.b.key, factor=pair.factor, levels=pair.levels,
                   metric="test_accuracy", difference=mean, interval=None, level=None, p=None, seeds=len(units),
                   test=TEST, why=why, needs_seeds=needs_seeds, scope=pair.scope, pairs=pair.matched,
                   grain=pair.grain, identical=pair.identical, improving=pair.a.improving + pair.b.improving,
                   units=tuple(units), unit_seeds=pair.seeds)


def judge_values(arm: str, other: str, values: dict[int, float], than: dict[int, float], metric: str,
                 margin: float | None = None, alpha: float = ALPHA, lower_is_better: bool = False) -> Verdict:
    """Two arms on ``metric`` by the same paired t-test and TOST, on their own (outside any family): ``better``
    means better on the metric (lower where ``lower_is_better``), ``equivalent`` within ``margin``."""
    seeds = sorted(set(values) & set(than))
    units = [values[s] - than[s] for s in seeds]
    found = stats.paired_test(units, [0.0] * len(units), "t")
    mean = sum(units) / len(units) if units else None
    base: dict[str, Any] = dict(arm=arm, other=other, factor="arms", levels=(arm, other), metric=metric,
                                difference=mean, seeds=len(units), test="paired t-test over shared seeds",
                                pairs=((arm, other),), margin=margin, units=tuple(units), unit_seeds=tuple(seeds))
    if found is None or mean is None:
        return Verdict(kind=OPEN, interval=None, level=None, p=None, why="fewer than 2 seeds run by both arms",
                       needs_seeds=MIN_SEEDS, **base)
    interval = stats.t_interval(units, 1 - alpha)
    base.update(interval=interval, level=1 - alpha, p=found.p, p_raw=found.p, effect=found.effect)
    if len(units) < MIN_SEEDS:
        return Verdict(kind=OPEN, why=f"{len(units)} seeds run by both arms: a verdict needs at least {MIN_SEEDS}",
                       needs_seeds=MIN_SEEDS, **base)
    sign = -1.0 if lower_is_better else 1.0
    if found.p < alpha and mean != 0:
        return Verdict(kind=BETTER if sign * mean > 0 else WORSE, why="the interval excludes 0", **base)
    p_equivalent = stats.tost(units, margin) if margin else None
    if p_equivalent is not None and p_equivalent < alpha:
        return Verdict(kind=EQUIVALENT, why=f"within +-{margin:g} both ways (two one-sided t-tests)", **base)
    need = stats.seeds_needed(units) if not margin else min(
        (n for n in (stats.seeds_needed(units), stats.seeds_for_equivalence(units, margin)) if n is not None),
        default=None)
    return Verdict(kind=OPEN, why="the interval includes 0" + (f" and is wider than +-{margin:g}" if margin else ""),
                   needs_seeds=need, **base)


def within(verdict: Verdict, margin: float) -> bool | None:
    """Whether the verdict's units show the difference within +-``margin`` (TOST at the verdict's level); None
    where no test was made."""
    if verdict.level is None or len(verdict.units) < 2:
        return None
    p = stats.tost(list(verdict.units), margin, verdict.grain)
    return p is not None and p < 1 - verdict.level


def _common(pair: Pair, mean: float, interval: tuple[float, float] | None, level: float, p_adj: float,
            test: stats.PairedTest, margin: float, clipped: bool) -> dict[str, Any]:
    return dict(arm=pair.a.key, other=pair.b.key, factor=pair.factor, levels=pair.levels, metric="test_accuracy",
                difference=mean, interval=interval, level=level, p=p_adj, seeds=len(pair.units), test=TEST,
                scope=pair.scope, pairs=pair.matched, p_raw=test.p, effect=test.effect, grain=pair.grain,
                identical=pair.identical, improving=pair.a.improving + pair.b.improving, margin=margin,
                units=pair.units, unit_seeds=pair.seeds, clipped=clipped)


def _unknown_ends(pair: Pair, found: Verdict) -> Verdict:
    """A verdict that rests on a side having stopped improving (a difference: its trailing side; a tie: both), where
    runs of that side ended in a way nobody knows (``Arm.unknown``), is not made: open, with why, and nothing
    offered (no raised cap continues such a run, and no count of seeds is known to decide it)."""
    if found.kind in (BETTER, WORSE):
        sides = [pair.b if found.kind == BETTER else pair.a]  # the trailing side (``arm`` is ``pair.a``)
    elif found.kind == EQUIVALENT:
        sides = [pair.a, pair.b]
    else:
        return found
    unknown = [f"{arm.key} on {len(arm.unknown)} of {len(arm.accuracy)} seeds" for side in sides for arm in side.arms
               if arm.unknown]
    if not unknown:
        return found
    return replace(found, kind=OPEN, why=f"{found.why}, but how runs of {' and '.join(unknown)} ended is not known "
                                         f"(no finite validation value stored), so whether training longer could "
                                         f"change it cannot be judged")


def _bounded_tie(pair: Pair, margin: float, step: float) -> str | None:
    """Where one side or both are still improving: whether the difference stays within the margin both ways
    even if each improving side gains the most it could (``could_gain`` over as many epochs again as its cap, the
    concave bound the rule decides differences by): the TOST on the bounds shifted by those gains. The improving
    side(s) and their bound, in words, where it does; else None."""
    a, b = pair.a, pair.b
    gain_a, gain_b = a.could_gain(a.epochs_cap or 0), b.could_gain(b.epochs_cap or 0)
    # a - b may rise by gain_a and fall by gain_b: it must lie within (-margin + gain_b, margin - gain_a)
    p = stats.tost(list(pair.units), margin - (gain_a + gain_b) / 2, pair.grain, center=(gain_b - gain_a) / 2)
    if p is None or p >= step:
        return None
    return " and ".join(f"{side.key} (+{gain:.3f})" for side, gain in ((a, gain_a), (b, gain_b))
                        if side.still_improving)


def _seeds_to_decide(units: list[float], level: float, margin: float, grain: float | None,
                     plateaued: bool) -> tuple[int | None, int | None, str]:
    """(seeds at power 0.8, seeds at an even chance, the route): the nearer of showing a difference (paired t) and,
    between plateaued arms, showing a tie within ``margin`` (TOST)."""
    routes = [(stats.seeds_needed(units, "t", level, grain=grain),
               stats.seeds_needed(units, "t", level, power=EVEN_CHANCE, grain=grain), "to show a difference")]
    if plateaued:
        routes.append((stats.seeds_for_equivalence(units, margin, level, grain=grain),
                       stats.seeds_for_equivalence(units, margin, level, power=EVEN_CHANCE, grain=grain),
                       f"to show a tie within +-{margin:g}"))
    found = [r for r in routes if r[0] is not None]
    return min(found, key=lambda r: r[0]) if found else (None, None, "")


def _decided_why(trailer: Side, gap: float) -> str:
    if not trailer.still_improving:
        return f"the interval excludes 0 and {trailer.key} {trailer.state()}"
    return (f"the interval excludes 0, and {trailer.key}, still improving at +{trailer.gain_per_epoch:.4f} per epoch, "
            f"would gain at most {trailer.could_gain(trailer.epochs_cap or 0):.3f} in {trailer.epochs_cap} more "
            f"epochs at that rate, less than the gap of at least {gap:.3f}")


def _sum(values: Any) -> float | None:
    kept = list(values)
    return None if None in kept else sum(kept)


def _more_epochs(side: Side) -> int | None:
    return None if side.epochs_cap is None else 2 * side.epochs_cap


def _minutes(side: Side, workers: int, seeds: int = 0, epochs: bool = False) -> float | None:
    """Minutes on this machine: ``seeds`` more runs of each of the side's arms, or (``epochs``) each of its runs
    still improving continued from its checkpoint as many epochs again (about a run's time each)."""
    if side.seconds_per_run is None:
        return None
    seconds = sum(a.improving_runs * (a.seconds_per_run or 0.0) for a in side.arms) \
        if epochs else seeds * side.seconds_per_run
    return seconds / max(1, workers) / 60
