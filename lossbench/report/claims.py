"""Claim against this run: each published claim a sweep carries (a paper preset's), judged from its numbers.

A check is judged on the final-phase runs, paired over shared seeds where it compares two arms, at a 5% level:
- ``reaches``: supported when the 95% interval of the arm's mean lies at or above the value; contradicted when it
  lies below, the arm converged, and the run trained on the paper's budget (``reduced_budget`` false): below a
  paper's budget a level not reached says nothing against the claim;
- ``better``: supported when the paired difference is significant in the claimed direction; contradicted when it
  is significant the other way;
- ``matches``: supported when the 90% interval of the paired difference lies within +-margin (two one-sided
  tests); contradicted when the 95% interval lies outside it;
- ``differs``: supported when the paired difference is significant; contradicted when the 90% interval lies within
  +-margin.
A comparison of two arms decides nothing while either arm's learning curves were still improving at the last epoch
(a gap between unconverged arms is an artefact of the budget; a metric taken at initialisation is exempt), unless the sweep's decision for that pair of arms
(``lossbench.results.decisions``) says training longer cannot overturn it; a value already reached stands.
Anything else is "not supported at this budget", with the reason and, where the sweep's decisions estimate it,
the seeds or epochs (and minutes on this machine) that would decide it. A claim is supported when every check is, contradicted when any
check is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from lossbench import stats
from lossbench.report import fmt
from lossbench.report.thresholds import ALPHA
from lossbench.results import ArmData, SpecRecord, final_metric
from lossbench.results.claims import LOWER_IS_BETTER, Check, parse_claims
from lossbench.results.decisions import Arm, Decision, pair_decision

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "not supported at this budget"
AT_INITIALISATION = {"flow_ratio_init"}  # measured before training: no later epoch can change it
METRIC_WORDS = {"test_accuracy": "test accuracy", "test_ece": "test ECE",
                "flow_ratio_init": "log10 gradient ratio first/last step at initialisation"}


@dataclass
class CheckVerdict:
    check: Check
    verdict: str
    evidence: str


@dataclass
class ClaimVerdict:
    id: str
    claim: str
    source: str
    published: str
    verdict: str
    checks: list[CheckVerdict] = field(default_factory=list)

    @property
    def evidence(self) -> str:
        return "; ".join(f"{c.verdict}: {c.evidence}" for c in self.checks)


@dataclass(frozen=True)
class Budget:
    """What the estimates of what would decide a claim read: the decision rule's view of each arm (its curves'
    recent gain, its plateaus, its seconds per run) and the sweep's number of workers."""

    arms: dict[str, Arm] = field(default_factory=dict)
    workers: int = 1


def judge_claims(spec: SpecRecord, arms: list[ArmData], converged: dict[str, bool | None],
                 decisions: Sequence[Decision] = (), budget: Budget | None = None,
                 speed: Sequence[Decision] = ()) -> list[ClaimVerdict]:
    """Every claim of the stored ``spec`` judged on ``arms``; a claim's pair of arms that the one-factor decisions
    do not cover is decided by the same rule on its own (``pair_decision``) from ``budget``. A pair's decided
    ``speed`` (``lossbench.results.decisions.speed``) is added to its evidence: it is how the arms differ where
    accuracy does not separate them."""
    by_key = {arm.key: arm for arm in arms}
    claims, _ = parse_claims(spec.claims, set(by_key))
    pairs = {frozenset((d.arm, d.other)): d for d in decisions}
    budget = budget or Budget()
    for claim in claims:
        for check in claim.checks:
            pair = frozenset((check.arm, check.than))
            if check.than and pair not in pairs and check.arm in budget.arms and check.than in budget.arms:
                pairs[pair] = pair_decision(budget.arms[check.arm], budget.arms[check.than], workers=budget.workers)
    faster = {frozenset((d.arm, d.other)): d for d in speed if d.decided}
    verdicts = []
    for claim in claims:
        checks = [_with_speed(_judge(check, by_key, converged, claim.reduced_budget, pairs, budget), faster)
                  for check in claim.checks]
        found = {c.verdict for c in checks}
        verdict = CONTRADICTED if CONTRADICTED in found else SUPPORTED if found == {SUPPORTED} else UNDECIDED
        verdicts.append(ClaimVerdict(claim.id, claim.claim, claim.source, claim.published, verdict, checks))
    return verdicts


