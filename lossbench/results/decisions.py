"""Which comparisons a sweep decided, and why the others are open: one rule for the sweep's race and the report.

The comparisons are the pairs of arms that differ in one factor only (loss, cell or remedy set), so that each
says what that factor does with the rest held fixed. Each is tested on the final-phase test accuracy over the
seeds both arms share, by a paired t-test: unlike Wilcoxon's signed-rank test (whose smallest two-sided p is
0.25 with 3 pairs) it can reach significance at the 3 to 10 seeds a sweep runs. The p-values are Holm-corrected
over the family, and each difference's interval is the t interval at the level Holm tested it at, so a
difference is decided exactly when its interval excludes zero.

A significant difference is decided only when training longer cannot overturn it: the trailing arm had plateaued
on every seed (``lossbench.convergence``; a leader still improving only widens the gap), or it could not close
the gap in as many epochs again even at the rate it was still gaining over its last epochs (a learning curve is
concave, so its recent slope bounds what it gains later). A difference within
``MARGIN`` both ways (two one-sided t-tests at the same level) between two plateaued arms is decided as
equivalent. Every other comparison is open, with why and what would decide it: more epochs where the trailing
arm was still improving fast enough to close the gap in as many epochs again (no number of seeds could decide it
then), else the seeds a paired t-test (or, between plateaued arms, TOST for a tie) would need at power 0.8 (the
observed difference and spread taken as true), with the minutes that would take at the measured time per run,
and the seeds at which it would have an even chance (power 0.5): the race goes on while that is within its
maximum, since an estimate from 3 to 5 seeds is rough.

Where accuracy does not separate two plateaued arms, "by how much" is a question of speed (AlgoPerf's time to
result): ``speed`` tests the epochs each run took to reach a target both arms' runs all reach by the same paired
t-test, Holm-corrected over those pairs. Epochs, not seconds: they do not depend on how busy the machine was.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lossbench import stats
from lossbench.convergence import PATIENCE, TARGET_SHARE, plateau
from lossbench.stats import ALPHA

MARGIN = 0.02  # test accuracy: differences within this count as a tie (equivalence margin)
TEST = "paired t-test over shared seeds, Holm-corrected over the comparisons"
SPEED = "epochs_to_target"  # the metric of a speed decision: fewer epochs is better
# A speed difference counts when one arm needs this many times the other's epochs: epochs are counted whole, so a
# difference of one epoch in two or three is the grain of counting (and sure on every seed), not a finding.
SPEED_FACTOR = 1.5
EVEN_CHANCE = 0.5  # the race gives more seeds while the test has at least this power at its maximum


@dataclass(frozen=True)
class Arm:
    """What the rule needs of an arm: its factors, its final runs' test accuracy by seed and whether each run
    had plateaued, and its mean seconds per final run."""

    key: str
    loss: str
    cell: str
    remedies: str
    accuracy: dict[int, float]
    plateaued: dict[int, bool]
    seconds_per_run: float | None = None
    epochs_cap: int | None = None
    gain_per_epoch: float = 0.0  # the fastest recent gain in validation accuracy of its runs still improving
    curves: dict[int, list[float | None]] = field(default_factory=dict)  # validation accuracy per epoch, by seed

    @property
    def still_improving(self) -> bool:
        return any(not done for done in self.plateaued.values())

    def could_gain(self, epochs: int) -> float:
        """The most its accuracy could rise in ``epochs`` more epochs, at its recent rate (an upper bound for a
        concave learning curve); 0 for an arm that plateaued."""
        return self.gain_per_epoch * epochs if self.still_improving else 0.0


@dataclass(frozen=True)
class Decision:
    kind: str  # "better" | "worse" | "equivalent" | "open": how arm compares with other
    arm: str
    other: str
    factor: str  # the factor the two arms differ in: loss, cell or remedies
    levels: tuple[str, str]  # the factor's level in arm and in other
    metric: str
    difference: float | None  # mean over shared seeds of arm - other
    interval: tuple[float, float] | None
    level: float | None  # the confidence level of the interval (Holm's level for this comparison)
    p: float | None  # Holm-adjusted
    seeds: int
    test: str
    why: str
    needs_seeds: int | None = None
    needs_epochs: int | None = None
    minutes: float | None = None
    even_chance_seeds: int | None = None  # the seeds at which the test has an even chance (power 0.5) to decide it

    @property
    def decided(self) -> bool:
        return self.kind != "open"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["interval"] = list(self.interval) if self.interval else None
        return data


def one_factor_pairs(arms: list[Arm]) -> list[tuple[Arm, Arm, str]]:
    """Every pair of arms that differ in exactly one factor, with that factor."""
    pairs = []
    for i, a in enumerate(arms):
        for b in arms[i + 1:]:
            differ = [f for f in ("loss", "cell", "remedies") if getattr(a, f) != getattr(b, f)]
            if len(differ) == 1:
                pairs.append((a, b, differ[0]))
    return pairs


def decide(arms: list[Arm], alpha: float = ALPHA, workers: int = 1) -> list[Decision]:
    """Every one-factor comparison, decided or open with why; ``alpha`` is the family's level (the race passes
    alpha / looks)."""
    tested: list[tuple[Arm, Arm, str, list[float], float]] = []
    out: list[Decision | None] = []
    for a, b, factor in one_factor_pairs(arms):
        shared = sorted(set(a.accuracy) & set(b.accuracy))
        test = stats.paired_test([a.accuracy[s] for s in shared], [b.accuracy[s] for s in shared], "t")
        diffs = [a.accuracy[s] - b.accuracy[s] for s in shared]
        if test is None:
            out.append(_open(a, b, factor, diffs, "fewer than 2 seeds run by both arms", needs_seeds=3))
            continue
        tested.append((a, b, factor, diffs, test.p))
        out.append(None)
    pvalues = [p for *_, p in tested]
    results = iter(_judge(a, b, factor, (getattr(a, factor), getattr(b, factor)), diffs, level, p_adj, alpha, workers)
                   for (a, b, factor, diffs, _), level, p_adj in zip(tested, _holm_levels(pvalues, alpha),
                                                                   stats.holm(pvalues)))
    return [d if d is not None else next(results) for d in out]


def pair_decision(a: Arm, b: Arm, alpha: float = ALPHA, workers: int = 1) -> Decision:
    """Any two arms by the same rule, whatever factors they differ in (``factor`` "arms"), tested on their own
    (outside the family's Holm correction): a published claim's pair, for one."""
    shared = sorted(set(a.accuracy) & set(b.accuracy))
    diffs = [a.accuracy[s] - b.accuracy[s] for s in shared]
    test = stats.paired_test([a.accuracy[s] for s in shared], [b.accuracy[s] for s in shared], "t")
    if test is None:
        return _open(a, b, "arms", diffs, "fewer than 2 seeds run by both arms", needs_seeds=3, levels=(a.key, b.key))
    return _judge(a, b, "arms", (a.key, b.key), diffs, alpha, test.p, alpha, workers)


def _judge(a: Arm, b: Arm, factor: str, levels: tuple[str, str], diffs: list[float], level: float, p_adj: float,
           alpha: float, workers: int) -> Decision:
    n = len(diffs)
    mean = sum(diffs) / n
    interval = stats.t_interval(diffs, 1 - level)
    common = dict(arm=a.key, other=b.key, factor=factor, levels=levels,
                  metric="test_accuracy", difference=mean, interval=interval, level=1 - level, p=p_adj, seeds=n,
                  test=TEST)
    if p_adj <= alpha:  # then the interval at Holm's level for this comparison excludes 0 too
        leader, trailer = (a, b) if mean > 0 else (b, a)
        horizon = trailer.epochs_cap or 0
        closing = abs(interval[0] if mean > 0 else interval[1])  # the smallest gap the interval allows
        if not trailer.still_improving or trailer.could_gain(horizon) < closing:  # the leader improving only widens it
            return Decision(kind="better" if mean > 0 else "worse", why=_decided_why(leader, trailer, closing),
                            **common)
        rate = trailer.gain_per_epoch
        more = math.ceil(closing / rate) if rate > 0 else None
        return Decision(kind="open", why=f"{trailer.key} trails by {abs(mean):.3f} but was still improving at its "
                                         f"cap of {trailer.epochs_cap} epochs (+{rate:.4f} per epoch): training "
                                         f"longer could close the gap",
                        needs_epochs=None if more is None else horizon + more,
                        minutes=_minutes(trailer, 0, workers, epochs=True), **common)
    p_equivalent = stats.tost(diffs, MARGIN)  # two one-sided tests: equivalent at `level` when below it
    if p_equivalent is not None and p_equivalent < level:
        if not a.still_improving and not b.still_improving:
            return Decision(kind="equivalent", why=f"within +-{MARGIN} both ways (two one-sided t-tests), both "
                                                   f"plateaued", **common)
        improving = a if a.still_improving else b
        return Decision(kind="open", why=f"within +-{MARGIN} so far, but {improving.key} was still improving",
                        needs_epochs=_more_epochs(improving), minutes=_minutes(improving, 0, workers, epochs=True),
                        **common)
    why = (f"the interval [{interval[0]:.3f}, {interval[1]:.3f}] includes 0 and is wider than the +-{MARGIN} "
           f"that would make it a tie")
    trailer = b if mean > 0 else a
    if trailer.could_gain(trailer.epochs_cap or 0) > abs(mean):  # no number of seeds could decide it: epochs first
        return Decision(kind="open", why=f"{why}, and {trailer.key}, still improving at its cap of "
                                         f"{trailer.epochs_cap} epochs (+{trailer.gain_per_epoch:.4f} per epoch), "
                                         f"could close the gap: train longer before adding seeds",
                        needs_epochs=_more_epochs(trailer), minutes=_minutes(trailer, 0, workers, epochs=True),
                        **common)
    need, even, route = _seeds_to_decide(diffs, level, plateaued=not a.still_improving and not b.still_improving)
    extra = None if need is None else max(0, need - n)
    if need is not None:
        why += f": about {need} seeds would decide it ({route})"
    minutes = None if extra is None else [_minutes(a, extra, workers), _minutes(b, extra, workers)]
    return Decision(kind="open", why=why, needs_seeds=need, even_chance_seeds=even,
                    minutes=None if minutes is None or None in minutes else sum(minutes), **common)


def speed(arms: list[Arm], decisions: list[Decision], alpha: float = ALPHA) -> list[Decision]:
    """For every pair not decided on accuracy whose arms both plateaued: which reaches a common target in fewer
    epochs (``SPEED``: "better" is fewer; ``difference`` is arm - other in epochs), or open when the paired test
    cannot tell or one needs less than ``SPEED_FACTOR`` times the other's epochs. The target is ``TARGET_SHARE``
    of the lowest best validation accuracy of any run of the two, so that every run reaches it."""
    by_key = {a.key: a for a in arms}
    tested = []
    for d in decisions:
        a, b = by_key.get(d.arm), by_key.get(d.other)
        if d.kind not in ("equivalent", "open") or a is None or b is None or a.still_improving or b.still_improving:
            continue
        shared = sorted(set(a.curves) & set(b.curves))
        bests = [max(v for v in arm.curves[s] if _finite(v)) for arm in (a, b) for s in shared
                 if any(_finite(v) for v in arm.curves[s])]
        if len(bests) < 2 * len(shared) or not shared:
            continue
        target = TARGET_SHARE * min(bests)
        epochs = [(_reached(a.curves[s], target), _reached(b.curves[s], target)) for s in shared]
        test = stats.paired_test([x for x, _ in epochs], [y for _, y in epochs], "t")
        if test is not None:
            totals = sum(x for x, _ in epochs), sum(y for _, y in epochs)  # every run reaches it: at epoch 1 or later
            tested.append((d, [float(x - y) for x, y in epochs], target, max(totals) / min(totals), test.p))
    out = []
    pvalues = [p for *_, p in tested]
    for (d, diffs, target, ratio, _), level, p_adj in zip(tested, _holm_levels(pvalues, alpha),
                                                          stats.holm(pvalues)):
        mean = sum(diffs) / len(diffs)
        goal = f"validation accuracy {target:.3f} ({TARGET_SHARE:.0%} of the lower best)"
        if p_adj > alpha or mean == 0:
            kind, why = "open", f"the epochs to {goal} do not differ significantly"
        elif ratio < SPEED_FACTOR:
            kind, why = "open", (f"the epochs to {goal} differ by {abs(mean):.1f}, a factor of {ratio:.2f}: under "
                                 f"the {SPEED_FACTOR:g} that counts as faster")
        else:
            kind = "better" if mean < 0 else "worse"
            why = (f"{d.arm if mean < 0 else d.other} reaches {goal} in {abs(mean):.1f} fewer epochs "
                   f"({ratio:.1f}x as fast)")
        out.append(Decision(kind=kind, arm=d.arm, other=d.other, factor=d.factor, levels=d.levels, metric=SPEED,
                            difference=mean, interval=stats.t_interval(diffs, 1 - level), level=1 - level, p=p_adj,
                            seeds=len(diffs), test=TEST, why=why))
    return out


def _reached(curve: list[float | None], target: float) -> int:
    return next(epoch for epoch, v in enumerate(curve, start=1) if _finite(v) and v >= target)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _seeds_to_decide(diffs: list[float], level: float, plateaued: bool) -> tuple[int | None, int | None, str]:
    """(seeds at power 0.8, seeds at an even chance, the route): the nearer of showing a difference (paired t) and,
    between plateaued arms, showing a tie within ``MARGIN`` (TOST)."""
    routes = [(stats.seeds_needed(diffs, "t", level), stats.seeds_needed(diffs, "t", level, power=EVEN_CHANCE),
               "to show a difference")]
    if plateaued:
        routes.append((stats.seeds_for_equivalence(diffs, MARGIN, level),
                       stats.seeds_for_equivalence(diffs, MARGIN, level, power=EVEN_CHANCE),
                       f"to show a tie within +-{MARGIN}"))
    found = [r for r in routes if r[0] is not None]
    return min(found, key=lambda r: r[0]) if found else (None, None, "")


def _decided_why(leader: Arm, trailer: Arm, gap: float) -> str:
    if not trailer.still_improving:
        return f"the interval excludes 0 and {trailer.key} had plateaued on every seed"
    return (f"the interval excludes 0, and {trailer.key}, still improving at +{trailer.gain_per_epoch:.4f} per epoch, "
            f"would gain at most {trailer.could_gain(trailer.epochs_cap or 0):.3f} in {trailer.epochs_cap} more "
            f"epochs at that rate, less than the gap of at least {gap:.3f}")


def _open(a: Arm, b: Arm, factor: str, diffs: list[float], why: str, needs_seeds: int | None = None,
          levels: tuple[str, str] | None = None) -> Decision:
    mean = sum(diffs) / len(diffs) if diffs else None
    return Decision(kind="open", arm=a.key, other=b.key, factor=factor,
                    levels=levels or (getattr(a, factor), getattr(b, factor)),
                    metric="test_accuracy", difference=mean, interval=None, level=None, p=None, seeds=len(diffs),
                    test=TEST, why=why, needs_seeds=needs_seeds)


def _more_epochs(arm: Arm) -> int | None:
    return None if arm.epochs_cap is None else 2 * arm.epochs_cap


def _minutes(arm: Arm, seeds: int, workers: int, epochs: bool = False) -> float | None:
    """Minutes on this machine: ``seeds`` more runs, or (``epochs``) every run again at twice the cap."""
    if arm.seconds_per_run is None:
        return None
    runs = 2 * len(arm.accuracy) if epochs else seeds
    return runs * arm.seconds_per_run / max(1, workers) / 60


def _holm_levels(pvalues: list[float], alpha: float) -> list[float]:
    """The level Holm's step-down tests each p-value at: alpha / (m - rank)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    levels = [alpha] * len(pvalues)
    for rank, i in enumerate(order):
        levels[i] = alpha / (len(pvalues) - rank)
    return levels


def arm_from_runs(key: str, loss: str, cell: str, remedies: str, runs: list[Run], maximize: bool,
                  patience: int | None, epochs_cap: int | None) -> Arm:
    """An ``Arm`` from its final runs; a run counts as plateaued when it stopped before its cap, or when the
    patience rule says so of its curve (for fixed-epoch runs: its best epoch at least ``patience`` epochs before
    the end). Its recent gain: the rise in validation accuracy per epoch over the last ``patience`` epochs, the
    fastest of its runs still improving."""
    window = patience or PATIENCE
    accuracy, plateaued, gains, curves = {}, {}, [0.0], {}
    for run in runs:
        accuracy[run.seed] = run.test_accuracy
        curves[run.seed] = list(run.accuracy_curve)
        verdict = plateau(run.curve, maximize, window)
        stopped_early = epochs_cap is not None and len(run.curve) < epochs_cap
        plateaued[run.seed] = bool(verdict and (verdict.plateaued or stopped_early))
        acc = [v for v in run.accuracy_curve if v is not None]
        if not plateaued[run.seed] and len(acc) > 1:
            span = min(window, len(acc) - 1)
            gains.append(max(0.0, (max(acc[-span:]) - max(acc[:-span])) / span))
    seconds = [run.seconds for run in runs]
    return Arm(key, loss, cell, remedies, accuracy, plateaued,
               seconds_per_run=(sum(seconds) / len(seconds)) if seconds else None, epochs_cap=epochs_cap,
               gain_per_epoch=max(gains), curves=curves)


@dataclass(frozen=True)
class Run:
    """What the rule reads of one final run."""

    seed: int
    test_accuracy: float
    curve: list[float | None]  # the validation objective per epoch
    accuracy_curve: list[float | None]  # validation accuracy per epoch
    seconds: float = 0.0  # the run's wall time


def runs_of(trials: Any, objective: str) -> list[Run]:
    """The completed final runs among stored trials (``TrialRecord``s) that have a seed and a test accuracy."""
    runs = []
    for trial in trials:
        run = trial.run
        accuracy = run.test_metric("accuracy") if run is not None else None
        if trial.state != "COMPLETE" or trial.seed is None or accuracy is None:
            continue
        runs.append(Run(trial.seed, accuracy, run.curve(objective), run.curve("val_accuracy"), run.wall_seconds))
    return runs


def sweep_arms(data: Any) -> tuple[list[Arm], int]:
    """The arms of a stored sweep (``SweepData``) that have completed final runs, and its number of workers."""
    spec = data.spec_record
    workers = int((data.provenance or {}).get("workers") or 1)
    arms = [arm_from_runs(arm.key, arm.loss, arm.cell, "+".join(arm.remedies) or "none",
                          runs_of(arm.final, spec.objective.name), spec.objective.maximize, spec.patience, spec.epochs)
            for arm in data.arms]
    return [a for a in arms if a.accuracy], workers

