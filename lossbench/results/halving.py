"""Successive halving over an arm's tuning points (``tuning = "halving"``): the one rule by which the workers (what
to continue, when tuning is done, which trial the final phase reruns) and every reader (the report, the progress
display) read a tuning study.

The schedule (``rungs``; measured in benchmarks/halving_tune.py and halving_speed.py): every one of the ``trials``
points is trained to a first rung of ``cap // 5`` epochs (4 of 20), then the best ``keep`` of them
(max(2, ceil(trials / 3)): 2 of 5) are continued from their checkpoints to the cap, in continuation trials of the
same slots (``chains``): no epoch is trained twice, and a run continued gives the numbers of a run trained straight.
Two rungs only: on the quickstart no ranking before 20 epochs picked the last two as well. With ``keep`` points or
fewer, or a cap under 5, it is one rung: every point to the cap, as ``tuning = "patience"`` trains them.

The promotion reads the first rung's stored runs only, once every point has one, so any number of workers, and a
start after a SIGKILL, promote the same points. They are ranked by their stored objective (the best epoch's; a
diverged or pruned run ranks last), ties to the lower slot. Points within ``CHANCE_MARGIN`` of chance accuracy are not
ranked against each other (a tanh RNN sits at chance for its first epochs at any learning rate: their order is
noise): where fewer than ``keep`` points are above chance, every point goes on. The arm's best is the one rule of
``reader.best_trial`` among the promoted points' current runs (``pool``).

Works on Optuna's FrozenTrial and on stored TrialRecords alike (number, state, value, params, user attrs).
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from lossbench.results.chains import COMPLETE, PRUNED, Chain, cap_of, chains, state_of
from lossbench.results.objective import Objective
from lossbench.results.schema import ATTR_CONTINUES, ATTR_RESULT, ATTR_RUNGS, ATTR_STATUS

HALVING, PATIENCE = "halving", "patience"
TUNINGS = (HALVING, PATIENCE)
FIRST_SHARE = 5  # the first rung: cap // 5 epochs
KEEP_SHARE = 3  # a third of the points (at least 2) go on to the cap


def keep_of(trials: int) -> int:
    return max(2, -(-trials // KEEP_SHARE))


def rungs(trials: int, cap: int) -> tuple[int, ...]:
    """The caps of the schedule's rungs: (first, cap), or (cap,) where halving would save nothing."""
    first = cap // FIRST_SHARE
    return (cap,) if trials <= keep_of(trials) or first < 1 else (first, cap)


def halving(spec: dict[str, Any]) -> bool:
    """Whether a stored spec tunes by halving (a spec stored before ``tuning`` existed tuned by patience)."""
    return spec.get("tuning", PATIENCE) == HALVING


def first_rung(trials: Iterable[Any]) -> list[Any]:
    """The trials of the first rung: every one but the continuations (and their retries)."""
    return [t for t in trials if t.user_attrs.get(ATTR_CONTINUES) is None]


def stored_rungs(trials: Iterable[Any]) -> tuple[int, ...] | None:
    """The schedule the workers recorded on the tuning trials of a two-rung tuning, or None."""
    for trial in trials:
        found = trial.user_attrs.get(ATTR_RUNGS)
        if isinstance(found, list) and found and all(isinstance(c, int) for c in found):
            return tuple(found)
    return None


def promoted(trials: list[Any], quota: int, maximize: bool) -> list[int]:
    """The slots (of the first ``quota``) promoted past the first rung, from the first rung's runs: the caller
    knows that rung is done. Best first."""
    first = {chain.slot: chain.latest for chain in chains(first_rung(trials))
             if chain.slot is not None and chain.slot < quota and chain.latest is not None}
    order = sorted(first, key=lambda slot: (-_score(first[slot], maximize), slot))
    keep = keep_of(quota)
    above = [slot for slot in order if _above_chance(first[slot])]
    return order[:keep] if len(above) >= keep else order


def _score(trial: Any, maximize: bool) -> float:
    value = trial.value
    if (state_of(trial) != COMPLETE or trial.user_attrs.get(ATTR_STATUS) == "diverged" or value is None
            or not math.isfinite(value)):
        return -math.inf
    return value if maximize else -value


def _above_chance(trial: Any) -> bool:
    """Whether the run's best validation accuracy lies more than ``CHANCE_MARGIN`` above chance (1 / classes)."""
    from lossbench.convergence import CHANCE_MARGIN  # on first use: importing the results layer loads no other

    result = trial.user_attrs.get(ATTR_RESULT) or {}
    classes = (result.get("test") or {}).get("classes")
    accuracies = [e.get("val_accuracy") for e in result.get("epochs") or []]
    accuracies = [a for a in accuracies if isinstance(a, (int, float)) and math.isfinite(a)]
    return bool(classes and accuracies and max(accuracies) > 1 / classes + CHANCE_MARGIN)


def _promoted_chains(trials: list[Any], quota: int, maximize: bool) -> list[Chain]:
    by_slot = {chain.slot: chain for chain in chains(trials)}
    return [by_slot[slot] for slot in promoted(trials, quota, maximize)]


def ended(trial: Any) -> bool:
    """Whether a finished run is done at any cap: pruned, diverged, or stopped on patience before its cap."""
    return (state_of(trial) == PRUNED or trial.user_attrs.get(ATTR_STATUS) == "diverged"
            or bool((trial.user_attrs.get(ATTR_RESULT) or {}).get("plateaued")))


def to_continue(trials: list[Any], quota: int, maximize: bool, cap: int) -> list[Any]:
    """The promoted points' runs to continue to ``cap`` (nothing pending on their slot, neither ended nor closed), in
    slot order: their continuations are numbered so, and a tie among them goes to the lower slot, as it does among
    the same runs under the patience rule (``reader.best_trial``: the lower trial number)."""
    return [chain.latest for chain in sorted(_promoted_chains(trials, quota, maximize), key=lambda c: c.slot)
            if chain.pending is None and chain.latest is not None and not chain.closed
            and not ended(chain.latest) and (cap_of(chain.latest) or 0) < cap]


def standing(trials: list[Any], quota: int, maximize: bool, cap: int) -> bool:
    """Whether every promoted point's run stands at ``cap``: trained to it, ended before, or closed (its
    continuation failed for good), with nothing pending."""
    return all(chain.pending is None and chain.latest is not None
               and (chain.closed or ended(chain.latest) or (cap_of(chain.latest) or 0) >= cap)
               for chain in _promoted_chains(trials, quota, maximize))


def pool(trials: list[Any], spec: dict[str, Any]) -> list[Any]:
    """The tuning trials the arm's best is chosen among (``reader.best_trial``): under halving the promoted points'
    current runs; else every trial. ``trials``: the arm's tuning trials, superseded runs included."""
    if not halving(spec) or stored_rungs(trials) is None:
        return list(trials)
    maximize = Objective.named(spec.get("objective")).maximize
    return [chain.latest for chain in _promoted_chains(list(trials), int(spec.get("trials") or 0), maximize)
            if chain.latest is not None]

