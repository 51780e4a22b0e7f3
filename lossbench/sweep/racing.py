"""``seeds = "auto"``: the final phase as a race over two axes, seeds and epochs, spent only where a comparison is
still open.

Each arm of the race has an allowance, (seeds n, cap e): its first n slots, each run to cap e. It starts at the first
round of seeds (3) and the spec's ``epochs``. A look is taken only once every arm of the race has finished its
round (each of its first n slots has its run as of cap e: trained to it, or done at any cap), on exactly those
runs, so that every worker reading the same storage, with 1 worker or 2, busy or idle, and every resume after a
kill reaches the same decisions from the same stored runs. At each look the family of ``lossbench.decisions``
(every pair of arms that differ in one factor, each arm and its baseline, a claim's arms, each factor's levels over
matched arms; a paired t-test, Holm-corrected over the family, convergence-aware, TOST equivalence within its
margin) is judged at ``race_alpha``: alpha over the looks the race plans (its rounds of seeds up to the spec's
``seeds`` and its cap steps up to ``max_epochs``; Bonferroni over looks), a conservative group-sequential design
(anchor: the racing procedures of irace). Then each open comparison of two arms gets what decides it soonest:

- epochs: a trailing arm still improving (or, for a tie, an arm still improving) gets its runs continued from their
  checkpoints to twice its cap (up to ``max_epochs``); only its runs that stopped at the cap still improving are
  continued (``continuation``);
- seeds: a noisy pair gets the next round of seeds (5, 7, then 10, up to the spec's ``seeds``) where a paired
  t-test would have at least an even chance (power 0.5) at the most seeds, the observed difference and spread
  taken as true (an estimate from 3 to 5 seeds is rough, so the race does not give up at the power-0.8 count);
- where both could decide it, the cheaper in epochs to train (epoch counts, not seconds, so that busy and idle
  machines choose alike);
- two arms at chance are not raced; a pair out of reach at the caps (training past ``max_epochs``, or more seeds
  than the most) stays open with why (``Verdict.reach``): one needing hundreds of seeds is within the noise.

A factor's levels are judged with the rest but race nothing of their own: their arms race in their own
comparisons. The race is over when a look gives no arm anything more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from lossbench.decisions import (ARMS, MARGIN, NOT_TRAINING, ROUNDS, TEST, JudgedArm, beyond_seeds, cap_steps,
                                 decide, race_alpha, schedule)
from lossbench.stats import ALPHA

METHOD = (f"seeds = auto: a race over seeds and epochs; rounds of {', '.join(map(str, ROUNDS))} seeds (capped at the "
          f"spec's maximum) and caps doubled from the spec's epochs up to max_epochs; after each, every pair of arms "
          f"differing in one factor, each arm and its baseline, and each factor's levels over matched arms by a "
          f"{TEST}, at alpha {ALPHA} / K per look (K looks planned: the rounds and the cap steps, Bonferroni over "
          f"looks); decided when significant and not overturnable by training longer, or equivalent within "
          f"+-{MARGIN} (TOST at the same level) with both arms plateaued or unable to gain enough to leave it; each "
          f"open comparison of two arms gets what decides it soonest: its trailing arm still improving continued to "
          f"twice its cap, or the next round of seeds where a paired t-test has at least an even chance at the "
          f"maximum, the cheaper in epochs where both could")
__all__ = ["METHOD", "ROUNDS", "Allowance", "Look", "Plan", "RaceState", "as_json", "look", "race_state", "schedule"]


@dataclass(frozen=True)
class Allowance:
    """What the race allows an arm now: its first ``seeds`` final slots, each run to ``cap`` epochs (not the time
    budget, nor a phase's quota of slots)."""

    seeds: int
    cap: int


@dataclass(frozen=True)
class Plan:
    """What a race may spend: rounds of seeds up to ``max_seeds``, caps doubled from ``epochs`` to ``max_epochs``."""

    max_seeds: int
    epochs: int
    max_epochs: int
    least_looks: int = 0  # the looks stored with the race before it grew: K never shrinks (``race_alpha``)

    @property
    def first(self) -> Allowance:
        return Allowance(schedule(self.max_seeds)[0], self.epochs)

    @property
    def alpha(self) -> float:
        return race_alpha(self.max_seeds, ALPHA, self.epochs, self.max_epochs, self.least_looks)

    @property
    def looks(self) -> int:
        return max(self.least_looks, len(schedule(self.max_seeds)) + len(cap_steps(self.epochs, self.max_epochs)))

    def next_round(self, seeds: int) -> int | None:
        return next((n for n in schedule(self.max_seeds) if n > seeds), None)

    def next_cap(self, cap: int) -> int | None:
        return next((c for c in cap_steps(self.epochs, self.max_epochs) if c > cap), None)

    def to_json(self) -> dict[str, Any]:
        return {"max_seeds": self.max_seeds, "epochs": self.epochs, "max_epochs": self.max_epochs,
                "looks": self.looks, "alpha": self.alpha}


@dataclass
class Look:
    allowed: dict[str, Allowance]  # what each arm of the race had at this look
    decided: dict[str, str] = field(default_factory=dict)  # "arm vs other" -> better | worse | equivalent
    steps: dict[str, str] = field(default_factory=dict)  # open comparisons raced on: "seeds" or "epochs"
    open: dict[str, str] = field(default_factory=dict)  # open comparisons not raced on: why

    @property
    def seeds(self) -> int:
        return max((b.seeds for b in self.allowed.values()), default=0)


@dataclass
class RaceState:
    allowed: dict[str, Allowance]  # each arm's allowance now
    looks: list[Look]
    over: bool


class ArmRuns(Protocol):
    """What the race reads of one arm's final phase (``final_runs.FinalRuns``)."""

    def ready(self, allowance: Allowance) -> bool: ...

    def arm(self, allowance: Allowance) -> JudgedArm | None: ...

    def continuable(self, allowance: Allowance) -> bool: ...


def look(arms: list[JudgedArm], allowed: dict[str, Allowance], plan: Plan, pairs: Iterable[tuple[str, str]] = (),
         continuable: set[str] | None = None) -> tuple[Look, dict[str, Allowance]]:
    """Judge the family on ``arms`` (each as of its allowance) at the race's level; the look and what it allows.
    ``continuable``: the arms with a run that a raised cap would continue (None: every arm); only they get epochs."""
    by_key = {a.key: a for a in arms}
    taken = Look(dict(allowed))
    grown = dict(allowed)
    for verdict in decide(arms, plan.alpha, pairs=pairs, reach=(plan.max_seeds, plan.max_epochs)):
        name = f"{verdict.arm} vs {verdict.other}"
        if verdict.decided:
            taken.decided[name] = verdict.kind
            continue
        if verdict.scope != ARMS:
            taken.open[name] = "a factor's levels: their arms race in their own comparisons"
            continue
        if verdict.kind == NOT_TRAINING:
            taken.open[name] = "not raced: both arms at chance"
            continue
        step = _step(verdict, by_key, allowed, plan, continuable)
        if step is None:
            taken.open[name] = {"epochs": "out of reach at max_epochs", "seeds": beyond_seeds(verdict, plan.max_seeds)
                                }.get(verdict.reach or "", "not raced: nothing at these caps would decide it")
            continue
        taken.steps[name], grants = step
        for key, granted in grants.items():
            grown[key] = Allowance(max(grown[key].seeds, granted.seeds), max(grown[key].cap, granted.cap))
    return taken, grown


def _step(verdict: Any, arms: dict[str, JudgedArm], allowed: dict[str, Allowance], plan: Plan,
          continuable: set[str] | None = None) -> tuple[str, dict[str, Allowance]] | None:
    """What decides an open pair of arms soonest: ("seeds" or "epochs", the allowances it grants), or None."""
    a, b = verdict.arm, verdict.other
    seeds = None
    if verdict.needs_epochs is None and verdict.needs_seeds is not None and verdict.reach is None:
        shared = min(allowed[a].seeds, allowed[b].seeds)
        if (more := plan.next_round(shared)) is not None:
            seeds = {k: Allowance(max(more, allowed[k].seeds), allowed[k].cap) for k in (a, b)}
    longer = verdict.longer if verdict.needs_epochs is not None else tuple(
        k for k in verdict.improving if k in (a, b))
    epochs = {k: Allowance(allowed[k].seeds, cap) for k in longer if k in allowed and arms[k].still_improving
              and (continuable is None or k in continuable) if (cap := plan.next_cap(allowed[k].cap)) is not None}
    if seeds and epochs:
        return ("seeds", seeds) if _cost(seeds, allowed, arms) <= _cost(epochs, allowed, arms) else ("epochs", epochs)
    if seeds:
        return "seeds", seeds
    if epochs and verdict.needs_epochs is not None:
        return "epochs", epochs
    return None


def _cost(grants: dict[str, Allowance], allowed: dict[str, Allowance], arms: dict[str, JudgedArm]) -> int:
    """Epochs to train for ``grants``: each new seed a run to its arm's cap; each raised cap, the arm's runs still
    improving continued by the difference."""
    total = 0
    for key, granted in grants.items():
        now = allowed[key]
        total += (max(0, granted.seeds - now.seeds) * now.cap
                  + arms[key].improving_runs * max(0, granted.cap - now.cap))
    return total


def race_state(plan: Plan, arms: dict[str, ArmRuns], pairs: Iterable[tuple[str, str]] = ()) -> RaceState:
    """Where the race stands, replayed from the stored runs: each arm's allowance, the looks taken, whether it is over.
    ``arms``: every arm of the race (those with a tuned configuration)."""
    pairs = list(pairs)
    allowed = {key: plan.first for key in arms}
    looks: list[Look] = []
    while True:
        if not all(arms[key].ready(allowed[key]) for key in allowed):
            return RaceState(allowed, looks, False)
        judged = [a for key in allowed if (a := arms[key].arm(allowed[key])) is not None]
        continuable = {key for key in allowed if arms[key].continuable(allowed[key])}
        taken, grown = look(judged, allowed, plan, pairs, continuable)
        looks.append(taken)
        if grown == allowed:
            return RaceState(allowed, looks, True)
        allowed = grown


def as_json(state: RaceState, plan: Plan) -> dict[str, Any]:
    """The race record (the spec study's ``race``): each arm's (seeds, cap), each look, the plan, whether over."""
    return {"seeds": max((b.seeds for b in state.allowed.values()), default=0),
            "arms": {k: b.seeds for k, b in state.allowed.items()}, "caps": {k: b.cap for k, b in state.allowed.items()},
            "looks": [{"seeds": lk.seeds, "arms": {k: [b.seeds, b.cap] for k, b in lk.allowed.items()},
                       "decided": lk.decided, "steps": lk.steps, "open": lk.open} for lk in state.looks],
            "plan": plan.to_json(), "method": METHOD, "over": state.over}
