"""Plots as PNG bytes (matplotlib's Agg canvas, imported here only): the HTML inlines them, the rest links files."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from lossbench.convergence import TARGET_SHARE
from lossbench.report import fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lossbench.report.builder import SweepReport
    from lossbench.report.summary import ArmSummary

FLOOR = 1e-30  # gradient norms of exactly 0 (float underflow) are drawn at this floor on log axes
DPI = 80
Color = tuple[float, float, float, float]  # RGBA, as matplotlib's colormaps give it


@dataclass
class Plot:
    name: str  # file stem: plots/<name>.png
    section: str  # leaderboard, factorial, gradients, curves
    title: str
    png: bytes


def make_plots(report: SweepReport) -> list[Plot]:
    """Every figure of the report, a handful per cell; none for data that is absent."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    plots = [_decisions(report), _accuracy(report), _heatmap(report), _effects(report)]
    for cell in dict.fromkeys(a.cell for a in report.arms):
        arms = [a for a in report.arms if a.cell == cell]
        plots += [_flow(cell, arms), _grad_norms(cell, arms), _curves(cell, arms), _sensitivity(cell, arms)]
    plots.append(_importances(report))
    return [p for p in plots if p is not None]


def _figure(width: float, height: float, left: float = 1.0, right: float = 0.25, bottom: float = 0.6,
            top: float = 0.4, wspace: float = 0.3) -> Figure:
    """A figure with fixed margins in inches (a layout engine costs about half of all drawing time)."""
    from matplotlib.figure import Figure

    width = max(width, left + right + 1.5)
    height = max(height, bottom + top + 1.0)
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wspace)
    return fig


def _text_inches(labels: Iterable[object], fontsize: float = 10) -> float:
    """About how wide the longest label prints, in inches."""
    return 0.3 + 0.55 * fontsize / 72 * max((len(str(x)) for x in labels), default=0)


def _legend(ax: Axes, fig_height: float) -> None:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
              ncols=1 if len(ax.get_legend_handles_labels()[0]) * 0.16 < fig_height else 2)


