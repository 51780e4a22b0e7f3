"""Exact budgets with any number of concurrent workers.

A worker claims a slot with ``study.ask()``, then counts the trials numbered below it that are not FAIL; at or
over the budget, the new trial is surplus (marked, told FAIL). Final-phase trials claim the lowest seed not
held by a lower non-FAIL trial, the same way (see ``worker``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.results import writer
from lossbench.results.schema import ATTR_STATUS


@dataclass
class Tally:
    budget: int
    nonfail: int = 0
    waiting: int = 0
    running: int = 0
    finished: int = 0
    errored: int = 0

    @property
    def done(self) -> bool:
        return self.finished >= self.budget or (self.errored >= self.budget and self.running + self.waiting == 0)

    @property
    def can_ask(self) -> bool:
        """Room for a new trial. Trials a plugin's error failed do not use the budget, but once as many have
        failed as the budget holds, no new one starts (with several workers, each would otherwise keep starting
        trials while another's is still running)."""
        return not self.done and self.errored < self.budget and (self.nonfail < self.budget or self.waiting > 0)


def tally(trials: list[Any], budget: int, finished_states: tuple[str, ...]) -> Tally:
    t = Tally(budget)
    for trial in trials:
        state = trial.state.name
        if state != "FAIL":
            t.nonfail += 1
        if state == "WAITING":
            t.waiting += 1
        elif state == "RUNNING":
            t.running += 1
        elif state in finished_states:
            t.finished += 1
        elif state == "FAIL" and trial.user_attrs.get(ATTR_STATUS) == "failed":
            t.errored += 1
    return t


def claim(study: Any, storage: Any, budget: int, worker: dict[str, Any], heartbeat: bool) -> tuple[Any, list[Any]] | None:
    """A new trial within the budget and the non-FAIL trials numbered below it; None (the slot told FAIL as
    surplus) when the budget is already taken."""
    trial = study.ask()
    writer.record_claim(storage, trial._trial_id, worker)
    if heartbeat:
        storage.record_heartbeat(trial._trial_id)
    lower = lower_trials(study, trial)
    if len(lower) >= budget:
        surplus(study, trial)
        return None
    return trial, lower


def lower_trials(study: Any, trial: Any) -> list[Any]:
    return [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and t.state.name != "FAIL"]


def surplus(study: Any, trial: Any) -> None:
    from optuna.trial import TrialState

    writer.record_surplus(trial)
    study.tell(trial, state=TrialState.FAIL)
