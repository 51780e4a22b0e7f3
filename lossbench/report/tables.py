"""The report's tables as plain strings (headers, rows): every renderer escapes and lays out the same cells."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lossbench.report import fmt, thresholds
from lossbench.report.importance import MIN_TRIALS
from lossbench.decisions import ARMS, SPEED

if TYPE_CHECKING:
    from lossbench.report.factorial import Grid
    from lossbench.report.builder import SweepReport
    from lossbench.report.summary import ArmSummary
    from lossbench.decisions import Verdict

Table = tuple[list[str], list[list[str]]]


def ranked(report: SweepReport) -> list[ArmSummary]:
    """The leaderboard's order: by tier (``report.tiers``), then by mean test accuracy; arms without results last."""
    return sorted(report.arms, key=lambda a: report.tiers.get(a.key, len(report.arms) + 1))


def tier(report: SweepReport, arm: ArmSummary) -> str:
    return str(report.tiers[arm.key]) if arm.key in report.tiers else fmt.NONE


def leaderboard(report: SweepReport) -> Table:
    headers = ["tier", "arm", "test accuracy (mean ± std)", "95% CI", "seeds",
               f"converged (gain: best {report.objective.label} over the last epochs)", "test NLL", "ECE",
               "mean confidence", "diverged in tuning", "trials / pruned / diverged / failed", "s / epoch (median)",
               "best hyperparameters", "status"]
    rows = []
    for a in ranked(report):
        ci = fmt.interval(a.acc_ci) if a.acc_ci else (fmt.NO_INTERVAL if a.accuracy else fmt.NONE)
        status = "finished" if a.finished else "unfinished"
        if a.all_diverged:
            status += ", all diverged"
        seeds = str(len(a.accuracy)) + (f" ({a.final_diverged} more diverged)" if a.final_diverged else "")
        rows.append([tier(report, a), a.key, fmt.mean_std(a.acc_mean, a.acc_std), ci, seeds, converged(a, unit=report.objective.unit),
                     fmt.num(a.nll_mean), fmt.num(a.ece_mean), fmt.num(a.confidence_mean), fmt.pct(a.divergence_rate),
                     f"{a.trials} / {a.pruned} / {a.diverged} / {a.failed}", fmt.num(a.seconds_per_epoch, 3),
                     fmt.params(a.best_params), status])
    return headers, rows


def converged(arm: ArmSummary, digits: int = 4, unit: str = "") -> str:
    """The convergence verdict in a cell: an arm still improving says by how much (in the objective's unit)."""
    c = arm.convergence
    if c is None:
        return fmt.NONE
    if c.converged is None:
        return f"cannot tell ({fmt.plural(c.epochs, 'epoch')})"
    parts = []
    improving = c.seeds - c.plateaued - c.not_training - c.collapsed
    if improving:
        gain = fmt.signed(c.gain, digits) + ("" if c.se is None else f" ± {fmt.num(c.se, digits)}") + unit
        parts.append(f"NO: still improving on {improving}/{c.seeds} seeds, gain {gain} over the last "
                     f"{fmt.plural(c.window, 'epoch')}")
    if c.not_training:
        parts.append(f"not training at this budget (at chance) on {c.not_training}/{c.seeds} seeds")
    if c.collapsed:
        parts.append(f"collapsed (its last epochs far below its best) on {c.collapsed}/{c.seeds} seeds")
    if c.plateaued:
        parts.append(f"plateaued ({c.plateaued}/{c.seeds} seeds)")
    return "; ".join(parts)


