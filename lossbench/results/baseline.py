"""What each arm is compared with: one rule, used by the report's tests and the sweep's racing final phase.

``baseline`` is a loss (``ce``), a loss and a remedy set (``ce:none``, on the same cell) or an arm key
(``ce:gru:none``, for every arm); by default ``ce`` (or the first loss) with no remedy (or the first set), on the
same cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lossbench.errors import LossbenchError


def baseline_rule(spec: dict[str, Any], baseline: str | None) -> tuple[Callable[[str], str], str]:
    """(cell -> the baseline arm's key, the rule in words) for a stored spec."""
    if baseline and baseline.count(":") == 2:  # one arm for all
        return (lambda cell: baseline), f"arm {baseline}"
    losses = list(spec.get("losses") or [])
    remedy_sets = ["+".join(s) or "none" for s in spec.get("remedy_sets") or [[]]]
    loss, _, remedies = (baseline or "").partition(":")
    loss = loss or ("ce" if "ce" in losses else (losses[0] if losses else "ce"))
    remedies = remedies or ("none" if "none" in remedy_sets else remedy_sets[0])
    return (lambda cell: f"{loss}:{cell}:{remedies}"), f"{loss} with {'no remedy' if remedies == 'none' else remedies}, same cell"


def baseline_pairs(spec: dict[str, Any], arms: list[tuple[str, str]], baseline: str | None) -> list[tuple[str, str]]:
    """(arm, its baseline) for every arm (key, cell) that has a baseline among ``arms`` other than itself; an
    explicit ``baseline`` that matches no arm is an error."""
    pick, _ = baseline_rule(spec, baseline)
    keys = {key for key, _ in arms}
    if baseline and arms and not any(pick(cell) in keys for _, cell in arms):
        raise LossbenchError(f"baseline {baseline!r} matches no arm of this sweep; give a loss (ce), loss:remedies "
                             f"(ce:none) or an arm ({', '.join(sorted(keys))})")
    return [(key, pick(cell)) for key, cell in arms if pick(cell) in keys and pick(cell) != key]
