"""Successive halving in a worker (``tuning = "halving"``; the rule every reader shares is
``lossbench.results.halving``): the schedule recorded on each tuning trial taken, each trial's cap (its rung's),
and, once the first rung is done, the promoted points' runs continued from their checkpoints to the tuning cap in
continuation trials of their slots (``sweep.continuation`` does the same for the final phase's runs).

Every worker reads the same stored first rung, so any number of them (and a start after a SIGKILL) promote the same
points. The continuations are enqueued idempotently: a slot with a trial pending gets none; two workers enqueuing at
one moment make a duplicate, which ``slots.take`` tells surplus.
"""

from __future__ import annotations

from typing import Any

from lossbench.results import writer
from lossbench.results.halving import HALVING, first_rung, rungs, to_continue
from lossbench.results.phase import TUNE_FINISHED, tally, tuning_done
from lossbench.sweep.spec import SweepSpec


def schedule(spec: SweepSpec, cap: int) -> tuple[int, ...]:
    """The rungs' caps of an arm's tuning to ``cap`` (the sweep's first cap): (cap,) under the patience rule."""
    return rungs(spec.trials, cap) if spec.tuning == HALVING else (cap,)


def tuning_cap(spec: SweepSpec, cap: int, trial: Any) -> int:
    """The cap the tuning ``trial`` trains to (its schedule recorded on it, where it has two rungs): a continuation's
    (or a retry's) own, else its first rung's; under the patience rule the tuning cap."""
    steps = schedule(spec, cap)
    if len(steps) > 1:
        writer.record_rungs(trial, steps)
    carried = writer.cap_attr(trial)
    if spec.tuning == HALVING:
        return int(carried or steps[0])
    return max(cap, carried or 0)


def tuned(study: Any, trials: list[Any], spec: SweepSpec, cap: int) -> tuple[bool, list[Any]]:
    """(whether the arm's tuning is done, its trials as read last); under halving, once its first rung is done,
    the promoted points' continuations to the last rung are enqueued first."""
    steps = schedule(spec, cap)
    if len(steps) > 1 and tally(first_rung(trials), spec.trials, TUNE_FINISHED).done:
        runs = to_continue(trials, spec.trials, spec.maximize, steps[-1])
        for run in runs:
            study.enqueue_trial(dict(run.params), user_attrs=writer.continuation_attrs(run, steps[-1]))
        if runs:
            trials = study.get_trials(deepcopy=False)
    return tuning_done(trials, spec.to_json()), trials
