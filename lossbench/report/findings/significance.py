"""Which tests were made and what they show; for each one that is not significant, what it still rules out
and how many seeds would decide it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.report import fmt
from lossbench.report.findings.words import join
from lossbench.report.thresholds import ALPHA, POWER

if TYPE_CHECKING:
    from lossbench.report.compare import Comparison
    from lossbench.report.model import ReportModel


def sentences(model: ReportModel) -> list[str]:
    made = [c for c in model.comparisons if c.test is not None]
    if not made:
        return [_no_test(model)]
    out = [_summary(model, made)]
    for c in made:
        out.append(_significant(c) if c.significant else _not_significant(c, len(made), model.test))
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
    if significant < len(made):
        text += (f" For {'those' if significant else 'each'} not significant, the seeds needed assume a paired t-test "
                 f"at {ALPHA} on that comparison alone, power {POWER}, with the observed mean difference and its spread "
                 "taken as true; Holm's correction over several tests needs more.")
    untested = [c.label for c in model.comparisons if c.test is None]
    if untested:
        text += f" Not tested (fewer than 2 seeds with results on both sides): {join(untested)}."
    return text


def _caveat(c: Comparison) -> str:
    if not c.improving:
        return ""
    verb = "was" if len(c.improving) == 1 else "were"
    return f" This holds at this budget only: {join(c.improving)} {verb} still improving."


def _significant(c: Comparison) -> str:
    direction = "higher" if c.test.mean_difference > 0 else "lower"
    return (f"{c.label}: test accuracy {direction} by {fmt.signed(c.test.mean_difference)} over "
            f"{fmt.plural(c.test.n, 'pair')} of runs (95% interval {fmt.interval(c.interval)}, "
            f"Holm-adjusted p = {fmt.pvalue(c.p_holm)}), significant." + _caveat(c))


def _not_significant(c: Comparison, tests: int, test: str) -> str:
    text = (f"{c.label}: {fmt.signed(c.test.mean_difference)} over {fmt.plural(c.test.n, 'pair')} of runs, not "
            f"significant (Holm-adjusted p = {fmt.pvalue(c.p_holm)}).")
    if c.interval is not None:
        low, high = c.interval
        if low <= 0 <= high and max(-low, high) >= 1:  # accuracies differ by at most 1: nothing is ruled out
            text += (f" The 95% interval of the paired difference, {fmt.interval(c.interval)}, is wider than any "
                     "difference of test accuracies can be: it rules out nothing at this many seeds.")
        elif low <= 0 <= high:
            text += (f" The 95% interval of the paired difference, {fmt.interval(c.interval)}, rules out a difference "
                     f"larger than {fmt.num(max(-low, high))} in either direction.")
        else:
            name = "Wilcoxon" if test == "wilcoxon" else "paired t"
            text += (f" The 95% interval of the paired difference, {fmt.interval(c.interval)}, excludes 0, but the "
                     f"{name} test does not reach significance (p = {fmt.pvalue(c.test.p)} before Holm's correction "
                     f"over {tests}).")
    if c.seeds_needed is None:
        text += " The observed mean difference is 0: no number of seeds would detect it."
    elif c.seeds_needed >= stats.MAX_SEEDS:
        text += f" Detecting a difference this small would take more than {stats.MAX_SEEDS} seeds."
    else:
        dz = _dz(c)
        text += (f" A paired test would need about {c.seeds_needed} pairs to detect {fmt.signed(c.test.mean_difference)}"
                 + (f" (d_z = {fmt.num(dz, 2)})." if dz is not None else " (the same difference on every pair)."))
    return text + _caveat(c)


def _dz(c: Comparison) -> float | None:
    dz = abs(stats.cohen_dz(c.differences)) if len(c.differences) > 1 else math.inf
    return dz if math.isfinite(dz) else None


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
