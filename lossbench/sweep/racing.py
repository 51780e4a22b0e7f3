"""``seeds = "auto"``: the final phase in rounds, until every comparison is decided.

Every arm's best configuration runs on the first 3 seeds, then 5, 7 and 10 (up to the spec's ``seeds``, the
maximum). After each round (a look), every pair of arms that differ in one factor is decided by the rule of
``lossbench.results.decisions`` (a paired t-test, Holm-corrected over the comparisons, convergence-aware, TOST
equivalence within its margin), at alpha / K for K looks planned (Bonferroni over looks), so the family-wise
error rate stays at most alpha however the race ends (a conservative group-sequential design; anchor: the racing
procedures of irace). The race stops when every comparison is decided or the maximum is reached.

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
          f"equivalent within +-{MARGIN} (TOST at the same level) with both arms plateaued; stopped when all are "
          f"decided or at the maximum")


def schedule(max_seeds: int) -> list[int]:
    return [n for n in ROUNDS if n < max_seeds] + [max_seeds]


@dataclass
class Look:
    seeds: int
    decided: dict[str, str] = field(default_factory=dict)  # "arm vs other" -> better | worse | equivalent
    open: list[str] = field(default_factory=list)  # comparisons not decided at this look


def look(arms: list[Arm], seeds: list[int], looks: int) -> Look:
    """Decide every comparison on ``seeds`` (the first n of the schedule)."""
    kept = set(seeds)
    first = [replace(a, accuracy={s: v for s, v in a.accuracy.items() if s in kept},
                     plateaued={s: v for s, v in a.plateaued.items() if s in kept}) for a in arms]
    result = Look(len(seeds))
    for decision in decide(first, ALPHA / looks):
        name = f"{decision.arm} vs {decision.other}"
        if decision.decided:
            result.decided[name] = decision.kind
        else:
            result.open.append(name)
    return result


def race_state(max_seeds: int, arms: list[Arm], ready: dict[str, int], seeds: list[int]
               ) -> tuple[int, bool, list[Look]]:
    """(seeds the final phase needs now, whether the race is over, the looks taken) from what is stored.

    ``ready[arm]``: how many of the first seeds the arm has finished (completed or failed for good)."""
    rounds = schedule(max_seeds)
    looks: list[Look] = []
    for n in rounds:
        if any(count < n for count in ready.values()):
            return n, False, looks  # this round is still running
        taken = look(arms, seeds[:n], len(rounds))
        looks.append(taken)
        if not taken.open:
            return n, True, looks
    return rounds[-1], True, looks


def as_json(looks: list[Look]) -> list[dict[str, Any]]:
    return [{"seeds": lk.seeds, "decided": lk.decided, "open": lk.open} for lk in looks]
