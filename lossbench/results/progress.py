"""What a running sweep's display shows, read from storage alone (any process, any machine can read it): arms
tuned and done, trials and final runs, the best so far, and the time left from measured seconds per epoch (each
finished run's training time over its epochs) times the epochs still to train, over the workers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from lossbench.results.chains import cap_of
from lossbench.results.halving import first_rung
from lossbench.results.objective import Objective
from lossbench.results.phase import FINAL_FINISHED, TUNE_FINISHED, arm_done, final_seeds, tally
from lossbench.results.reader import in_force, stored_attrs, to_record, tuned_best
from lossbench.results.schema import (ATTR_TIMING, ATTR_WORKER, CAPS_ATTR, FAILED_STATUSES, FINAL, RACE_ATTR,
                                      SPEC_ATTR, TUNE, study_name)
from lossbench.results.spec_record import SpecRecord


@dataclass
class Progress:
    name: str
    objective: Objective = field(default_factory=lambda: Objective.named(None))
    epochs: int = 0
    arms: int = 0
    arms_done: int = 0  # both phases done
    arms_tuned: int = 0  # the tuning phase done
    trials_total: int = 0
    trials_done: int = 0
    pruned: int = 0
    diverged: int = 0
    failed: int = 0
    finals_done: int = 0
    finals_total: int = 0
    current: list[str] = field(default_factory=list)  # "arm phase epoch e/E"
    best: float | None = None
    best_arm: str | None = None
    elapsed: float = 0.0
    epoch_seconds: float | None = None  # measured: the median finished run's seconds per epoch (None: not yet)
    epochs_left: float = 0.0  # epochs still to train: unfinished runs at the finished runs' mean length, less done
    workers: int = 1  # the workers the trials recorded (at most the runs left run at once)

    @property
    def fraction(self) -> float:
        total = self.trials_total + self.finals_total
        return (self.trials_done + self.finals_done) / total if total else 1.0

    @property
    def eta(self) -> float | None:
        """Seconds left: the epochs left at the measured seconds per epoch, over the workers; None before a run has
        finished (nothing measured yet)."""
        if self.epoch_seconds is None:
            return None
        return self.epochs_left * self.epoch_seconds / max(1, self.workers)


def read_progress(name: str, storage: Any, started: float) -> Progress:
    """The progress of sweep ``name`` in the open Optuna ``storage``; ``started`` is a ``time.perf_counter()``.

    An arm is done by the rule the workers and the report use (``phase.arm_done``); with ``seeds = "auto"`` the
    final runs counted are the race's maximum until the race ends."""
    import optuna

    found = stored_attrs(name, storage)
    attrs, studies = found if found is not None else ({}, set())
    spec, race = SpecRecord.parse(in_force(attrs.get(SPEC_ATTR) or {}, attrs.get(CAPS_ATTR))), attrs.get(RACE_ATTR)
    arms, objective, trials = spec.arms, spec.objective, spec.trials or 0
    seeds = final_seeds(spec.stored, race) or spec.seeds or 0
    progress = Progress(name, objective, spec.epochs or 0, len(arms), trials_total=len(arms) * trials,
                        finals_total=len(arms) * seeds, elapsed=time.perf_counter() - started)
    runs, running = _Runs(), []
    for key, *_ in arms:
        phases = {}
        for phase in (TUNE, FINAL):
            stored = (optuna.load_study(study_name=study_name(name, key, phase), storage=storage).get_trials(
                deepcopy=False) if study_name(name, key, phase) in studies else [])
            running += [len(t.intermediate_values) for t in stored if t.state.name == "RUNNING"]
            progress.current += [f"{key} {phase} epoch {len(t.intermediate_values)}/{cap_of(t) or progress.epochs}"
                                 for t in stored if t.state.name == "RUNNING"]
            phases[phase] = [to_record(t) for t in stored]
            runs.add(phases[phase])
        tuning = [t for t in phases[TUNE] if not t.surplus]
        progress.pruned += sum(t.status == "pruned" for t in tuning)
        progress.diverged += sum(t.status == "diverged" for t in tuning)
        progress.failed += sum(t.status in FAILED_STATUSES for t in tuning)
        for t in tuning:
            if t.state == "COMPLETE" and t.value is not None and t.status != "diverged" and (
                    progress.best is None or objective.sign * t.value > objective.sign * progress.best):
                progress.best, progress.best_arm = t.value, key
        tuned = min(tally(first_rung(phases[TUNE]), trials, TUNE_FINISHED).finished, trials)
        progress.trials_done += tuned
        progress.arms_tuned += tuned >= trials
        progress.finals_done += min(tally(phases[FINAL], seeds, FINAL_FINISHED).finished, seeds)
        progress.arms_done += arm_done(phases[TUNE], phases[FINAL], spec.stored, race,
                                       tuned_best(phases[TUNE], spec.stored) is not None, key)
    left = progress.trials_total + progress.finals_total - progress.trials_done - progress.finals_done
    length = runs.mean_epochs or progress.epochs or 1
    progress.epochs_left = max(0.0, left * length - sum(min(done, length) for done in running))
    progress.workers = max(1, min(runs.workers, left)) if left else 1
    # a worker's first run also loaded the data: the pace is read once each worker has finished two
    progress.epoch_seconds = runs.epoch_seconds if len(runs.rates) >= 2 * runs.workers or not left else None
    return progress


class _Runs:
    """What the finished runs measured: their seconds per epoch (a trial's whole time over its epochs, so building
    and testing count), their epochs, and the workers they ran among."""

    def __init__(self) -> None:
        self.rates: list[float] = []
        self.epochs, self.workers = 0, 1

    def add(self, records: list) -> None:
        for t in records:
            self.workers = max(self.workers, int((t.user_attrs.get(ATTR_WORKER) or {}).get("workers") or 1))
            seconds = (t.user_attrs.get(ATTR_TIMING) or {}).get("train_seconds")
            epochs = len((t.result or {}).get("epochs") or [])
            if t.state in TUNE_FINISHED and not t.surplus and isinstance(seconds, (int, float)) and epochs:
                self.rates.append(seconds / epochs)
                self.epochs += epochs

    @property
    def epoch_seconds(self) -> float | None:
        """The median run's: a worker's first trial, which also loaded the data, does not set the pace."""
        import statistics

        return statistics.median(self.rates) if self.rates else None

    @property
    def mean_epochs(self) -> float | None:
        return self.epochs / len(self.rates) if self.rates else None
