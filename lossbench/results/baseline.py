"""What each arm is compared with: one rule, used by the report's tests and the sweep's racing final phase.

``baseline`` is a loss (``ce``), a loss and a remedy set (``ce:none``, on the same cell) or an arm key
(``ce:gru:none``, for every arm); by default the spec's stored ``baseline``, else ``ce`` (or the first loss) with
no remedy (or the first set), on the same cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.errors import LossbenchError


@dataclass(frozen=True)
class Baseline:
    loss: str
    remedies: str  # "none" or names joined by +
    arm: str | None = None  # one arm for every arm, or None: the same cell's

    def key(self, cell: str) -> str:
        """The baseline arm of an arm on ``cell``."""
        return self.arm or f"{self.loss}:{cell}:{self.remedies}"

    @property
    def described(self) -> str:
        if self.arm:
            return f"arm {self.arm}"
        return f"{self.loss} with {'no remedy' if self.remedies == 'none' else self.remedies}, same cell"


def baseline_rule(spec: dict[str, Any], baseline: str | None = None) -> Baseline:
    """The baseline of a stored spec: ``baseline`` if given, else the spec's own, else the default rule."""
    baseline = baseline or spec.get("baseline")
    if baseline and baseline.count(":") == 2:  # one arm for all
        loss, _, remedies = baseline.split(":")
        return Baseline(loss, remedies, arm=baseline)
    losses = list(spec.get("losses") or [])
    remedy_sets = ["+".join(s) or "none" for s in spec.get("remedy_sets") or [[]]]
    loss, _, remedies = (baseline or "").partition(":")
    return Baseline(loss or ("ce" if "ce" in losses else (losses[0] if losses else "ce")),
                    remedies or ("none" if "none" in remedy_sets else remedy_sets[0]))


def baseline_pairs(spec: dict[str, Any], arms: list[tuple[str, str]], baseline: str | None = None
                   ) -> list[tuple[str, str]]:
    """(arm, its baseline) for every arm (key, cell) whose baseline is among ``arms`` and not itself; a
    baseline given (here or in the spec) that matches no arm is an error."""
    rule = baseline_rule(spec, baseline)
    keys = {key for key, _ in arms}
    if (baseline or spec.get("baseline")) and arms and not any(rule.key(cell) in keys for _, cell in arms):
        raise LossbenchError(f"baseline {baseline or spec.get('baseline')!r} matches no arm of this sweep; give a "
                             f"loss (ce), loss:remedies (ce:none) or an arm ({', '.join(sorted(keys))})")
    return [(key, rule.key(cell)) for key, cell in arms if rule.key(cell) in keys and rule.key(cell) != key]


def family_pairs(spec: dict[str, Any], arms: list[tuple[str, str]], baseline: str | None = None
                 ) -> list[tuple[str, str]]:
    """The pairs of arms the judged family adds to the one-factor pairs (``lossbench.decisions``): each arm (key,
    cell) and its baseline, and each claim's two arms, so that the race and the report judge the same family."""
    from lossbench.results.claims import parse_claims

    keys = {key for key, _ in arms}
    claims, _ = parse_claims(spec.get("claims") or [], keys)
    return baseline_pairs(spec, arms, baseline) + [(c.arm, c.than) for claim in claims for c in claim.checks
                                                   if c.than and c.metric == "test_accuracy"]
