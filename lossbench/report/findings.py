"""Findings: short sentences in plain words, every number taken from the report model (nothing hard-coded)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lossbench.report import fmt

ALPHA = 0.05


def write_findings(model: Any) -> list[str]:
    """One sentence (or a few) per topic: status, best arm, remedies per cell, factors, divergence, gradients."""
    out: list[str] = []
    if model.partial:
        out.append(f"This report is partial: {len(model.unfinished)} of {len(model.arms)} arms have not finished "
                   f"({', '.join(model.unfinished)}); their numbers may change.")
    measured = [a for a in model.arms if a.acc_mean is not None]
    if not measured:
        out.append("No arm has a final-phase test result yet, so nothing can be ranked.")
    else:
        out.append(_best(model, measured[0]))
    if model.seeds < 2 or (measured and all(len(a.accuracy) < 2 for a in measured)):
        out.append("With fewer than 2 seeds per arm, no interval or significance test is possible; "
                   "the numbers are single runs.")
    out += _remedies(model)
    out += _factors(model)
    out += _divergence(model)
    out += _flow(model)
    for arm, why in model.refused:
        out.append(f"The combination {arm} was refused" + (f": {why}." if why else "."))
    return out


def _best(model: Any, best: Any) -> str:
    n = len(best.accuracy)
    text = (f"The best arm is {best.key}, with a final-phase test accuracy of {fmt.mean_std(best.acc_mean, best.acc_std)} "
            f"over {n} seed{'s' * (n != 1)}")
    text += f" (95% bootstrap interval {fmt.interval(best.acc_ci)})." if best.acc_ci else "."
    if len(measured := [a for a in model.arms if a.acc_mean is not None]) > 1:
        worst = measured[-1]
        text += f" The weakest measured arm is {worst.key} at {fmt.num(worst.acc_mean)}."
    comparison = next((c for c in model.comparisons if c.arm == best.key), None)
    if comparison and comparison.test is not None:
        verdict = "significant" if comparison.p_holm < ALPHA else "not significant"
        text += (f" Against its baseline {comparison.baseline} it differs by {fmt.signed(comparison.test.mean_difference)} "
                 f"over {comparison.test.n} shared seeds (Holm-adjusted p = {fmt.pvalue(comparison.p_holm)}, "
                 f"{verdict} at {ALPHA}).")
    significant = [c for c in model.comparisons if c.p_holm is not None and c.p_holm < ALPHA]
    tested = [c for c in model.comparisons if c.test]
    if tested:
        text += (f" {len(significant)} of {len(tested)} comparisons with a baseline "
                 f"are significant after Holm's correction.")
        text += _power_note(model, tested)
    return text


def _power_note(model: Any, tested: list[Any]) -> str:
    """Wilcoxon's exact two-sided p cannot go below 2 / 2^n over n seeds: say when no result could be significant."""
    if model.test != "wilcoxon":
        return ""
    n = max(c.test.n for c in tested)
    floor = 2.0 / 2 ** n
    if floor * len(tested) < ALPHA:
        return ""
    needed = next(k for k in range(n, 64) if 2.0 / 2 ** k * len(tested) < ALPHA)
    return (f" With {n} seeds the smallest exact p-value of a Wilcoxon test is {fmt.pvalue(floor)}, so no comparison "
            f"could reach significance after Holm's correction over {len(tested)}; that needs at least {needed} seeds.")


def _remedies(model: Any) -> list[str]:
    """For each cell and remedy set: the change in mean test accuracy against no remedy, per loss."""
    by = {(a.loss, a.cell, a.remedies): a.acc_mean for a in model.arms}
    out = []
    for grid in model.factorial.grids:
        if "none" not in grid.remedies:
            continue
        for remedy in [r for r in grid.remedies if r != "none"]:
            changes = {loss: by[loss, grid.cell, remedy] - by[loss, grid.cell, "none"] for loss in grid.losses
                       if by.get((loss, grid.cell, remedy)) is not None and by.get((loss, grid.cell, "none")) is not None}
            if not changes:
                continue
            average = float(np.mean(list(changes.values())))
            text = f"On {grid.cell}, {remedy} changed mean test accuracy by {fmt.signed(average)}"
            if len(changes) > 1:
                low, high = min(changes, key=changes.get), max(changes, key=changes.get)
                text += (f" averaged over {len(changes)} losses (from {fmt.signed(changes[low])} with {low} "
                         f"to {fmt.signed(changes[high])} with {high})")
            else:
                (loss, _), = changes.items()
                text += f" with {loss}"
            out.append(text + ".")
    return out


def _factors(model: Any) -> list[str]:
    effects = [e for e in model.factorial.effects if e.spread is not None]
    if not effects:
        return []
    parts = [f"{fmt.num(e.spread)} for the {e.factor} ({max(e.levels, key=e.levels.get)} over "
             f"{min(e.levels, key=e.levels.get)})" for e in effects]
    text = ("Averaged over the matched arms of the other factors, going from the worst to the best level changes "
            "mean test accuracy by " + _join(parts))
    noise = _median_std(model)
    if len(effects) > 1 and (noise is None or effects[0].spread - effects[1].spread > noise):
        text += f": the {effects[0].factor} matters most here"
    elif len(effects) > 1:
        text += (f"; the {effects[0].factor} and the {effects[1].factor} differ by less than the seed-to-seed "
                 f"standard deviation ({fmt.num(noise)}, median over arms), so neither clearly matters more")
    excluded = [f"{e.excluded} for the {e.factor}" for e in effects if e.excluded]
    if excluded:
        text += f" (arms left out because a level they would be compared with has no result: {_join(excluded)})"
    return [text + "."]


def _divergence(model: Any) -> list[str]:
    out = []
    every = [a.key for a in model.arms if a.all_diverged]
    if every:
        out.append(f"Every tuning trial diverged for {', '.join(every)}.")
    some = [f"{a.key} ({a.diverged} of {a.trials})" for a in model.arms if a.diverged and not a.all_diverged]
    if some:
        out.append(f"Some tuning trials diverged: {', '.join(some)}.")
    finals = [f"{a.key} ({a.final_diverged} of {a.final_runs})" for a in model.arms if a.final_diverged]
    if finals:
        out.append(f"Final-phase runs diverged for {', '.join(finals)}; they are left out of the accuracy statistics.")
    if not every and not some and not finals and any(a.trials for a in model.arms):
        out.append("No run diverged.")
    failed = [f"{a.key} ({a.failed})" for a in model.arms if a.failed]
    if failed:
        out.append(f"Trials failed with an error in {', '.join(failed)}.")
    return out


def _flow(model: Any) -> list[str]:
    out = []
    for cell in dict.fromkeys(a.cell for a in model.arms):
        init = [a.ratio_init for a in model.arms if a.cell == cell and a.ratio_init is not None]
        final = [a.ratio_final for a in model.arms if a.cell == cell and a.ratio_final is not None]
        if init:
            text = (f"On {cell}, the gradient reaching the first time step is {fmt.sci(float(np.median(init)))} "
                    f"times the last step's at initialisation (median over arms)")
            if final:
                text += f" and {fmt.sci(float(np.median(final)))} times after training"
            out.append(text + ".")
    return out


def _median_std(model: Any) -> float | None:
    stds = [a.acc_std for a in model.arms if a.acc_std is not None and len(a.accuracy) >= 2]
    return float(np.median(stds)) if stds else None


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
