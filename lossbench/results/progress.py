"""What a running sweep's display shows, read from storage alone (any process, any machine can read it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lossbench.results.chains import cap_of
from lossbench.results.objective import Objective
from lossbench.results.phase import FINAL_FINISHED, TUNE_FINISHED, arm_done, final_budget, tally
from lossbench.results.reader import best_trial, in_force, stored_attrs, to_record
from lossbench.results.schema import CAPS_ATTR, FAILED_STATUSES, FINAL, RACE_ATTR, SPEC_ATTR, TUNE, study_name
from lossbench.results.spec_record import SpecRecord


@dataclass
class Progress:
    name: str
    objective: Objective = field(default_factory=lambda: Objective.named(None))
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
    """The progress of sweep ``name`` in the open Optuna ``storage``; ``started`` is a ``time.perf_counter()``.

    An arm is done by the rule the workers and the report use (``phase.arm_done``); with ``seeds = "auto"`` the
    final budget shown is the race's maximum until the race ends."""
    import optuna

    found = stored_attrs(name, storage)
    attrs, studies = found if found is not None else ({}, set())
    spec, race = SpecRecord.parse(in_force(attrs.get(SPEC_ATTR) or {}, attrs.get(CAPS_ATTR))), attrs.get(RACE_ATTR)
    arms, objective, trials = spec.arms, spec.objective, spec.trials or 0
    seeds = final_budget(spec.stored, race) or spec.seeds or 0
    progress = Progress(name, objective, spec.epochs or 0, len(arms), trials_budget=len(arms) * trials,
                        finals_budget=len(arms) * seeds, elapsed=time.perf_counter() - started)
    for key, *_ in arms:
        phases = {}
        for phase in (TUNE, FINAL):
            stored = (optuna.load_study(study_name=study_name(name, key, phase), storage=storage).get_trials(
                deepcopy=False) if study_name(name, key, phase) in studies else [])
            progress.current += [f"{key} {phase} epoch {len(t.intermediate_values)}/{cap_of(t) or progress.epochs}"
                                 for t in stored if t.state.name == "RUNNING"]
            phases[phase] = [to_record(t) for t in stored]
        tuning = [t for t in phases[TUNE] if not t.surplus]
        progress.pruned += sum(t.status == "pruned" for t in tuning)
        progress.diverged += sum(t.status == "diverged" for t in tuning)
        progress.failed += sum(t.status in FAILED_STATUSES for t in tuning)
        for t in tuning:
            if t.state == "COMPLETE" and t.value is not None and t.status != "diverged" and (
                    progress.best is None or objective.sign * t.value > objective.sign * progress.best):
                progress.best, progress.best_arm = t.value, key
        progress.trials_done += min(tally(phases[TUNE], trials, TUNE_FINISHED).finished, trials)
        progress.finals_done += min(tally(phases[FINAL], seeds, FINAL_FINISHED).finished, seeds)
        progress.arms_done += arm_done(phases[TUNE], phases[FINAL], spec.stored, race,
                                       best_trial(phases[TUNE], objective) is not None, key)
    return progress
