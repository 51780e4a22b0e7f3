"""Machine-readable outputs: ``results.json`` (schema ``lossbench.results/1``) and ``trials.csv``.

``results.json``, what other tools read. Missing or non-finite numbers are ``null``; accuracies are fractions.
- ``schema``: "lossbench.results/1"; ``name``; ``generated`` (UTC); ``storage`` (password masked)
- ``partial``: true while some arm has not finished; ``unfinished``: their arm keys
- ``spec``: the sweep spec as stored; ``provenance``: versions, seeds, threads, machine, git commit, as stored
- ``components``: {name: {kind, summary, plugin, ...}} where known
- ``test``: "wilcoxon" or "t"; ``baseline``: what each arm is compared against, in words
- ``objective``: the tuning objective (val_accuracy or val_nll); ``sequential``: true when the final phase raced
  (``seeds = "auto"``); ``race``: how the race ended, as stored ({seeds, looks: [{seeds, decided, open}], method}),
  or null
- ``decisions``: the verdicts of ``lossbench.decisions`` on the family it judges (every pair of arms that differ
  in one factor, each arm and its baseline, a claim's arms, each factor's levels over matched arms), on test
  accuracy over shared seeds: ``kind`` (better / worse / equivalent / open / not training: how ``arm`` compares
  with ``other``), ``scope`` ("arms", or "levels" with the matched ``pairs``), ``factor`` and ``levels``,
  ``metric``, ``difference``, ``interval`` (at ``level``), ``p`` (Holm), ``p_raw``, ``effect``, ``seeds``,
  ``units`` (one per seed), ``test``, ``why``, ``identical`` (matched pairs identical seed for seed), and for open
  ones ``needs_seeds`` / ``needs_epochs`` / ``minutes`` (what would decide it)
- ``speed``: for each pair not decided on accuracy whose arms both plateaued, the same fields with ``metric``
  "epochs_to_target": the epochs each run took to a validation accuracy every run of both reaches (95% of the
  lowest best), paired over shared seeds; ``difference`` is arm - other in epochs; ``kind`` "better" means fewer
  (faster) by a factor of 1.5 or more, "open" that the test cannot tell or the factor is smaller
- ``leaderboard``: one object per arm, best mean test accuracy first:
  ``arm``, ``loss``, ``cell``, ``remedies`` ("none" or names joined by +), ``finished``,
  ``test_accuracy``: {``mean``, ``std``, ``ci95``: [low, high] or null (fewer than 3 seeds), ``n``,
  ``by_seed``: {seed: accuracy}, ``test_examples``: the predictions each run scored (its accuracy moves in steps
  of 1 / that; null for runs stored before they said)}, ``test_nll_mean``, ``test_ece_mean``, ``test_ece_by_seed``: {seed: ECE},
  ``test_confidence_mean`` (mean probability of the predicted class; above accuracy is over-confidence, null
  where the runs stored none), ``overconfidence`` (confidence - accuracy), ``final_runs``, ``final_diverged``,
  ``convergence``: {``metric``, ``epochs``, ``window`` (last epochs judged), ``gain`` (mean improvement of the
  objective over the window, positive is better), ``se`` (its standard error over seeds, null with one seed),
  ``seeds``, ``converged`` (false: still improving; null: cannot be judged)} or null,
  ``tuning``: {``trials``, ``pruned``, ``diverged``, ``failed``, ``divergence_rate``}, ``seconds_per_epoch``,
  ``best_params``, ``errors``, ``curve``: {``val_accuracy_mean``, ``val_accuracy_std``} per epoch,
  ``gradients``: {``vanishing_ratio_init``, ``vanishing_ratio_final``, ``flow_init``, ``flow_final``,
  ``profile_steps``, ``alignment`` ("last_valid_step" or null where the runs recorded none), ``unequal_lengths``,
  ``clip_rate``, ``grad_norm_steps``, ``grad_norms``}, ``sensitivity``: [{lr, value, status}],
  ``robustness``: {``lr_range``: {tolerance, best_lr, best_value, good (learning rates within the tolerance of
  the best), tried, failing: [{lr, value, status}], only_one, narrow} or null, ``seed_range``, ``unstable``,
  ``tuning_gap``: {tuning (best tuning score), final_mean (final seeds, same metric), final_se, seeds, gap,
  flagged} or null}, ``importances``: {param: importance} or null
- ``alpha``: the level the family was judged at (a raced sweep's: the race's, alpha over its planned looks)
- ``comparisons``: a view of ``decisions`` (the same numbers): [{``arm`` (an arm, or a factor's level),
  ``baseline`` (an arm, or the reference level), ``factor`` (null: an arm against its baseline; loss, cell or
  remedies: levels over matched arms, one unit per seed), ``pairs``: [[arm, baseline arm]], ``seeds`` (paired
  units), ``seeds_run`` (which seeds), ``test``, ``mean_difference``, ``interval`` (at ``level``), ``p``,
  ``p_holm`` (over the family),
  ``kind`` and ``decided`` (the verdict), ``effect``, ``effect_name``, ``seeds_needed`` (open: seeds a paired
  t-test would need), ``improving`` (arms still improving)}]; the test fields are null with fewer than 2 seeds
- ``factorial``: {``grids``: [{cell, losses, remedies, values[loss][remedy]}], ``main_effects``:
  [{factor, levels: {level: mean}, spread, best, worst (null on a tie), excluded}], ``contrast``: the largest
  spread against the next, per seed ({test, n, mean_difference, p}) or null}: a level's mean is over matched
  arms only (those whose other two factors were measured at every level); ``excluded`` counts the arms left out
- ``rules``: [{topic, rule}]: every threshold the findings use, in words
- ``claims``: [{id, claim, source, published, verdict, departures (how this run's setup differs from the
  paper's), checks: [{check: {kind, arm, metric, than, value, margin}, verdict, evidence, ahead}]}]: a preset's
  published claims (``spec["claims"]``, lossbench/results/claims.py) judged on this run
  (lossbench/report/claim_verdicts.py); verdict "supported", "contradicted", "not supported at this budget" or "not
  supported with this setup (it differs from the paper's)"; empty without claims
- ``refused``: [{arm, reason}]; ``findings``: [sentence]; ``findings_by_topic``: [{topic, findings}]
- ``answer``: [sentence]: the answer first (at most 5 sentences, 120 words; ``lossbench.report.answer``);
  each leaderboard entry's ``tier``: 1 for the arms no decided comparison shows worse (``lossbench.report.tiers``)

``trials.csv``: one row per stored trial (tuning and final phase), columns ``TRIAL_COLUMNS``; a run a later trial
of its slot continued (``lossbench.results.chains``) has status ``superseded``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from typing import TYPE_CHECKING

from lossbench.report import thresholds
from lossbench.results import SweepData, mask_all
from lossbench.results.schema import finite_json
from lossbench.text import csv_cell, walk

if TYPE_CHECKING:
    from lossbench.report.factorial import Factorial
    from lossbench.report.builder import SweepReport
    from lossbench.report.summary import ArmSummary

RESULTS_SCHEMA = "lossbench.results/1"
TRIAL_COLUMNS = ["sweep", "arm", "loss", "cell", "remedies", "phase", "number", "state", "status", "seed", "value",
                 "lr", "params", "test_accuracy", "test_nll", "test_ece", "seconds_per_epoch", "clip_rate",
                 "vanishing_ratio_final", "diverged_at", "error"]


def results_json(report: SweepReport) -> str:
    arms = []
    for a in report.arms:
        arms.append({
            "arm": a.key, "tier": report.tiers.get(a.key), "loss": a.loss, "cell": a.cell, "remedies": a.remedies, "finished": a.finished,
            "test_accuracy": {"mean": a.acc_mean, "std": a.acc_std, "ci95": list(a.acc_ci) if a.acc_ci else None,
                              "n": len(a.accuracy), "by_seed": {str(s): v for s, v in a.accuracy.items()},
                              "test_examples": a.test_examples},
            "test_nll_mean": a.nll_mean, "test_ece_mean": a.ece_mean,
            "test_ece_by_seed": {str(s): v for s, v in a.ece.items()}, "test_confidence_mean": a.confidence_mean,
            "overconfidence": a.overconfidence, "final_runs": a.final_runs, "final_diverged": a.final_diverged,
            "convergence": asdict(a.convergence) if a.convergence else None,
            "tuning": {"trials": a.trials, "pruned": a.pruned, "diverged": a.diverged, "failed": a.failed,
                       "divergence_rate": a.divergence_rate},
            "seconds_per_epoch": a.seconds_per_epoch, "best_params": a.best_params, "errors": a.errors,
            "curve": {"val_accuracy_mean": a.curve_mean, "val_accuracy_std": a.curve_std},
            "gradients": {"vanishing_ratio_init": a.ratio_init, "vanishing_ratio_final": a.ratio_final,
                          "flow_init": a.flow_init, "flow_final": a.flow_final,
                          "profile_steps": len(a.flow_init or a.flow_final) or None, "alignment": a.flow_alignment,
                          "unequal_lengths": a.unequal_lengths, "clip_rate": a.clip_rate,
                          "grad_norm_steps": a.grad_steps, "grad_norms": a.grad_norms},
            "sensitivity": [{"lr": lr, "value": v, "status": s} for lr, v, s in a.sensitivity],
            "robustness": _robustness(a), "importances": a.importances,
        })
    comparisons = [{"arm": c.arm, "baseline": c.other, "factor": None if c.scope == "arms" else c.factor,
                    "pairs": [list(p) for p in c.pairs], "seeds": c.seeds, "seeds_run": list(c.unit_seeds),
                    "test": report.test,
                    "mean_difference": c.difference, "interval": list(c.interval) if c.interval else None,
                    "level": c.level, "p": c.p_raw, "p_holm": c.p, "kind": c.kind, "decided": c.decided,
                    "effect": c.effect, "effect_name": "rank-biserial r" if report.test == "wilcoxon" else "Cohen's d_z",
                    "seeds_needed": c.needs_seeds, "improving": list(c.improving)} for c in report.comparisons]
    contrast = factorial_contrast(report.factorial)
    factorial = report.factorial
    document = {
        "schema": RESULTS_SCHEMA, "name": report.name, "generated": report.generated, "storage": report.storage,
        "partial": report.partial, "unfinished": report.unfinished, "spec": report.spec.stored,
        "provenance": report.provenance, "components": report.components, "test": report.test,
        "baseline": report.baseline, "objective": report.objective.name, "sequential": report.sequential,
        "race": report.race.stored if report.race else None, "leaderboard": arms,
        "alpha": report.alpha, "comparisons": comparisons, "decisions": [d.to_json() for d in report.decisions],
        "speed": [d.to_json() for d in report.speed],
        "factorial": {"grids": [{"cell": g.cell, "losses": g.losses, "remedies": g.remedies, "values": g.values}
                                for g in factorial.grids],
                      "main_effects": [{"factor": e.factor, "levels": e.levels, "spread": e.spread,
                                        "best": e.best, "worst": e.worst, "excluded": e.excluded}
                                       for e in factorial.effects], "contrast": contrast},
        "rules": [{"topic": topic, "rule": rule} for topic, rule in
                  thresholds.rules(report.objective, report.spec.patience, report.spec.epochs, report.alpha)],
        "claims": [asdict(c) for c in report.claims],
        "refused": [{"arm": arm, "reason": why} for arm, why in report.refused],
        "findings": report.findings,
        "findings_by_topic": [{"topic": topic, "findings": items} for topic, items in report.finding_groups],
        "answer": report.answer,
        "advice": report.advice,
    }
    return json.dumps(finite_json(document), indent=1, allow_nan=False, default=str)


def _robustness(arm: ArmSummary) -> dict[str, object]:
    r = arm.lr_range
    lr_range = None if r is None else {
        "tolerance": r.tolerance, "best_lr": r.best_lr, "best_value": r.best_value, "good": r.good, "tried": r.tried,
        "failing": [{"lr": lr, "value": v, "status": s} for lr, v, s in r.failing], "only_one": r.only_one,
        "narrow": r.narrow}
    return {"lr_range": lr_range, "seed_range": arm.seed_range, "unstable": arm.unstable,
            "tuning_gap": asdict(arm.tuning_gap) if arm.tuning_gap else None}


def factorial_contrast(factorial: Factorial) -> dict[str, object] | None:
    c = factorial.contrast
    return None if c is None else {"test": c.test, "n": c.seeds, "mean_difference": c.difference, "p": c.p,
                                   "kind": c.kind}


def trials_csv(data: SweepData) -> str:
    """One row per trial of every arm, from the stored sweep itself (not the report)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TRIAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for arm in data.arms:
        old = {id(t) for t in arm.superseded}
        for phase, current in [("tune", arm.tuning), ("final", arm.final)]:
            trials = sorted([*current, *arm.superseded_in(phase)], key=lambda t: t.number)
            for t in trials:
                run = t.run
                writer.writerow(walk(mask_all({
                    "sweep": data.name, "arm": arm.key, "loss": arm.loss, "cell": arm.cell,
                    "remedies": "+".join(arm.remedies) or "none", "phase": phase, "number": t.number,
                    "state": t.state, "status": "superseded" if id(t) in old else t.status or (
                        "surplus" if t.surplus else ""), "seed": _cell(t.seed), "value": _cell(t.value),
                    "lr": _cell(t.params.get("lr")), "params": json.dumps(t.params, sort_keys=True, default=str),
                    **{f"test_{m}": _cell(run.test_metric(m) if run else None) for m in ("accuracy", "nll", "ece")},
                    "seconds_per_epoch": _cell(run.seconds_per_epoch if run else None),
                    "clip_rate": _cell(run.clip_rate if run else None),
                    "vanishing_ratio_final": _cell(run.last_ratio() if run else None),
                    "diverged_at": json.dumps(t.diverged_at) if t.diverged_at else "",
                    "error": t.error or ""}), csv_cell))  # no formulas, no control characters
    return buffer.getvalue()


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value
