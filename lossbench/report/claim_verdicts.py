"""Claim against this run: each published claim a sweep carries (a paper preset's), judged from its numbers.

A check that compares two arms reads the verdict of ``lossbench.decisions`` on them: on test accuracy, the family's
verdict (the claim's pair is in the family the sweep judges, so the race, the decision table and the claim agree);
on another metric (calibration, gradient flow), the same rule on its own (``judge_values``):
- ``better``: supported when the pair is decided in the claimed direction; contradicted when decided the other way;
- ``matches``: supported when the difference lies within +-margin (two one-sided tests at the verdict's level) and
  neither arm is still improving; contradicted when the pair is decided and its interval lies outside the margin;
- ``differs``: supported when the pair is decided either way; contradicted when it lies within +-margin.
At the paper's own scale, a claim whose setup departs from the paper's (``departures``: every output lists them)
and is not supported is "not supported with this setup": the setup, not the training's length, stands in the way.
``reaches`` (one arm against a level) is ``claim_levels``'. On a metric the family does not read, a verdict between
arms still improving decides nothing (a metric taken at initialisation is exempt). Anything else is "not supported
at this budget", with why and what would decide it (seeds or epochs, and minutes on this machine). A claim is
supported when every check is, contradicted when any check is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from lossbench import decisions
from lossbench.decisions import BETTER, WORSE, JudgedArm, Verdict
from lossbench.report import fmt
from lossbench.report.claim_levels import CONTRADICTED, SETUP, SUPPORTED, UNDECIDED, reaches, would_reach
from lossbench.results import ArmData, SpecRecord, final_metric
from lossbench.results.claims import Check, parse_claims

AT_INITIALISATION = {"flow_ratio_init"}  # measured before training: no later epoch can change it
__all__ = ["CONTRADICTED", "SETUP", "SUPPORTED", "UNDECIDED", "CheckVerdict", "ClaimVerdict", "Estimates",
           "judge_claims", "metric_by_seed"]


@dataclass
class CheckVerdict:
    check: Check
    verdict: str
    evidence: str
    ahead: str = ""  # an equivalence within the margin that is also a decided difference: "ce still ahead by 0.008"


@dataclass
class ClaimVerdict:
    id: str
    claim: str
    source: str
    published: str
    verdict: str
    checks: list[CheckVerdict] = field(default_factory=list)
    departures: list[str] = field(default_factory=list)  # how this run's setup differs from the paper's

    @property
    def evidence(self) -> str:
        return "; ".join(f"{c.verdict}: {c.evidence}" for c in self.checks)

    @property
    def margin(self) -> float | None:
        """An equivalence claim's margin (the verdict means nothing without it)."""
        return next((c.check.margin for c in self.checks if c.check.kind == "matches"), None)

    @property
    def verdict_words(self) -> str:
        """The verdict, with the margin an equivalence claim was judged within."""
        return self.verdict + (f" (within ±{self.margin:g})" if self.margin else "")


@dataclass(frozen=True)
class Estimates:
    """What the estimates of what would decide a claim read: the decision rule's view of each arm (its curves'
    recent gain, its plateaus, its seconds per run) and the sweep's number of workers."""

    arms: dict[str, JudgedArm] = field(default_factory=dict)
    workers: int = 1


def judge_claims(spec: SpecRecord, arms: list[ArmData], converged: dict[str, bool | None],
                 verdicts: Sequence[Verdict] = (), estimates: Estimates | None = None,
                 speed: Sequence[Verdict] = ()) -> list[ClaimVerdict]:
    """Every claim of the stored ``spec`` judged on ``arms``. ``verdicts``: the family's (without them, the
    family of ``estimates``' arms and the claims' pairs is judged here). A pair's decided ``speed`` is added to
    its evidence: it is how the arms differ where accuracy does not separate them."""
    by_key = {arm.key: arm for arm in arms}
    claims, _ = parse_claims(spec.claims, set(by_key))
    estimates = estimates or Estimates()
    if not verdicts and estimates.arms:
        pairs = [(c.arm, c.than) for claim in claims for c in claim.checks if c.than]
        verdicts = decisions.decide(list(estimates.arms.values()), workers=estimates.workers, pairs=pairs)
    pairs = {frozenset((v.arm, v.other)): v for v in verdicts if v.scope == decisions.ARMS}
    faster = {frozenset((d.arm, d.other)): d for d in speed if d.decided}
    out = []
    for claim in claims:
        checks = [_with_speed(_judge(check, by_key, converged, claim.reduced_scale, pairs, estimates), faster)
                  for check in claim.checks]
        found = {c.verdict for c in checks}
        verdict = CONTRADICTED if CONTRADICTED in found else SUPPORTED if found == {SUPPORTED} else UNDECIDED
        if verdict != SUPPORTED and claim.departures and not claim.reduced_scale:
            verdict = SETUP  # the paper's scale, another setup: the setup, not the scale, stands in the way
        out.append(ClaimVerdict(claim.id, claim.claim, claim.source, claim.published, verdict, checks,
                                list(claim.departures)))
    return out


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


