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
    levels: dict[str, float]  # level -> mean test accuracy over the arms at that level
    spread: float | None  # best level - worst level; None with fewer than 2 levels measured


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
    effects = []
    for factor, index, levels in [("loss", 0, losses), ("cell", 1, cells), ("remedy", 2, remedies)]:
        means = {}
        for level in levels:
            values = [v for k, v in mean.items() if k[index] == level and v is not None]
            if values:
                means[level] = float(np.mean(values))
        spread = max(means.values()) - min(means.values()) if len(means) > 1 else None
        effects.append(MainEffect(factor, means, spread))
    effects.sort(key=lambda e: -1.0 if e.spread is None else e.spread, reverse=True)
    return Factorial(grids, effects)
