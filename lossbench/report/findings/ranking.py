"""The best arm, or, while arms were still improving at their cap, which comparisons are decided anyway
(``report.decisions``: a still-improving arm already ahead cannot lose its lead by improving) and which it could
still overturn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.findings.words import join, objective

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence
    from lossbench.report.summary import ArmSummary


def sentences(report: Evidence) -> list[str]:
    measured = [a for a in report.arms if a.acc_mean is not None]
    if not measured:
        return ["No arm has a final-phase test result yet, so nothing can be ranked."]
    improving = [a for a in measured if a.improving]
    if not improving:
        out = [_best(report, measured[0], measured)]
        if all(a.convergence is not None and a.convergence.converged is None for a in measured):
            out.append(f"With {fmt.plural(measured[0].convergence.epochs, 'epoch')}, whether the arms had stopped "
                       "improving cannot be judged, so this ranking may reflect the budget rather than the arms.")
        return out
    out = [_refusal(report, measured, improving)]
    settled = [a for a in measured if a.convergence is not None and a.convergence.converged]
    if settled:
        best = settled[0]
        out.append(f"Among the {fmt.plural(len(settled), 'arm')} no longer improving, the highest mean test accuracy "
                   f"is {best.key}'s {fmt.mean_std(best.acc_mean, best.acc_std)}; an arm still improving could "
                   f"overtake it, so this is not a ranking of all arms.")
    return out


def _refusal(report: Evidence, measured: list[ArmSummary], improving: list[ArmSummary]) -> str:
    """How much the curves were still moving, arm by arm, and what that leaves decided."""
    verdict = improving[0].convergence
    moved = report.objective.moved
    window = fmt.plural(verdict.window, "epoch")
    parts = [f"{a.key} {fmt.signed(a.convergence.gain)}"
             + (f" ± {fmt.num(a.convergence.se)}" if a.convergence.se is not None else " (one seed)")
             for a in sorted(improving, key=lambda a: -(a.convergence.gain or 0.0))]
    leader = measured[0]
    decided = [d for d in report.decisions if d.decided and d.kind != "equivalent"]
    held = (f"; decided all the same, since improving cannot overturn them: "
            f"{join([f'{d.arm} {d.kind} than {d.other} ({fmt.signed(d.difference)})' for d in decided])}"
            if decided else "")
    return (f"No full ranking is concluded: at {fmt.plural(verdict.epochs, 'epoch')}, {len(improving)} of "
            f"{len(measured)} arms were still improving at the last epoch (their best {objective(report)} {moved} "
            f"within the last {window}: {join(parts)}), so the leaderboard's order ({leader.key} first at "
            f"{fmt.num(leader.acc_mean)}) reflects where training stopped as much as the arms{held}. Train for more "
            f"epochs to compare the rest.")


def _best(report: Evidence, best: ArmSummary, measured: list[ArmSummary]) -> str:
    """The highest mean, in words that claim no more than its tests: "best" only where a test supports it."""
    n = len(best.accuracy)
    text = (f"The highest mean test accuracy is {best.key}'s, {fmt.mean_std(best.acc_mean, best.acc_std)} over "
            f"{fmt.plural(n, 'seed')}")
    text += f" (95% bootstrap interval {fmt.interval(best.acc_ci)})." if best.acc_ci else "."
    if len(measured) > 1:
        runner, worst = measured[1], measured[-1]
        text += f" Next is {runner.key} at {fmt.num(runner.acc_mean)} ({fmt.signed(runner.acc_mean - best.acc_mean)})"
        text += f"; the weakest measured arm is {worst.key} at {fmt.num(worst.acc_mean)}." if len(measured) > 2 else "."
    comparison = next((c for c in report.against_baseline if c.arm == best.key), None)
    if comparison and comparison.p is not None:
        text += (f" Against its baseline {comparison.other} it differs by {fmt.signed(comparison.difference)} over "
                 f"{comparison.seeds} shared seeds (Holm-adjusted p = {fmt.pvalue(comparison.p)}, ")
        text += ("decided)." if comparison.separated else
                 f"{comparison.kind}), so this sweep does not show it better than its baseline.")
    return text
