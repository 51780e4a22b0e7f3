"""When an arm's phase is done: the one rule the sweep's workers, the progress display and the report share.

A phase is done when its budget of trials finished, or when as many failed for good (a plugin's error, a time
limit) with none left running or waiting. With ``seeds = "auto"`` the final phase's budget is where the race
ended (0 while it runs: not done).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.results.schema import ATTR_STATUS, FAILED_STATUSES

# Optuna's trial states by name (stored records carry the name; FrozenTrial's ``state.name`` is the same)
COMPLETE, PRUNED, FAIL, RUNNING, WAITING = "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"
TUNE_FINISHED, FINAL_FINISHED = (COMPLETE, PRUNED), (COMPLETE,)  # the states that use a phase's budget


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
        if self.budget <= 0:
            return False
        return self.finished >= self.budget or (self.errored >= self.budget and self.running + self.waiting == 0)

    @property
    def can_ask(self) -> bool:
        """Room for a new trial. Trials a plugin's error failed do not use the budget, but once as many have
        failed as the budget holds, no new one starts (with several workers, each would otherwise keep starting
        trials while another's is still running). Workers that ask at the same moment may each start one more:
        errors are bounded by the budget plus the workers less one, not exactly."""
        return not self.done and self.errored < self.budget and (self.nonfail < self.budget or self.waiting > 0)


def tally(trials: list[Any], budget: int, finished_states: tuple[str, ...]) -> Tally:
    """Count Optuna trials (FrozenTrial) or stored records (TrialRecord) against a budget."""
    t = Tally(budget)
    for trial in trials:
        state = trial.state if isinstance(trial.state, str) else trial.state.name
        if state != FAIL:
            t.nonfail += 1
        if state == WAITING:
            t.waiting += 1
        elif state == RUNNING:
            t.running += 1
        elif state in finished_states:
            t.finished += 1
        elif state == FAIL and trial.user_attrs.get(ATTR_STATUS) in FAILED_STATUSES:
            t.errored += 1
    return t


def final_budget(spec: dict[str, Any], race: dict[str, Any] | None = None, arm: str | None = None) -> int:
    """The final-phase seeds an arm needs: the spec's number, or where the race left it (0 while it runs)."""
    if spec.get("race"):
        race = race or {}
        per_arm = race.get("arms") or {}
        return int(per_arm[arm] if arm in per_arm else (race.get("seeds") or 0))
    seeds = spec.get("seeds")
    return int(seeds) if isinstance(seeds, (int, float)) else 0


def arm_done(tuning: list[Any], final: list[Any], spec: dict[str, Any], race: dict[str, Any] | None,
             has_best: bool, arm: str | None = None) -> bool:
    """Whether nothing more will run for an arm: tuning done, and the final phase done (or impossible: no
    tuning trial completed, so there is no best configuration to rerun)."""
    if not tally(tuning, int(spec.get("trials") or 0), TUNE_FINISHED).done:
        return False
    return not has_best or tally(final, final_budget(spec, race, arm), FINAL_FINISHED).done
