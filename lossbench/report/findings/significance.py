"""What the family of verdicts shows, in one sentence: how many pairs were tested and decided, the decided ones with
their interval, the largest open one with what would decide it (the decision table gives each one's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.report import fmt
from lossbench.report.findings.words import join

if TYPE_CHECKING:
    from lossbench.decisions import Verdict
    from lossbench.report.evidence import Evidence


def sentences(report: Evidence) -> list[str]:
    tested = [v for v in report.decisions if v.p is not None]
    if not tested:
        return [_no_test(report)]
    out = [_summary(report, tested) + _results(tested) + _no_contradiction(report, tested)]
    floor = _wilcoxon_floor(report, tested)
    return out + ([floor] if floor else [])


def _no_test(report: Evidence) -> str:
    measured = [a for a in report.arms if a.accuracy]
    if len(measured) < 2:
        why = "fewer than 2 arms have final-phase results, so there is nothing to compare"
    elif not report.decisions:
        why = "no two arms with results differ in one factor, and no baseline or claim pairs them"
    else:
        why = "no pair has 2 or more seeds with results on both sides (or both sides sit at chance)"
    return f"No significance test was made: {why}."


def _summary(report: Evidence, tested: list[Verdict]) -> str:
    test = "Wilcoxon signed-rank" if report.test == "wilcoxon" else "paired t"
    decided = sum(1 for v in tested if v.decided)
    raced = (f", the race's level (alpha {stats.ALPHA} over its {round(stats.ALPHA / report.alpha)} planned looks)"
             if report.sequential else "")
    return (f"Pairs judged ({test} over one paired unit per seed; a factor's levels over matched arms): "
            f"{len(tested)} tested, {decided} decided after Holm's correction over all {len(tested)} at "
            f"{report.alpha:.4g}{raced}.")


def _results(tested: list[Verdict]) -> str:
    """The decided ones by name, difference and interval; the largest open one with what would decide it."""
    ahead = [v if v.kind == "better" else v.flipped() for v in tested if v.separated]  # the winner first
    shown = [f"{_label(v)} {fmt.signed(v.difference, 3)} ({fmt.interval(v.interval, 3, sign=True)})" for v in ahead]
    text = f" Decided apart: {join(shown)}." if shown else ""
    open_ = sorted((v for v in tested if v.kind == "open"), key=lambda v: -abs(v.difference or 0.0))
    if open_:
        largest = open_[0]
        text += (f" Open: {len(open_)}, the largest difference {_label(largest)} {fmt.signed(largest.difference, 3)}"
                 f"{_needs(largest)}; the decision table gives each one's interval, p and what would decide it.")
    return text


def _no_contradiction(report: Evidence, tested: list[Verdict]) -> str:
    """A Wilcoxon family can leave a pair open whose t interval excludes 0: say why that is no contradiction."""
    if not any(v.interval and not v.interval[0] <= 0 <= v.interval[1] and v.p is not None and v.p > report.alpha
               for v in tested):
        return ""
    return (" Where an interval excludes 0 yet the pair is not significant, there is no contradiction: the interval is a "
            "t interval for that pair, while the Wilcoxon test's p is adjusted (Holm) over the family, and Wilcoxon "
            "needs more seeds than the t-test to reach the same p.")


def _label(v: Verdict) -> str:
    if v.scope == "levels":
        return f"{v.factor} {v.arm} against {v.other} (over {len(v.pairs)} matched pairs of arms)"
    return f"{v.arm} against {v.other}"


def _needs(v: Verdict) -> str:
    if v.needs_epochs is not None:
        return f" (train longer first: about {v.needs_epochs} epochs)"
    if v.needs_seeds is None:
        return " (no difference to detect)"
    if v.needs_seeds >= stats.MAX_SEEDS:
        return f" (more than {stats.MAX_SEEDS} seeds to detect)"
    return f" (about {v.needs_seeds} seeds to decide)"


def _wilcoxon_floor(report: Evidence, tested: list[Verdict]) -> str | None:
    """Wilcoxon's exact two-sided p cannot go below 2 / 2^n over n pairs: say when no result could be significant
    after Holm's correction (each test at its own floor, the smallest first)."""
    if report.test != "wilcoxon":
        return None
    floors = sorted(stats.wilcoxon_min_p(v.seeds) for v in tested)
    m = len(floors)
    if floors[0] * m < report.alpha:  # Holm's first step: the smallest p times the number of tests
        return None
    n = max(v.seeds for v in tested)
    needed = next(k for k in range(n, 64) if stats.wilcoxon_min_p(k) * m < report.alpha)
    return (f"With at most {n} seeds per pair the smallest exact p-value of a Wilcoxon test is "
            f"{fmt.pvalue(stats.wilcoxon_min_p(n))}, so no pair could reach significance after Holm's correction "
            f"over {m}; that needs at least {needed} seeds.")
