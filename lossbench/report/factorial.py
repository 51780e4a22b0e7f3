"""The factorial view: per cell, a loss x remedy-set grid of mean test accuracy; the main effect of each factor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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


@dataclass
class Factorial:
    grids: list[Grid] = field(default_factory=list)
    effects: list[MainEffect] = field(default_factory=list)  # largest spread first


def build_factorial(model: Any) -> Factorial:
    spec = model.spec
    losses = list(dict.fromkeys(spec.get("losses") or [a.loss for a in model.arms]))
    cells = list(dict.fromkeys(spec.get("cells") or [a.cell for a in model.arms]))
    remedies = list(dict.fromkeys(["+".join(s) or "none" for s in spec.get("remedy_sets") or []]
                                  or [a.remedies for a in model.arms]))
    mean = {(a.loss, a.cell, a.remedies): a.acc_mean for a in model.arms}
    grids = [Grid(cell, losses, remedies, [[mean.get((loss, cell, r)) for r in remedies] for loss in losses])
             for cell in cells]
    effects = [_main_effect(factor, index, levels, mean)
               for factor, index, levels in [("loss", 0, losses), ("cell", 1, cells), ("remedy", 2, remedies)]]
    effects.sort(key=lambda e: -1.0 if e.spread is None else e.spread, reverse=True)
    return Factorial(grids, effects)


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
    matched = [group for group in by_rest.values() if len(group) == len(measured)]
    if not matched:
        return MainEffect(factor, {}, None, sum(len(group) for group in by_rest.values()))
    means = {level: float(np.mean([group[level] for group in matched])) for level in measured}
    spread = max(means.values()) - min(means.values()) if len(means) > 1 else None
    excluded = sum(len(group) for group in by_rest.values()) - len(matched) * len(measured)
    return MainEffect(factor, means, spread, excluded)
