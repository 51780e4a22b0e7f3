"""``seeds = "auto"``: the final phase in rounds, seeds spent only where a comparison is still open.

Every arm's best configuration runs on the first 3 seeds; after each round (a look), every pair of arms that
differ in one factor is decided by the rule of ``lossbench.results.decisions`` (a paired t-test, Holm-corrected
over the comparisons, convergence-aware, TOST equivalence within its margin), at alpha / K for K looks planned
(Bonferroni over looks), so the family-wise error rate stays at most alpha however the race ends (a conservative
group-sequential design; anchor: the racing procedures of irace). A comparison stays in the race while it is open
and more seeds could decide it within the maximum (a paired t-test would have at least an even chance, power
0.5, at the maximum, the observed difference and spread taken as true: an estimate from 3 to 5 seeds is rough,
so the race does not give up at the power-0.8 count; a comparison that needs more epochs, or far more seeds, is
left open with that estimate). Only the arms of such comparisons get the next round (5, 7, then 10 seeds, up to the spec's
``seeds``); an arm whose comparisons are all decided, or hopeless at this budget, gets no more seeds.

Each look uses exactly the first n seeds of every arm, and only once every arm has finished them, so every
worker reading the same storage reaches the same decision whichever trial finished first, and a resumed sweep
takes up the race where it stood.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lossbench.results.decisions import ALPHA, MARGIN, TEST, Arm, decide

ROUNDS = (3, 5, 7, 10)
METHOD = (f"seeds = auto: rounds of {', '.join(map(str, ROUNDS))} seeds (capped at the spec's maximum); after each, "
          f"every pair of arms differing in one factor by a {TEST}, at alpha {ALPHA} / K per look (K looks planned, "
          f"Bonferroni over looks); decided when significant and not overturnable by training longer, or "
          f"equivalent within +-{MARGIN} (TOST at the same level) with both arms plateaued; only the arms of open "
          f"comparisons that more seeds could decide within the maximum (power at least 0.5 there) get the next round")


def schedule(max_seeds: int) -> list[int]:
    return [n for n in ROUNDS if n < max_seeds] + [max_seeds]


@dataclass
class Look:
    seeds: int
    decided: dict[str, str] = field(default_factory=dict)  # "arm vs other" -> better | worse | equivalent
    open: list[str] = field(default_factory=list)  # comparisons not decided at this look
    racing: list[str] = field(default_factory=list)  # the open ones more seeds could decide: their arms go on


def look(arms: list[Arm], seeds: list[int], looks: int, max_seeds: int | None = None) -> Look:
    """Decide every comparison on ``seeds`` (the first n of the schedule; an arm out of the race has fewer)."""
    kept = set(seeds)
    first = [replace(a, accuracy={s: v for s, v in a.accuracy.items() if s in kept},
                     plateaued={s: v for s, v in a.plateaued.items() if s in kept}) for a in arms]
    result = Look(len(seeds))
    for decision in decide(first, ALPHA / looks):
        name = f"{decision.arm} vs {decision.other}"
        if decision.decided:
            result.decided[name] = decision.kind
            continue
        result.open.append(name)
        if decision.even_chance_seeds is not None and decision.needs_epochs is None and (
                max_seeds is None or decision.even_chance_seeds <= max_seeds):
            result.racing.append(name)
    return result


def race_state(max_seeds: int, arms: list[Arm], ready: dict[str, int], seeds: list[int]
               ) -> tuple[dict[str, int], bool, list[Look]]:
    """(seeds each arm needs now, whether the race is over, the looks taken) from what is stored.

    ``ready[arm]``: how many of the first seeds the arm has finished (completed or failed for good)."""
    rounds = schedule(max_seeds)
    budget = {a.key: rounds[0] for a in arms}
    looks: list[Look] = []
    for i, n in enumerate(rounds):
        if any(ready.get(key, 0) < need for key, need in budget.items()):
            return budget, False, looks  # this round is still running
        taken = look(arms, seeds[:n], len(rounds), max_seeds)
        looks.append(taken)
        going = {key for name in taken.racing for key in name.split(" vs ")}
        if not going or i == len(rounds) - 1:
            return budget, True, looks
        for key in going:
            budget[key] = rounds[i + 1]
    return budget, True, looks


def as_json(looks: list[Look]) -> list[dict[str, Any]]:
    return [{"seeds": lk.seeds, "decided": lk.decided, "open": lk.open, "racing": lk.racing} for lk in looks]