def comparisons(report: SweepReport) -> Table:
    """Each arm against its baseline, then each factor's levels: a view of their verdicts (the same difference,
    interval and p as the decision table), with the effect size and the seeds a paired test would need."""
    effect = "rank-biserial r" if report.test == "wilcoxon" else "Cohen's d_z"
    headers = ["arm", "baseline", "seeds", "mean difference", "interval", "p", "p (Holm)", effect,
               f"seeds for power {thresholds.POWER}", "note"]
    rows = []
    for c in report.comparisons:
        arm = c.arm if c.scope == ARMS else f"{c.factor}: {c.arm}"
        note = f"still improving: {', '.join(c.improving)}" if c.improving else ""
        if c.scope != ARMS:
            note = f"over {fmt.plural(len(c.pairs), 'matched pair')} of arms, one unit per seed" + (
                f"; {note}" if note else "")
        if c.p is None:
            rows.append([arm, c.other, str(c.seeds), fmt.signed(c.difference), fmt.NONE, fmt.NO_TEST, fmt.NONE,
                         fmt.NONE, fmt.NONE, "; ".join(filter(None, [note, c.why]))])
            continue
        needed = "decided" if c.decided else (fmt.NONE if c.needs_seeds is None else str(c.needs_seeds))
        if not c.decided:
            note = "; ".join(filter(None, [note, rules_out(c, report.alpha, report.test)]))
        rows.append([arm, c.other, str(c.seeds), fmt.signed(c.difference), _interval(c), fmt.pvalue(c.p_raw),
                     fmt.pvalue(c.p), fmt.signed(c.effect, 2), needed, note])
    return headers, rows


def _interval(d: Verdict, digits: int = 4) -> str:
    level = f" at {fmt.level(d.level)}" if d.level is not None and d.interval else ""
    return fmt.interval(d.interval, digits, sign=True) + level


def decisions(report: SweepReport) -> Table:
    """Every one-factor comparison (``report.decisions``): decided or open, and why; then speed where accuracy
    does not separate two arms (``report.speed``: epochs to a common target, "better" is fewer)."""
    headers = ["arm", "other", "factor", "verdict", "difference", "interval", "p (Holm)", "seeds",
               "why, or what would decide it"]
    rows = []
    for d in [*report.decisions, *report.speed]:
        level = f" at {fmt.level(d.level)}" if d.level is not None and d.interval else ""
        epochs = d.metric == SPEED
        difference = f"{fmt.signed(d.difference, 1)} epochs" if epochs else fmt.signed(d.difference)
        rows.append([d.arm, d.other, f"{d.factor}: {d.levels[0]} vs {d.levels[1]}", _verdict(d),
                     difference, fmt.interval(d.interval, 1 if epochs else 4, sign=True) + level, fmt.pvalue(d.p),
                     str(d.seeds), d.why + _would(d)])
    return headers, rows


def _verdict(d: Verdict) -> str:
    if d.metric == SPEED:
        return {"better": "faster (decided)", "worse": "slower (decided)",
                "confounded": "speed confounded (two learning rates)"}.get(d.kind, "speed open")
    return {"better": "better (decided)", "worse": "worse (decided)", "equivalent": "tie (decided)",
            "not training": "not training (both at chance)"}.get(d.kind, "open")


def _would(d: Verdict) -> str:
    minutes = f", {fmt.duration(d.minutes)} on this machine" if d.minutes is not None else ""
    if d.needs_epochs is not None:
        return f" (needs about {d.needs_epochs} epochs{minutes})"
    if d.kind == "open" and d.needs_seeds is not None:
        return f" (needs about {d.needs_seeds} seeds{minutes})"
    return ""


def rules_out(c: Verdict, alpha: float, test: str = "t") -> str:
    """What a verdict not decided still says, from its interval, in words."""
    if c.interval is None:
        return ""
    low, high = c.interval
    if not low <= 0 <= high:
        if c.p is not None and c.p > alpha:
            return (f"the interval (a t interval) excludes 0, but the {'Wilcoxon' if test == 'wilcoxon' else 't'} "
                    f"test, Holm-adjusted over the family, is not significant")
        return "significant, but training longer could still overturn it (see the decision table)"
    if c.clipped or max(-low, high) >= 1:  # accuracies differ by at most 1
        return "the interval is as wide as any difference of accuracies can be: it rules out nothing at this many seeds"
    return f"rules out a difference larger than {fmt.num(max(-low, high))} in either direction"


