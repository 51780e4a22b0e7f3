"""Which tests were made and what they show, in one sentence: the significant ones with their interval, the
others listed by their difference (the comparisons table gives each one's interval, p, what it rules out and the
seeds that would decide it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.report import fmt
from lossbench.report.findings.words import join
from lossbench.report.thresholds import ALPHA

if TYPE_CHECKING:
    from lossbench.report.compare import Comparison
    from lossbench.report.model import ReportModel


def sentences(model: ReportModel) -> list[str]:
    made = [c for c in model.comparisons if c.test is not None]
    if not made:
        return [_no_test(model)]
    out = [_summary(model, made) + _results(made, model.test)]
    floor = _wilcoxon_floor(model, made)
    return out + ([floor] if floor else [])


def _no_test(model: ReportModel) -> str:
    measured = [a for a in model.arms if a.accuracy]
    if len(measured) < 2:
        why = "fewer than 2 arms have final-phase results, so there is nothing to compare"
    elif not model.comparisons:
        why = (f"no arm has a baseline ({model.baseline}) in this sweep, and no factor has two levels measured on "
               "matched arms")
    else:
        why = "no comparison has 2 or more seeds with results on both sides"
    return f"No significance test was made: {why}."


def _summary(model: ReportModel, made: list[Comparison]) -> str:
    kinds = [f"{fmt.plural(n, 'arm')} against the baseline ({model.baseline})"
             for n in [sum(1 for c in made if c.factor is None)] if n]
    kinds += [f"{factor} levels ({join([f'{c.arm} vs {c.baseline}' for c in made if c.factor == factor])})"
              for factor in dict.fromkeys(c.factor for c in made if c.factor)]
    significant = sum(1 for c in made if c.significant)
    text = (f"Tests made ({'Wilcoxon signed-rank' if model.test == 'wilcoxon' else 'paired t'}, paired over shared "
            f"seeds; factor levels over matched arms x shared seeds): {join(kinds)}; {significant} of {len(made)} "
            f"significant after Holm's correction over all {len(made)} at {ALPHA}.")
    untested = [c.label for c in model.comparisons if c.test is None]
    if untested:
        text += f" Not tested (fewer than 2 seeds with results on both sides): {join(untested)}."
    return text


def _results(made: list[Comparison], test: str) -> str:
    """The significant ones by name, difference and interval; the others by difference, with the seeds each
    would need and, where its 95% interval excludes 0 all the same, why that is no contradiction."""
    significant = [f"{c.label} {fmt.signed(c.test.mean_difference, 3)} ({fmt.interval(c.interval, 3, sign=True)})"
                   + (" at this budget only" if c.improving else "") for c in made if c.significant]
    others = sorted((c for c in made if not c.significant), key=lambda c: -abs(c.test.mean_difference))
    text = f" Significant: {join(significant)}." if significant else ""
    if others:
        largest = others[0]
        text += (f" Not significant: {len(others)}, the largest difference {largest.label} "
                 f"{fmt.signed(largest.test.mean_difference, 3)}{_needs(largest)}; the comparisons table gives "
                 "each one's interval, p and the seeds it would need.")
        moving = [c for c in others if c.improving]
        if moving:
            text += (f" {len(moving)} of them {'holds' if len(moving) == 1 else 'hold'} at this budget only: an arm "
                     "involved was still improving.")
    if any(_interval_excludes_zero(c) for c in made if not c.significant):
        test = "Wilcoxon" if test == "wilcoxon" else "paired t"
        text += (f" Where a 95% interval excludes 0 yet the test is not significant, there is no contradiction: the "
                 f"interval is a t interval for that comparison alone, while the {test} test's p is adjusted (Holm) "
                 f"for all {len(made)} tests made, which asks for stronger evidence.")
    return text


def _needs(c: Comparison) -> str:
    if c.seeds_needed is None:
        return " (no difference to detect)"
    if c.seeds_needed >= stats.MAX_SEEDS:
        return f" (more than {stats.MAX_SEEDS} seeds to detect)"
    return f" (about {c.seeds_needed} seeds to detect)"


def _interval_excludes_zero(c: Comparison) -> bool:
    return c.interval is not None and not (c.interval[0] <= 0 <= c.interval[1])


def _wilcoxon_floor(model: ReportModel, made: list[Comparison]) -> str | None:
    """Wilcoxon's exact two-sided p cannot go below 2 / 2^n over n pairs: say when no result could be significant
    after Holm's correction (each test at its own floor, the smallest first)."""
    if model.test != "wilcoxon":
        return None
    floors = sorted(stats.wilcoxon_min_p(c.test.n) for c in made)
    m = len(floors)
    if floors[0] * m < ALPHA:  # Holm's first step: the smallest p times the number of tests
        return None
    n = max(c.test.n for c in made)
    needed = next(k for k in range(n, 64) if stats.wilcoxon_min_p(k) * m < ALPHA)
    return (f"With at most {n} pairs of runs per comparison the smallest exact p-value of a Wilcoxon test is "
            f"{fmt.pvalue(stats.wilcoxon_min_p(n))}, so no comparison could reach significance after Holm's correction "
            f"over {m}; that needs at least {needed} pairs (seeds, for an arm against its baseline).")
