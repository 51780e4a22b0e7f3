"""The pairs a sweep judges and their paired units: one unit per seed, never one seed twice.

Two arms: the difference of their test accuracies on each seed both ran. Two levels of a factor over matched
arms (``focal`` against ``ce`` where both ran with the same cell and remedies): on each seed that every matched
arm ran, the mean over the matched pairs of their differences. Matched arms are not independent pairs: where a
remedy never fires, its arm repeats the plain arm seed for seed, and pooling both pairs as pairs would count
every seed twice; the mean per seed counts it once. Runs identical seed for seed are found and named."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

from lossbench.decisions.arms import JudgedArm
from lossbench.decisions.verdict import ARMS, LEVELS

FACTORS = ("loss", "cell", "remedies")


@dataclass(frozen=True)
class Side:
    """One side of a pair: an arm, or a factor's level over its matched arms."""

    key: str
    arms: tuple[JudgedArm, ...]

    @property
    def still_improving(self) -> bool:
        return any(a.still_improving for a in self.arms)

    @property
    def gain_per_epoch(self) -> float:
        return max(a.gain_per_epoch for a in self.arms if a.still_improving) if self.still_improving else 0.0

    @property
    def epochs_cap(self) -> int | None:
        caps = [a.epochs_cap for a in self.arms if a.epochs_cap is not None]
        return max(caps) if caps else None

    def could_gain(self, epochs: int) -> float:
        return max(a.could_gain(epochs) for a in self.arms)

    @property
    def at_chance(self) -> bool:
        """Every arm of the side is within the chance margin: not training at this budget."""
        return all(a.at_chance for a in self.arms)

    def state(self) -> str:
        """Why the side was no longer improving, in words (its arm's, or each matched arm's where they differ)."""
        states = list(dict.fromkeys(a.state() for a in self.arms))
        return states[0] if len(states) == 1 else "; ".join(f"{a.key} {a.state()}" for a in self.arms)

    @property
    def seconds_per_run(self) -> float | None:
        """Seconds for one more seed of this side: a run of each of its arms."""
        seconds = [a.seconds_per_run for a in self.arms]
        return None if None in seconds else sum(seconds)  # type: ignore[arg-type]

    @property
    def runs(self) -> int:
        return sum(len(a.accuracy) for a in self.arms)

    @property
    def improving(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.arms if a.still_improving)


@dataclass(frozen=True)
class Pair:
    a: Side
    b: Side
    factor: str  # loss, cell, remedies; "arms" for arms differing in more than one
    levels: tuple[str, str]
    scope: str  # ARMS or LEVELS
    seeds: tuple[int, ...]
    units: tuple[float, ...]  # a - b per seed
    grain: float | None
    identical: tuple[tuple[str, str], ...]  # matched pairs identical seed for seed

    @property
    def matched(self) -> tuple[tuple[str, str], ...]:
        return tuple((x.key, y.key) for x, y in zip(self.a.arms, self.b.arms))

    @property
    def both_at_chance(self) -> bool:
        return self.a.at_chance and self.b.at_chance


def differing(a: JudgedArm, b: JudgedArm) -> list[str]:
    return [f for f in FACTORS if getattr(a, f) != getattr(b, f)]


def arm_pair(a: JudgedArm, b: JudgedArm) -> Pair:
    """Two arms, paired over the seeds both ran."""
    differ = differing(a, b)
    factor = differ[0] if len(differ) == 1 else "arms"
    levels = (getattr(a, factor), getattr(b, factor)) if factor != "arms" else (a.key, b.key)
    return _paired(Side(a.key, (a,)), Side(b.key, (b,)), factor, levels, ARMS)


def one_factor_pairs(arms: list[JudgedArm]) -> list[Pair]:
    """Every pair of arms that differ in exactly one factor."""
    return [arm_pair(a, b) for i, a in enumerate(arms) for b in arms[i + 1:] if len(differing(a, b)) == 1]


def extra_pairs(arms: list[JudgedArm], wanted: Iterable[tuple[str, str]]) -> list[Pair]:
    """The pairs of arms ``wanted`` (a baseline's, a claim's) that are not one-factor pairs already, each once."""
    by_key = {a.key: a for a in arms}
    seen, out = set(), []
    for x, y in wanted:
        key = frozenset((x, y))
        if x == y or key in seen or x not in by_key or y not in by_key:
            continue
        seen.add(key)
        if len(differing(by_key[x], by_key[y])) != 1:
            out.append(arm_pair(by_key[x], by_key[y]))
    return out


def level_pairs(arms: list[JudgedArm]) -> list[Pair]:
    """Each factor's levels, two at a time, over the arms matched in the other two factors: only where two or more
    matched pairs have results (one matched pair is its arms' own comparison)."""
    out = []
    for factor in FACTORS:
        levels = list(dict.fromkeys(getattr(a, factor) for a in arms))
        for reference, level in combinations(levels, 2):
            matched = _matched(arms, factor, level, reference)
            if len(matched) >= 2:
                sides = Side(level, tuple(x for x, _ in matched)), Side(reference, tuple(y for _, y in matched))
                out.append(_paired(*sides, factor, (level, reference), LEVELS))
    return out


def _matched(arms: list[JudgedArm], factor: str, level: str, other: str) -> list[tuple[JudgedArm, JudgedArm]]:
    index = FACTORS.index(factor)
    by_levels = {(a.loss, a.cell, a.remedies): a for a in arms if a.accuracy}
    matched = []
    for key, arm in by_levels.items():
        if key[index] == level:
            partner = by_levels.get(key[:index] + (other,) + key[index + 1:])
            if partner is not None and set(arm.accuracy) & set(partner.accuracy):
                matched.append((arm, partner))
    return matched


def _paired(a: Side, b: Side, factor: str, levels: tuple[str, str], scope: str) -> Pair:
    everyone = [*a.arms, *b.arms]
    seeds = sorted(set.intersection(*[set(x.accuracy) for x in everyone]))
    units = [sum(x.accuracy[s] - y.accuracy[s] for x, y in zip(a.arms, b.arms)) / len(a.arms) for s in seeds]
    grains = [x.grain for x in everyone if x.grain is not None]
    identical = tuple((x.key, y.key) for x, y in zip(a.arms, b.arms) if same_runs(x, y))
    return Pair(a, b, factor, levels, scope, tuple(seeds), tuple(units), max(grains) if grains else None, identical)


def same_runs(x: JudgedArm, y: JudgedArm) -> bool:
    """Identical seed for seed: the same test accuracy and the same validation curve on every seed both ran (two
    or more). A remedy that never acts (clipping at a norm never reached) makes its arm such a copy."""
    shared = set(x.accuracy) & set(y.accuracy)
    return len(shared) >= 2 and all(x.accuracy[s] == y.accuracy[s] and x.curves.get(s) == y.curves.get(s)
                                    for s in shared)
