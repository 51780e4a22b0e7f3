"""Paired tests of final-phase test accuracy: each arm against its baseline, and each factor's levels over
matched arms; Holm-corrected together.

Pairing unit. An arm against its baseline: one pair per seed both have. A factor (loss, cell or remedy set):
one pair per matched pair of arms (the two levels with the other two factors equal) and shared seed, so
"focal vs ce" over cells gru and lstm pairs focal:gru:none with ce:gru:none seed by seed, and focal:lstm:none
with ce:lstm:none. Losses are compared with the baseline's loss, remedy sets with the baseline's remedy set,
cells with each other. A factor comparison that is one matched pair already compared as arm and baseline is
not made twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.report.factorial import FACTORS
from lossbench.report.thresholds import ALPHA
from lossbench.results.baseline import baseline_pairs, baseline_rule

if TYPE_CHECKING:
    from lossbench.report.summary import ArmSummary
    from lossbench.results import SpecRecord


@dataclass
class Comparison:
    arm: str  # an arm key, or (factor comparisons) the level compared
    baseline: str  # the baseline arm key, or the reference level
    seeds: list[int]  # seeds with a result on both sides (factor comparisons: over every matched pair)
    test: stats.PairedTest | None
    p_holm: float | None = None
    factor: str | None = None  # None: an arm against its baseline; else loss, cell or remedy
    pairs: list[tuple[str, str]] = field(default_factory=list)  # the matched (arm, baseline arm) keys
    differences: list[float] = field(default_factory=list)  # arm - baseline, one per pair of runs
    interval: tuple[float, float] | None = None  # 95% t interval of the mean difference
    seeds_needed: int | None = None  # for a paired test to detect the observed difference
    improving: list[str] = field(default_factory=list)  # arms on either side still improving at the last epoch

    @property
    def significant(self) -> bool:
        return self.p_holm is not None and self.p_holm < ALPHA

    @property
    def label(self) -> str:
        if self.factor is None:
            return f"{self.arm} against {self.baseline}"
        return f"{self.factor} {self.arm} against {self.baseline} (over {len(self.pairs)} matched pairs of arms)"


def compare(arms: list[ArmSummary], spec: SpecRecord, baseline: str | None,
            test: str) -> tuple[list[Comparison], str]:
    """Every comparison the sweep supports, tested and Holm-corrected together; and the baseline in words."""
    by_key = {a.key: a for a in arms}
    rule = baseline_rule(spec.stored, baseline)
    comparisons = [_paired(arm, base, None, [(by_key[arm], by_key[base])], test)
                   for arm, base in baseline_pairs(spec.stored, [(a.key, a.cell) for a in arms], baseline)]
    done = {frozenset(c.pairs[0]) for c in comparisons}
    for factor, level, other in _level_pairs(spec, rule.loss, rule.remedies):
        matched = _matched(arms, factor, level, other)
        if not matched or (len(matched) == 1 and frozenset(a.key for a in matched[0]) in done):
            continue
        comparisons.append(_paired(level, other, factor, matched, test))
    tested = [c for c in comparisons if c.test is not None]
    for c, adjusted in zip(tested, stats.holm([c.test.p for c in tested])):
        c.p_holm = adjusted
    return comparisons, rule.described


def _level_pairs(spec: SpecRecord, loss: str, remedies: str) -> list[tuple[str, str, str]]:
    """(factor, level, reference level): losses against the baseline's, remedy sets against its, cells pairwise."""
    losses = list(dict.fromkeys(spec.losses))
    cells = list(dict.fromkeys(spec.cells))
    remedy_sets = list(dict.fromkeys(spec.remedy_keys))
    out = [("loss", level, loss) for level in losses if level != loss and loss in losses]
    out += [("cell", b, a) for a, b in combinations(cells, 2)]
    out += [("remedy", level, remedies) for level in remedy_sets if level != remedies and remedies in remedy_sets]
    return out


def _matched(arms: list[ArmSummary], factor: str, level: str, other: str) -> list[tuple[ArmSummary, ArmSummary]]:
    """(arm at ``level``, arm at ``other``) for every setting of the other two factors where both have results."""
    index = FACTORS.index(factor)
    by_levels = {(a.loss, a.cell, a.remedies): a for a in arms if a.accuracy}
    matched = []
    for key, arm in by_levels.items():
        if key[index] != level:
            continue
        partner = by_levels.get(key[:index] + (other,) + key[index + 1:])
        if partner is not None and set(arm.accuracy) & set(partner.accuracy):
            matched.append((arm, partner))
    return matched


def _paired(name: str, against: str, factor: str | None, matched: list[tuple[ArmSummary, ArmSummary]],
            test: str) -> Comparison:
    left, right, seeds = [], [], set()
    for arm, base in matched:
        shared = sorted(set(arm.accuracy) & set(base.accuracy))
        left += [arm.accuracy[s] for s in shared]
        right += [base.accuracy[s] for s in shared]
        seeds |= set(shared)
    differences = [a - b for a, b in zip(left, right)]
    comparison = Comparison(name, against, sorted(seeds), stats.paired_test(left, right, test), factor=factor,
                            pairs=[(a.key, b.key) for a, b in matched], differences=differences)
    comparison.interval = stats.t_interval(differences)
    comparison.improving = sorted({a.key for pair in matched for a in pair if a.improving})
    return comparison


def add_power(comparisons: list[Comparison], test: str) -> None:
    """Seeds needed, for the comparisons that are not significant (statsmodels is imported only then)."""
    for c in comparisons:
        if c.test is not None and not c.significant:
            c.seeds_needed = stats.seeds_needed(c.differences, test)
