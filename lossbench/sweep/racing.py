"""``seeds = "auto"``: the final phase in rounds, seeds spent only where a comparison is still open.

Every arm's best configuration runs on the first 3 seeds; after each round (a look), the family of
``lossbench.decisions`` (every pair of arms that differ in one factor, each arm and its baseline, a claim's arms,
each factor's levels over matched arms; a paired t-test, Holm-corrected over the family, convergence-aware, TOST
equivalence within its margin) is judged at alpha / K for K looks planned (``race_alpha``: Bonferroni over looks),
so the family-wise error rate stays at most alpha however the race ends (a conservative
group-sequential design; anchor: the racing procedures of irace). A comparison stays in the race while it is open
and more seeds could decide it within the maximum (a paired t-test would have at least an even chance, power
0.5, at the maximum, the observed difference and spread taken as true: an estimate from 3 to 5 seeds is rough,
so the race does not give up at the power-0.8 count; a comparison that needs more epochs, or far more seeds, is
left open with that estimate; so is a pair of arms both at chance). A factor's levels are judged with the
rest but race no seeds of their own: their arms race in their own comparisons. Only the arms of such comparisons
get the next round (5, 7, then 10 seeds, up to the spec's
``seeds``); an arm whose comparisons are all decided, or hopeless at this budget, gets no more seeds.

Each look uses exactly the first n seeds of every arm, and only once every arm has finished them, so every
worker reading the same storage reaches the same decision whichever trial finished first, and a resumed sweep
takes up the race where it stood.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from lossbench.decisions import ARMS, MARGIN, ROUNDS, TEST, Arm, decide, schedule
from lossbench.stats import ALPHA

METHOD = (f"seeds = auto: rounds of {', '.join(map(str, ROUNDS))} seeds (capped at the spec's maximum); after each, "
          f"every pair of arms differing in one factor, each arm and its baseline, and each factor's levels over "
          f"matched arms by a {TEST}, at alpha {ALPHA} / K per look (K looks planned, Bonferroni over looks); decided "
          f"when significant and not overturnable by training longer, or equivalent within +-{MARGIN} (TOST at the "
          f"same level) with both arms plateaued; only the arms of open comparisons of two arms that more seeds "
          f"could decide within the maximum (power at least 0.5 there) get the next round")
__all__ = ["METHOD", "ROUNDS", "Look", "as_json", "look", "race_state", "schedule"]


@dataclass
class Look:
    seeds: int
    decided: dict[str, str] = field(default_factory=dict)  # "arm vs other" -> better | worse | equivalent
    open: list[str] = field(default_factory=list)  # comparisons not decided at this look
    racing: list[str] = field(default_factory=list)  # the open ones more seeds could decide: their arms go on


def look(arms: list[Arm], seeds: list[int], looks: int, max_seeds: int | None = None,
         pairs: Iterable[tuple[str, str]] = ()) -> Look:
    """Decide the family on ``seeds`` (the first n of the schedule; an arm out of the race has fewer); ``pairs``:
    the pairs of arms the family adds (``lossbench.results.baseline.family_pairs``)."""
    kept = set(seeds)
    first = [replace(a, accuracy={s: v for s, v in a.accuracy.items() if s in kept},
                     plateaued={s: v for s, v in a.plateaued.items() if s in kept},
                     collapsed={s: v for s, v in a.collapsed.items() if s in kept}) for a in arms]
    result = Look(len(seeds))
    for verdict in decide(first, ALPHA / looks, pairs=pairs):
        name = f"{verdict.arm} vs {verdict.other}"
        if verdict.decided:
            result.decided[name] = verdict.kind
            continue
        result.open.append(name)
        if verdict.scope == ARMS and verdict.even_chance_seeds is not None and verdict.needs_epochs is None and (
                max_seeds is None or verdict.even_chance_seeds <= max_seeds):
            result.racing.append(name)
    return result


def race_state(max_seeds: int, arms: list[Arm], ready: dict[str, int], seeds: list[int],
               pairs: Iterable[tuple[str, str]] = ()) -> tuple[dict[str, int], bool, list[Look]]:
    """(seeds each arm needs now, whether the race is over, the looks taken) from what is stored.

    ``ready[arm]``: how many of the first seeds the arm has finished (completed or failed for good)."""
    rounds = schedule(max_seeds)
    budget = {a.key: rounds[0] for a in arms}
    looks: list[Look] = []
    for i, n in enumerate(rounds):
        if any(ready.get(key, 0) < need for key, need in budget.items()):
            return budget, False, looks  # this round is still running
        taken = look(arms, seeds[:n], len(rounds), max_seeds, pairs)
        looks.append(taken)
        going = {key for name in taken.racing for key in name.split(" vs ")}
        if not going or i == len(rounds) - 1:
            return budget, True, looks
        for key in going:
            budget[key] = rounds[i + 1]
    return budget, True, looks


def as_json(looks: list[Look]) -> list[dict[str, Any]]:
    return [{"seeds": lk.seeds, "decided": lk.decided, "open": lk.open, "racing": lk.racing} for lk in looks]
