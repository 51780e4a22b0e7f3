"""Was an arm still improving when training stopped? Read from the decisions' ``JudgedArm``: how each of its judged runs
ended (``JudgedArm.states``, by the one rule of ``lossbench.convergence.run_state``, each run at its own cap), so the
report never judges it a second way. The arm was still improving when any seed's run was. Its gain, for the
reader, is the mean over seeds of how much the best value rose over the last ``patience`` epochs (signed so that a
gain is an improvement). A single epoch cannot be judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from lossbench.convergence import COLLAPSED, IMPROVING, NOT_TRAINING, PATIENCE
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


def convergence_of(curves: dict[int, Sequence[float | None]], states: dict[int, str], objective: Objective,
          patience: int | None = None) -> Convergence | None:
    """The verdict over an arm's judged runs: ``states``, how each ended by seed (the decisions' ``JudgedArm.states``);
    ``curves``, the same runs' objective per epoch by seed (``lossbench.decisions.Run.curve``), for the gain;
    None without curves."""
    kept = {seed: [float(v) for v in curve] for seed, curve in curves.items() if seed in states and curve
            and all(v is not None and math.isfinite(float(v)) for v in curve)}
    if not kept:
        return None
    metric, window = objective.name, patience or PATIENCE
    epochs = max(len(c) for c in kept.values())
    if epochs < 2:
        return Convergence(metric, epochs, window, None, None, len(kept), None)
    maximize, sign = objective.maximize, objective.sign
    gains = []
    for curve in kept.values():
        span = min(window, len(curve) - 1)
        before = max(curve[:-span]) if maximize else min(curve[:-span])
        after = max(curve) if maximize else min(curve)
        gains.append(sign * (after - before))
    ended = [states[seed] for seed in kept]
    mean = sum(gains) / len(gains)
    se = (math.sqrt(sum((g - mean) ** 2 for g in gains) / (len(gains) - 1)) / math.sqrt(len(gains))
          if len(gains) > 1 else None)
    improving = ended.count(IMPROVING)
    return Convergence(metric, epochs, window, mean, se, len(kept), improving == 0,
                       len(kept) - improving - ended.count(NOT_TRAINING) - ended.count(COLLAPSED),
                       ended.count(NOT_TRAINING), ended.count(COLLAPSED))
