"""``seeds = "auto"``: the final phase in rounds, until every comparison with the baseline is decided.

Every arm's best configuration runs on the first 3 seeds, then 5, 7 and 10 (up to the spec's ``seeds``, the
maximum). After each round (a look), each arm is compared with its baseline by a paired t-test over the seeds
run so far. With K looks planned, each look tests at alpha / K (Bonferroni over looks), with Holm's correction
across the comparisons of that look; a comparison is decided when it is significant, or when a two one-sided
test (TOST) at alpha / K puts the mean difference within +-MARGIN (equivalent). The family-wise error rate stays
at most alpha however the race ends (a conservative group-sequential design; anchor: the racing procedures of
irace). The race stops when every comparison is decided or the maximum is reached.

Each look uses exactly the first n seeds of every arm, so every worker reading the same storage reaches the same
decision, and a resumed sweep takes up the race where it stood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lossbench import stats
from lossbench.stats import ALPHA

ROUNDS = (3, 5, 7, 10)
MARGIN = 0.02  # test accuracy: differences smaller than this count as a tie
METHOD = (f"seeds = auto: rounds of {', '.join(map(str, ROUNDS))} seeds (capped at the spec's maximum); after each, "
          f"every arm against its baseline by a paired t-test at alpha / K per look (K looks planned, Bonferroni over "
          f"looks), Holm-corrected across comparisons; decided when significant or equivalent within "
          f"+-{MARGIN} (TOST at the same level); stopped when all are decided or at the maximum")


def schedule(max_seeds: int) -> list[int]:
    return [n for n in ROUNDS if n < max_seeds] + [max_seeds]


@dataclass
class Look:
    seeds: int
    decided: dict[str, str] = field(default_factory=dict)  # "arm vs baseline" -> "differs" | "equivalent"
    open: list[str] = field(default_factory=list)  # comparisons not decided at this look


def look(accuracy: dict[str, dict[int, float]], pairs: list[tuple[str, str]], seeds: list[int], looks: int) -> Look:
    """Decide every comparison (arm, baseline) on ``seeds`` (the first n of the schedule)."""
    level = ALPHA / looks
    result = Look(len(seeds))
    tests = []
    for arm, base in pairs:
        shared = [s for s in seeds if s in accuracy.get(arm, {}) and s in accuracy.get(base, {})]
        name = f"{arm} vs {base}"
        ours, theirs = [accuracy[arm][s] for s in shared], [accuracy[base][s] for s in shared]
        test, p_equivalent = stats.paired_test(ours, theirs, "t"), stats.tost(np.subtract(ours, theirs), MARGIN)
        if test is None or p_equivalent is None:  # fewer than 2 shared seeds
            result.open.append(name)
            continue
        tests.append((name, test.p, p_equivalent < level))  # TOST at `level`: the 1 - 2 level interval in +-MARGIN
    for (name, _, equivalent), adjusted in zip(tests, stats.holm([p for _, p, _ in tests])):
        if adjusted <= level:
            result.decided[name] = "differs"
        elif equivalent:
            result.decided[name] = "equivalent"
        else:
            result.open.append(name)
    return result


def race_state(max_seeds: int, accuracy: dict[str, dict[int, float]], ready: dict[str, int],
               pairs: list[tuple[str, str]], seeds: list[int]) -> tuple[int, bool, list[Look]]:
    """(seeds the final phase needs now, whether the race is over, the looks taken) from what is stored.

    ``ready[arm]``: how many of the first seeds the arm has finished (completed or failed for good)."""
    rounds = schedule(max_seeds)
    looks: list[Look] = []
    for n in rounds:
        if any(count < n for count in ready.values()):
            return n, False, looks  # this round is still running
        taken = look(accuracy, pairs, seeds[:n], len(rounds))
        looks.append(taken)
        if not taken.open:
            return n, True, looks
    return rounds[-1], True, looks


def as_json(looks: list[Look]) -> list[dict[str, Any]]:
    return [{"seeds": lk.seeds, "decided": lk.decided, "open": lk.open} for lk in looks]
