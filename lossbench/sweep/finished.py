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
    """Every arm done, no trial of the sweep running or waiting (a retry queued in a done phase is for a worker
    to take and drop as surplus; a trial left running, for a worker to recover), and a race's record planned at the
    caps in force: a start that raised them and stopped before a worker replayed the race left the old record,
    which calls the race over at the old caps."""
    return not unfinished(data) and _race_planned_at_caps(data) and not any(
        t.state in (RUNNING, WAITING) for arm in data.arms for t in [*arm.tuning, *arm.final, *arm.superseded])


def _race_planned_at_caps(data: SweepData) -> bool:
    """Whether a race's record was planned at the caps in force (as a worker plans it: ``worker.Worker``)."""
    spec = data.spec  # the stored spec with the caps in force
    if not spec.get("race"):
        return True
    plan = (data.race or {}).get("plan") or {}
    epochs, max_epochs = spec.get("epochs"), spec.get("max_epochs")
    return (plan.get("max_seeds"), plan.get("epochs"), plan.get("max_epochs")) == (
        spec.get("seeds"), epochs, max(max_epochs or 0, epochs or 0))