def _judge(check: Check, arms: dict[str, ArmData], converged: dict[str, bool | None], reduced_scale: bool,
           pairs: dict[frozenset[str], Verdict], estimates: Estimates) -> CheckVerdict:
    values = metric_by_seed(arms[check.arm], check.metric)
    if check.kind == "reaches":
        verdict, text = reaches(check, values, converged.get(check.arm) is not False, reduced_scale)
        if verdict == UNDECIDED:
            text += would_reach(check, values, estimates.arms.get(check.arm), estimates.workers)
        return CheckVerdict(check, verdict, text)
    found = pairs.get(frozenset((check.arm, check.than))) if check.metric == "test_accuracy" else None
    if found is not None:
        return _read(check, found if found.arm == check.arm else found.flipped(), settled=True, family=True)
    own = decisions.judge_values(check.arm, check.than, values, metric_by_seed(arms[check.than], check.metric),
                                 check.metric, check.margin, lower_is_better=not check.measure.maximize)
    settled = (check.metric in AT_INITIALISATION
               or (converged.get(check.arm) is not False and converged.get(check.than) is not False))
    read = _read(check, own, settled, family=False)
    if read.verdict == UNDECIDED and own.needs_seeds:
        seconds = [estimates.arms[k].seconds_per_run for k in (check.arm, check.than) if k in estimates.arms]
        extra = max(0, own.needs_seeds - own.seeds)
        minutes = ("" if not seconds or None in seconds else
                   f", {fmt.duration(extra * sum(seconds) / max(1, estimates.workers) / 60)} on this machine")
        read = CheckVerdict(check, UNDECIDED, f"{read.evidence}; it would take about {own.needs_seeds} seeds{minutes}")
    return read


def _read(check: Check, v: Verdict, settled: bool, family: bool) -> CheckVerdict:
    """A check from the verdict on its pair (``v`` oriented: arm first)."""
    margin = check.margin or 0.0
    inside = decisions.within(v, margin) if margin else None
    plateaued = not v.improving if family else settled
    outside = v.interval is not None and (v.interval[0] > margin or v.interval[1] < -margin)
    text = _evidence(check, v)
    if not settled and v.kind in (BETTER, WORSE):
        return CheckVerdict(check, UNDECIDED, text + " (the learning curves were still improving: the budget was "
                                                     "too small)")
    if check.kind == "better" and v.kind in (BETTER, WORSE):
        return CheckVerdict(check, SUPPORTED if v.kind == BETTER else CONTRADICTED, text)
    if check.kind == "differs" and v.kind in (BETTER, WORSE):
        return CheckVerdict(check, SUPPORTED, text)
    if check.kind == "differs" and inside and plateaued:
        return CheckVerdict(check, CONTRADICTED, text)
    if check.kind == "matches" and inside and plateaued:
        ahead = ""
        if v.kind in (BETTER, WORSE):  # both true: within the margin, and one arm decidedly ahead all the same
            ahead = f"{v.winner} still ahead by {abs(v.difference or 0.0):.3f} (decided)"
        return CheckVerdict(check, SUPPORTED, f"within +-{margin:g}: supported" + (f"; {ahead}" if ahead else "")
                            + f"; {text}", ahead)
    if check.kind == "matches" and v.kind in (BETTER, WORSE) and outside:
        return CheckVerdict(check, CONTRADICTED, text)
    return CheckVerdict(check, UNDECIDED, text + _would_decide(v) if v.kind != BETTER and v.kind != WORSE
                        else text)


def _evidence(check: Check, v: Verdict) -> str:
    words = check.measure.label
    if v.difference is None:
        return f"{check.arm} minus {check.than}, {words}: no shared seeds"
    text = f"{check.arm} minus {check.than}, {words}: {v.difference:+.4f} over {v.seeds} seeds"
    if v.interval is not None:
        text += (f", {fmt.level(v.level)} interval [{v.interval[0]:+.4f}, {v.interval[1]:+.4f}], "
                 f"p{' (Holm)' if v.test == decisions.TEST else ''} = {fmt.pvalue(v.p)}")
    if check.margin:
        text += f"; {'equivalence' if check.kind == 'matches' else 'no-difference'} margin +-{check.margin:g}"
    return text + f"; the verdict: {v.kind}" + (f" ({v.why})" if v.why and v.decided else "")


def _would_decide(v: Verdict) -> str:
    """What the verdict estimates would decide the pair: its reason, seeds or epochs, and minutes here."""
    minutes = f", {fmt.duration(v.minutes)} on this machine" if v.minutes is not None else ""
    if v.needs_epochs:
        return f" ({v.why}); train longer first: about {v.needs_epochs} epochs{minutes}"
    if v.needs_seeds and v.test == decisions.TEST:
        return f" ({v.why}); it would take about {v.needs_seeds} seeds{minutes}"
    return f" ({v.why})" if v.why and not v.decided else ""


def _with_speed(found: CheckVerdict, faster: dict[frozenset[str], Verdict]) -> CheckVerdict:
    d = faster.get(frozenset((found.check.arm, found.check.than))) if found.check.than else None
    if d is None or d.interval is None:
        return found
    return CheckVerdict(found.check, found.verdict,
                        f"{found.evidence}; on speed, decided: {d.why}, {fmt.level(d.level)} interval "
                        f"[{d.interval[0]:+.1f}, {d.interval[1]:+.1f}] epochs ({d.arm} minus {d.other})")
