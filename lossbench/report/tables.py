"""The report's tables as plain strings (headers, rows): every renderer escapes and lays out the same cells."""

from __future__ import annotations

import json
from typing import Any

from lossbench.report import fmt
from lossbench.report.importance import MIN_TRIALS

Table = tuple[list[str], list[list[str]]]


def leaderboard(model: Any) -> Table:
    headers = ["#", "arm", "test accuracy (mean ± std)", "95% CI", "seeds", "test NLL", "ECE", "diverged in tuning",
               "trials / pruned / diverged / failed", "s / epoch (median)", "best hyperparameters", "status"]
    rows = []
    for rank, a in enumerate(model.arms, 1):
        ci = fmt.interval(a.acc_ci) if a.acc_ci else (fmt.NO_INTERVAL if a.accuracy else fmt.NONE)
        status = "finished" if a.finished else "unfinished"
        if a.all_diverged:
            status += ", all diverged"
        seeds = str(len(a.accuracy)) + (f" ({a.final_diverged} more diverged)" if a.final_diverged else "")
        rows.append([str(rank), a.key, fmt.mean_std(a.acc_mean, a.acc_std), ci, seeds,
                     fmt.num(a.nll_mean), fmt.num(a.ece_mean), fmt.pct(a.divergence_rate),
                     f"{a.trials} / {a.pruned} / {a.diverged} / {a.failed}", fmt.num(a.seconds_per_epoch, 3),
                     fmt.params(a.best_params), status])
    return headers, rows


def comparisons(model: Any) -> Table:
    effect = "rank-biserial r" if model.test == "wilcoxon" else "Cohen's d_z"
    headers = ["arm", "baseline", "shared seeds", "mean difference", "p", "p (Holm)", effect]
    rows = []
    for c in model.comparisons:
        if c.test is None:
            rows.append([c.arm, c.baseline, str(len(c.seeds)), fmt.NONE, fmt.NO_TEST, fmt.NONE, fmt.NONE])
        else:
            rows.append([c.arm, c.baseline, str(c.test.n), fmt.signed(c.test.mean_difference), fmt.pvalue(c.test.p),
                         fmt.pvalue(c.p_holm), fmt.signed(c.test.effect, 2)])
    return headers, rows


def grid(g: Any) -> Table:
    return (["loss \\ remedies", *g.remedies],
            [[loss, *[fmt.num(v) for v in row]] for loss, row in zip(g.losses, g.values)])


def effects(model: Any) -> Table:
    return (["factor", "spread (best - worst)", "mean test accuracy per level", "arms left out (unmatched)"],
            [[e.factor, fmt.num(e.spread), ", ".join(f"{k} {fmt.num(v)}" for k, v in e.levels.items()) or fmt.NONE,
              str(e.excluded)] for e in model.factorial.effects])


def gradients(model: Any) -> Table:
    headers = ["arm", "vanishing ratio at init (first / last step, median over seeds)", "after training", "clip rate",
               "mean grad norm, first step", "last step"]
    rows = [[a.key, fmt.sci(a.ratio_init), fmt.sci(a.ratio_final), fmt.pct(a.clip_rate),
             fmt.sci(a.grad_norms[0] if a.grad_norms else None), fmt.sci(a.grad_norms[-1] if a.grad_norms else None)]
            for a in model.arms]
    return headers, rows


IMPORTANCE_NOTE = (f"Per arm, from its tuning trials (Optuna's PED-ANOVA); an arm has one only with at least "
                   f"{MIN_TRIALS} completed trials and 2 or more tuned parameters.")


def importances(model: Any) -> Table:
    arms = [a for a in model.arms if a.importances]
    params = list(dict.fromkeys(p for a in arms for p in a.importances))
    return ["arm", *params], [[a.key, *[fmt.num(a.importances.get(p), 2) for p in params]] for a in arms]


def problems(model: Any) -> Table:
    rows = [[arm, "refused", why or "no reason recorded"] for arm, why in model.refused]
    rows += [[a.key, "error", e] for a in model.arms for e in a.errors]
    rows += [[a.key, "unfinished", f"{a.trials} of {model.spec.get('trials', '?')} trials, "
                                   f"{a.final_runs} of {model.spec.get('seeds', '?')} final runs"]
             for a in model.arms if not a.finished]
    return ["arm", "what", "why"], rows


def components(model: Any) -> Table:
    rows = [[name, str(info.get("kind", "")), str(info.get("summary", "")),
             " ".join(str(info[k]) for k in ("plugin", "version") if info.get(k) is not None)]
            for name, info in sorted(model.components.items())]
    return ["component", "kind", "summary", "plugin"], rows


def provenance(model: Any) -> Table:
    """Versions, machine, seeds and spec, from the stored provenance and the first final run's environment."""
    p, spec = model.provenance, model.spec
    environment = p.get("environment") or {}
    rows = [["sweep", model.name], ["storage", model.storage], ["generated", model.generated]]
    for key in ("lossbench", "torch", "optuna", "python", "threads", "cpu", "gpu", "device", "platform", "git_commit",
                "lossbench_git_commit", "host"):
        value = p.get(key, environment.get(key))
        if value not in (None, ""):
            rows.append([key, str(value)])
    rows += [["seeds (final phase)", str(spec.get("seeds", fmt.NONE))],
             ["sampler", f"{spec.get('sampler', fmt.NONE)}, seed {p.get('sampler_seed', spec.get('sampler_seed'))}"],
             ["tuning", f"{spec.get('trials')} trials per arm, {spec.get('epochs')} epochs, objective "
                        f"{spec.get('objective')}, pruner {spec.get('pruner')}"],
             ["test", f"{model.test} (paired over shared seeds), Holm-corrected; baseline: {model.baseline}"]]
    if model.components:
        rows.append(["component versions", "; ".join(
            f"{name}: {info.get('plugin', '?')} {info.get('version') or '(no version)'}"
            for name, info in sorted(model.components.items()))])
    rows += [[f"dataset: {key}", _text(value)] for key, value in (p.get("dataset_info") or {}).items()]
    for key, value in p.items():
        if (value is not None and key not in {r[0] for r in rows}
                and key not in ("components", "dataset_info", "environment", "refused", "spec", "sampler_seed")):
            rows.append([key, _text(value)])
    rows.append(["spec", json.dumps(spec, sort_keys=True, default=str)])
    return ["what", "value"], rows


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
