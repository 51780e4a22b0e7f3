"""Was an arm still improving when training stopped? Judged from its final-phase learning curves by the one
patience rule of ``lossbench.convergence`` (the rule that stopped the runs).

A seed's run had plateaued when it stopped before the epoch cap, or when its best validation objective lies
at least ``patience`` epochs before its last epoch (after the warm-up); but a run whose best validation accuracy
lies within the chance margin was not training (a slow start, never a plateau), and one whose last epoch fell far
below its best collapsed (``lossbench.convergence.run_state``). The arm was still improving when any seed's run
was. Its gain, for the reader, is the mean over seeds of how much the best value rose
over the last ``patience`` epochs (signed so that a gain is an improvement). A single epoch cannot be judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from lossbench.convergence import COLLAPSED, IMPROVING, NOT_TRAINING, PATIENCE, run_state
from lossbench.results import Objective


@dataclass
class Convergence:
    metric: str  # the objective judged: val_accuracy or val_nll
    epochs: int  # the longest curve judged
    window: int  # the patience: epochs without gain that make a plateau
    gain: float | None  # mean over seeds of the rise of the best value over the last ``window`` epochs
    se: float | None  # its standard error across seeds; None with one seed
    seeds: int
    converged: bool | None  # None: cannot be judged (fewer than 2 epochs); True: no seed's run still improving
    plateaued: int = 0  # seeds whose run had plateaued
    not_training: int = 0  # seeds whose run never left the chance margin
    collapsed: int = 0  # seeds whose run ended far below its best

    @property
    def improving(self) -> bool:
        return self.converged is False


def judge(curves: Sequence[Sequence[float | None]], objective: Objective, patience: int | None = None,
          cap: int | None = None, accuracy: Sequence[Sequence[float | None]] | None = None,
          chance: float | None = None) -> Convergence | None:
    """The verdict over the seeds' curves (one list of objective values per epoch, per seed); None without curves.
    ``cap``: the epochs a run could train (a shorter curve stopped on patience); ``accuracy``: the same runs'
    validation accuracy (the objective's curves where not given), ``chance``: 1 / classes."""
    if accuracy is None:  # the objective is the accuracy, or nothing says how accurate the runs were
        accuracy = curves if objective.name == "val_accuracy" else [[] for _ in curves]
    pairs = [([float(v) for v in curve], acc) for curve, acc in zip(curves, accuracy)
             if curve and all(v is not None and math.isfinite(float(v)) for v in curve)]
    kept = [curve for curve, _ in pairs]
    if not kept:
        return None
    metric, window = objective.name, patience or PATIENCE
    epochs = max(len(c) for c in kept)
    if epochs < 2:
        return Convergence(metric, epochs, window, None, None, len(kept), None)
    maximize, sign = objective.maximize, objective.sign
    gains, states = [], []
    for curve, acc in pairs:
        states.append(run_state(curve, acc, maximize, window, cap, chance))
        span = min(window, len(curve) - 1)
        before = max(curve[:-span]) if maximize else min(curve[:-span])
        after = max(curve) if maximize else min(curve)
        gains.append(sign * (after - before))
    mean = sum(gains) / len(gains)
    se = (math.sqrt(sum((g - mean) ** 2 for g in gains) / (len(gains) - 1)) / math.sqrt(len(gains))
          if len(gains) > 1 else None)
    improving = states.count(IMPROVING)
    return Convergence(metric, epochs, window, mean, se, len(kept), improving == 0,
                       len(kept) - improving - states.count(NOT_TRAINING) - states.count(COLLAPSED),
                       states.count(NOT_TRAINING), states.count(COLLAPSED))
