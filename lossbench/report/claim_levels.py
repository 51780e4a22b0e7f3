"""A claimed level (``reaches``): one arm's mean against a value, on the interval of its mean over seeds; and, for a
level not shown reached, what would decide it (seeds, epochs at its recent rate, or nothing more of this setup)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

from lossbench import stats
from lossbench.report import fmt

if TYPE_CHECKING:
    from lossbench.decisions import JudgedArm
    from lossbench.results.claims import Check

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "not supported at this budget"
SETUP = "not supported with this setup (it differs from the paper's)"  # the setup, not the scale, stands in the way
BOUNDS = {"test_accuracy": (0.0, 1.0), "test_ece": (0.0, 1.0)}  # a mean of accuracies lies in [0, 1]


def reaches(check: Check, values: dict[int, float], settled: bool, reduced_scale: bool) -> tuple[str, str]:
    """(verdict, evidence): supported when the 95% interval of the mean lies at or above the value; contradicted
    when it lies below, the arm converged, and the run trained the paper's setup at the paper's scale."""
    low, high = interval(list(values.values()), check.metric)
    text = (f"{check.arm} {check.measure.label} {_mean_text([*values.values()], low, high)}, "
            f"claimed at least {check.value:g}")
    if low is not None and low >= check.value:
        return SUPPORTED, text  # a value already reached stands, converged or not
    if high is not None and high < check.value and settled:
        if not reduced_scale:
            return CONTRADICTED, text
        return UNDECIDED, text + " (not reached on a budget far below the paper's; a plateau can outlast it)"
    return UNDECIDED, text + why(values, settled, low)


def would_reach(check: Check, values: dict[int, float], arm: JudgedArm | None, workers: int) -> str:
    """What would decide a level not shown reached: more seeds where the interval straddles it, more epochs at the
    arm's recent rate where it was still improving (a lower bound: a concave curve only slows), nothing more of
    this setup where it had plateaued below."""
    mean = sum(values.values()) / len(values) if values else None
    if arm is None or mean is None or check.metric != "test_accuracy":
        return ""
    if mean < check.value and arm.still_improving and arm.gain_per_epoch > 0:
        more = math.ceil((check.value - mean) / arm.gain_per_epoch)
        cap = arm.epochs_cap or 0
        minutes = (arm.seconds_per_run or 0.0) * (cap + more) / max(cap, 1) * len(values) / max(1, workers) / 60
        return (f"; at its recent gain of {arm.gain_per_epoch:.4f} per epoch it would need at least {more} more epochs "
                f"(a cap of about {cap + more}, {fmt.duration(minutes)} on this machine for {len(values)} seeds)")
    if mean < check.value and arm.at_chance:
        return (f"; it sat at chance ({mean:.3f}) at this budget: not training yet, so no rate of its own says what "
                f"more epochs would reach")
    if mean < check.value:
        return f"; it had plateaued at {mean:.3f}: more epochs of this setup would not reach {check.value:g}"
    need = stats.seeds_needed([v - check.value for v in values.values()])
    if need is None:
        return ""
    extra = max(0, need - len(values))
    minutes = "" if arm.seconds_per_run is None else \
        f", {fmt.duration(extra * arm.seconds_per_run / max(1, workers) / 60)} on this machine"
    return f"; it would take about {need} seeds{minutes}"


def interval(values: Sequence[float], metric: str) -> tuple[float | None, float | None]:
    """The 95% Student-t interval of the mean, inside the metric's bounds; (None, None) with fewer than 2 values."""
    found = stats.t_interval(values)
    if found is None:
        return None, None
    low, high = BOUNDS.get(metric, (-math.inf, math.inf))
    return max(found[0], low), min(found[1], high)


def why(values: Sequence[float] | dict[int, float], settled: bool, low: float | None) -> str:
    if len(values) < 2 or low is None:
        return " (too few seeds for an interval)"
    if not settled:
        return " (the learning curves were still improving: the budget was too small)"
    return " (the interval does not decide it at this budget)"


def _mean_text(values: list[float], low: float | None, high: float | None) -> str:
    if not values:
        return "has no completed run"
    mean = sum(values) / len(values)
    shown = f" (95% interval [{low:.4f}, {high:.4f}])" if low is not None else ""
    return f"{mean:.4f} over {len(values)} seeds{shown}"
