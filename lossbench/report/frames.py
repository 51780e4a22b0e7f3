"""A stored sweep as pandas DataFrames, for a notebook (``lossbench.load_sweep``): its trials, its runs' learning
curves, its leaderboard and its decisions. Column names follow Optuna's ``trials_dataframe`` where they overlap
(``number``, ``value``, ``state``, ``params_<name>``); a number that was not stored, or is not finite, is missing
(NaN or None), never a string. pandas is imported here only, when a frame is asked for."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lossbench.results.schema import ATTR_PHASE, ATTR_RETRY_OF, ATTR_SLOT, FINAL, TUNE

if TYPE_CHECKING:
    import pandas

    from lossbench.decisions import Verdict
    from lossbench.report.builder import SweepReport
    from lossbench.results import ArmData, SweepData, TrialRecord

TEST_METRICS = ("accuracy", "nll", "ece", "confidence")
ARM_COLUMNS = ("arm", "loss", "cell", "remedies")


def trials(data: SweepData) -> pandas.DataFrame:
    """One row per stored trial (tuning and final phase, surplus slots included and flagged)."""
    rows = [_trial_row(arm, phase, t) for arm in data.arms for phase, kept in ((TUNE, arm.tuning), (FINAL, arm.final))
            for t in kept]
    first = [*ARM_COLUMNS, "phase", "slot", "seed", "number", "state", "status", "value"]
    return _frame(rows, first)


def curves(data: SweepData) -> pandas.DataFrame:
    """One row per run and epoch: what each stored run measured after each epoch (a pruned or diverged run's
    epochs too)."""
    rows = []
    for arm in data.arms:
        for phase, kept in ((TUNE, arm.tuning), (FINAL, arm.final)):
            for t in kept:
                run = t.run
                for e in run.epochs if run is not None else ():
                    rows.append({**_arm(arm), "phase": phase, "slot": t.user_attrs.get(ATTR_SLOT), "seed": t.seed,
                                 "number": t.number, "status": t.status, "epoch": e.epoch,
                                 "train_loss": _number(e.train_loss), "val_accuracy": _number(e.val_accuracy),
                                 "val_nll": _number(e.val_nll), "seconds": _number(e.seconds)})
    return _frame(rows, [*ARM_COLUMNS, "phase", "slot", "seed", "number", "status", "epoch", "train_loss",
                         "val_accuracy", "val_nll", "seconds"])


def leaderboard(report: SweepReport) -> pandas.DataFrame:
    """One row per arm, in the leaderboard's order (tier, then mean test accuracy): the numbers of the report's
    leaderboard, unformatted."""
    from lossbench.report.tables import ranked

    rows = []
    for a in ranked(report):
        c = a.convergence
        low, high = a.acc_ci or (None, None)
        rows.append({
            "tier": report.tiers.get(a.key), "arm": a.key, "loss": a.loss, "cell": a.cell, "remedies": a.remedies,
            "test_accuracy": a.acc_mean, "test_accuracy_std": a.acc_std, "ci_low": low, "ci_high": high,
            "seeds": len(a.accuracy), "still_improving": None if c is None or c.converged is None else c.improving,
            "test_nll": a.nll_mean, "test_ece": a.ece_mean, "test_confidence": a.confidence_mean,
            "trials": a.trials, "pruned": a.pruned, "diverged": a.diverged, "failed": a.failed,
            "seconds_per_epoch": a.seconds_per_epoch, "finished": a.finished,
            **_params(a.best_params or {})})
    return _frame(rows, ["tier", *ARM_COLUMNS, "test_accuracy", "test_accuracy_std", "ci_low", "ci_high", "seeds"])


def decisions(verdicts: list[Verdict]) -> pandas.DataFrame:
    """One row per verdict of the family (``lossbench.decisions``): every pair of arms judged, and each factor's
    levels over matched arms."""
    rows = [{"scope": v.scope, "factor": v.factor, "arm": v.arm, "other": v.other, "kind": v.kind,
             "decided": v.decided, "difference": v.difference, "low": v.interval[0] if v.interval else None,
             "high": v.interval[1] if v.interval else None, "level": v.level, "p": v.p, "p_raw": v.p_raw,
             "seeds": v.seeds, "test": v.test, "why": v.why, "needs_seeds": v.needs_seeds,
             "needs_epochs": v.needs_epochs, "minutes": v.minutes, "metric": v.metric} for v in verdicts]
    return _frame(rows, ["scope", "factor", "arm", "other", "kind", "decided", "difference", "low", "high", "level",
                         "p", "p_raw", "seeds", "test", "why", "needs_seeds", "needs_epochs", "minutes", "metric"])


def _trial_row(arm: ArmData, phase: str, t: TrialRecord) -> dict[str, Any]:
    run = t.run
    attrs = t.user_attrs
    row = {**_arm(arm), "phase": attrs.get(ATTR_PHASE, phase), "slot": attrs.get(ATTR_SLOT), "seed": t.seed,
           "number": t.number, "state": t.state, "status": t.status, "value": _number(t.value), **_params(t.params),
           **{f"test_{m}": run.test_metric(m) if run else None for m in TEST_METRICS},
           "epochs": len(run.epochs) if run else None, "best_epoch": run.best_epoch if run else None,
           "seconds_per_epoch": _number(run.seconds_per_epoch) if run and run.epochs else None,
           "wall_seconds": _number(run.wall_seconds) if run else None,
           "surplus": t.surplus, "retry_of": attrs.get(ATTR_RETRY_OF), "error": t.error}
    return row


def _arm(arm: ArmData) -> dict[str, str]:
    return {"arm": arm.key, "loss": arm.loss, "cell": arm.cell, "remedies": "+".join(arm.remedies) or "none"}


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """``params_<name>`` columns, as Optuna names them."""
    return {f"params_{name}": value for name, value in sorted(params.items())}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _frame(rows: list[dict[str, Any]], first: list[str]) -> pandas.DataFrame:
    """The rows as a DataFrame, ``first`` columns first (present even without rows), the others as they come
    (``params_*`` sorted): every row has every column, missing where a row has no value."""
    import pandas

    columns = list(dict.fromkeys([*first, *(k for row in rows for k in row)]))
    params = sorted(c for c in columns if c.startswith("params_"))
    rest = [c for c in columns if not c.startswith("params_")]
    at = len([c for c in rest if c in first])
    ordered = rest[:at] + params + rest[at:]
    return pandas.DataFrame([[row.get(c) for c in ordered] for row in rows], columns=ordered)
