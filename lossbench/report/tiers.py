"""Ranking as tiers, from the decided comparisons only (``report.decisions``): a mean that no test separates
ranks nothing.

The rule: tier 1 holds every arm with results that no decided comparison shows worse than another arm; remove
them, and tier 2 holds every remaining arm that no decided comparison shows worse than another remaining arm;
and so on. Arms that no decided comparison separates therefore share a tier, and an arm lies below another
only where a chain of decided comparisons puts it there. Equivalent and open comparisons separate nothing.
Arms without results have no tier."""

from __future__ import annotations

from typing import Iterable

from lossbench.decisions import Verdict


def tiers(arms: Iterable[str], decisions: Iterable[Verdict]) -> dict[str, int]:
    """{arm: tier}, tier 1 the top, for the arms given (those with results)."""
    left = list(dict.fromkeys(arms))
    beaten: dict[str, set[str]] = {a: set() for a in left}  # arm -> the arms a decided comparison shows it below
    for d in decisions:
        if d.kind in ("better", "worse") and d.arm in beaten and d.other in beaten:
            winner, loser = (d.arm, d.other) if d.kind == "better" else (d.other, d.arm)
            beaten[loser].add(winner)
    out: dict[str, int] = {}
    tier = 1
    while left:
        top = [a for a in left if not beaten[a] & set(left)] or list(left)  # a cycle of decisions: one tier
        out.update((a, tier) for a in top)
        left = [a for a in left if a not in top]
        tier += 1
    return out
