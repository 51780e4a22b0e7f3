"""What the race reads of one arm's final phase at an allowance (seeds n, cap e): whether its first n slots each have
their run as of cap e, and those runs as the decisions read an arm (``lossbench.decisions.JudgedArm``). Read from the
trials in storage only, so every worker and every resume reads the same."""

from __future__ import annotations

from typing import Any

from lossbench.decisions import JudgedArm
from lossbench.decisions import judged_arms, runs_of
from lossbench.results import to_record
from lossbench.results.chains import continuable
from lossbench.results.phase import round_done, runs_as_of
from lossbench.sweep.racing import Allowance
from lossbench.sweep.spec import Arm, SweepSpec


class FinalRuns:
    """The final-phase trials of ``arm`` (Optuna's FrozenTrials, as just read)."""

    def __init__(self, spec: SweepSpec, arm: Arm, trials: list[Any]):
        self.spec, self.key, self.trials = spec, arm.key, trials
        self.names = (arm.loss, arm.cell, "+".join(arm.remedies) or "none")
        self._records: dict[int, Any] = {}

    def ready(self, allowance: Allowance) -> bool:
        return round_done(self.trials, allowance.seeds, allowance.cap)

    def arm(self, allowance: Allowance) -> JudgedArm | None:
        """The arm as of ``allowance`` (``runs_as_of``: the runs the report judges of a race that ended); None where
        none of its runs completed (no comparison with it can be decided)."""
        records = [self._record(t) for t in runs_as_of(self.trials, allowance.seeds, allowance.cap)]
        built = judged_arms([((self.key, *self.names), runs_of(records, self.spec.objective), allowance.cap)],
                            self.spec.maximize, self.spec.patience)  # as the report builds it (``sweep_arms``)
        return built[0] if built else None

    def continuable(self, allowance: Allowance) -> bool:
        """Whether a raised cap would train any of its runs as of ``allowance`` on (a run stored before runs said
        whether they stopped still improving never is: ``chains.continuable``)."""
        return any(continuable(t) for t in runs_as_of(self.trials, allowance.seeds, allowance.cap))

    def _record(self, trial: Any) -> Any:
        if trial.number not in self._records:
            self._records[trial.number] = to_record(trial)
        return self._records[trial.number]