def robustness(report: SweepReport) -> Table:
    """Learning rates that train, seed-to-seed range, the best tuning score against the final mean."""
    headers = ["arm", "lr that trains (within tolerance of the best)", "lr tried", "final seeds' range", "tuning best",
               "final mean (same metric)", "tuning gap"]
    rows = []
    for a in report.arms:
        r, g = a.lr_range, a.tuning_gap
        upper = f" to {fmt.sci(r.good[-1])}" if r is not None and len(r.good) > 1 else ""
        trains = fmt.NONE if r is None else (fmt.sci(r.good[0]) + upper
                                             + (" (only one)" if r.only_one else " (narrow)" if r.narrow else ""))
        tried = fmt.NONE if r is None else f"{fmt.sci(r.tried[0])} to {fmt.sci(r.tried[-1])} ({len(r.tried)} distinct)"
        spread = fmt.num(a.seed_range) + (" (unstable)" if a.unstable else "") if a.seed_range is not None else fmt.NONE
        rows.append([a.key, trains, tried, spread, fmt.num(g.tuning) if g else fmt.NONE,
                     fmt.num(g.final_mean) if g else fmt.NONE,
                     (fmt.signed(g.gap) + (" (flagged)" if g.flagged else "")) if g else fmt.NONE])
    return headers, rows


def claims(report: SweepReport) -> Table:
    return (["claim", "source", "published", "this run", "how this setup departs from the paper's", "verdict"],
            [[c.claim, c.source, c.published, c.evidence, "; ".join(c.departures) or "(none recorded)",
              c.verdict_words] for c in report.claims])


def rules(report: SweepReport) -> Table:
    spec = report.spec
    return ["topic", "rule"], [[topic, rule] for topic, rule in thresholds.rules(report.objective, spec.patience,
                                                                                   spec.epochs, report.alpha)]


def grid(g: Grid) -> Table:
    return (["loss \\ remedies", *g.remedies],
            [[loss, *[fmt.num(v) for v in row]] for loss, row in zip(g.losses, g.values)])


def effects(report: SweepReport) -> Table:
    return (["factor", "spread (best - worst)", "mean test accuracy per level", "arms left out (unmatched)"],
            [[e.factor, fmt.num(e.spread), ", ".join(f"{k} {fmt.num(v)}" for k, v in e.levels.items()) or fmt.NONE,
              str(e.excluded)] for e in report.factorial.effects])


def gradients(report: SweepReport) -> Table:
    headers = ["arm", "time steps profiled", "vanishing ratio at init (first / last time step, median over seeds)",
               "after training", "clip rate", "mean grad norm, first training step", "last training step"]
    rows = [[a.key, str(len(a.flow_init or a.flow_final) or fmt.NONE), fmt.sci(a.ratio_init), fmt.sci(a.ratio_final),
             fmt.pct(a.clip_rate), fmt.sci(a.grad_norms[0] if a.grad_norms else None),
             fmt.sci(a.grad_norms[-1] if a.grad_norms else None)] for a in report.arms]
    return headers, rows


def flow_note(report: SweepReport) -> str:
    """How the profiles treat sequences of unequal length, as the runs recorded it."""
    aligned = {a.flow_alignment for a in report.arms if a.flow_alignment}
    if "last_valid_step" in aligned:
        return ("Profiles align each sequence at its own last valid step (with unequal lengths, the first step is "
                "that of the longest probed sequences), so padding never enters a profile or a ratio.")
    if any(a.unequal_lengths for a in report.arms):
        return "These runs recorded no alignment: with unequal lengths their profiles may count padded steps."
    return "Every probed sequence has the same length."