def _with_speed(found: CheckVerdict, faster: dict[frozenset[str], Decision]) -> CheckVerdict:
    d = faster.get(frozenset((found.check.arm, found.check.than))) if found.check.than else None
    if d is None or d.interval is None:
        return found
    return CheckVerdict(found.check, found.verdict,
                        f"{found.evidence}; on speed, decided: {d.why}, {fmt.level(d.level)} interval [{d.interval[0]:+.1f}, "
                        f"{d.interval[1]:+.1f}] epochs ({d.arm} minus {d.other})")


def metric_by_seed(arm: ArmData, metric: str) -> dict[int, float]:
    """The metric of each completed final-phase run of ``arm``, by seed."""
    if metric != "flow_ratio_init":
        return final_metric(arm.final, metric.removeprefix("test_"))
    found = {}
    for trial in arm.final:
        run = trial.run if trial.state == "COMPLETE" and trial.seed is not None else None
        ratio = run.flow_ratio_at(0) if run is not None else None
        if isinstance(ratio, (int, float)) and ratio > 0:
            found[int(trial.seed)] = math.log10(ratio)
    return found


def _judge(check: Check, arms: dict[str, ArmData], converged: dict[str, bool | None],
           reduced_budget: bool, decisions: dict[frozenset[str], Decision], budget: Budget) -> CheckVerdict:
    values = metric_by_seed(arms[check.arm], check.metric)
    if check.kind == "reaches":
        found = _reaches(check, values, converged.get(check.arm) is not False, reduced_budget)
        if found.verdict == UNDECIDED:
            found = CheckVerdict(check, UNDECIDED, found.evidence + _would_reach(check, values, budget))
        return found
    decision = decisions.get(frozenset((check.arm, check.than))) if check.metric == "test_accuracy" else None
    settled = (check.metric in AT_INITIALISATION
               or (converged.get(check.arm) is not False and converged.get(check.than) is not False)
               or bool(decision and decision.decided))
    found = _compare(check, values, metric_by_seed(arms[check.than], check.metric))
    if not settled and found.verdict != UNDECIDED:
        found = CheckVerdict(check, UNDECIDED, found.evidence + _why(values, False, 0.0))
    if found.verdict == UNDECIDED and decision is not None and not decision.decided:
        found = CheckVerdict(check, UNDECIDED, found.evidence + _would_decide(decision))
    elif found.verdict == UNDECIDED and decision is None:
        found = CheckVerdict(check, UNDECIDED, found.evidence + _seeds_would_decide(check, values, arms, budget))
    return found


def _seeds_would_decide(check: Check, values: dict[int, float], arms: dict[str, ArmData], budget: Budget) -> str:
    """For a metric the decisions do not read (calibration, gradient flow): the seeds a paired t-test would need."""
    other = metric_by_seed(arms[check.than], check.metric)
    diffs = [values[s] - other[s] for s in sorted(set(values) & set(other))]
    need = stats.seeds_needed(diffs) if check.kind != "matches" else stats.seeds_for_equivalence(diffs, check.margin or 0.0)
    if need is None:
        return ""
    return f"; it would take about {need} seeds" + _run_minutes(budget, (check.arm, check.than), max(0, need - len(diffs)))


def _run_minutes(budget: Budget, keys: Sequence[str], runs: int) -> str:
    seconds = [budget.arms[k].seconds_per_run for k in keys if k in budget.arms]
    if not seconds or None in seconds:
        return ""
    return f", {fmt.duration(runs * sum(seconds) / max(1, budget.workers) / 60)} on this machine"


def _would_reach(check: Check, values: dict[int, float], budget: Budget) -> str:
    """What would decide a level not shown reached: more seeds where the interval straddles it, more epochs at the
    arm's recent rate where it was still improving (a lower bound: a concave curve only slows), nothing more of
    this budget where it had plateaued below."""
    arm = budget.arms.get(check.arm)
    mean = sum(values.values()) / len(values) if values else None
    if arm is None or mean is None or check.metric != "test_accuracy":
        return ""
    if mean < check.value and arm.still_improving and arm.gain_per_epoch > 0:
        more = math.ceil((check.value - mean) / arm.gain_per_epoch)
        cap = arm.epochs_cap or 0
        minutes = (arm.seconds_per_run or 0.0) * (cap + more) / max(cap, 1) * len(values) / max(1, budget.workers) / 60
        return (f"; at its recent gain of {arm.gain_per_epoch:.4f} per epoch it would need at least {more} more epochs "
                f"(a cap of about {cap + more}, {fmt.duration(minutes)} on this machine for {len(values)} seeds)")
    if mean < check.value:
        return f"; it had plateaued at {mean:.3f}: more epochs of this setup would not reach {check.value:g}"
    need = stats.seeds_needed([v - check.value for v in values.values()])
    return "" if need is None else f"; it would take about {need} seeds" + _run_minutes(
        budget, (check.arm,), max(0, need - len(values)))


