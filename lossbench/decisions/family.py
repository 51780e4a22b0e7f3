"""The family a sweep judges, once: every pair of arms that differ in one factor, the pairs a caller adds (an arm
and its baseline, a claim's two arms), and each factor's levels over matched arms; tested together, Holm-corrected
once (``lossbench.stats.holm``), each judged by ``rule.judge`` at the level Holm tested it at.

The race (``seeds = "auto"``) judges the same family at ``race_alpha``: alpha over the looks it plans (Bonferroni
over looks), so that the family-wise error stays at most alpha however the race ends; the report judges a raced
sweep at that level too, so that a pair the race left open never reads decided."""

from __future__ import annotations

from typing import Iterable

from lossbench import stats
from lossbench.decisions.arms import Arm
from lossbench.decisions.rule import MARGIN, judge, untested
from lossbench.decisions.units import extra_pairs, level_pairs, one_factor_pairs
from lossbench.decisions.verdict import NOT_TRAINING, Verdict
from lossbench.convergence import CHANCE_MARGIN
from lossbench.stats import ALPHA

ROUNDS = (3, 5, 7, 10)  # the race's rounds of seeds (capped at the spec's maximum)


def schedule(max_seeds: int) -> list[int]:
    """The seeds of each look of a race up to ``max_seeds``."""
    return [n for n in ROUNDS if n < max_seeds] + [max_seeds]


def race_alpha(max_seeds: int | None, alpha: float = ALPHA) -> float:
    """The level each look of a race up to ``max_seeds`` decides at: alpha / the looks planned."""
    return alpha / len(schedule(max_seeds)) if max_seeds else alpha


def decide(arms: list[Arm], alpha: float = ALPHA, workers: int = 1, pairs: Iterable[tuple[str, str]] = (),
           test: str = "t", margin: float = MARGIN) -> list[Verdict]:
    """Every pair of the family, decided or open with why: the one-factor pairs of ``arms``, then ``pairs`` (arm
    keys) not among them, then the factors' levels. ``alpha`` is the family's level (a race's: ``race_alpha``);
    ``test`` the paired test whose p-values Holm corrects (``t``; ``wilcoxon`` where a report asks for it)."""
    candidates = one_factor_pairs(arms) + extra_pairs(arms, pairs) + level_pairs(arms)
    out: list[Verdict | None] = []
    tested = []
    for pair in candidates:
        if pair.both_at_chance:
            out.append(untested(pair, f"both sides within {CHANCE_MARGIN} of chance: not training at this budget "
                                      f"of {pair.a.epochs_cap} epochs, so no number of seeds would compare them "
                                      f"(train longer, or retune, first)", kind=NOT_TRAINING))
            continue
        found = stats.paired_test(list(pair.units), [0.0] * len(pair.units), test, pair.grain)
        if found is None:
            out.append(untested(pair, "fewer than 2 seeds run by both sides", needs_seeds=3))
            continue
        tested.append((len(out), pair, found))
        out.append(None)
    pvalues = [found.p for *_, found in tested]
    for (index, pair, found), p_adj, step in zip(tested, stats.holm(pvalues), stats.holm_levels(pvalues, alpha)):
        out[index] = judge(pair, found, step, p_adj, alpha, workers, margin)
    return [v for v in out if v is not None]
