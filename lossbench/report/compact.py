"""The terminal's tables: the same sections as ``tables``, in fewer columns and 3 decimals, to fit a terminal.

Each returns (title, headers, rows) as plain strings; the terminal only lays them out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt
from lossbench.report.tables import ranked, tier

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport
    from lossbench.report.summary import ArmSummary
    from lossbench.decisions import Verdict

Titled = tuple[str, list[str], list[list[str]]]
IMPROVING_NOTE = ("conv. NO: still improving at the last epoch, with the mean gain of the best objective over the "
                  "last patience epochs (a fraction for accuracy, nats for NLL); such arms are not ranked.")


def claims(report: SweepReport) -> Titled:
    return ("Published claims against this run", ["claim", "this run", "verdict"],
            [[c.claim, (f"(setup departs from the paper's: {'; '.join(c.departures)}) " if c.departures else "")
              + c.evidence, c.verdict_words] for c in report.claims])


def leaderboard(report: SweepReport) -> Titled:
    return ("Leaderboard: final-phase test accuracy; arms in one tier are not yet separated (not shown equal)",
            ["tier", "arm", "test acc", "95% CI", "n", "conv.", "div."],
            [[tier(report, a), a.key, fmt.mean_std(a.acc_mean, a.acc_std, 3), _ci(a), str(len(a.accuracy)),
              _converged(a), fmt.pct(a.divergence_rate)] for a in ranked(report)])


def components(report: SweepReport) -> Titled:
    return ("Components: the plugin and version each came from",
            ["component", "kind", "plugin", "version"],
            [[name, str(info.get("kind", "")), str(info.get("plugin") or fmt.NONE),
              str(info.get("version") or "(no version)")] for name, info in sorted(report.components.items())])


def decisions(report: SweepReport) -> Titled:
    rows = [[f"{d.arm}\nvs {d.other}", d.kind, fmt.signed(d.difference, 3), fmt.interval(d.interval, 3, sign=True),
             _needs(d)] for d in report.decisions]
    rows += [[f"{d.arm}\nvs {d.other}", {"better": "faster", "worse": "slower",
                                          "confounded": "speed: two lrs"}.get(d.kind, "speed open"),
              f"{fmt.signed(d.difference, 1)} ep", fmt.interval(d.interval, 1, sign=True),
              _needs(d)] for d in report.speed]
    return ("Decisions: arms differing in one factor (paired t over shared seeds, Holm)",
            ["comparison", "verdict", "diff", "interval", "to decide"], rows)


def _needs(d: Verdict) -> str:
    if d.decided:
        return "decided"
    if d.kind != "open":
        return {"not training": "train longer", "confounded": "one lr"}.get(d.kind, fmt.NONE)
    if d.needs_epochs is not None:
        return f"{d.needs_epochs} epochs"
    return f"{d.needs_seeds} seeds" if d.needs_seeds is not None else fmt.NONE


def calibration(report: SweepReport) -> Titled:
    return ("Calibration and NLL (test split; conf.: mean confidence of the predicted class)",
            ["arm", "NLL", "ECE", "conf.", "conf. - acc."],
            [[a.key, fmt.num(a.nll_mean, 3), fmt.num(a.ece_mean, 3), fmt.num(a.confidence_mean, 3),
              fmt.signed(a.overconfidence, 3)] for a in report.arms])


def comparisons(report: SweepReport) -> Titled:
    rows = []
    for c in report.comparisons:
        tested = ([fmt.signed(c.difference, 3), fmt.interval(c.interval, 3, sign=True), fmt.pvalue(c.p),
                   "decided" if c.decided else str(c.needs_seeds or fmt.NONE)]
                  if c.p is not None else [fmt.signed(c.difference, 3), "no test", fmt.NONE, fmt.NONE])
        rows.append([c.arm if c.scope == "arms" else f"{c.factor}: {c.arm}", c.other, str(c.seeds), *tested])
    return ("Comparisons: the verdicts on each arm against its baseline and on each factor's levels",
            ["arm", "baseline", "n", "diff", "interval", "p Holm", "seeds"], rows)


def baseline_note(report: SweepReport) -> str:
    return (f"Baseline: {report.baseline}; factor levels over matched arms, one unit per seed (the mean over them); "
            "seeds: those a paired t-test would need for power 0.8, where not decided.")


def robustness(report: SweepReport) -> Titled:
    return ("Robustness: learning rates that train, seed range, tuning best - final mean",
            ["arm", "lr that trains", "lr tried", "seed range", "tuning gap"], [_robustness(a) for a in report.arms])


def effects(report: SweepReport) -> Titled:
    return ("Main effects (spread of mean test accuracy between levels, matched arms)",
            ["factor", "spread", "levels", "unmatched"],
            [[e.factor, fmt.num(e.spread, 3), ", ".join(f"{k} {fmt.num(v, 3)}" for k, v in e.levels.items()),
              str(e.excluded)] for e in report.factorial.effects])


def sparklines(report: SweepReport) -> Titled:
    return ("Per arm: learning curve; gradient flow through time and gradient norm (log scales)",
            ["arm", "val acc", "flow init", "flow end", "grad norm", "clip"],
            [[a.key, fmt.sparkline(a.curve_mean), fmt.sparkline(a.flow_init, log=True),
              fmt.sparkline(a.flow_final, log=True), fmt.sparkline(a.grad_norms, log=True), fmt.pct(a.clip_rate)]
             for a in report.arms])


def _converged(arm: ArmSummary) -> str:
    c = arm.convergence
    if c is None or c.converged is None:
        return "?"
    if not c.converged:
        return f"NO {fmt.signed(c.gain, 3)}"
    if c.not_training == c.seeds:
        return "at chance"
    return f"collapsed {c.collapsed}/{c.seeds}" if c.collapsed else "plateaued"


def _robustness(arm: ArmSummary) -> list[str]:
    r, gap = arm.lr_range, arm.tuning_gap
    trains = fmt.NONE if r is None else _span(r.good) + (" only" if r.only_one else " narrow" if r.narrow else "")
    spread = fmt.NONE if arm.seed_range is None else fmt.num(arm.seed_range, 2) + (" !" if arm.unstable else "")
    shown_gap = fmt.NONE if gap is None else fmt.signed(gap.gap, 2) + (" !" if gap.flagged else "")
    return [arm.key, trains, fmt.NONE if r is None else _span(r.tried), spread, shown_gap]


def _span(values: list[float]) -> str:
    return f"{values[0]:.1e}" + (f"..{values[-1]:.1e}" if len(values) > 1 else "")


def _ci(arm: ArmSummary) -> str:
    if arm.acc_ci is None:
        return "no interval (< 3 seeds)" if arm.accuracy else fmt.NONE
    return fmt.interval(arm.acc_ci, 3)
