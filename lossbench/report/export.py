"""Machine-readable outputs: ``results.json`` (schema ``lossbench.results/1``) and ``trials.csv``.

``results.json``, what other tools read. Missing or non-finite numbers are ``null``; accuracies are fractions.
- ``schema``: "lossbench.results/1"; ``name``; ``generated`` (UTC); ``storage`` (password masked)
- ``partial``: true while some arm has not finished; ``unfinished``: their arm keys
- ``spec``: the sweep spec as stored; ``provenance``: versions, seeds, threads, machine, git commit, as stored
- ``components``: {name: {kind, summary, plugin, ...}} where known
- ``test``: "wilcoxon" or "t"; ``baseline``: what each arm is compared against, in words
- ``leaderboard``: one object per arm, best mean test accuracy first:
  ``arm``, ``loss``, ``cell``, ``remedies`` ("none" or names joined by +), ``finished``,
  ``test_accuracy``: {``mean``, ``std``, ``ci95``: [low, high] or null (fewer than 3 seeds), ``n``,
  ``by_seed``: {seed: accuracy}}, ``test_nll_mean``, ``test_ece_mean``, ``final_runs``, ``final_diverged``,
  ``tuning``: {``trials``, ``pruned``, ``diverged``, ``failed``, ``divergence_rate``}, ``seconds_per_epoch``,
  ``best_params``, ``errors``, ``curve``: {``val_accuracy_mean``, ``val_accuracy_std``} per epoch,
  ``gradients``: {``vanishing_ratio_init``, ``vanishing_ratio_final``, ``flow_init``, ``flow_final``,
  ``clip_rate``, ``grad_norm_steps``, ``grad_norms``}, ``sensitivity``: [{lr, value, status}],
  ``importances``: {param: importance} or null
- ``comparisons``: [{``arm``, ``baseline``, ``seeds``, ``test``, ``n``, ``mean_difference``, ``statistic``,
  ``p``, ``p_holm``, ``effect``, ``effect_name``}]; the test fields are null with fewer than 2 shared seeds
- ``factorial``: {``grids``: [{cell, losses, remedies, values[loss][remedy]}], ``main_effects``:
  [{factor, levels: {level: mean}, spread, excluded}]}: a level's mean is over matched arms only (those whose
  other two factors were measured at every level); ``excluded`` counts the arms left out
- ``refused``: [{arm, reason}]; ``findings``: [sentence]

``trials.csv``: one row per stored trial (tuning and final phase), columns ``TRIAL_COLUMNS``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from lossbench.results import mask_all
from lossbench.results.schema import finite_json

RESULTS_SCHEMA = "lossbench.results/1"
TRIAL_COLUMNS = ["sweep", "arm", "loss", "cell", "remedies", "phase", "number", "state", "status", "seed", "value",
                 "lr", "params", "test_accuracy", "test_nll", "test_ece", "seconds_per_epoch", "clip_rate",
                 "vanishing_ratio_final", "diverged_at", "error"]


def results_json(model: Any) -> str:
    arms = []
    for a in model.arms:
        arms.append({
            "arm": a.key, "loss": a.loss, "cell": a.cell, "remedies": a.remedies, "finished": a.finished,
            "test_accuracy": {"mean": a.acc_mean, "std": a.acc_std, "ci95": list(a.acc_ci) if a.acc_ci else None,
                              "n": len(a.accuracy), "by_seed": {str(s): v for s, v in a.accuracy.items()}},
            "test_nll_mean": a.nll_mean, "test_ece_mean": a.ece_mean, "final_runs": a.final_runs,
            "final_diverged": a.final_diverged,
            "tuning": {"trials": a.trials, "pruned": a.pruned, "diverged": a.diverged, "failed": a.failed,
                       "divergence_rate": a.divergence_rate},
            "seconds_per_epoch": a.seconds_per_epoch, "best_params": a.best_params, "errors": a.errors,
            "curve": {"val_accuracy_mean": a.curve_mean, "val_accuracy_std": a.curve_std},
            "gradients": {"vanishing_ratio_init": a.ratio_init, "vanishing_ratio_final": a.ratio_final,
                          "flow_init": a.flow_init, "flow_final": a.flow_final, "clip_rate": a.clip_rate,
                          "grad_norm_steps": a.grad_steps, "grad_norms": a.grad_norms},
            "sensitivity": [{"lr": lr, "value": v, "status": s} for lr, v, s in a.sensitivity],
            "importances": a.importances,
        })
    comparisons = [{"arm": c.arm, "baseline": c.baseline, "seeds": c.seeds, "test": model.test,
                    "n": c.test.n if c.test else len(c.seeds),
                    "mean_difference": c.test.mean_difference if c.test else None,
                    "statistic": c.test.statistic if c.test else None, "p": c.test.p if c.test else None,
                    "p_holm": c.p_holm, "effect": c.test.effect if c.test else None,
                    "effect_name": c.test.effect_name if c.test else None} for c in model.comparisons]
    factorial = model.factorial
    document = {
        "schema": RESULTS_SCHEMA, "name": model.name, "generated": model.generated, "storage": model.storage,
        "partial": model.partial, "unfinished": model.unfinished, "spec": model.spec, "provenance": model.provenance,
        "components": model.components, "test": model.test, "baseline": model.baseline, "leaderboard": arms,
        "comparisons": comparisons,
        "factorial": {"grids": [{"cell": g.cell, "losses": g.losses, "remedies": g.remedies, "values": g.values}
                                for g in factorial.grids],
                      "main_effects": [{"factor": e.factor, "levels": e.levels, "spread": e.spread,
                                        "excluded": e.excluded}
                                       for e in factorial.effects]},
        "refused": [{"arm": arm, "reason": why} for arm, why in model.refused],
        "findings": model.findings,
    }
    return json.dumps(finite_json(document), indent=1, allow_nan=False, default=str)


def trials_csv(data: Any) -> str:
    """One row per trial of every arm, from the stored sweep itself (not the model)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TRIAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for arm in data.arms:
        for phase, trials in [("tune", arm.tuning), ("final", arm.final)]:
            for t in trials:
                result = t.result or {}
                test = result.get("test") or {}
                ratios = (result.get("flow") or {}).get("vanishing_ratio") or {}
                last = max(ratios, key=int) if ratios else None
                writer.writerow(mask_all({
                    "sweep": data.name, "arm": arm.key, "loss": arm.loss, "cell": arm.cell,
                    "remedies": "+".join(arm.remedies) or "none", "phase": phase, "number": t.number,
                    "state": t.state, "status": t.status or "", "seed": _cell(t.seed), "value": _cell(t.value),
                    "lr": _cell(t.params.get("lr")), "params": json.dumps(t.params, sort_keys=True, default=str),
                    "test_accuracy": _cell(test.get("accuracy")), "test_nll": _cell(test.get("nll")),
                    "test_ece": _cell(test.get("ece")), "seconds_per_epoch": _cell(result.get("seconds_per_epoch")),
                    "clip_rate": _cell(result.get("clip_rate")),
                    "vanishing_ratio_final": _cell(ratios.get(last) if last is not None and last != "0" else None),
                    "diverged_at": json.dumps(t.user_attrs["diverged_at"]) if t.user_attrs.get("diverged_at") else "",
                    "error": t.error or ""}))
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value
