"""Exact budgets with any number of concurrent workers.

A worker takes a slot with ``study.ask()``, then counts the trials numbered below it that are not FAIL; at or
over the budget, the new trial is surplus (marked, told FAIL). Final-phase trials take the lowest seed not
held by a lower non-FAIL trial, the same way (see ``worker``).
"""

from __future__ import annotations

from typing import Any

from lossbench.results import writer


def take(study: Any, storage: Any, budget: int, worker: dict[str, Any], heartbeat: bool) -> tuple[Any, list[Any]] | None:
    """A new trial within the budget and the non-FAIL trials numbered below it; None (the slot told FAIL as
    surplus) when the budget is already taken."""
    trial = study.ask()
    writer.record_taken(storage, trial._trial_id, worker)
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
