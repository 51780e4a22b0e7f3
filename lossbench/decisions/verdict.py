"""A verdict: what the one rule says of a pair (two arms, or two levels of a factor over matched arms)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

BETTER, WORSE, EQUIVALENT, OPEN = "better", "worse", "equivalent", "open"
NOT_TRAINING = "not training"  # both sides within the chance margin at this budget: no comparison worth seeds
CONFOUNDED = "confounded"  # speed only: the arms were tuned to different learning rates
KINDS = (BETTER, WORSE, EQUIVALENT, OPEN, NOT_TRAINING, CONFOUNDED)
DECIDED = (BETTER, WORSE, EQUIVALENT)
ARMS, LEVELS = "arms", "levels"  # a verdict's scope: two arms, or two levels of a factor over matched arms


@dataclass(frozen=True)
class Verdict:
    """``kind`` says how ``arm`` compares with ``other``: better, worse, equivalent (within the margin), open (with
    ``why`` and what would decide it), not training (both at chance) or, for speed, confounded.

    ``difference`` is the mean over the paired units (one per seed) of arm - other; ``interval`` its t interval at
    ``level`` (Holm's level for this pair in the family), inside the metric's bounds (``clipped`` says when it was
    cut there); ``p`` is Holm-adjusted, ``p_raw`` the pair's own. For a factor's levels (``scope`` "levels"),
    ``arm`` and ``other`` are the levels and ``pairs`` the matched arms; one unit per seed is the mean over them."""

    kind: str
    arm: str
    other: str
    factor: str  # loss, cell or remedies; "arms" for two arms that differ in more than one
    levels: tuple[str, str]  # the factor's level on each side (the arm keys where factor is "arms")
    metric: str
    difference: float | None
    interval: tuple[float, float] | None
    level: float | None  # the confidence level of the interval
    p: float | None  # Holm-adjusted over the family
    seeds: int  # paired units: seeds both sides ran
    test: str
    why: str
    needs_seeds: int | None = None
    needs_epochs: int | None = None
    minutes: float | None = None  # on this machine, for what would decide it
    even_chance_seeds: int | None = None  # the seeds at which the test has an even chance (power 0.5) to decide it
    scope: str = ARMS
    pairs: tuple[tuple[str, str], ...] = ()  # the matched (arm, other arm) keys
    p_raw: float | None = None
    effect: float | None = None  # Cohen's d_z of the units (rank-biserial r for a Wilcoxon family)
    clipped: bool = False  # the interval was cut at the metric's bounds (an accuracy difference lies in [-1, 1])
    grain: float | None = None  # the metric's step: 1 / test examples for accuracy; a spread below it is none
    identical: tuple[tuple[str, str], ...] = ()  # matched pairs whose runs were identical seed for seed
    improving: tuple[str, ...] = ()  # arms on either side still improving at their cap
    margin: float | None = None  # the equivalence margin the verdict was judged with
    units: tuple[float, ...] = ()  # the paired units (arm - other), one per shared seed, in seed order
    unit_seeds: tuple[int, ...] = ()  # the seed of each unit
    longer: tuple[str, ...] = ()  # the arms whose runs, trained longer, would decide it (with ``needs_epochs``)
    reach: str | None = None  # open past the sweep's caps: "epochs" (max_epochs) or "seeds" (its seeds), else None

    @property
    def decided(self) -> bool:
        return self.kind in DECIDED

    @property
    def separated(self) -> bool:
        """Decided better or worse: the pair is ordered."""
        return self.kind in (BETTER, WORSE)

    @property
    def winner(self) -> str | None:
        return self.arm if self.kind == BETTER else self.other if self.kind == WORSE else None

    @property
    def loser(self) -> str | None:
        return self.other if self.kind == BETTER else self.arm if self.kind == WORSE else None

    def flipped(self) -> Verdict:
        """The same verdict read from the other side (other against arm)."""
        neg = (lambda v: None if v is None else 0.0 - v)  # 0.0 - v: no -0.0
        return replace(self, kind={BETTER: WORSE, WORSE: BETTER}.get(self.kind, self.kind), arm=self.other,
                       other=self.arm, levels=self.levels[::-1], difference=neg(self.difference),
                       interval=None if self.interval is None else (-self.interval[1], -self.interval[0]),
                       effect=neg(self.effect), pairs=tuple(p[::-1] for p in self.pairs),
                       identical=tuple(p[::-1] for p in self.identical), units=tuple(0.0 - u for u in self.units))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["interval"] = list(self.interval) if self.interval else None
        for key in ("pairs", "identical"):
            data[key] = [list(p) for p in data[key]]
        data["improving"], data["units"], data["unit_seeds"] = list(self.improving), list(self.units), \
            list(self.unit_seeds)
        data["longer"] = list(self.longer)
        return data
