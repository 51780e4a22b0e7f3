"""Was an arm still improving when training stopped? Judged from its final-phase learning curves.

The rule: take each seed's objective per epoch (validation accuracy or NLL, as tuned), and its gain over the
last ``window`` epochs (the last fifth, at least one), signed so that a gain is an improvement. The arm was
still improving when the mean gain over seeds exceeds both ``MIN_GAIN`` and ``NOISE_SE`` standard errors of
that mean (the noise between seeds). One seed gives no standard error: ``MIN_GAIN`` alone decides, and the
report says so. A single epoch cannot be judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lossbench.report.thresholds import MIN_GAIN, NOISE_SE, WINDOW_SHARE
from lossbench.results import Objective


@dataclass
class Convergence:
    metric: str  # the objective judged: val_accuracy or val_nll
    epochs: int  # epochs in the curves judged
    window: int  # the gain is over this many last epochs
    gain: float | None  # mean over seeds of the improvement over the window (positive: better)
    se: float | None  # its standard error across seeds; None with one seed
    seeds: int
    converged: bool | None  # None: cannot be judged (fewer than 2 epochs)

    @property
    def threshold(self) -> float:
        """The gain above which the arm counts as still improving."""
        floor = MIN_GAIN[self.metric]
        return floor if self.se is None else max(floor, NOISE_SE * self.se)

    @property
    def improving(self) -> bool:
        return self.converged is False


def window_for(epochs: int) -> int:
    return max(1, int(round(epochs * WINDOW_SHARE)))


def judge(curves: Sequence[Sequence[float | None]], objective: Objective) -> Convergence | None:
    """The verdict over the seeds' curves (one list of objective values per epoch, per seed); None without curves."""
    kept = [[float(v) for v in curve] for curve in curves
            if curve and all(v is not None and math.isfinite(float(v)) for v in curve)]
    if not kept:
        return None
    metric = objective.name
    epochs = min(len(c) for c in kept)
    if epochs < 2:
        return Convergence(metric, epochs, 0, None, None, len(kept), None)
    window = min(window_for(epochs), epochs - 1)
    gains = np.array([objective.sign * (c[epochs - 1] - c[epochs - 1 - window]) for c in kept])
    se = float(gains.std(ddof=1) / math.sqrt(len(gains))) if len(gains) > 1 else None
    verdict = Convergence(metric, epochs, window, float(gains.mean()), se, len(kept), None)
    verdict.converged = not verdict.gain > verdict.threshold
    return verdict
