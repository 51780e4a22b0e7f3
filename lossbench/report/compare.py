"""The comparisons table: a view of the verdicts (``lossbench.decisions``), never a test of its own.

Its rows: each arm against its baseline (``lossbench.results.baseline``), read from that side, then each factor's
levels over matched arms (one paired unit per seed), or, where a factor's two levels have one matched pair of arms,
that pair's own verdict, read later level first. The numbers are the verdict's: a pair shown here and in the
decision table has one difference, one interval, one p."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from lossbench.decisions import ARMS, LEVELS, Verdict
from lossbench.decisions.units import FACTORS
from lossbench.results.baseline import baseline_pairs, baseline_rule

if TYPE_CHECKING:
    from lossbench.results import SpecRecord


def comparisons(verdicts: Sequence[Verdict], spec: SpecRecord, arms: list[tuple[str, str]],
                baseline: str | None) -> tuple[list[Verdict], int, str]:
    """(the rows, how many of them come first as arms against their baseline, the baseline in words): the verdicts
    of each arm (key, cell) against its baseline, oriented arm first, then the factors' levels."""
    by_pair = {frozenset((v.arm, v.other)): v for v in verdicts if v.scope == ARMS}
    rows = []
    for arm, base in baseline_pairs(spec.stored, arms, baseline):
        found = by_pair.get(frozenset((arm, base)))
        if found is not None:
            rows.append(found if found.arm == arm else found.flipped())
    against = len(rows)
    shown = {frozenset((v.arm, v.other)) for v in rows}
    levels = {(v.factor, frozenset(v.levels)) for v in verdicts if v.scope == LEVELS}
    for v in verdicts:
        if v.scope == LEVELS:
            rows.append(v)
        elif v.factor in FACTORS and (v.factor, frozenset(v.levels)) not in levels and \
                frozenset((v.arm, v.other)) not in shown:
            rows.append(v.flipped())  # one matched pair: the later level against the earlier
    return rows, against, baseline_rule(spec.stored, baseline).described
