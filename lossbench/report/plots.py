"""Plots as PNG bytes (matplotlib's Agg canvas, imported here only): the HTML inlines them, the rest links files."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from lossbench.report import fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lossbench.report.model import ReportModel
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


def make_plots(model: ReportModel) -> list[Plot]:
    """Every figure of the report, a handful per cell; none for data that is absent."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    plots = [_accuracy(model), _heatmap(model), _effects(model)]
    for cell in dict.fromkeys(a.cell for a in model.arms):
        arms = [a for a in model.arms if a.cell == cell]
        plots += [_flow(cell, arms), _grad_norms(cell, arms), _curves(cell, arms), _sensitivity(cell, arms)]
    plots.append(_importances(model))
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


def _accuracy(model: ReportModel) -> Plot | None:
    arms = [a for a in model.arms if a.acc_mean is not None]
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


def _heatmap(model: ReportModel) -> Plot | None:
    import numpy as np

    grids = model.factorial.grids
    if not grids or not any(v is not None for g in grids for row in g.values for v in row):
        return None
    left = _text_inches(grids[0].losses)
    bottom = 0.2 + 0.5 * _text_inches(grids[0].remedies)  # labels turned by 30 degrees
    width = left + 1.2 + len(grids) * (0.9 * len(grids[0].remedies) + 0.5)
    fig = _figure(width, bottom + 0.5 + 0.4 * len(grids[0].losses), left=left, right=1.2, bottom=bottom)
    axes = fig.subplots(1, len(grids), squeeze=False)[0]
    for ax, grid in zip(axes, grids):
        values = np.array([[np.nan if v is None else v for v in row] for row in grid.values], dtype=float)
        image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(grid.remedies)), [label(r) for r in grid.remedies], rotation=30, ha="right")
        ax.set_yticks(range(len(grid.losses)), [label(loss) for loss in grid.losses])
        ax.set_title(label(f"cell {grid.cell}"))
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, fmt.num(v, 3), ha="center", va="center",
                    color="white" if not math.isnan(v) and v < 0.6 else "black", fontsize=8)
    fig.colorbar(image, ax=list(axes), label="mean test accuracy", fraction=0.05, pad=0.02)
    return Plot("factorial", "factorial", "Loss x remedy set, per cell (mean test accuracy)", _png(fig))


def _effects(model: ReportModel) -> Plot | None:
    effects = [e for e in model.factorial.effects if e.levels]
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

    return _arm_plot([a for a in arms if a.curve_mean], 3.2, draw, name=f"curves_{_stem(cell)}", section="curves",
                     caption=f"Learning curves, {cell}", title=f"{cell}: learning curves, final phase",
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


def _importances(model: ReportModel) -> Plot | None:
    import numpy as np

    arms = [a for a in model.arms if a.importances]
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
