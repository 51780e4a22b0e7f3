"""The terminal report: Rich tables, findings and sparklines (block characters) of curves and gradient flow."""

from __future__ import annotations

import math
from typing import Any, Sequence

from lossbench.report import fmt

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], log: bool = False, width: int = 9) -> str:
    """Block characters scaled between the series' min and max; log scale for gradient norms (zeros at the floor)."""
    kept = [v for v in values if v is not None and math.isfinite(v)]
    if not kept:
        return ""
    if len(values) > width:  # thin evenly to the width
        values = [values[round(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    if log:
        positive = [v for v in kept if v > 0]
        floor = min(positive) if positive else 1.0
        values = [None if v is None else math.log10(max(v, floor)) for v in values]
        kept = [v for v in values if v is not None]
    low, high = min(kept), max(kept)
    span = high - low or 1.0
    return "".join(" " if v is None or not math.isfinite(v) else BLOCKS[round((v - low) / span * (len(BLOCKS) - 1))]
                   for v in values)


def render_terminal(model: Any, console: Any = None) -> None:
    from rich.console import Console
    from rich.text import Text

    console = console or Console()
    title = f"lossbench report: {model.name}" + (" (PARTIAL: some arms unfinished)" if model.partial else "")
    console.print(_plain(title, style="bold yellow" if model.partial else "bold"))
    if model.claims:
        console.print(_table("Published claims against this run", ["claim", "this run", "verdict"],
                             [[c.claim, c.evidence, c.verdict] for c in model.claims]))
    console.print(_table("Leaderboard: final-phase test accuracy",
                         ["#", "arm", "test acc", "95% CI", "n", "conv.", "div."],
                         [[str(i), a.key, _mean_std(a.acc_mean, a.acc_std), _ci(a), str(len(a.accuracy)),
                           _converged(a), fmt.pct(a.divergence_rate)] for i, a in enumerate(model.arms, 1)]))
    if any(a.improving for a in model.arms):
        console.print(Text("conv. NO: still improving at the last epoch (mean gain of the objective over the last "
                           "epochs); such arms are not ranked.", style="yellow"))
    console.print(_table("Calibration and NLL (test split; conf.: mean confidence of the predicted class)",
                         ["arm", "NLL", "ECE", "conf.", "conf. - acc."],
                         [[a.key, fmt.num(a.nll_mean, 3), fmt.num(a.ece_mean, 3), fmt.num(a.confidence_mean, 3),
                           fmt.signed(a.overconfidence, 3)] for a in model.arms]))
    console.print(_table(f"Comparisons: {model.test}, Holm-corrected together",
                         ["arm", "baseline", "n", "diff", "95% interval", "p Holm", "seeds"],
                         [[c.arm if c.factor is None else f"{c.factor}: {c.arm}", c.baseline,
                           str(c.test.n if c.test else len(c.seeds)), *(
                             [fmt.signed(c.test.mean_difference, 3), _interval(c.interval), fmt.pvalue(c.p_holm),
                              "sig." if c.significant else str(c.seeds_needed or fmt.NONE)]
                             if c.test else ["-", "< 2 seeds", "no test", "-"])]
                          for c in model.comparisons]))
    console.print(_plain(f"Baseline: {model.baseline}; factor levels over matched arms x shared seeds; seeds: pairs "
                         "a paired t-test needs for power 0.8, where not significant."))
    console.print(_table("Robustness: learning rates that train, seed range, tuning best - final mean",
                         ["arm", "lr that trains", "lr tried", "seed range", "tuning gap"],
                         [_robustness(a) for a in model.arms]))
    console.print(_table("Main effects (spread of mean test accuracy between levels, matched arms)",
                         ["factor", "spread", "levels", "unmatched"],
                         [[e.factor, fmt.num(e.spread, 3), ", ".join(f"{k} {fmt.num(v, 3)}" for k, v in e.levels.items()),
                           str(e.excluded)] for e in model.factorial.effects]))
    console.print(_sparklines(model))
    console.print(Text("Findings", style="bold"))
    for sentence in model.findings:
        console.print(_plain(f"- {sentence}"))


def _mean_std(mean: float | None, std: float | None) -> str:
    return fmt.NONE if mean is None else fmt.num(mean, 3) + ("" if std is None else f" ± {fmt.num(std, 3)}")


def _converged(arm: Any) -> str:
    c = arm.convergence
    if c is None or c.converged is None:
        return "?"
    return "plateaued" if c.converged else f"NO {fmt.signed(c.gain, 3)}"


def _robustness(arm: Any) -> list[str]:
    r, gap = arm.lr_range, arm.tuning_gap
    span = lambda values: f"{values[0]:.1e}" + (f"..{values[-1]:.1e}" if len(values) > 1 else "")  # noqa: E731
    trains = fmt.NONE if r is None else span(r.good) + (" only" if r.only_one else " narrow" if r.narrow else "")
    spread = fmt.NONE if arm.seed_range is None else fmt.num(arm.seed_range, 2) + (" !" if arm.unstable else "")
    shown_gap = fmt.NONE if gap is None else fmt.signed(gap.gap, 2) + (" !" if gap.flagged else "")
    return [arm.key, trains, fmt.NONE if r is None else span(r.tried), spread, shown_gap]


def _interval(interval: Any) -> str:
    return fmt.NONE if interval is None else f"[{fmt.signed(interval[0], 3)}, {fmt.signed(interval[1], 3)}]"


def _ci(arm: Any) -> str:
    if arm.acc_ci is None:
        return "no interval (< 3 seeds)" if arm.accuracy else fmt.NONE
    return f"[{fmt.num(arm.acc_ci[0], 3)}, {fmt.num(arm.acc_ci[1], 3)}]"


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title=_plain(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        text = header in ("arm", "baseline", "factor", "levels", "claim", "this run", "verdict")
        # Numbers never wrap or shorten (a cut number is a wrong number); names fold onto more lines instead.
        table.add_column(header, justify="left" if text else "right", no_wrap=not text, overflow="fold",
                         min_width=12 if text else None)
    for row in rows:
        table.add_row(*[_plain(cell) for cell in row])
    return table


def _sparklines(model: Any) -> Any:
    from rich.table import Table

    from rich import box

    table = Table(title="Per arm: learning curve; gradient flow through time and gradient norm (log scales)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ["arm", "val acc", "flow init", "flow end", "grad norm", "clip"]:
        table.add_column(column, no_wrap=column != "arm", overflow="fold", min_width=4 if column == "clip" else 9)
    for a in model.arms:
        table.add_row(_plain(a.key), sparkline(a.curve_mean), sparkline(a.flow_init, log=True),
                      sparkline(a.flow_final, log=True), sparkline(a.grad_norms, log=True),
                      fmt.pct(a.clip_rate))
    return table


def _plain(text: str, style: str = "") -> Any:
    from rich.text import Text

    from lossbench.text import printable

    return Text(printable(text), style=style)  # never Rich markup or a control character: names come from plugins
