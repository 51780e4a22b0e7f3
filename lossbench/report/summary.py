"""One arm of a stored sweep, summarised: final-phase test metrics over seeds, curves and their convergence,
calibration, gradients, and the tuning trials (learning-rate sensitivity, the winner's curse)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossbench import stats
from lossbench.report import convergence, sensitivity
from lossbench.results import ArmData, best_trial
from lossbench.results.phase import arm_done

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
    best_params: dict[str, Any] | None
    finished: bool
    errors: list[str] = field(default_factory=list)
    confidence_mean: float | None = None  # mean probability of the predicted class, test split (None: not stored)
    ece: dict[int, float] = field(default_factory=dict)  # seed -> test ECE
    curve_mean: list[float] = field(default_factory=list)  # validation accuracy per epoch, over final seeds
    curve_std: list[float] = field(default_factory=list)
    convergence: convergence.Convergence | None = None  # from the final seeds' objective curves
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


def summarise(arm: ArmData, spec: dict[str, Any], maximize: bool, race: dict[str, Any] | None = None) -> ArmSummary:
    objective = "val_accuracy" if maximize else "val_nll"
    finals = [t for t in arm.completed_final if t.result]
    tested = [t for t in finals if (t.result.get("test") or {}).get("accuracy") is not None]
    accuracy = {int(t.seed): float(t.result["test"]["accuracy"]) for t in tested if t.seed is not None}
    values = list(accuracy.values())
    mean, std = stats.mean_std(values)
    best = best_trial(arm.tuning, maximize)
    # A trial in flight keeps the arm unfinished; a retry left waiting in a phase whose budget is full (its worker
    # died right after claiming a surplus slot) does not: nothing will run it, so it must not keep it so for ever.
    running = any(t.state == "RUNNING" for t in [*arm.tuning, *arm.final])
    finished = not running and arm_done(arm.tuning, arm.final, spec, race, best is not None, arm.key)
    summary = ArmSummary(
        key=arm.key, loss=arm.loss, cell=arm.cell, remedies="+".join(arm.remedies) or "none", accuracy=accuracy,
        acc_mean=mean, acc_std=std, acc_ci=stats.bootstrap_ci(values),
        nll_mean=_mean(t.result["test"].get("nll") for t in tested),
        ece_mean=_mean(t.result["test"].get("ece") for t in tested),
        final_runs=len(finals), final_diverged=sum(1 for t in finals if t.result.get("status") == "diverged"),
        trials=len(arm.finished_tuning), pruned=arm.count("pruned"), diverged=arm.count("diverged"),
        failed=arm.failed, seconds_per_epoch=_median(t.result.get("seconds_per_epoch") for t in finals),
        best_params=dict(best.params) if best else None, finished=finished,
        errors=sorted({t.error for t in [*arm.tuning, *arm.final] if t.error}))
    summary.confidence_mean = _mean(t.result["test"].get("confidence") for t in tested)
    summary.ece = {int(t.seed): float(t.result["test"]["ece"]) for t in tested
                   if t.seed is not None and _finite(t.result["test"].get("ece"))}
    completed = [t.result for t in tested if t.result.get("status", "completed") == "completed"]
    _curves(summary, [t.result for t in finals])
    summary.convergence = convergence.judge([_series(r, objective) for r in completed], objective,
                                            spec.get("patience"), spec.get("epochs"))
    summary.sensitivity = [point for t in arm.tuning if not t.surplus and (point := _sensitivity(t, maximize))]
    summary.lr_range = sensitivity.lr_range(summary.sensitivity, objective)
    summary.tuning_gap = sensitivity.tuning_gap(best.value if best else None,
                                               [_last(r, objective) for r in completed], objective)
    return summary


def _curves(summary: ArmSummary, results: list[dict[str, Any]]) -> None:
    summary.curve_mean, summary.curve_std = _band([_series(r, "val_accuracy") for r in results])
    for epoch_key, target in [("init", "flow_init"), ("final", "flow_final")]:
        profiles = [p for p in (_profile(r, epoch_key) for r in results) if p]
        if profiles and len({len(p) for p in profiles}) == 1:
            setattr(summary, target, [float(x) for x in np.mean(np.asarray(profiles, dtype=float), axis=0)])
    summary.ratio_init = _median(_ratio(r, "init") for r in results)
    summary.ratio_final = _median(_ratio(r, "final") for r in results)
    summary.flow_alignment = next(((r.get("flow") or {}).get("alignment") for r in results
                                   if (r.get("flow") or {}).get("alignment")), None)
    summary.unequal_lengths = any((r.get("dataset_info") or {}).get("equal_length") is False for r in results)
    norms = [[n for n in r.get("grad_norms") or []] for r in results]
    mean, _ = _band(norms)
    stride = max(1, math.ceil(len(mean) / MAX_POINTS))
    summary.grad_steps = list(range(1, len(mean) + 1, stride))
    summary.grad_norms = mean[::stride]
    rates = [r.get("clip_rate") for r in results if r.get("steps")]
    summary.clip_rate = _mean(rates)


def _series(result: dict[str, Any], metric: str) -> list[Any]:
    return [e.get(metric) for e in result.get("epochs") or []]


def _last(result: dict[str, Any], metric: str) -> float | None:
    series = _series(result, metric)
    return series[-1] if series and _finite(series[-1]) else None


def _profile_key(result: dict[str, Any], which: str) -> str | None:
    keys = sorted((result.get("flow") or {}).get("profiles", {}), key=lambda k: int(k))
    if not keys:
        return None
    return keys[0] if which == "init" else (keys[-1] if len(keys) > 1 else None)


def _profile(result: dict[str, Any], which: str) -> list[float] | None:
    key = _profile_key(result, which)
    profile = result["flow"]["profiles"][key] if key is not None else None
    if not profile or any(v is None for v in profile):
        return None
    return profile


def _ratio(result: dict[str, Any], which: str) -> float | None:
    key = _profile_key(result, which)
    return (result["flow"].get("vanishing_ratio") or {}).get(key) if key is not None else None


def _band(series: list[list[Any]]) -> tuple[list[float], list[float]]:
    """Mean and standard deviation per position over series of unequal length (missing values skipped)."""
    longest = max((len(s) for s in series), default=0)
    mean, std = [], []
    for i in range(longest):
        column = [float(s[i]) for s in series if i < len(s) and s[i] is not None and _finite(s[i])]
        if not column:
            break
        mean.append(float(np.mean(column)))
        std.append(float(np.std(column, ddof=1)) if len(column) > 1 else 0.0)
    return mean, std


def _sensitivity(trial: Any, maximize: bool) -> tuple[float, float, str] | None:
    """(learning rate, objective, status) of a finished tuning trial; a pruned one at its last epoch."""
    lr = trial.params.get("lr", ((trial.result or {}).get("config") or {}).get("lr"))
    if trial.state == "COMPLETE":
        value = trial.value
    elif trial.state == "PRUNED" and trial.result:
        value = _last(trial.result, "val_accuracy" if maximize else "val_nll")
    else:
        return None
    if lr is None or value is None or not _finite(value):
        return None
    return float(lr), float(value), trial.status or trial.state.lower()


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _mean(values: Any) -> float | None:
    kept = [float(v) for v in values if v is not None and _finite(v)]
    return float(np.mean(kept)) if kept else None


def _median(values: Any) -> float | None:
    kept = [float(v) for v in values if v is not None and _finite(v)]
    return float(np.median(kept)) if kept else None
