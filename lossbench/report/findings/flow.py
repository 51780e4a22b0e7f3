"""Gradient flow through time, per cell and remedy set (never a median over arms that differ in the remedy):
the first step's gradient as a share of the last step's, at initialisation and after training."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.findings.words import join, remedies

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence
    from lossbench.report.summary import ArmSummary

DECADE = 10.0  # a remedy "raises" or "lowers" the ratio when it moves it by at least this factor


def sentences(report: Evidence) -> list[str]:
    arms = [a for a in report.arms if a.ratio_init is not None or a.ratio_final is not None]
    if not arms:
        return []
    unequal = [a for a in arms if a.unequal_lengths]
    if unequal and not all(a.flow_alignment for a in unequal):
        return ["The sequences have unequal lengths and these runs recorded no alignment of their gradient-flow "
                "profiles, which may count padded steps (whose gradient is exactly 0): their first/last ratios are "
                "not read as vanishing here."]
    out = []
    if unequal:
        out.append("The sequences have unequal lengths: every gradient-flow profile aligns each sequence at its own "
                   "last valid step, so padding never enters; the first step is that of the longest sequences.")
    cells = []
    for cell in dict.fromkeys(a.cell for a in arms):
        moments = [text for when, attribute in (("at initialisation", "ratio_init"), ("after training", "ratio_final"))
                   if (text := _cell([a for a in arms if a.cell == cell], when, attribute))]
        if moments:
            cells.append(f"on {cell}, " + ", and ".join(moments))
    if cells:
        steps = max((len(a.flow_init or a.flow_final) for a in arms), default=0)
        first = f"the first of {steps} time steps" if steps else "the first time step"
        out.append(f"The gradient reaching {first} of a sequence, as a share of the last time step's (a range: "
                   f"over the losses): " + "; ".join(cells) + " (the gradients table gives each arm's).")
    return out


def _cell(arms: list[ArmSummary], when: str, attribute: str) -> str | None:
    groups: dict[str, list[float]] = {}
    for arm in arms:
        ratio = getattr(arm, attribute)
        if ratio is not None:
            groups.setdefault(arm.remedies, []).append(ratio)
    if not groups:
        return None
    reference = "none" if "none" in groups else next(iter(groups))
    text = f"{when} {_value(groups[reference])} with {remedies(reference)}"
    changes = [_change(name, groups[name], groups[reference]) for name in groups if name != reference]
    return text + (", " + join(changes) if changes else "")


def _value(ratios: list[float]) -> str:
    """One arm's median over seeds, or the range over the arms (losses) of one remedy set."""
    low, high = min(ratios), max(ratios)
    if len(ratios) == 1 or low == high:
        return fmt.sci(low)
    return f"{fmt.sci(low)} to {fmt.sci(high)}"


def _change(name: str, ratios: list[float], reference: list[float]) -> str:
    middle, base = _geometric_middle(ratios), _geometric_middle(reference)
    if middle is None or base is None:
        return f"{name} gives {_value(ratios)}"
    if middle == base:
        return f"{name} leaves it at {_value(ratios)}"
    if middle >= base * DECADE:
        return f"{name} raises it to {_value(ratios)}"
    if middle * DECADE <= base:
        return f"{name} lowers it to {_value(ratios)}"
    return f"{name} leaves it within a factor of {DECADE:g}, at {_value(ratios)}"


def _geometric_middle(ratios: list[float]) -> float | None:
    positive = [r for r in ratios if r > 0]
    if len(positive) != len(ratios):
        return 0.0 if not positive else None  # underflow to 0 on some arms: no middle on a log scale
    return math.exp(sum(math.log(r) for r in positive) / len(positive))