def _legend_inches(arms: list[ArmSummary]) -> float:
    return 0.35 + _text_inches([a.key + " (clipped 100%)" for a in arms], 7)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def label(text: object) -> str:
    """Plugin-given names as plain text: matplotlib would read ``$...$`` as mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _colors(n: int) -> list[Color]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _accuracy(report: SweepReport) -> Plot | None:
    arms = [a for a in report.arms if a.acc_mean is not None]
    if not arms:
        return None
    fig = _figure(4.5 + _text_inches(a.key for a in arms), 1.0 + 0.25 * len(arms), left=_text_inches(a.key for a in arms))
    ax = fig.add_subplot()
    for y, arm in enumerate(reversed(arms)):
        low, high = arm.acc_ci if arm.acc_ci else (arm.acc_mean, arm.acc_mean)
        ax.plot([low, high], [y, y], color="tab:blue", linewidth=3, alpha=0.5)
        ax.plot(list(arm.accuracy.values()), [y] * len(arm.accuracy), "o", color="tab:gray", markersize=3)
        ax.plot([arm.acc_mean], [y], "D", color="tab:blue")
    ax.set_yticks(range(len(arms)), [label(a.key) for a in reversed(arms)])
    ax.set_xlabel("final-phase test accuracy (mean, 95% bootstrap interval, seeds)")
    return Plot("accuracy", "leaderboard", "Test accuracy per arm", _png(fig))


def _decisions(report: SweepReport) -> Plot | None:
    """Each one-factor comparison's difference with its interval (at Holm's level); decided ones filled."""
    shown = [d for d in report.decisions if d.difference is not None]
    if not shown:
        return None
    names = [wrap(f"{d.arm} vs {d.other}", 40) for d in shown]
    left = _text_inches([line for n in names for line in n.split("\n")], 8)
    fig = _figure(left + 5.0, 1.3 + 0.32 * sum(n.count("\n") + 1 for n in names), left=left, right=0.3, bottom=0.9,
                  top=0.2)
    ax = fig.add_subplot()
    ax.axvline(0, color="black", linewidth=0.8)
    colors = {"better": "tab:green", "worse": "tab:red", "equivalent": "tab:blue", "open": "tab:gray"}
    for y, d in enumerate(reversed(shown)):
        color = colors.get(d.kind, "tab:gray")
        if d.interval:
            ax.plot(list(d.interval), [y, y], color=color, linewidth=3 if d.decided else 1.5,
                    alpha=0.9 if d.decided else 0.6)
        ax.plot([d.difference], [y], "o", color=color, markersize=7 if d.decided else 5,
                markerfacecolor=color if d.decided else "white")
    ax.set_xlim(*difference_axis(shown))
    ax.set_yticks(range(len(shown)), [label(n) for n in reversed(names)], fontsize=8)
    ax.set_xlabel("difference in test accuracy (arm - other), interval at Holm's level\n"
                  "filled: decided (green: better, red: worse, blue: tie); hollow grey: open", fontsize=8)
    return Plot("decisions", "answer", "Decisions: each comparison's difference and interval", _png(fig))


def difference_axis(shown: list) -> tuple[float, float]:
    """The decision plot's x range: every difference and interval with a margin, never past -1 or +1 (a difference
    of accuracies lies there)."""
    ends = [x for d in shown for x in (d.interval or (d.difference, d.difference))] + [0.0]
    pad = 0.05 * (max(ends) - min(ends) or 1.0)
    return max(-1.0, min(ends) - pad), min(1.0, max(ends) + pad)


def wrap(text: object, width: int = 16) -> str:
    """A long name on more lines, broken after ":", "+" or a space (a plot's tick labels must not overlap)."""
    lines = [""]
    for part in re.split(r"(?<=[:+ ])", str(text)):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(line.rstrip() for line in lines if line)


def _heatmap(report: SweepReport) -> Plot | None:
    fig = heatmap_figure(report)
    return None if fig is None else Plot("factorial", "factorial", "Loss x remedy set, per cell (mean test accuracy)",
                                          _png(fig))


def heatmap_figure(report: SweepReport) -> Figure | None:
    """The factorial grids side by side: loss names only left of the first (the rows are the same losses),
    remedy names wrapped and turned, each column as wide as its label needs."""
    import numpy as np

    grids = report.factorial.grids
    if not grids or not any(v is not None for g in grids for row in g.values for v in row):
        return None
    losses = [wrap(loss) for loss in grids[0].losses]
    remedies = [wrap(r) for g in grids for r in g.remedies]
    lines = [line for r in remedies for line in r.split("\n")]
    left = _text_inches([line for loss in losses for line in loss.split("\n")])
    bottom = 0.3 + 0.5 * _text_inches(lines) + 0.17 * max(r.count("\n") for r in remedies)  # turned by 30 degrees
    column = max(0.9, 0.75 * _text_inches(lines))
    width = left + 1.2 + len(grids) * (column * len(grids[0].remedies) + 0.5)
    height = bottom + 0.5 + 0.4 * sum(loss.count("\n") + 1 for loss in losses)
    fig = _figure(width, height, left=left, right=1.2, bottom=bottom)
    axes = fig.subplots(1, len(grids), squeeze=False, sharey=True)[0]
    for ax, grid in zip(axes, grids):
        values = np.array([[np.nan if v is None else v for v in row] for row in grid.values], dtype=float)
        image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(grid.remedies)), [label(wrap(r)) for r in grid.remedies], rotation=30, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks(range(len(grid.losses)), [label(wrap(loss)) for loss in grid.losses])
        ax.tick_params(axis="y", labelleft=ax is axes[0])
        ax.set_title(label(wrap(f"cell {grid.cell}", 24)))
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, fmt.num(v, 3), ha="center", va="center",
                    color="white" if not math.isnan(v) and v < 0.6 else "black", fontsize=8)
    fig.colorbar(image, ax=list(axes), label="mean test accuracy", fraction=0.05, pad=0.02)
    return fig


def _effects(report: SweepReport) -> Plot | None:
    effects = [e for e in report.factorial.effects if e.levels]
    if not effects:
        return None
    bottom = 0.2 + 0.5 * _text_inches([k for e in effects for k in e.levels])
    fig = _figure(0.8 + 2.6 * len(effects), bottom + 2.2, bottom=bottom)
    axes = fig.subplots(1, len(effects), squeeze=False, sharey=True)[0]
    for ax, effect in zip(axes, effects):
        levels = list(effect.levels)
        ax.bar(range(len(levels)), [effect.levels[k] for k in levels], color="tab:blue")
        ax.set_xticks(range(len(levels)), [label(k) for k in levels], rotation=30, ha="right")
        spread = fmt.num(effect.spread, 3)
        ax.set_title(f"{effect.factor} (spread {spread})")
    axes[0].set_ylabel("mean test accuracy")
    return Plot("main_effects", "factorial", "Main effect of each factor", _png(fig))


def _arm_plot(arms: list[ArmSummary], height: float, draw: Callable[[Axes, ArmSummary, Color], None], *,
              name: str, section: str, caption: str, title: str, xlabel: str, ylabel: str, xlog: bool = False,
              ylog: bool = False) -> Plot | None:
    """One figure of one cell's arms, a colour and a legend entry each: ``draw`` draws one arm."""
    if not arms:
        return None
    fig = _figure(6 + _legend_inches(arms), height, right=_legend_inches(arms))
    ax = fig.add_subplot()
    for color, arm in zip(_colors(len(arms)), arms):
        draw(ax, arm, color)
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(label(title))
    _legend(ax, fig.get_figheight())
    return Plot(name, section, caption, _png(fig))