IMPORTANCE_NOTE = (f"Per arm, from its tuning trials (Optuna's PED-ANOVA); an arm has one only with at least "
                   f"{MIN_TRIALS} completed trials and 2 or more tuned parameters.")


def importances(report: SweepReport) -> Table:
    arms = [a for a in report.arms if a.importances]
    params = list(dict.fromkeys(p for a in arms for p in a.importances))
    return ["arm", *params], [[a.key, *[fmt.num(a.importances.get(p), 2) for p in params]] for a in arms]


def problems(report: SweepReport) -> Table:
    rows = [[arm, "refused", why or "no reason recorded"] for arm, why in report.refused]
    rows += [[a.key, "error", e] for a in report.arms for e in a.errors]
    trials, seeds = (_or(value, "?") for value in (report.spec.trials, report.spec.seeds))
    rows += [[a.key, "unfinished", f"{a.trials} of {trials} trials, {a.final_runs} of {seeds} final runs"]
             for a in report.arms if not a.finished]
    return ["arm", "what", "why"], rows


def components(report: SweepReport) -> Table:
    rows = [[name, str(info.get("kind", "")), str(info.get("summary", "")),
             " ".join(str(info[k]) for k in ("plugin", "version") if info.get(k) is not None)]
            for name, info in sorted(report.components.items())]
    return ["component", "kind", "summary", "plugin"], rows


def provenance(report: SweepReport) -> Table:
    """Versions, machine, seeds and spec, from the stored provenance and the first final run's environment."""
    p, spec = report.provenance, report.spec
    environment = p.get("environment") or {}
    rows = [["sweep", report.name], ["storage", report.storage], ["generated", report.generated]]
    for key in ("lossbench", "torch", "optuna", "python", "threads", "cpu", "gpu", "device", "platform", "git_commit",
                "lossbench_git_commit", "host"):
        value = p.get(key, environment.get(key))
        if value not in (None, ""):
            rows.append([key, str(value)])
    rows += [["seeds (final phase)", str(_or(spec.seeds, fmt.NONE))],
             ["sampler", f"{_or(spec.sampler, fmt.NONE)}, seed {p.get('sampler_seed', spec.sampler_seed)}"],
             ["tuning", f"{spec.trials} trials per arm, {spec.epochs} epochs, objective "
                        f"{spec.objective.name}, pruner {spec.pruner}"],
             ["test", f"{report.test} (paired over shared seeds), Holm-corrected; baseline: {report.baseline}"]]
    if report.components:
        rows.append(["component versions", "; ".join(
            f"{name}: {info.get('plugin', '?')} {info.get('version') or '(no version)'}"
            for name, info in sorted(report.components.items()))])
    if p.get("plugin_requirements"):
        rows.append(["plugin requirements", fmt.requirements(p["plugin_requirements"])])
    dataset = p.get("dataset") or {}
    if dataset.get("params") is not None:  # every parameter, those given at their default included
        rows.append(["dataset", f"{dataset.get('name')} (" + ", ".join(
            f"{k}={_text(v)}" for k, v in dataset["params"].items()) + ")"])
    if dataset.get("shape"):
        rows.append(["dataset: shape", fmt.data_shape(dataset["shape"])])
    rows += [[f"dataset: {key}", _text(value)] for key, value in (p.get("dataset_info") or {}).items()]
    for key, value in p.items():
        if (value is not None and key not in {r[0] for r in rows} and key not in (
                "components", "dataset", "dataset_info", "environment", "plugin_requirements", "refused", "spec",
                "sampler_seed")):
            rows.append([key, _text(value)])
    shown = dict(spec.stored)
    if dataset.get("params") is not None:
        shown["dataset_params"] = dataset["params"]  # as it ran: a parameter at its default is a choice too
    rows.append(["spec", json.dumps(shown, sort_keys=True, default=str)])
    return ["what", "value"], rows


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _or(value: object, missing: str) -> object:
    """A stored spec's field, or what stands for it where the spec lacks it."""
    return missing if value is None else value
