"""The family a sweep judges, once: every pair of arms that differ in one factor, the pairs a caller adds (an arm
and its baseline, a claim's two arms), and each factor's levels over matched arms; tested together, Holm-corrected
once (``lossbench.stats.holm``), each judged by ``rule.judge`` at the level Holm tested it at.

The race (``seeds = "auto"``) judges the same family at ``race_alpha``: alpha over the looks it plans (its rounds of
seeds and its cap steps; Bonferroni over looks), so that the family-wise error stays at most alpha however the race
ends; the report judges a raced
sweep at that level too, so that a pair the race left open never reads decided."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from lossbench import stats
from lossbench.decisions.arms import JudgedArm
from lossbench.decisions.rule import MARGIN, SEEDS_WORTH, judge, untested
from lossbench.decisions.units import extra_pairs, level_pairs, one_factor_pairs
from lossbench.decisions.verdict import ARMS, NOT_TRAINING, OPEN, Verdict
from lossbench.convergence import CHANCE_MARGIN
from lossbench.stats import ALPHA

ROUNDS = (3, 5, 7, 10)  # the race's rounds of seeds (capped at the spec's maximum)


def schedule(max_seeds: int) -> list[int]:
    """The seeds of each look of a race up to ``max_seeds``."""
    return [n for n in ROUNDS if n < max_seeds] + [max_seeds]


def cap_steps(epochs: int | None, max_epochs: int | None) -> list[int]:
    """The caps a race may raise an arm's runs to: doubling from ``epochs``, the last one ``max_epochs``."""
    steps, cap = [], epochs or 0
    while cap and max_epochs and cap < max_epochs:
        cap = min(2 * cap, max_epochs)
        steps.append(cap)
    return steps


def race_alpha(max_seeds: int | None, alpha: float = ALPHA, epochs: int | None = None,
               max_epochs: int | None = None, looks: int = 0) -> float:
    """The level each look of a race decides at: alpha / the looks it plans, one per round of seeds up to
    ``max_seeds`` and one per cap step from ``epochs`` up to ``max_epochs`` (Bonferroni over looks); never fewer
    than ``looks``, the looks it planned before it grew (a raised ``epochs`` plans fewer cap steps, and a level
    loosened after looks were taken at the stricter one would spend more than alpha)."""
    if not max_seeds:
        return alpha
    return alpha / max(looks, len(schedule(max_seeds)) + len(cap_steps(epochs, max_epochs)))


def decide(arms: list[JudgedArm], alpha: float = ALPHA, workers: int = 1, pairs: Iterable[tuple[str, str]] = (),
           test: str = "t", margin: float = MARGIN, reach: tuple[int, int] | None = None) -> list[Verdict]:
    """Every pair of the family, decided or open with why: the one-factor pairs of ``arms``, then ``pairs`` (arm
    keys) not among them, then the factors' levels. ``alpha`` is the family's level (a race's: ``race_alpha``);
    ``test`` the paired test whose p-values Holm corrects (``t``; ``wilcoxon`` where a report asks for it).
    ``reach``: a race's (most seeds, max_epochs): an open pair of arms that only training past max_epochs, or
    more seeds than that, would decide says so (``Verdict.reach``)."""
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
    verdicts = [v for v in out if v is not None]
    return verdicts if reach is None else [out_of_reach(v, {a.key: a for a in arms}, *reach) for v in verdicts]


def out_of_reach(verdict: Verdict, arms: dict[str, JudgedArm], max_seeds: int, max_epochs: int) -> Verdict:
    """An open pair of arms that only epochs past ``max_epochs`` (its arms to train longer are at that cap), or
    more seeds than ``max_seeds`` would decide, with that said; any other verdict as it is."""
    if verdict.kind != OPEN or verdict.scope != ARMS:
        return verdict
    if verdict.needs_epochs is not None:
        capped = [arms[k] for k in verdict.longer if k in arms]
        if capped and all((a.epochs_cap or 0) >= max_epochs for a in capped):
            return replace(verdict, reach="epochs", why=f"{verdict.why}; out of reach at the caps: "
                                                         f"{', '.join(a.key for a in capped)} already trained to "
                                                         f"max_epochs = {max_epochs}")
        return verdict
    need = verdict.even_chance_seeds or verdict.needs_seeds
    if need is not None and need > max_seeds:
        return replace(verdict, reach="seeds", why=f"{verdict.why}; {beyond_seeds(verdict, max_seeds)}")
    return verdict


def beyond_seeds(verdict: Verdict, max_seeds: int) -> str:
    """Why the most seeds of a sweep do not decide an open pair, in the answer's words: within the noise where it
    would need more than ``SEEDS_WORTH`` (no advice offers them), else out of reach at the most (``--seeds`` raises
    it)."""
    need = verdict.needs_seeds or verdict.even_chance_seeds  # the answer's measure (power 0.8), as advice reads it
    if need is None or need > SEEDS_WORTH:
        return f"within the noise (it would need more than {SEEDS_WORTH} seeds)"
    return f"out of reach at this sweep's most of {max_seeds} seeds (a larger --seeds reaches it)"
