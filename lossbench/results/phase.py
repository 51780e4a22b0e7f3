"""When an arm's phase is done: the one rule the sweep's workers, the progress display and the report share.

A phase is done when its quota of slots (tuning: ``trials``; final: ``seeds``) finished (a slot's continuations are
one slot: ``chains``), the final phase's at its epoch cap, or when as many failed for good (a plugin's error, a
time limit) with none left running or waiting. With ``seeds = "auto"`` the final phase's quota and cap are where the
race ended (0 while it runs: not done).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.results import halving
from lossbench.results.chains import (COMPLETE, FAIL, PRUNED, RUNNING, WAITING, chains, failed_for_good,
                                      split_superseded, state_of)
from lossbench.results.objective import Objective

__all__ = ["COMPLETE", "FAIL", "FINAL_FINISHED", "PRUNED", "RUNNING", "TUNE_FINISHED", "WAITING", "Tally", "arm_done",
           "final_seeds", "final_cap", "judged_runs", "round_done", "runs_as_of", "tally", "tuning_done"]
TUNE_FINISHED, FINAL_FINISHED = (COMPLETE, PRUNED), (COMPLETE,)  # the states that use a phase's quota


@dataclass
class Tally:
    quota: int
    nonfail: int = 0
    waiting: int = 0
    running: int = 0
    finished: int = 0
    errored: int = 0

    @property
    def done(self) -> bool:
        if self.quota <= 0:
            return False
        return self.finished >= self.quota or (self.errored >= self.quota and self.running + self.waiting == 0)

    @property
    def can_ask(self) -> bool:
        """Room for a new trial. Trials a plugin's error failed do not use the quota, but once as many have
        failed as the quota holds, no new one starts (with several workers, each would otherwise keep starting
        trials while another's is still running). Workers that ask at the same moment may each start one more:
        errors are bounded by the quota plus the workers less one, not exactly."""
        return not self.done and self.errored < self.quota and (self.nonfail < self.quota or self.waiting > 0)


def tally(trials: list[Any], quota: int, finished_states: tuple[str, ...], cap: int | None = None) -> Tally:
    """Count the slots of Optuna trials (FrozenTrial) or stored records (TrialRecord) against a phase's quota: a
    slot's continuations (``chains``) are one slot. A slot pending (a trial waiting or running) counts as such; with
    ``cap``, a slot finished below it, still improving, is neither finished nor pending (its continuation is due).
    Slots past the quota are not counted; trials a plugin's error failed for good are counted one by one
    (``errored``)."""
    t = Tally(quota)
    for chain in chains(trials):
        if chain.slot is not None and 0 < quota <= chain.slot:
            continue  # a slot past the quota (a race that, grown, needs fewer seeds of this arm than it ran)
        t.errored += sum(1 for trial in chain.trials if failed_for_good(trial))
        live = chain.live
        if not live:
            continue
        t.nonfail += 1
        states = {state_of(trial) for trial in live}
        if WAITING in states:
            t.waiting += 1
        elif RUNNING in states:
            t.running += 1
        elif state_of(live[-1]) in finished_states and (cap is None or chain.at(cap) is not None):
            t.finished += 1
    return t


def final_seeds(spec: dict[str, Any], race: dict[str, Any] | None = None, arm: str | None = None) -> int:
    """The final-phase seeds an arm needs: the spec's number, or where the race left it (0 while it runs)."""
    if spec.get("race"):
        race = race or {}
        if race.get("over") is False:
            return 0
        per_arm = race.get("arms") or {}
        return int(per_arm[arm] if arm in per_arm else (race.get("seeds") or 0))
    seeds = spec.get("seeds")
    return int(seeds) if isinstance(seeds, (int, float)) else 0


def final_cap(spec: dict[str, Any], race: dict[str, Any] | None = None, arm: str | None = None) -> int | None:
    """The epoch cap an arm's final runs train to: the spec's ``epochs``, or where the race raised it."""
    caps = (race or {}).get("caps") or {}
    cap = caps.get(arm) if spec.get("race") else None
    cap = cap if cap is not None else spec.get("epochs")
    return int(cap) if isinstance(cap, (int, float)) and not isinstance(cap, bool) else None


def tuning_done(tuning: list[Any], spec: dict[str, Any]) -> bool:
    """Whether an arm's tuning is done (``tuning``: its tuning trials, superseded runs included). Under halving
    (``halving``): its first rung done, and every promoted point's run standing at the last rung's cap (in the
    schedule its trials recorded)."""
    quota = int(spec.get("trials") or 0)
    if not halving.halving(spec):
        return tally(tuning, quota, TUNE_FINISHED).done
    if not tally(halving.first_rung(tuning), quota, TUNE_FINISHED).done:
        return False
    rungs = halving.stored_rungs(tuning)
    if rungs is None:  # one rung: every point trained to the cap
        return True
    return halving.standing(tuning, quota, Objective.named(spec.get("objective")).maximize, rungs[-1])


def arm_done(tuning: list[Any], final: list[Any], spec: dict[str, Any], race: dict[str, Any] | None,
             has_best: bool, arm: str | None = None) -> bool:
    """Whether nothing more will run for an arm: tuning done (at whatever cap it was tuned; ``tuning``: its tuning
    trials, superseded runs included), and the final phase done at its cap (or impossible: no tuning trial
    completed, so there is no best configuration to rerun)."""
    if not tuning_done(tuning, spec):
        return False
    return not has_best or tally(final, final_seeds(spec, race, arm), FINAL_FINISHED,
                                 cap=final_cap(spec, race, arm)).done


def round_done(trials: list[Any], seeds: int, cap: int | None) -> bool:
    """Whether slots 0 to ``seeds`` - 1 of a final phase each have their run as of ``cap`` (``chains``), or as
    many trials failed for good with none pending: what a race's look waits for. Only those slots count, so that
    the look reads the same runs whichever other trials have finished."""
    by_slot = {chain.slot: chain for chain in chains(trials) if chain.slot is not None}
    if all(slot in by_slot and by_slot[slot].at(cap) is not None for slot in range(seeds)):
        return True
    counted = tally(trials, seeds, FINAL_FINISHED, cap)
    return counted.errored >= seeds and counted.running + counted.waiting == 0


def runs_as_of(trials: list[Any], seeds: int, cap: int | None) -> list[Any]:
    """The run of each of slots 0 to ``seeds`` - 1 as of ``cap`` (the ones that have it), in slot order."""
    return [run for chain in chains(trials) if chain.slot is not None and chain.slot < seeds
            if (run := chain.at(cap)) is not None]


def judged_runs(trials: list[Any], spec: dict[str, Any], race: dict[str, Any] | None, arm: str) -> list[Any]:
    """The final runs the decisions judge of an arm (``trials``: all its final trials, superseded ones included):
    of a race that ended, the runs it judged last, its first n slots each as of its cap (``runs_as_of`` at the
    race's ``arms`` and ``caps``), whatever ran past them; else each slot's current run."""
    race = race or {}
    seeds = race.get("arms") or {}
    if spec.get("race") and race.get("over", True) and arm in seeds:
        return runs_as_of(trials, int(seeds[arm]), final_cap(spec, race, arm))
    return split_superseded(trials)[0]
