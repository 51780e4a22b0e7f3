"""Read a stored sweep back: per-arm tuning trials and final-phase runs, and a leaderboard from them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from lossbench.results.schema import (ATTR_ARM, ATTR_ERROR, ATTR_RESULT, ATTR_SEED, ATTR_STATUS, ATTR_SURPLUS,
                                      FINAL, SCHEMA, TUNE, arm_key, spec_study, study_name)


@dataclass
class TrialRecord:
    number: int
    state: str  # Optuna's: COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    status: str | None
    value: float | None
    params: dict[str, Any]
    seed: int | None
    result: dict[str, Any] | None
    user_attrs: dict[str, Any]

    @property
    def surplus(self) -> bool:
        return bool(self.user_attrs.get(ATTR_SURPLUS))

    @property
    def error(self) -> str | None:
        return self.user_attrs.get(ATTR_ERROR)


@dataclass
class ArmData:
    key: str
    loss: str
    cell: str
    remedies: list[str]
    tuning: list[TrialRecord] = field(default_factory=list)
    final: list[TrialRecord] = field(default_factory=list)

    def count(self, status: str, phase: str = TUNE) -> int:
        trials = self.tuning if phase == TUNE else self.final
        return sum(1 for t in trials if t.status == status and not t.surplus)

    @property
    def finished_tuning(self) -> list[TrialRecord]:
        return [t for t in self.tuning if t.state in ("COMPLETE", "PRUNED") and not t.surplus]

    @property
    def completed_final(self) -> list[TrialRecord]:
        return [t for t in self.final if t.state == "COMPLETE" and not t.surplus]


@dataclass
class SweepData:
    name: str
    spec: dict[str, Any]
    provenance: dict[str, Any]
    arms: list[ArmData]

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "name": self.name, "spec": self.spec, "provenance": self.provenance,
                "leaderboard": leaderboard(self),
                "arms": [{"key": a.key, "loss": a.loss, "cell": a.cell, "remedies": a.remedies,
                          "tuning": [_trial_json(t) for t in a.tuning], "final": [_trial_json(t) for t in a.final]}
                         for a in self.arms]}


def open_storage(storage: Any) -> Any:
    """An Optuna storage from a storage object, a database URL or a journal file path."""
    if not isinstance(storage, str):
        return storage
    import optuna

    if "://" in storage:
        import importlib.util

        if storage.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
            storage = "postgresql+psycopg2://" + storage.split("://", 1)[1]  # SQLAlchemy 2.1 defaults to psycopg 3
        return optuna.storages.RDBStorage(storage)
    from pathlib import Path

    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    if not Path(storage).is_file():
        raise KeyError(f"no sweep journal at {storage}")

    return optuna.storages.JournalStorage(JournalFileBackend(storage, lock_obj=JournalFileOpenLock(storage + ".lock")))


def load_sweep(name: str, storage: Any) -> SweepData:
    """Every arm of sweep ``name`` with its tuning trials and final-phase runs, from Optuna storage."""
    import optuna

    storage = open_storage(storage)
    summaries = {s.study_name: s for s in optuna.study.get_all_study_summaries(storage, include_best_trial=False)}
    if spec_study(name) not in summaries:
        raise KeyError(f"no sweep named {name!r} in this storage")
    attrs = summaries[spec_study(name)].user_attrs
    spec = attrs.get("spec", {})
    arms = []
    for loss in spec.get("losses", []):
        for cell in spec.get("cells", []):
            for remedies in spec.get("remedy_sets", []):
                key = arm_key(loss, cell, remedies)
                if key in spec.get("refused", {}):
                    continue  # a combination that cannot run: listed with its reason, never trained
                arm = ArmData(key, loss, cell, list(remedies))
                for phase, target in [(TUNE, arm.tuning), (FINAL, arm.final)]:
                    study = study_name(name, key, phase)
                    if study in summaries:
                        loaded = optuna.load_study(study_name=study, storage=storage)
                        target.extend(_record(t) for t in loaded.get_trials(deepcopy=False))
                arms.append(arm)
    return SweepData(name, spec, attrs.get("provenance", {}), arms)


def leaderboard(data: SweepData) -> list[dict[str, Any]]:
    """One row per arm, best mean final-phase test accuracy first."""
    rows = []
    for arm in data.arms:
        finals = [t.result for t in arm.completed_final if t.result]
        accs = [r["test"]["accuracy"] for r in finals if r.get("test")]
        nlls = [r["test"]["nll"] for r in finals if r.get("test")]
        best = _best_tuning(arm, data.spec.get("objective", "val_accuracy") == "val_accuracy")
        rows.append({
            "arm": arm.key, "loss": arm.loss, "cell": arm.cell, "remedies": arm.remedies,
            "test_accuracy_mean": statistics.fmean(accs) if accs else None,
            "test_accuracy_std": statistics.stdev(accs) if len(accs) > 1 else (0.0 if accs else None),
            "test_nll_mean": statistics.fmean(nlls) if nlls else None,
            "final_runs": len(finals), "final_diverged": sum(1 for r in finals if r.get("status") == "diverged"),
            "trials": len(arm.finished_tuning), "pruned": arm.count("pruned"), "diverged": arm.count("diverged"),
            "failed": arm.count("failed"), "best_lr": best.params.get("lr") if best else None,
            "best_params": best.params if best else None, "best_value": best.value if best else None,
        })
    rows.sort(key=lambda r: -math.inf if r["test_accuracy_mean"] is None else r["test_accuracy_mean"], reverse=True)
    return rows


def best_tuning_trial(arm: ArmData, maximize: bool) -> TrialRecord | None:
    return _best_tuning(arm, maximize)


def _best_tuning(arm: ArmData, maximize: bool) -> TrialRecord | None:
    complete = [t for t in arm.tuning if t.state == "COMPLETE" and t.value is not None and not t.surplus]
    pool = [t for t in complete if t.status != "diverged"] or complete
    if not pool:
        return None
    return (max if maximize else min)(pool, key=lambda t: (t.value, -t.number))


def _record(trial: Any) -> TrialRecord:
    attrs = dict(trial.user_attrs)
    return TrialRecord(trial.number, trial.state.name, attrs.get(ATTR_STATUS), trial.value, dict(trial.params) or dict(attrs.get("params", {})),
                       attrs.get(ATTR_SEED), attrs.get(ATTR_RESULT), attrs)


def _trial_json(t: TrialRecord) -> dict[str, Any]:
    return {"number": t.number, "state": t.state, "status": t.status, "value": t.value, "params": t.params,
            "seed": t.seed, "user_attrs": t.user_attrs}
