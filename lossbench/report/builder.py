"""The one report builder: a stored sweep (``SweepData``) in, a ``SweepReport`` out, complete, in narrow stages
that each take what they need and return their part: the arms summarised, the family of verdicts
(``lossbench.decisions``) and its views (comparisons, speed, tiers), the factorial, the claims; then the
``Evidence`` they make, whole; then its words (the findings and the answer). Nothing here writes or prints:
every renderer reads the ``SweepReport``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, fields

from lossbench import stats
from lossbench.decisions import JudgedArm, decide, race_alpha, runs_of, speed, sweep_arms
from lossbench.report.advice import command
from lossbench.report.answer import answer
from lossbench.report.claim_verdicts import Estimates, judge_claims
from lossbench.report.compare import comparisons
from lossbench.report.evidence import Evidence
from lossbench.report.factorial import build_factorial
from lossbench.report.findings import write_findings
from lossbench.report.summary import ArmSummary, summarise
from lossbench.report.tiers import tiers
from lossbench.results import RaceRecord, SpecRecord, SweepData, mask_all
from lossbench.results.baseline import family_pairs

__all__ = ["ArmSummary", "Evidence", "SweepReport", "assemble"]


@dataclass(kw_only=True)
class SweepReport(Evidence):
    """The evidence and its words: what every renderer (terminal, Markdown, HTML, JSON, plots) shows."""

    finding_groups: list[tuple[str, list[str]]] = field(default_factory=list)  # (topic, sentences)
    findings: list[str] = field(default_factory=list)  # the groups' sentences, flat
    answer: list[str] = field(default_factory=list)  # the answer first (report.answer)
    advice: str | None = None  # the command that would decide the rest on this sweep (report.advice)


def assemble(data: SweepData, storage: str, *, baseline: str | None = None, test: str = "t",
             importances: dict[str, dict[str, float]] | None = None) -> SweepReport:
    """Everything the renderers show, from the stored sweep (``storage`` is shown masked). ``baseline`` and
    ``test`` as ``lossbench.report.build`` takes them; ``importances``: {arm: {parameter: importance}}."""
    if test not in stats.TESTS:
        from lossbench.errors import LossbenchError

        raise LossbenchError(f"unknown test {test!r}; give wilcoxon or t")
    spec = data.spec_record
    decided_arms, workers = sweep_arms(data)
    arms = _arms(data, spec, importances or {}, {a.key: a for a in decided_arms})
    cells = [(a.key, a.cell) for a in arms]
    pairs = family_pairs(spec.stored, cells, baseline)  # an unknown baseline is one clear error, before anything
    looks = ((data.race or {}).get("plan") or {}).get("looks")  # a grown race's level never loosens
    alpha = race_alpha(spec.seeds, stats.ALPHA, spec.epochs, spec.max_epochs,
                       looks if isinstance(looks, int) else 0) if spec.race else stats.ALPHA
    reach = (spec.seeds, max(spec.max_epochs or 0, spec.epochs or 0)) if spec.race and spec.seeds else None
    verdicts = decide(decided_arms, alpha, workers, pairs, test, reach=reach)
    rows, against, baseline_words = comparisons(verdicts, spec, cells, baseline)
    faster = speed(decided_arms, verdicts, alpha)
    converged = {a.key: not a.improving for a in arms if a.convergence is not None}
    evidence = Evidence(
        name=data.name, spec=SpecRecord.parse(mask_all(data.spec)), provenance=mask_all(_provenance(data)),
        storage=mask_all(storage), generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        arms=arms, test=test, baseline=baseline_words, comparisons=rows, against_baseline=rows[:against],
        unfinished=[a.key for a in arms if not a.finished], refused=list(spec.refused.items()),
        components=mask_all(_components(data, spec)), factorial=build_factorial(spec, arms),
        claims=judge_claims(spec, data.arms, converged, verdicts, Estimates({a.key: a for a in decided_arms}, workers),
                            faster),
        race=RaceRecord.parse(data.race), decisions=verdicts, speed=faster, alpha=alpha,
        tiers=tiers([a.key for a in arms if a.acc_mean is not None], verdicts))
    return with_words(evidence)


def with_words(evidence: Evidence) -> SweepReport:
    """The evidence with its findings and its answer, written from it whole."""
    groups = write_findings(evidence)
    race_over = bool(evidence.race and evidence.race.stored.get("over", True))
    advice = command(evidence.name, evidence.spec, evidence.decisions, evidence.unfinished, evidence.storage,
                     race_over)
    return SweepReport(**{f.name: getattr(evidence, f.name) for f in fields(Evidence)}, finding_groups=groups,
                       findings=[s for _, group in groups for s in group],
                       answer=answer(evidence.arms, evidence.decisions, evidence.tiers, evidence.claims,
                                     evidence.speed, advice, evidence.unfinished), advice=advice)


def _arms(data: SweepData, spec: SpecRecord, importances: dict[str, dict[str, float]],
          judged: dict[str, JudgedArm]) -> list[ArmSummary]:
    """Each arm summarised, leaderboard order: best mean test accuracy first, arms without results last; whether
    it was still improving as the decisions judge it (``judged``, its runs ``SweepData.judged_final``)."""
    arms = [summarise(arm, spec, data.race, judged.get(arm.key), data.judged_final(arm),
                      runs_of(data.judged_final(arm), spec.objective.name)) for arm in data.arms]
    for arm in arms:
        arm.importances = importances.get(arm.key)
    return sorted(arms, key=lambda a: (a.acc_mean is None, -(a.acc_mean or 0.0), a.key))


def _provenance(data: SweepData) -> dict[str, object]:
    """As stored, with the environment of a final run where the sweep's provenance lacks one."""
    provenance = dict(data.provenance)
    provenance.setdefault("environment", next((run.environment for a in data.arms for t in a.final
                                               if (run := t.run) is not None and run.environment), {}))
    return provenance


def _components(data: SweepData, spec: SpecRecord) -> dict[str, dict[str, object]]:
    """The stored summaries and versions of the components the spec names."""
    named = spec.components
    return {k: v for k, v in (data.provenance.get("components") or {}).items() if k in named}
