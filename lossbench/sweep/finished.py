"""Whether a stored sweep has work left, by the rule the workers, the progress display and the report share
(``results.phase.arm_done``): a start of a sweep with nothing left to train starts no worker process."""

from __future__ import annotations

from lossbench.results import SweepData, tuned_best
from lossbench.results.phase import RUNNING, WAITING, arm_done


def unfinished(data: SweepData) -> tuple[str, ...]:
    """The keys of the arms with work left: a trial running, or not done by ``arm_done``."""
    return tuple(arm.key for arm in data.arms
                 if any(t.state == RUNNING for t in [*arm.tuning, *arm.final])
                 or not arm_done(arm.tuning_runs, arm.final, data.spec, data.race,
                                 tuned_best(arm.tuning_runs, data.spec) is not None, arm.key))


def nothing_to_train(data: SweepData) -> bool:
    """Every arm done and no trial of the sweep running or waiting (a retry queued in a done phase is for a worker
    to take and drop as surplus; a trial left running, for a worker to recover)."""
    return not unfinished(data) and not any(t.state in (RUNNING, WAITING) for arm in data.arms
                                            for t in [*arm.tuning, *arm.final, *arm.superseded])
