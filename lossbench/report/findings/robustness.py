"""Robustness: learning-rate sensitivity (tuning trials), instability over seeds (final seeds that disagree, runs
that collapsed), and the winner's curse (the best single-seed tuning score against the final seeds' mean of the
same validation objective, collapsed runs left out: a collapse is an instability, not a lucky tuning seed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.findings.words import join, objective, value
from lossbench.report.thresholds import COLLAPSE_DROP, NARROW_SPAN, SEED_RANGE

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence
    from lossbench.report.summary import ArmSummary


def sentences(report: Evidence) -> list[str]:
    out = []
    lr = _learning_rate(report)
    if lr:
        out.append(lr)
    unstable = [f"{a.key} ({', '.join(fmt.num(v, 2) for v in sorted(a.accuracy.values()))}: a range of "
                f"{fmt.num(a.seed_range, 2)}, mean {fmt.num(a.acc_mean, 2)})" for a in report.arms if a.unstable]
    if unstable:
        out.append(f"The final seeds disagree (test accuracies spanning more than {SEED_RANGE}) for {join(unstable)}: "
                   "such a mean describes no single run.")
    broke = [f"{a.key} on seed {c.seed} (from {fmt.num(c.best, 3)} at epoch {c.best_epoch} to {fmt.num(c.last, 3)} at "
             f"epoch {c.epochs}" + (f", lr {fmt.sci(c.lr)}" if c.lr else "") + ")" for a in report.arms for c in a.collapses]
    if broke:
        out.append(f"Instability: final runs collapsed (their validation accuracy ended more than {COLLAPSE_DROP} below "
                   f"its best) for {join(broke)}; each was tested with its best epoch's weights, but the arm does not "
                   f"train stably at this learning rate.")
    gaps = [_gap(report, a) for a in report.arms if a.tuning_gap is not None and a.tuning_gap.flagged]
    if gaps:
        out.append(f"Tuning scores overstated the final seeds ({objective(report)}, last epoch, same metric on both "
                   f"sides; collapsed runs left out) for {join(gaps)}: picking the best of single-seed trials "
                   f"favours a lucky seed.")
    return out


def _gap(report: Evidence, arm: ArmSummary) -> str:
    gap = arm.tuning_gap
    lr_text = f" at lr {fmt.sci(arm.lr_range.best_lr)}" if arm.lr_range else ""
    spread = f" ± {fmt.num(gap.final_se)}" if gap.final_se is not None else ""
    return (f"{arm.key} by {fmt.num(gap.gap)} (tuning {value(report, gap.tuning)}{lr_text}, "
            f"{fmt.plural(gap.seeds, 'final seed')} {value(report, gap.final_mean)}{spread})")


def _learning_rate(report: Evidence) -> str | None:
    ranges = [(a, a.lr_range) for a in report.arms if a.lr_range is not None and len(a.lr_range.tried) > 1]
    if not ranges:
        return None
    parts = []
    budget = budget_words(report)  # a rate that fails in 3 epochs may train in 30: the budget, not the arm, may limit
    for arm, r in ranges:
        failing = ", ".join(f"{fmt.sci(lr)} ({'diverged' if status == 'diverged' else value(report, v)})"
                            for lr, v, status in r.failing[:4])
        only = f"{arm.key} trained only at lr {fmt.sci(r.good[0])} {budget}"
        if r.only_one:
            parts.append(f"{only} ({value(report, r.best_value)}), not at {failing}" if failing else only)
        elif r.narrow:
            parts.append(f"{arm.key} only from lr {fmt.sci(r.good[0])} to {fmt.sci(r.good[-1])} {budget} "
                         f"({r.span:.1f}x, of {fmt.sci(r.tried[0])} to {fmt.sci(r.tried[-1])} tried; not at {failing})")
    tolerance = ranges[0][1].tolerance
    robust = [a for a, r in ranges if not (r.only_one or r.narrow)]
    if not parts:
        return (f"No arm is sensitive to the learning rate within the range tuned: each trained within {tolerance} of "
                f"its best ({objective(report)}, one seed per tuning trial) over at least a factor of {NARROW_SPAN:g}, or "
                "failed nowhere.")
    text = (f"Learning-rate sensitivity (tuning trials, one seed each; trains = {objective(report)} within {tolerance} "
            f"of the arm's best): " + "; ".join(parts) + ".")
    if robust:
        text += (f" The other {fmt.plural(len(robust), 'arm')} trained over a wider range (the robustness table lists "
                 "each one's).")
    return text


def budget_words(report: Evidence) -> str:
    """The tuning budget a learning rate was judged at, in words."""
    epochs = report.spec.epochs
    if epochs is None:
        return "at this budget"
    return f"at this budget of {'up to ' if report.spec.patience else ''}{fmt.plural(epochs, 'epoch')}"
