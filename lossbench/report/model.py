"""The report model: plain dataclasses computed once from a stored sweep. Every renderer reads only this."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossbench.report import stats
from lossbench.results import mask_all
from lossbench.results import ArmData, SweepData, best_tuning_trial

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
    curve_mean: list[float] = field(default_factory=list)  # validation accuracy per epoch, over final seeds
    curve_std: list[float] = field(default_factory=list)
    flow_init: list[float] = field(default_factory=list)  # mean ||dL/dx_t|| over seeds at initialisation
    flow_final: list[float] = field(default_factory=list)  # ... after training
    ratio_init: float | None = None  # median vanishing ratio (first / last step) over seeds
    ratio_final: float | None = None
    grad_steps: list[int] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # mean total norm over seeds, thinned
    clip_rate: float | None = None
    sensitivity: list[tuple[float, float, str]] = field(default_factory=list)  # (lr, objective value, status)
    importances: dict[str, float] | None = None

    @property
    def divergence_rate(self) -> float | None:
        return self.diverged / self.trials if self.trials else None

    @property
    def all_diverged(self) -> bool:
        return self.trials > 0 and self.diverged == self.trials


@dataclass
class Comparison:
    arm: str
    baseline: str
    seeds: list[int]  # shared seeds with a result on both sides
    test: stats.PairedTest | None
    p_holm: float | None = None


@dataclass
class ReportModel:
    name: str
    spec: dict[str, Any]
    provenance: dict[str, Any]
    storage: str
    generated: str
    arms: list[ArmSummary]  # leaderboard order: best mean test accuracy first
    test: str  # the paired test used
    baseline: str  # what the comparisons are against, in words
    comparisons: list[Comparison]
    unfinished: list[str]
    refused: list[tuple[str, str]]  # (arm, why)
    components: dict[str, dict[str, Any]]  # name -> {kind, summary, plugin, ...}, where stored or given
    factorial: Any = None  # factorial.Factorial, set by build_model
    findings: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.unfinished)

    @property
    def seeds(self) -> int:
        return int(self.spec.get("seeds") or 0)

    def arm(self, key: str) -> ArmSummary | None:
        return next((a for a in self.arms if a.key == key), None)


def build_model(data: SweepData, storage: str, *, baseline: str | None = None, test: str = "wilcoxon",
                importances: dict[str, dict[str, float]] | None = None) -> ReportModel:
    """Everything the renderers show, from the stored sweep (``storage`` is shown masked)."""
    from lossbench.report.factorial import build_factorial
    from lossbench.report.findings import write_findings

    if test not in stats.TESTS:
        from lossbench.errors import LossbenchError

        raise LossbenchError(f"unknown test {test!r}; give wilcoxon or t")
    spec = data.spec
    maximize = spec.get("objective", "val_accuracy") == "val_accuracy"
    arms = [summarise(arm, spec, maximize) for arm in data.arms]
    for arm in arms:
        arm.importances = (importances or {}).get(arm.key)
    arms.sort(key=lambda a: (a.acc_mean is None, -(a.acc_mean or 0.0), a.key))
    comparisons, described = compare(arms, spec, baseline, test)
    named = {*spec.get("losses", []), *spec.get("cells", []), spec.get("dataset"),
             *(r for s in spec.get("remedy_sets", []) for r in s)}
    stored_components = {k: v for k, v in (data.provenance.get("components") or {}).items() if k in named}
    provenance = dict(data.provenance)
    provenance.setdefault("environment", next((t.result.get("environment") for a in data.arms for t in a.final
                                               if t.result and t.result.get("environment")), {}))
    model = ReportModel(
        name=data.name, spec=mask_all(spec), provenance=mask_all(provenance), storage=mask_all(storage),
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), arms=arms, test=test,
        baseline=described, comparisons=comparisons, unfinished=[a.key for a in arms if not a.finished],
        refused=_refused(spec, data.provenance), components=mask_all(stored_components))
    model.factorial = build_factorial(model)
    model.findings = write_findings(model)
    return model


def summarise(arm: ArmData, spec: dict[str, Any], maximize: bool) -> ArmSummary:
    finals = [t for t in arm.completed_final if t.result]
    tested = [t for t in finals if (t.result.get("test") or {}).get("accuracy") is not None]
    accuracy = {int(t.seed): float(t.result["test"]["accuracy"]) for t in tested if t.seed is not None}
    values = list(accuracy.values())
    mean, std = stats.mean_std(values)
    best = best_tuning_trial(arm, maximize)
    tuning_done = len(arm.finished_tuning) >= int(spec.get("trials") or 0)
    no_final_possible = tuning_done and best is None  # every tuning trial failed: no best to rerun
    # Budgets decide, not trials still queued or running: a retry left waiting in a phase whose budget is full
    # (its worker died right after claiming a surplus slot) must not keep the arm unfinished for ever.
    finished = tuning_done and (len(arm.completed_final) >= int(spec.get("seeds") or 0) or no_final_possible)
    summary = ArmSummary(
        key=arm.key, loss=arm.loss, cell=arm.cell, remedies="+".join(arm.remedies) or "none", accuracy=accuracy,
        acc_mean=mean, acc_std=std, acc_ci=stats.bootstrap_ci(values),
        nll_mean=_mean(t.result["test"].get("nll") for t in tested),
        ece_mean=_mean(t.result["test"].get("ece") for t in tested),
        final_runs=len(finals), final_diverged=sum(1 for t in finals if t.result.get("status") == "diverged"),
        trials=len(arm.finished_tuning), pruned=arm.count("pruned"), diverged=arm.count("diverged"),
        failed=arm.count("failed"), seconds_per_epoch=_median(t.result.get("seconds_per_epoch") for t in finals),
        best_params=dict(best.params) if best else None, finished=finished,
        errors=sorted({t.error for t in [*arm.tuning, *arm.final] if t.error}))
    _curves(summary, [t.result for t in finals])
    summary.sensitivity = [point for t in arm.tuning if not t.surplus and (point := _sensitivity(t, maximize))]
    return summary


def _curves(summary: ArmSummary, results: list[dict[str, Any]]) -> None:
    curves = [[e.get("val_accuracy") for e in r.get("epochs", [])] for r in results]
    summary.curve_mean, summary.curve_std = _band(curves)
    for epoch_key, target in [("init", "flow_init"), ("final", "flow_final")]:
        profiles = [p for p in (_profile(r, epoch_key) for r in results) if p]
        if profiles and len({len(p) for p in profiles}) == 1:
            setattr(summary, target, [float(x) for x in np.mean(np.asarray(profiles, dtype=float), axis=0)])
    summary.ratio_init = _median(_ratio(r, "init") for r in results)
    summary.ratio_final = _median(_ratio(r, "final") for r in results)
    norms = [[n for n in r.get("grad_norms") or []] for r in results]
    mean, _ = _band(norms)
    stride = max(1, math.ceil(len(mean) / MAX_POINTS))
    summary.grad_steps = list(range(1, len(mean) + 1, stride))
    summary.grad_norms = mean[::stride]
    rates = [r.get("clip_rate") for r in results if r.get("steps")]
    summary.clip_rate = _mean(rates)


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


def compare(arms: list[ArmSummary], spec: dict[str, Any], baseline: str | None,
            test: str) -> tuple[list[Comparison], str]:
    """Each arm against its baseline over shared seeds, Holm-corrected across all comparisons made."""
    by_key = {a.key: a for a in arms}
    losses = list(spec.get("losses") or [])
    remedy_sets = ["+".join(s) or "none" for s in spec.get("remedy_sets") or [[]]]
    if baseline and baseline.count(":") == 2:  # one arm for all
        pick = lambda cell: baseline  # noqa: E731
        described = f"arm {baseline}"
    else:
        loss, _, remedies = (baseline or "").partition(":")
        loss = loss or ("ce" if "ce" in losses else (losses[0] if losses else "ce"))
        remedies = remedies or ("none" if "none" in remedy_sets else remedy_sets[0])
        pick = lambda cell: f"{loss}:{cell}:{remedies}"  # noqa: E731
        described = f"{loss} with {'no remedy' if remedies == 'none' else remedies}, same cell"
    if baseline and arms and not any(pick(arm.cell) in by_key for arm in arms):
        from lossbench.errors import LossbenchError

        raise LossbenchError(f"baseline {baseline!r} matches no arm of this sweep; give a loss (ce), loss:remedies "
                             f"(ce:none) or an arm ({', '.join(sorted(by_key))})")
    comparisons = []
    for arm in arms:
        base = by_key.get(pick(arm.cell))
        if base is None or base.key == arm.key:
            continue
        seeds = sorted(set(arm.accuracy) & set(base.accuracy))
        result = stats.paired_test([arm.accuracy[s] for s in seeds], [base.accuracy[s] for s in seeds], test)
        comparisons.append(Comparison(arm.key, base.key, seeds, result))
    tested = [c for c in comparisons if c.test is not None]
    for c, adjusted in zip(tested, stats.holm([c.test.p for c in tested])):
        c.p_holm = adjusted
    return comparisons, described


def _refused(spec: dict[str, Any], provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """Combinations the sweep refused, with why, wherever the run recorded them (spec or provenance)."""
    found = spec.get("refused") or provenance.get("refused") or []
    if isinstance(found, dict):
        return [(str(k), str(v)) for k, v in found.items()]
    return [(str(item.get("arm", "?")), str(item.get("reason", item.get("why", "")))) if isinstance(item, dict)
            else (str(item), "") for item in found]


def _sensitivity(trial: Any, maximize: bool) -> tuple[float, float, str] | None:
    """(learning rate, objective, status) of a finished tuning trial; a pruned one at its last epoch."""
    lr = trial.params.get("lr", ((trial.result or {}).get("config") or {}).get("lr"))
    if trial.state == "COMPLETE":
        value = trial.value
    elif trial.state == "PRUNED" and trial.result:
        value = _last_objective(trial.result, maximize)
    else:
        return None
    if lr is None or value is None or not _finite(value):
        return None
    return float(lr), float(value), trial.status or trial.state.lower()


def _last_objective(result: dict[str, Any], maximize: bool) -> float | None:
    epochs = result.get("epochs") or []
    value = epochs[-1].get("val_accuracy" if maximize else "val_nll") if epochs else None
    return value if value is not None and _finite(value) else None


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
