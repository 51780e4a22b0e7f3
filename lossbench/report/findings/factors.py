"""Main effects: how much each factor moves mean test accuracy, and whether one matters more than another
(only when the difference between their spreads is significant; a tie never reads as a winner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.findings.words import join
from lossbench.report.factorial import level_verdict

if TYPE_CHECKING:
    from lossbench.report.factorial import MainEffect
    from lossbench.report.evidence import Evidence


def sentences(report: Evidence) -> list[str]:
    effects = [e for e in report.factorial.effects if e.spread is not None]
    if not effects:
        return []
    text = ("Averaged over the matched arms of the other factors, going from the worst to the best level changes "
            "mean test accuracy by " + join([_effect(e) + _verdict(report, e) for e in effects]))
    if len(effects) > 1:
        text += _which_matters_more(report, effects[0], effects[1])
    improving = [a for a in report.arms if a.improving]
    if improving:
        text += (f"; these are the levels' order at this budget only, with {len(improving)} of {len(report.arms)} arms "
                 "still improving")
    excluded = [f"{e.excluded} for the {e.factor}" for e in effects if e.excluded]
    if excluded:
        text += f" (arms left out because a level they would be compared with has no result: {join(excluded)})"
    return [text + "."]


def _effect(e: MainEffect) -> str:
    if e.best is None:  # every level at the same mean: no best and no worst
        level = next(iter(e.levels.values()))
        return f"{fmt.num(e.spread)} for the {e.factor} ({join(list(e.levels))} all at {fmt.num(level)})"
    return (f"{fmt.num(e.spread)} for the {e.factor} (best {e.best} at {fmt.num(e.levels[e.best])}, worst {e.worst} "
            f"at {fmt.num(e.levels[e.worst])})")


def _verdict(report: Evidence, e: MainEffect) -> str:
    """What the family's verdict on the best level against the worst says of the spread."""
    v = level_verdict(report.decisions, e)
    if v is None:
        return ""
    if v.kind == "better":
        return " (decided)"
    if v.kind == "equivalent":
        return f" (tied within ±{v.margin:g}: decided)"
    return " (not yet separated: open)" if v.kind == "open" else f" ({v.kind})"


def _which_matters_more(report: Evidence, first: MainEffect, second: MainEffect) -> str:
    contrast = report.factorial.contrast
    if contrast is None:
        why = "its levels are tied" if first.best is None else "fewer than 2 seeds shared by all the arms involved"
        return f"; whether the {first.factor} matters more than the {second.factor} cannot be tested ({why})"
    if contrast.p is None:
        return (f"; whether the {first.factor} matters more than the {second.factor} cannot be tested "
                f"({contrast.why})")
    numbers = (f"the {first.factor}'s spread exceeds the {second.factor}'s by {fmt.signed(contrast.difference)} "
               f"per seed, paired t p = {fmt.pvalue(contrast.p)} over {fmt.plural(contrast.seeds, 'seed')}")
    if contrast.kind == "better":
        return f": the {first.factor} matters most here ({numbers})"
    return (f"; the {first.factor} and the {second.factor} do not differ significantly ({numbers}), so neither "
            "clearly matters more")
