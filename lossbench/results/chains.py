"""A slot's runs, in order: the one rule by which every reader counts slots, not trials.

A slot (arm, phase, index) first runs in one trial. Optuna never reopens a finished trial, so when the slot's cap is
raised while its run was still improving, the run goes on in a *continuation*: a new trial of the same study, with
the slot's attrs and ``continues`` (the trial it continues) and ``cap`` (its new cap), that trains from the
checkpoint of the run's stop. The slot's trials, in number order, are its chain; its current run is the latest one
that finished, and the earlier finished ones are *superseded* (they keep their results: a race replays its looks
on the run each slot had at each cap). A failed trial (lost, interrupted, failed for good, surplus) never holds
the slot's result.

Only a run that stopped at its cap still improving (``ATTR_IMPROVING``, stored when it finished, by
``lossbench.convergence.run_state``) is continued; one that plateaued, diverged, collapsed, was pruned or was not
training is done at any cap, and so is one whose continuation failed for good.

Works on Optuna's ``FrozenTrial`` and on stored ``TrialRecord``s alike (both carry a number, a state and user
attrs). Trials without a slot (surplus slots, trials stored before slots were recorded) are chains of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from lossbench.results.schema import (ATTR_CAP, ATTR_IMPROVING, ATTR_RESULT, ATTR_SLOT, ATTR_STATUS, ATTR_SURPLUS,
                                      FAILED_STATUSES)

COMPLETE, PRUNED, FAIL, RUNNING, WAITING = "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"
FINISHED = (COMPLETE, PRUNED)
PENDING = (WAITING, RUNNING)


def state_of(trial: Any) -> str:
    """A trial's state by name (a FrozenTrial's enum, or a TrialRecord's string)."""
    return trial.state if isinstance(trial.state, str) else trial.state.name


def cap_of(trial: Any) -> int | None:
    """The epoch cap a trial trained (or will train) to: its ``cap`` attr, else its stored result's config."""
    cap = trial.user_attrs.get(ATTR_CAP)
    if cap is None:
        cap = ((trial.user_attrs.get(ATTR_RESULT) or {}).get("config") or {}).get("epochs")
    return int(cap) if isinstance(cap, (int, float)) and not isinstance(cap, bool) else None


def failed_for_good(trial: Any) -> bool:
    return (state_of(trial) == FAIL and trial.user_attrs.get(ATTR_STATUS) in FAILED_STATUSES
            and not trial.user_attrs.get(ATTR_SURPLUS))


@dataclass
class Chain:
    slot: int | None
    trials: list[Any]  # the slot's trials, in number order

    @property
    def live(self) -> list[Any]:
        """The trials that are not FAIL: the slot's finished runs and the one pending, if any."""
        return [t for t in self.trials if state_of(t) != FAIL]

    @property
    def pending(self) -> Any | None:
        """The trial waiting or running for this slot, if any."""
        return next((t for t in self.live if state_of(t) in PENDING), None)

    @property
    def finished(self) -> list[Any]:
        return [t for t in self.live if state_of(t) in FINISHED]

    @property
    def latest(self) -> Any | None:
        """The current run: the latest finished trial."""
        done = self.finished
        return done[-1] if done else None

    @property
    def superseded(self) -> list[Any]:
        """Finished trials a later finished trial of the slot continued."""
        return self.finished[:-1]

    @property
    def closed(self) -> bool:
        """A continuation failed for good after the current run: it is not continued again."""
        latest = self.latest
        return latest is not None and any(failed_for_good(t) for t in self.trials[self.trials.index(latest) + 1:])

    def done_at(self, trial: Any, cap: int) -> bool:
        """Whether ``trial``'s run stands at ``cap``: trained to it or past, or done at any cap."""
        reached = cap_of(trial)
        return (reached is not None and reached >= cap) or not continuable(trial) or (
            trial is self.latest and self.closed)

    def at(self, cap: int | None) -> Any | None:
        """The slot's run as of ``cap``: its first finished trial that reached ``cap`` or is done at any cap (None
        while it still has to be continued to ``cap``, or has not finished); with ``cap`` None, the latest."""
        if cap is None:
            return self.latest
        return next((t for t in self.finished if self.done_at(t, cap)), None)

    def needs(self, cap: int) -> Any | None:
        """The trial to continue so that the slot reaches ``cap`` (its latest, still improving at a lower cap, with
        nothing pending), or None."""
        latest = self.latest
        if latest is None or self.pending is not None or self.done_at(latest, cap):
            return None
        return latest


def continuable(trial: Any) -> bool:
    """A finished run that stopped at its cap still improving: continuing it to a higher cap trains on."""
    return state_of(trial) == COMPLETE and bool(trial.user_attrs.get(ATTR_IMPROVING))


def chains(trials: Iterable[Any]) -> list[Chain]:
    """The trials of one study grouped by slot (in slot order; trials without a slot each alone, after)."""
    by_slot: dict[int, list[Any]] = {}
    alone: list[Chain] = []
    for _, trial in sorted(enumerate(trials), key=lambda it: getattr(it[1], "number", it[0])):
        slot = trial.user_attrs.get(ATTR_SLOT)
        if isinstance(slot, int) and not isinstance(slot, bool):
            by_slot.setdefault(slot, []).append(trial)
        else:
            alone.append(Chain(None, [trial]))
    return [Chain(slot, by_slot[slot]) for slot in sorted(by_slot)] + alone


def split_superseded(trials: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """(every trial but the superseded ones, the superseded ones), each in number order."""
    trials = list(trials)
    old = {t.number for chain in chains(trials) for t in chain.superseded}
    return [t for t in trials if t.number not in old], [t for t in trials if t.number in old]
