"""A start that its time budget stopped: what it did, and, where it made no progress, why in measured numbers.

A time budget shorter than the start-up (the checks, the data, the worker processes) plus a trial's first epoch stops
every start before anything is kept: each start would release its trials and exit as if all were well, for ever.
Such a start is an error instead (``LossbenchError``), saying what it measured and what time budget would do. A start
that finished no trial but stored a newer checkpoint of one did progress: the next start continues from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.results.schema import ATTR_CHECKPOINT, ATTR_RETRY_OF, ATTR_STATUS, ATTR_SURPLUS
from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.supervise import this_start

RETRIED = (None, "interrupted", "lost")  # statuses of a trial that did not finish: it runs again


@dataclass(frozen=True)
class StartReport:
    """This start's trials (surplus slots left out): how many it finished, and released when time ran out, and of
    those released, how many stored a newer checkpoint (epochs the next start continues from)."""

    finished: int
    released: int
    progressed: int = 0

    @property
    def made_progress(self) -> bool:
        return bool(self.finished or self.progressed)


def start_report(optuna_storage: Any, sweep: str) -> StartReport:
    trials = [t for t in this_start(optuna_storage, sweep) if not t.user_attrs.get(ATTR_SURPLUS)]
    statuses = [t.user_attrs.get(ATTR_STATUS) for t in trials]
    released = [t for t, s in zip(trials, statuses) if s == "interrupted"]
    return StartReport(sum(s not in RETRIED for s in statuses), len(released),
                       sum(_checkpointed(t, optuna_storage) for t in released))


def _checkpointed(trial: Any, optuna_storage: Any) -> bool:
    """Whether ``trial`` stored a checkpoint of its own, not just the link its retried trial handed it."""
    link = trial.user_attrs.get(ATTR_CHECKPOINT)
    if not link:
        return False
    retried = trial.user_attrs.get(ATTR_RETRY_OF)
    if retried is None:
        return True
    study_id = optuna_storage.get_study_id_from_trial_id(trial._trial_id)
    before = next((t for t in optuna_storage.get_all_trials(study_id, deepcopy=False) if t.number == retried), None)
    return before is None or (before.user_attrs.get(ATTR_CHECKPOINT) or {}).get("id") != link.get("id")


def no_progress(spec: SweepSpec, optuna_storage: Any, started: float, ended: float, workers: int) -> LossbenchError:
    """The error of a start its time budget stopped before any trial finished, with the start-up and an epoch measured
    (the trials it began, else those the sweep stored before)."""
    mine = [t for t in this_start(optuna_storage, spec.name) if not t.user_attrs.get(ATTR_SURPLUS)]
    first = min((t.datetime_start.timestamp() for t in mine if t.datetime_start), default=ended)
    startup = first - started
    epoch = _epoch_seconds(mine) or _epoch_seconds(_stored(optuna_storage, spec.name))
    said = (f"the time budget ({spec.time_budget:g} s) ran out before any trial finished in this start: starting "
            f"took {startup:.1f} s (the checks, the data and {workers} worker process(es))")
    if epoch is None:
        return LossbenchError(f"{said}, and no trial has finished an epoch yet; {_kept(mine)}: give a time budget "
                              f"well over {startup:.0f} s")
    need = startup + epoch * spec.epochs
    return LossbenchError(f"{said} and an epoch about {epoch:.1f} s, so a trial of {spec.epochs} epoch(s) needs about "
                          f"{need:.0f} s; {_kept(mine)}: give a time budget of at least {need * 1.2 + 1:.0f} s")


def _kept(mine: list[Any]) -> str:
    return (f"the {len(mine)} trial(s) it began are queued again, nothing was lost" if mine
            else "nothing was stored")


def _epoch_seconds(trials: list[Any]) -> float | None:
    """The longest time per reported epoch among ``trials`` that ended after reporting one (released ones too)."""
    seconds = [(t.datetime_complete - t.datetime_start).total_seconds() / len(t.intermediate_values)
               for t in trials if t.datetime_start and t.datetime_complete and t.intermediate_values]
    return max(seconds, default=None)


def _stored(optuna_storage: Any, sweep: str) -> list[Any]:
    return [trial for study in optuna_storage.get_all_studies() if study.study_name.startswith(sweep + ":")
            for trial in optuna_storage.get_all_trials(study._study_id, deepcopy=False)]
