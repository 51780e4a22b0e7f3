"""One arm of a stored sweep, summarised: final-phase test metrics over seeds, curves and their convergence,
calibration, gradients, and the tuning trials (learning-rate sensitivity, the winner's curse)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from lossbench import stats
from lossbench.convergence import collapsed
from lossbench.decisions import JudgedArm
from lossbench.decisions import Run
from lossbench.report import improvement, sensitivity
from lossbench.results import ArmData, Objective, RunResult, SpecRecord, TrialRecord
from lossbench.results.objective import ACCURACY
from lossbench.results.phase import COMPLETE, arm_done
from lossbench.results.halving import pool
from lossbench.results.reader import tuned_best
from lossbench.results.run import INIT, TRAINED

MAX_POINTS = 200  # gradient-norm series are thinned to this many points


@dataclass
class ArmSummary:
    key: str
    loss: str
    cell: str
    remedies: str  # "none" or names joined by +
    accuracy: dict[int, float]  # seed -> final-phase test accuracy (completed runs only)
    acc_mean: float | None
    acc_std: float | None
    acc_ci: tuple[float, float] | None
    nll_mean: float | None
    ece_mean: float | None
    final_runs: int
    final_diverged: int
    trials: int
    pruned: int
    diverged: int
    failed: int
    seconds_per_epoch: float | None
    best_params: dict[str, object] | None
    finished: bool
    errors: list[str] = field(default_factory=list)
    confidence_mean: float | None = None  # mean probability of the predicted class, test split (None: not stored)
    ece: dict[int, float] = field(default_factory=dict)  # seed -> test ECE
    curve_mean: list[float] = field(default_factory=list)  # validation accuracy per epoch, over final seeds
    curve_std: list[float] = field(default_factory=list)
    convergence: improvement.Convergence | None = None  # from the final seeds' objective curves
    flow_init: list[float] = field(default_factory=list)  # mean ||dL/dx_t|| over seeds at initialisation
    flow_final: list[float] = field(default_factory=list)  # ... after training
    ratio_init: float | None = None  # median vanishing ratio (first / last step) over seeds
    ratio_final: float | None = None
    flow_alignment: str | None = None  # how unequal lengths were aligned, as the runs recorded it
    unequal_lengths: bool = False  # the dataset's sequences differ in length (as its runs recorded)
    grad_steps: list[int] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # mean total norm over seeds, thinned
    clip_rate: float | None = None
    sensitivity: list[tuple[float, float, str]] = field(default_factory=list)  # (lr, objective value, status)
    lr_range: sensitivity.LrRange | None = None
    tuning_gap: sensitivity.TuningGap | None = None
    importances: dict[str, float] | None = None
    best_epoch: float | None = None  # median over final runs of the epoch whose weights were tested (the plateau)
    target_epoch: float | None = None  # median epoch at which a final run first reached its target share of its best
    test_examples: int | None = None  # predictions its test accuracy scored (None: runs stored before they said)
    collapses: list[Collapse] = field(default_factory=list)  # final runs whose last epochs fell far below their best

    @property
    def divergence_rate(self) -> float | None:
        return self.diverged / self.trials if self.trials else None

    @property
    def all_diverged(self) -> bool:
        return self.trials > 0 and self.diverged == self.trials

    @property
    def improving(self) -> bool:
        """Still improving at the last epoch (by more than the noise between seeds)."""
        return self.convergence is not None and self.convergence.improving

    @property
    def seed_range(self) -> float | None:
        return sensitivity.seed_range(self.accuracy)

    @property
    def unstable(self) -> bool:
        return sensitivity.unstable(self.accuracy)

    @property
    def overconfidence(self) -> float | None:
        """Mean confidence minus accuracy on the test split: positive is over-confident."""
        if self.confidence_mean is None or self.acc_mean is None:
            return None
        return self.confidence_mean - self.acc_mean


def summarise(arm: ArmData, spec: SpecRecord, race: dict[str, object] | None = None,
              judged: JudgedArm | None = None, judged_trials: Iterable[TrialRecord] | None = None,
              judged_runs: Iterable[Run] = ()) -> ArmSummary:
    """``judged``: the arm as the decisions judge it, ``judged_trials`` its final trials (``SweepData.judged_final``:
    a race's runs past its allowance are left out, as the decisions leave them) and ``judged_runs`` their runs: the
    leaderboard's numbers and whether it was still improving are theirs."""
    objective = spec.objective
    source = arm.completed_final if judged_trials is None else judged_trials
    finals = [(t, run) for t in source if t.state == COMPLETE and not t.surplus and (run := t.run) is not None]
    tested = [(t, run) for t, run in finals if run.test_metric("accuracy") is not None]
    accuracy = {int(t.seed): run.test_metric("accuracy") for t, run in tested if t.seed is not None}
    values = list(accuracy.values())
    mean, std = stats.mean_std(values)
    best = tuned_best(arm.tuning_runs, spec.stored)
    # A trial in flight keeps the arm unfinished; a retry left waiting in a phase whose quota is full (its worker
    # died right after claiming a surplus slot) does not: nothing will run it, so it must not keep it so for ever.
    running = any(t.state == "RUNNING" for t in [*arm.tuning, *arm.final])
    finished = not running and arm_done(arm.tuning_runs, arm.final, spec.stored, race, best is not None, arm.key)
    runs = [run for _, run in finals]
    summary = ArmSummary(
        key=arm.key, loss=arm.loss, cell=arm.cell, remedies="+".join(arm.remedies) or "none", accuracy=accuracy,
        acc_mean=mean, acc_std=std, acc_ci=stats.bootstrap_ci(values),
        nll_mean=_mean(run.test_metric("nll") for _, run in tested),
        ece_mean=_mean(run.test_metric("ece") for _, run in tested),
        final_runs=len(finals), final_diverged=sum(1 for run in runs if run.status == "diverged"),
        trials=len(arm.finished_tuning), pruned=arm.count("pruned"), diverged=arm.count("diverged"),
        failed=arm.failed, seconds_per_epoch=_median(run.seconds_per_epoch for run in runs),
        best_params=dict(best.params) if best else None, finished=finished,
        errors=sorted({t.error for t in [*arm.tuning, *arm.final] if t.error}))
    summary.confidence_mean = _mean(run.test_metric("confidence") for _, run in tested)
    examples = [int(n) for _, run in tested if (n := run.test_metric("examples"))]
    summary.test_examples = max(examples) if examples else None
    summary.ece = {int(t.seed): ece for t, run in tested
                   if t.seed is not None and (ece := run.test_metric("ece")) is not None}
    completed = [run for _, run in tested if run.status == "completed"]
    _speed(summary, completed)
    _curves(summary, runs)
    summary.convergence = improvement.convergence_of({run.seed: run.curve for run in judged_runs},
                                                     judged.states if judged else {}, objective, spec.patience)
    summary.collapses = [found for t, run in tested if t.seed is not None and run.status == "completed"
                         and (found := _collapse(int(t.seed), run))]
    # under halving, a point stopped at the first rung reads as a pruned one does: a value from a shorter run
    last_rung = {t.number for t in pool(arm.tuning_runs, spec.stored)}
    summary.sensitivity = [point for t in arm.tuning if not t.surplus
                           and (point := _sensitivity(t, objective, stopped=t.number not in last_rung))]
    summary.lr_range = sensitivity.lr_range(summary.sensitivity, objective)
    summary.tuning_gap = sensitivity.tuning_gap(best.value if best else None,  # a collapse is no lucky seed
                                               [run.last(objective.name) for run in completed
                                                if not collapsed(run.curve(ACCURACY.name))], objective)
    return summary


@dataclass(frozen=True)
class Collapse:
    """A final run whose validation accuracy ended far below its best (``lossbench.convergence.collapsed``)."""

    seed: int
    best: float
    best_epoch: int
    last: float
    epochs: int
    lr: float | None


def _collapse(seed: int, run: RunResult) -> Collapse | None:
    curve = run.curve(ACCURACY.name)
    if not collapsed(curve):
        return None
    finite = [(v, e) for e, v in enumerate(curve, start=1) if v is not None and math.isfinite(v)]
    best, epoch = max(finite, key=lambda p: (p[0], -p[1]))
    return Collapse(seed, best, epoch, finite[-1][0], len(curve), run.lr)


def _curves(summary: ArmSummary, runs: list[RunResult]) -> None:
    summary.curve_mean, summary.curve_std = _band([run.curve(ACCURACY.name) for run in runs])
    for which, target in [(INIT, "flow_init"), (TRAINED, "flow_final")]:
        profiles = [p for p in (run.flow_profile(which) for run in runs) if p]
        if profiles and len({len(p) for p in profiles}) == 1:
            setattr(summary, target, [float(x) for x in np.mean(np.asarray(profiles, dtype=float), axis=0)])
    summary.ratio_init = _median(run.flow_ratio(INIT) for run in runs)
    summary.ratio_final = _median(run.flow_ratio(TRAINED) for run in runs)
    summary.flow_alignment = next((run.flow_alignment for run in runs if run.flow_alignment), None)
    summary.unequal_lengths = any(run.equal_length is False for run in runs)
    mean, _ = _band([list(run.grad_norms) for run in runs])
    stride = max(1, math.ceil(len(mean) / MAX_POINTS))
    summary.grad_steps = list(range(1, len(mean) + 1, stride))
    summary.grad_norms = mean[::stride]
    summary.clip_rate = _mean(run.clip_rate for run in runs if run.steps)


def _speed(summary: ArmSummary, runs: list[RunResult]) -> None:
    """The plateau (best epoch) and the time to target of the final runs, as medians over seeds."""
    summary.best_epoch = _median(run.best_epoch for run in runs)
    reached = [run.time_to_target for run in runs if run.time_to_target]
    summary.target_epoch = _median(r.get("epoch") for r in reached)


def _band(series: list[list[float | None]]) -> tuple[list[float], list[float]]:
    """Mean and standard deviation per position over series of unequal length (missing values skipped)."""
    longest = max((len(s) for s in series), default=0)
    mean, std = [], []
    for i in range(longest):
        column = [float(v) for s in series if i < len(s) and (v := s[i]) is not None and _finite(v)]
        if not column:
            break
        mean.append(float(np.mean(column)))
        std.append(float(np.std(column, ddof=1)) if len(column) > 1 else 0.0)
    return mean, std


def _sensitivity(trial: TrialRecord, objective: Objective, stopped: bool = False) -> tuple[float, float, str] | None:
    """(learning rate, objective, status) of a finished tuning trial; a pruned one at its last epoch; one
    ``stopped`` at the first rung of a successive halving, as pruned."""
    run = trial.run if "lr" not in trial.params or trial.state == "PRUNED" else None  # read only where needed
    lr = trial.params["lr"] if "lr" in trial.params else run.lr if run is not None else None
    if trial.state == "COMPLETE":
        value = trial.value
    elif trial.state == "PRUNED" and run is not None:
        value = run.last(objective.name)
    else:
        return None
    if lr is None or value is None or not _finite(value):
        return None
    return float(lr), float(value), "pruned" if stopped else trial.status or trial.state.lower()


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None and _finite(v)]
    return float(np.mean(kept)) if kept else None


def _median(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None and _finite(v)]
    return float(np.median(kept)) if kept else None
