"""Published claims against this run: the table a paper preset's report shows ("claim vs this run").

A preset stores its claims in the sweep spec, ``spec["claims"]``: a list of
``{"claim": words, "published": the paper's figure in words, "arm": arm key, "metric": M, ...}`` with one test:
- ``"at_least": x`` or ``"at_most": x``: the arm's value of M against a published figure;
- ``"versus": other arm, "expect": "higher" | "lower" | "same"`` (``"margin": m`` for same): a paired comparison
  over shared seeds (the 95% t interval of the mean difference).
``M`` is ``test_accuracy`` (default) or ``test_ece`` (per seed), or ``ratio_init`` / ``ratio_final`` (the gradient
reaching the first step as a share of the last's, median over seeds; threshold tests only).

Verdicts: "supported", "contradicted", or "not decided at this budget" (the interval straddles the figure, too
few seeds, or an arm was still improving at the last epoch: a budget that stopped early decides nothing).
These tests are checks of stated claims, not part of the Holm family of the report's own comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lossbench.report import fmt, power, stats

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "not decided at this budget"


@dataclass
class Claim:
    claim: str
    published: str
    measured: str  # this run's numbers, in words
    verdict: str
    why: str


def evaluate(model: Any) -> list[Claim]:
    return [_evaluate(model, item) for item in model.spec.get("claims") or [] if isinstance(item, dict)]


def _evaluate(model: Any, item: dict[str, Any]) -> Claim:
    claim, published = str(item.get("claim", "")), str(item.get("published", ""))
    arm = model.arm(str(item.get("arm")))
    metric = str(item.get("metric", "test_accuracy"))
    if arm is None or not _values(arm, metric):
        return Claim(claim, published, fmt.NONE, UNDECIDED, f"no result for {item.get('arm')} ({metric})")
    if "versus" in item:
        return _versus(model, item, claim, published, arm, metric)
    values = _values(arm, metric)
    if metric.startswith("ratio"):  # one number per arm: the median over seeds
        low = high = values[0]
        measured = f"{metric} {_show(low, metric)} (median over seeds)"
    else:
        interval = stats.bootstrap_ci(values)
        if interval is None:
            return Claim(claim, published, f"{metric} {fmt.num(float(np.mean(values)))} over {len(values)} seeds",
                         UNDECIDED, f"fewer than {stats.MIN_INTERVAL_VALUES} seeds: no interval")
        low, high = interval
        measured = f"{metric} {fmt.num(float(np.mean(values)))} (95% bootstrap interval {fmt.interval(interval)})"
    if "at_least" in item:
        target, above = float(item["at_least"]), True
    else:
        target, above = float(item.get("at_most", np.nan)), False
    verdict = _side(low, high, target) if above else _side(-high, -low, -target)
    return _settled(Claim(claim, published, measured, verdict, f"{'at least' if above else 'at most'} "
                                                               f"{_show(target, metric)}"), [arm])


def _versus(model: Any, item: dict[str, Any], claim: str, published: str, arm: Any, metric: str) -> Claim:
    other = model.arm(str(item["versus"]))
    if other is None or metric not in ("test_accuracy", "test_ece"):
        return Claim(claim, published, fmt.NONE, UNDECIDED, f"no paired result against {item['versus']}")
    mine, theirs = _values(arm, metric, by_seed=True), _values(other, metric, by_seed=True)
    seeds = sorted(set(mine) & set(theirs))
    differences = [mine[s] - theirs[s] for s in seeds]
    interval = power.difference_interval(differences)
    if interval is None:
        return Claim(claim, published, f"{len(seeds)} shared seeds", UNDECIDED, "fewer than 2 shared seeds")
    low, high = interval
    measured = (f"{metric} {fmt.signed(float(np.mean(differences)))} against {other.key} over {len(seeds)} seeds "
                f"(95% interval {fmt.interval(interval)})")
    expect, margin = str(item.get("expect", "higher")), float(item.get("margin", 0.0))
    if expect == "same":
        verdict = SUPPORTED if -margin <= low and high <= margin else (
            CONTRADICTED if low > margin or high < -margin else UNDECIDED)
        why = f"the same within ±{fmt.num(margin)}"
    else:
        verdict = _side(low, high, 0.0) if expect == "higher" else _side(-high, -low, 0.0)
        why = f"{expect} than {other.key}"
    return _settled(Claim(claim, published, measured, verdict, why), [arm, other])


def _side(low: float, high: float, target: float) -> str:
    """Above ``target``: the whole interval above it supports, the whole interval below contradicts."""
    return SUPPORTED if low >= target else CONTRADICTED if high < target else UNDECIDED


def _settled(claim: Claim, arms: list[Any]) -> Claim:
    improving = [a.key for a in arms if a.improving]
    if improving and claim.verdict != UNDECIDED:
        claim.why += f"; {claim.verdict} at this budget, but {', '.join(improving)} still improving"
        claim.verdict = UNDECIDED
    return claim


def _values(arm: Any, metric: str, by_seed: bool = False) -> Any:
    if metric == "test_accuracy":
        return arm.accuracy if by_seed else list(arm.accuracy.values())
    if metric == "test_ece":
        return arm.ece if by_seed else list(arm.ece.values())
    ratio = getattr(arm, metric, None) if metric in ("ratio_init", "ratio_final") else None
    return [] if ratio is None else [ratio]


def _show(value: float, metric: str) -> str:
    return fmt.sci(value) if metric.startswith("ratio") else fmt.num(value)