def _flow(cell: str, arms: list[ArmSummary]) -> Plot | None:
    def draw(ax: Axes, arm: ArmSummary, color: Color) -> None:
        if arm.flow_init:
            ax.plot(range(1, len(arm.flow_init) + 1), [max(v, FLOOR) for v in arm.flow_init], "--", color=color,
                    alpha=0.5, linewidth=1)
        if arm.flow_final:
            ax.plot(range(1, len(arm.flow_final) + 1), [max(v, FLOOR) for v in arm.flow_final], color=color,
                    label=label(arm.key))

    return _arm_plot([a for a in arms if a.flow_final or a.flow_init], 3.6, draw, name=f"flow_{_stem(cell)}",
                     section="gradients", caption=f"Gradient flow, {cell}",
                     title=f"{cell}: gradient flow through time (dashed: initialisation; solid: trained)",
                     xlabel="input time step t", ylabel=f"||dL/dx_t||, mean over seeds (floor {FLOOR:g})", ylog=True)


def _grad_norms(cell: str, arms: list[ArmSummary]) -> Plot | None:
    def draw(ax: Axes, arm: ArmSummary, color: Color) -> None:
        ax.plot(arm.grad_steps, [max(v, FLOOR) for v in arm.grad_norms], color=color, linewidth=1,
                label=label(f"{arm.key} (clipped {fmt.pct(arm.clip_rate)})"))

    return _arm_plot([a for a in arms if a.grad_norms], 3.2, draw, name=f"grad_norms_{_stem(cell)}",
                     section="gradients", caption=f"Gradient norm, {cell}",
                     title=f"{cell}: gradient norm over training, mean over seeds", xlabel="training step",
                     ylabel="total gradient norm (before clipping)", ylog=True)


def _curves(cell: str, arms: list[ArmSummary]) -> Plot | None:
    def draw(ax: Axes, arm: ArmSummary, color: Color) -> None:
        epochs = list(range(1, len(arm.curve_mean) + 1))
        ax.plot(epochs, arm.curve_mean, marker="o", markersize=3, color=color, label=label(arm.key))
        low = [m - s for m, s in zip(arm.curve_mean, arm.curve_std)]
        high = [m + s for m, s in zip(arm.curve_mean, arm.curve_std)]
        ax.fill_between(epochs, low, high, color=color, alpha=0.15)
        if arm.best_epoch is not None:  # the plateau: the epoch whose weights were tested
            ax.axvline(arm.best_epoch, color=color, linestyle=":", linewidth=1.2)
        if arm.target_epoch is not None and arm.curve_mean:
            at = min(len(arm.curve_mean), max(1, round(arm.target_epoch)))
            ax.plot([at], [arm.curve_mean[at - 1]], marker="v", markersize=9, color=color, markeredgecolor="black")

    return _arm_plot([a for a in arms if a.curve_mean], 3.4, draw, name=f"curves_{_stem(cell)}", section="curves",
                     caption=f"Learning curves, {cell}",
                     title=f"{cell}: learning curves, final phase (dotted: best epoch; v: time to "
                           f"{TARGET_SHARE:.0%} of the best; medians over seeds)",
                     xlabel="epoch", ylabel="validation accuracy (mean ± std over seeds)")


def _sensitivity(cell: str, arms: list[ArmSummary]) -> Plot | None:
    def draw(ax: Axes, arm: ArmSummary, color: Color) -> None:
        for status, marker in [("completed", "o"), ("pruned", "x"), ("diverged", "v")]:
            points = [(lr, v) for lr, v, s in arm.sensitivity if s == status]
            if points:
                ax.scatter([p[0] for p in points], [p[1] for p in points], color=color, marker=marker, s=18,
                           label=label(arm.key) if status == "completed" else None)

    return _arm_plot([a for a in arms if a.sensitivity], 3.2, draw, name=f"sensitivity_{_stem(cell)}",
                     section="curves", caption=f"Learning-rate sensitivity, {cell}",
                     title=f"{cell}: sensitivity to the learning rate, every tuning trial",
                     xlabel="learning rate (o completed, x pruned, v diverged)", ylabel="tuning objective", xlog=True)


def _importances(report: SweepReport) -> Plot | None:
    import numpy as np

    arms = [a for a in report.arms if a.importances]
    params = list(dict.fromkeys(p for a in arms for p in a.importances))
    if not arms or len(params) < 2:
        return None
    values = np.array([[a.importances.get(p, np.nan) for p in params] for a in arms], dtype=float)
    left = _text_inches(a.key for a in arms)
    bottom = 0.2 + 0.5 * _text_inches(params)
    fig = _figure(left + 1.6 + 0.8 * len(params), bottom + 0.4 + 0.25 * len(arms), left=left, right=1.3,
                  bottom=bottom)
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(params)), [label(p) for p in params], rotation=30, ha="right")
    ax.set_yticks(range(len(arms)), [label(a.key) for a in arms])
    fig.colorbar(image, ax=ax, label="Optuna importance")
    return Plot("importances", "curves", "Hyperparameter importances (Optuna)", _png(fig))


def _stem(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
