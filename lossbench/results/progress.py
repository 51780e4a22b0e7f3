"""What a running sweep's display shows, read from storage alone (any process, any machine can read it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lossbench.results.reader import arms_of, stored_attrs
from lossbench.results.schema import ATTR_STATUS, FINAL, SPEC_ATTR, TUNE, study_name


@dataclass
class Progress:
    name: str
    objective: str = "val_accuracy"
    epochs: int = 0
    arms: int = 0
    arms_done: int = 0
    trials_budget: int = 0
    trials_done: int = 0
    pruned: int = 0
    diverged: int = 0
    failed: int = 0
    finals_done: int = 0
    finals_budget: int = 0
    current: list[str] = field(default_factory=list)  # "arm phase epoch e/E"
    best: float | None = None
    best_arm: str | None = None
    elapsed: float = 0.0

    @property
    def fraction(self) -> float:
        total = self.trials_budget + self.finals_budget
        return (self.trials_done + self.finals_done) / total if total else 1.0

    @property
    def eta(self) -> float | None:
        return self.elapsed * (1 - self.fraction) / self.fraction if self.fraction > 0 else None


def read_progress(name: str, storage: Any, started: float) -> Progress:
    """The progress of sweep ``name`` in the open Optuna ``storage``; ``started`` is a ``time.perf_counter()``."""
    import optuna

    found = stored_attrs(name, storage)
    attrs, studies = found if found is not None else ({}, set())
    spec = attrs.get(SPEC_ATTR, {})
    arms = arms_of(spec)
    trials, seeds, maximize = int(spec.get("trials", 0)), int(spec.get("seeds", 0)), spec.get("objective") != "val_nll"
    progress = Progress(name, spec.get("objective", "val_accuracy"), int(spec.get("epochs", 0)), len(arms),
                        trials_budget=len(arms) * trials, finals_budget=len(arms) * seeds,
                        elapsed=time.perf_counter() - started)
    sign = 1 if maximize else -1
    for key, *_ in arms:
        tune_done = final_done = 0
        for phase in (TUNE, FINAL):
            study = study_name(name, key, phase)
            if study not in studies:
                continue
            for t in optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False):
                status, state = t.user_attrs.get(ATTR_STATUS), t.state.name
                if state == "RUNNING":
                    progress.current.append(f"{key} {phase} epoch {len(t.intermediate_values)}/{progress.epochs}")
                if phase == TUNE:
                    if state in ("COMPLETE", "PRUNED"):
                        tune_done += 1
                        progress.pruned += status == "pruned"
                        progress.diverged += status == "diverged"
                        if state == "COMPLETE" and t.value is not None and status != "diverged" and (
                                progress.best is None or sign * t.value > sign * progress.best):
                            progress.best, progress.best_arm = t.value, key
                    progress.failed += status == "failed"
                elif state == "COMPLETE":
                    final_done += 1
        progress.trials_done += min(tune_done, trials)
        progress.finals_done += min(final_done, seeds)
        progress.arms_done += tune_done >= trials and final_done >= seeds
    return progress
