"""A slot's continuation: when a slot's epoch cap is raised (a later start's ``--epochs``, or the race training an
arm longer), a slot whose run finished at its old cap still improving runs on in a new trial of the same study
(Optuna never reopens a finished trial), enqueued with the slot's attrs, the checkpoint of the run's stop,
``continues`` and its new ``cap`` (``results.chains``). The worker that takes it trains from that checkpoint to
the new cap (``engine``: ``fit(resume=...)`` with a larger ``epochs``), which gives the numbers of a run trained
straight to it, so no epoch is ever trained twice. A run that plateaued, diverged, collapsed or was not training
is done at any cap. Any phase: the final phase's runs now, tuning's (successive halving) later.

Enqueued idempotently (a slot with a trial pending, or already at the cap, gets none); two workers enqueuing at
one moment make a duplicate, which ``slots.take`` tells surplus.
"""

from __future__ import annotations

import sys
from typing import Any

from lossbench.results import writer
from lossbench.results.chains import chains


def continue_to(study: Any, cap: int, slots: int | None = None, trials: list[Any] | None = None) -> int:
    """Enqueue a continuation to ``cap`` for each slot (of the first ``slots``) whose current run must be continued
    to reach it; how many. ``trials``: the study's trials, where the caller has just read them."""
    found = 0
    for chain in chains(study.get_trials(deepcopy=False) if trials is None else trials):
        if chain.slot is None or (slots is not None and chain.slot >= slots):
            continue
        run = chain.needs(cap)
        if run is None:
            continue
        study.enqueue_trial(dict(run.params), user_attrs=writer.continuation_attrs(run, cap))
        found += 1
    return found


def missing_checkpoint(trial: Any) -> None:
    """Say that a continuation found no checkpoint to continue from: its slot trains again from its first epoch
    (to the new cap: the numbers of a run trained straight, so nothing read from it is wrong; only time is lost)."""
    continued = writer.continues_of(trial)
    sys.stderr.write(f"warning: trial {trial.number} continues trial {continued}'s run to {writer.cap_attr(trial)} "
                     f"epochs, but that run's checkpoint is missing: it trains again from its first epoch (the same "
                     f"numbers as a run continued; only the time is lost)\n")
