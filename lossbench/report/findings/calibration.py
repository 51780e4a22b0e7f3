"""Calibration and NLL beside accuracy: which arms are well calibrated, in which direction the others err, and
where an arm trades calibration for accuracy against its baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.findings.words import join
from lossbench.report.thresholds import CALIBRATED_ECE, CHANCE_MARGIN, DIRECTION_MARGIN

if TYPE_CHECKING:
    from lossbench.decisions import Verdict
    from lossbench.report.evidence import Evidence
    from lossbench.report.summary import ArmSummary


def sentences(report: Evidence) -> list[str]:
    measured = [a for a in report.arms if a.ece_mean is not None]
    arms = [a for a in measured if not report.at_chance(a)]
    chance = [a.key for a in measured if report.at_chance(a)]
    skipped = (f"No calibration is read for {join(chance)}: within {CHANCE_MARGIN} of chance accuracy "
               f"({fmt.num(report.chance, 3)}), where predicting near-uniformly is trivially calibrated.") if chance else ""
    if not arms:
        return [skipped] if skipped else []
    measured = any(a.overconfidence is not None for a in arms)  # the direction, that is
    well = [f"{a.key} {fmt.num(a.ece_mean, 3)}" for a in arms if a.ece_mean < CALIBRATED_ECE]
    poor = [f"{a.key} {fmt.num(a.ece_mean, 3)}" + (f" ({direction(a, numbers=False)})" if measured else "")
            for a in arms if a.ece_mean >= CALIBRATED_ECE]
    parts = ([f"well calibrated (ECE below {CALIBRATED_ECE}): {join(well)}"] if well else [])
    parts += [f"miscalibrated: {join(poor)}"] if poor else []
    nll = _nll(arms)
    out = ["Calibration (test ECE, 15 bins, mean over seeds): " + "; ".join(parts)
           + ("" if measured or not poor else "; the direction is not measured (these runs stored no confidence)")
           + (f". {nll}" if nll else ".") + (f" {skipped}" if skipped else "")]
    shown = {a.key for a in arms}
    trades = [s for c in report.against_baseline
              if c.arm in shown and c.other in shown and (s := _trade_off(report, c))]
    if trades:
        out.append("Against their baselines, calibration moves by " + str(CALIBRATED_ECE) + " ECE or more: "
                   + "; ".join(trades) + ".")
    return out


def direction(arm: ArmSummary, numbers: bool = True) -> str:
    """Over- or under-confident, from the mean confidence of the predicted class against accuracy (``numbers``:
    with both; the calibration table has them)."""
    gap = arm.overconfidence
    if gap is None:
        return "direction not measured (these runs stored no confidence)"
    if not numbers:
        return "over-confident" if gap >= DIRECTION_MARGIN else ("under-confident" if gap <= -DIRECTION_MARGIN
                                                                 else "errors in both directions")
    numbers = f"mean confidence {fmt.num(arm.confidence_mean, 3)} against accuracy {fmt.num(arm.acc_mean, 3)}"
    if gap >= DIRECTION_MARGIN:
        return f"over-confident ({numbers})"
    if gap <= -DIRECTION_MARGIN:
        return f"under-confident ({numbers})"
    return f"errors in both directions ({numbers})"


def _trade_off(report: Evidence, c: Verdict) -> str | None:
    arm, base = report.arm(c.arm), report.arm(c.other)
    if arm is None or base is None or arm.ece_mean is None or base.ece_mean is None:
        return None
    change = arm.ece_mean - base.ece_mean
    if abs(change) < CALIBRATED_ECE:
        return None
    worse = change > 0
    every = bool(arm.ece and base.ece) and (min(arm.ece.values()) > max(base.ece.values()) if worse
                                            else max(arm.ece.values()) < min(base.ece.values()))
    text = (f"{arm.key} {'worse' if worse else 'better'} than {base.key}, ECE {fmt.num(arm.ece_mean, 3)} "
            f"against {fmt.num(base.ece_mean, 3)} {'on every seed' if every else '(the seeds overlap)'}"
            + (f", {direction(arm, numbers=False)}" if arm.overconfidence is not None else ""))
    if c.p is None:
        text += ", and no accuracy test was possible"
    elif c.separated:
        gain = c.kind == "better"
        text += (f", while its test accuracy is {'higher' if gain else 'lower'} by {fmt.signed(c.difference)} "
                 f"(decided)")
        if worse and gain:
            text += ": it trades calibration for accuracy"
    elif c.kind == "equivalent":
        text += (f", while its test accuracy ties with it (within ±{c.margin:g}, decided)"
                 + (": a loss of calibration for no gain in accuracy" if worse else ""))
    else:
        text += (f", while its test accuracy differs by {fmt.signed(c.difference)}, not decidedly"
                 + (": a loss of calibration for no measurable gain in accuracy" if worse else ""))
    if c.improving:
        text += f" (at this budget: {join(list(c.improving))} still improving)"
    return text


def _nll(arms: list[ArmSummary]) -> str | None:
    """Say so when the lowest test NLL is not the highest accuracy: NLL also charges confident mistakes."""
    arms = [a for a in arms if a.nll_mean is not None and a.acc_mean is not None]
    if len(arms) < 2:
        return None
    by_nll = min(arms, key=lambda a: a.nll_mean)
    by_accuracy = max(arms, key=lambda a: a.acc_mean)
    if by_nll.key == by_accuracy.key:
        return (f"The lowest test NLL, {fmt.num(by_nll.nll_mean, 3)} nats, is also the most accurate arm's "
                f"({by_nll.key}).")
    return (f"The lowest test NLL is {by_nll.key}'s ({fmt.num(by_nll.nll_mean, 3)} nats), not the most accurate arm's "
            f"({by_accuracy.key}, {fmt.num(by_accuracy.nll_mean, 3)} nats): NLL also charges confident mistakes.")
