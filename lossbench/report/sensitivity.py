"""How robust an arm's result is: to the learning rate (its tuning trials), to the seed (its final runs), and to
the winner's curse (the best of several single-seed tuning trials against the final seeds' mean).

Numbers only; the thresholds live in ``thresholds``, the sentences in ``findings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lossbench.report.thresholds import DISTINCT_DIGITS, LR_TOLERANCE, NARROW_SPAN, SEED_RANGE, TUNING_GAP
from lossbench.results import Objective


@dataclass
class LrRange:
    """The learning rates at which an arm trains (completed tuning trials within the tolerance of its best)."""

    tolerance: float
    best_lr: float
    best_value: float
    good: list[float]  # distinct learning rates within the tolerance, sorted
    tried: list[float]  # distinct learning rates of completed or diverged trials, sorted
    failing: list[tuple[float, float, str]] = field(default_factory=list)  # (lr, value, status) outside it

    @property
    def span(self) -> float:
        """max / min of the learning rates that train (1.0 for a single one)."""
        return self.good[-1] / self.good[0]

    @property
    def tried_span(self) -> float:
        return self.tried[-1] / self.tried[0]

    @property
    def only_one(self) -> bool:
        """It trains at one learning rate of several tried."""
        return len(self.good) == 1 and len(self.tried) > 1

    @property
    def narrow(self) -> bool:
        """It trains only within a narrow range, and learning rates outside it were tried and failed."""
        return self.span < NARROW_SPAN and self.tried_span >= NARROW_SPAN and bool(self.failing)


def lr_range(points: Sequence[tuple[float, float, str]], objective: Objective) -> LrRange | None:
    """From (lr, objective value, status) of every tuning trial; pruned trials (stopped early, a value from a
    shorter run) are left out. None without a completed trial."""
    sign = objective.sign
    considered = [(lr, v, s) for lr, v, s in points if s in ("completed", "diverged") and lr > 0]
    completed = [(lr, v) for lr, v, s in considered if s == "completed"]
    if not completed:
        return None
    best_lr, best = max(completed, key=lambda p: sign * p[1])
    tolerance = LR_TOLERANCE[objective.name]
    good = {_distinct(lr) for lr, v in completed if sign * (best - v) <= tolerance}
    tried = {_distinct(lr) for lr, _, _ in considered}
    failing = sorted((lr, v, s) for lr, v, s in considered if s == "diverged" or sign * (best - v) > tolerance)
    return LrRange(tolerance, best_lr, best, sorted(good), sorted(tried), failing)


def seed_range(accuracy: dict[int, float]) -> float | None:
    """max - min of the final seeds' test accuracies; None with fewer than 2."""
    return max(accuracy.values()) - min(accuracy.values()) if len(accuracy) > 1 else None


def unstable(accuracy: dict[int, float]) -> bool:
    spread = seed_range(accuracy)
    return spread is not None and spread > SEED_RANGE


@dataclass
class TuningGap:
    tuning: float  # the best tuning trial's objective (one seed)
    final_mean: float  # the final seeds' mean of the same objective (validation, last epoch)
    final_se: float | None
    seeds: int
    gap: float  # how much better the tuning score is (positive: the tuning score overstated the arm)
    flagged: bool


def tuning_gap(tuning: float | None, final: Sequence[float | None], objective: Objective) -> TuningGap | None:
    values = [float(v) for v in final if v is not None and math.isfinite(float(v))]
    if tuning is None or not math.isfinite(tuning) or not values:
        return None
    sign = objective.sign
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else None
    gap = sign * (tuning - mean)
    flagged = gap > TUNING_GAP[objective.name]
    return TuningGap(float(tuning), mean, se, len(values), gap, flagged)


def _distinct(lr: float) -> float:
    return float(f"{lr:.{DISTINCT_DIGITS}g}")