def _would_decide(decision: Decision) -> str:
    """What the sweep's decisions estimate would decide the pair: seeds or epochs, and minutes here."""
    minutes = f", {fmt.duration(decision.minutes)} on this machine" if decision.minutes is not None else ""
    if decision.needs_epochs:
        return f"; train longer first: about {decision.needs_epochs} epochs{minutes}"
    if decision.needs_seeds:
        return f"; it would take about {decision.needs_seeds} seeds{minutes}"
    return ""


def _reaches(check: Check, values: dict[int, float], settled: bool, reduced_budget: bool) -> CheckVerdict:
    low, high = _interval([*values.values()])
    text = (f"{check.arm} {METRIC_WORDS[check.metric]} {_mean_text([*values.values()], low, high)}, "
            f"claimed at least {check.value:g}")
    if low is not None and low >= check.value:
        return CheckVerdict(check, SUPPORTED, text)  # a value already reached stands, converged or not
    if high is not None and high < check.value and settled:
        if not reduced_budget:
            return CheckVerdict(check, CONTRADICTED, text)
        return CheckVerdict(check, UNDECIDED, text + " (not reached on a budget far below the paper's; a plateau "
                                                      "can outlast it)")
    return CheckVerdict(check, UNDECIDED, text + _why(values, settled, low))


def _compare(check: Check, values: dict[int, float], other: dict[int, float]) -> CheckVerdict:
    """A paired comparison of ``check.arm`` with ``check.than`` over shared seeds."""
    seeds = sorted(set(values) & set(other))
    sign = -1.0 if check.metric in LOWER_IS_BETTER else 1.0
    diff = [values[s] - other[s] for s in seeds]
    mean = sum(diff) / len(diff) if diff else None
    p = _paired_p(diff)
    low95, high95 = _interval(diff)
    text = (f"{check.arm} minus {check.than}, {METRIC_WORDS[check.metric]}: " + (
        "no shared seeds" if mean is None else f"{mean:+.4f} over {len(diff)} seeds" + (
            f", 95% interval [{low95:+.4f}, {high95:+.4f}], p = {fmt.pvalue(p)}" if low95 is not None else "")))
    margin = check.margin or 0.0
    p_equivalent = stats.tost(diff, margin)  # below ALPHA: the 90% interval lies within +-margin
    within = p_equivalent is not None and p_equivalent < ALPHA
    if check.kind == "better":
        if p is not None and p < ALPHA:
            return CheckVerdict(check, SUPPORTED if sign * mean > 0 else CONTRADICTED, text)
    elif check.kind == "matches":
        text += f"; equivalence margin +-{margin:g}"
        if within:
            return CheckVerdict(check, SUPPORTED, text)
        if low95 is not None and (low95 > margin or high95 < -margin):
            return CheckVerdict(check, CONTRADICTED, text)
    elif check.kind == "differs":
        text += f"; no-difference margin +-{margin:g}"
        if p is not None and p < ALPHA:
            return CheckVerdict(check, SUPPORTED, text)
        if within:
            return CheckVerdict(check, CONTRADICTED, text)
    return CheckVerdict(check, UNDECIDED, text + _why(diff, True, low95))


def _why(values: Sequence[float] | dict[int, float], settled: bool, low: float | None) -> str:
    if len(values) < 2 or low is None:
        return " (too few seeds for an interval)"
    if not settled:
        return " (the learning curves were still improving: the budget was too small)"
    return " (the interval does not decide it at this budget)"


def _interval(values: list[float]) -> tuple[float | None, float | None]:
    """The 95% Student-t interval of the mean; (None, None) with fewer than 2 values."""
    found = stats.t_interval(values)
    return found if found is not None else (None, None)


def _paired_p(diff: list[float]) -> float | None:
    found = stats.paired_test(diff, [0.0] * len(diff), "t")  # a paired t-test of the differences against none
    return None if found is None else found.p


def _mean_text(values: list[float], low: float | None, high: float | None) -> str:
    if not values:
        return "has no completed run"
    mean = sum(values) / len(values)
    return f"{mean:.4f} over {len(values)} seeds" + (f" (95% interval [{low:.4f}, {high:.4f}])" if low is not None else "")

