"""The factorial view: per cell, a loss x remedy-set grid of mean test accuracy; the main effect of each factor,
and whether the largest is larger than the next, judged by ``lossbench.decisions`` (its levels' own verdicts are
the family's: ``level_verdict``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lossbench.decisions import ARMS, LEVELS, Verdict, judge_values

if TYPE_CHECKING:
    from lossbench.report.summary import ArmSummary
    from lossbench.results import SpecRecord

FACTORS = ("loss", "cell", "remedy")
TIE = 5e-5  # spreads below this print as 0.0000 (every accuracy shows 4 decimals): the levels are tied


@dataclass
class Grid:
    cell: str
    losses: list[str]
    remedies: list[str]
    values: list[list[float | None]]  # [loss][remedy set]


@dataclass
class MainEffect:
    factor: str  # loss, cell or remedy
    levels: dict[str, float]  # level -> mean test accuracy over the matched arms at that level
    spread: float | None  # best level - worst level; None with fewer than 2 levels or no matched arms
    excluded: int = 0  # arms left out: their other factors lack a measured arm at some level
    contexts: list[tuple[str, ...]] = field(default_factory=list)  # the other two factors of each matched group

    @property
    def best(self) -> str | None:
        """The level with the highest mean; None when no level is above another (a tie, or one level)."""
        return max(self.levels, key=self.levels.get) if self.spread is not None and self.spread >= TIE else None

    @property
    def worst(self) -> str | None:
        return min(self.levels, key=self.levels.get) if self.spread is not None and self.spread >= TIE else None

    def arm(self, level: str, context: tuple[str, ...]) -> tuple[str, str, str]:
        index = FACTORS.index(self.factor)
        return context[:index] + (level,) + context[index:]  # type: ignore[return-value]


@dataclass
class Factorial:
    grids: list[Grid] = field(default_factory=list)
    effects: list[MainEffect] = field(default_factory=list)  # largest spread first
    contrast: Verdict | None = None  # the largest spread against the next, per shared seed (``judge_values``)


def build_factorial(spec: SpecRecord, arms: list[ArmSummary]) -> Factorial:
    """The grids, the main effects and their contrast, from the spec's factors and the arms' final test accuracy."""
    losses = list(dict.fromkeys(spec.losses or [a.loss for a in arms]))
    cells = list(dict.fromkeys(spec.cells or [a.cell for a in arms]))
    remedies = list(dict.fromkeys(spec.remedy_keys or [a.remedies for a in arms]))
    mean = {(a.loss, a.cell, a.remedies): a.acc_mean for a in arms}
    grids = [Grid(cell, losses, remedies, [[mean.get((loss, cell, r)) for r in remedies] for loss in losses])
             for cell in cells]
    effects = [_main_effect(factor, index, levels, mean)
               for factor, index, levels in [("loss", 0, losses), ("cell", 1, cells), ("remedy", 2, remedies)]]
    effects.sort(key=lambda e: -1.0 if e.spread is None else e.spread, reverse=True)
    factorial = Factorial(grids, effects)
    accuracy = {(a.loss, a.cell, a.remedies): a.accuracy for a in arms}
    if len([e for e in effects if e.spread is not None]) >= 2:
        factorial.contrast = spread_contrast(effects[0], effects[1], accuracy)
    return factorial


def _main_effect(factor: str, index: int, levels: list[str], mean: dict[tuple, float | None]) -> MainEffect:
    """Mean per level over matched arms only: those whose other two factors were measured at every level.

    A refused or fully diverged arm would otherwise make a level's mean come from easier (or harder) company
    than the others' and skew the spread.
    """
    by_rest: dict[tuple, dict[str, float]] = {}
    for key, value in mean.items():
        if value is not None and key[index] in levels:
            by_rest.setdefault(key[:index] + key[index + 1:], {})[key[index]] = value
    measured = [level for level in levels if any(level in group for group in by_rest.values())]
    matched = {rest: group for rest, group in by_rest.items() if len(group) == len(measured)}
    if not matched:
        return MainEffect(factor, {}, None, sum(len(group) for group in by_rest.values()))
    means = {level: float(np.mean([group[level] for group in matched.values()])) for level in measured}
    spread = max(means.values()) - min(means.values()) if len(means) > 1 else None
    excluded = sum(len(group) for group in by_rest.values()) - len(matched) * len(measured)
    return MainEffect(factor, means, spread, excluded, list(matched))


def level_verdict(verdicts: list[Verdict], e: MainEffect) -> Verdict | None:
    """The family's verdict on a main effect's best level against its worst (over its matched arms; where they are
    one pair of arms, that pair's), read best first; None where it has none."""
    if e.best is None or e.worst is None:
        return None
    factor = "remedies" if e.factor == "remedy" else e.factor
    ends = {e.best, e.worst}
    found = [v for v in verdicts if v.factor == factor and set(v.levels) == ends and v.scope == LEVELS]
    found = found or [v for v in verdicts if v.factor == factor and set(v.levels) == ends and v.scope == ARMS
                      and len(e.contexts) == 1]
    if not found:
        return None
    return found[0] if found[0].levels[0] == e.best else found[0].flipped()


def spread_contrast(first: MainEffect, second: MainEffect,
                    accuracy: dict[tuple, dict[int, float]]) -> Verdict | None:
    """Is ``first``'s spread larger than ``second``'s by more than chance? Per seed that every arm involved has,
    each spread is recomputed with its levels fixed (best and worst by mean; a tied factor's first and last) and
    the two are paired, judged by the one rule (``judge_values``). None with fewer than 2 such seeds, or when
    ``first`` is itself a tie."""
    if first.best is None or len(second.levels) < 2:
        return None
    ends = [(e, e.best or next(iter(e.levels)), e.worst or list(e.levels)[-1]) for e in (first, second)]
    arms = [[(e.arm(high, c), e.arm(low, c)) for c in e.contexts] for e, high, low in ends]
    seeds = set.intersection(*[set(accuracy.get(key) or {}) for pairs in arms for pair in pairs for key in pair])
    if len(seeds) < 2:
        return None
    spreads = [{s: float(np.mean([accuracy[hi][s] - accuracy[lo][s] for hi, lo in pairs])) for s in sorted(seeds)}
               for pairs in arms]
    return judge_values(first.factor, second.factor, spreads[0], spreads[1], "spread of mean test accuracy")
