"""The report model: plain dataclasses computed once from a stored sweep. Every renderer reads only this."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.decisions import Verdict, decide, race_alpha, speed, sweep_arms
from lossbench.report.compare import comparisons
from lossbench.report.summary import ArmSummary, summarise
from lossbench.results import Objective, RaceRecord, SpecRecord, SweepData, mask_all
from lossbench.results.baseline import family_pairs
from lossbench.results.phase import final_budget

if TYPE_CHECKING:
    from lossbench.report.claims import ClaimVerdict
    from lossbench.report.factorial import Factorial

__all__ = ["ArmSummary", "ReportModel", "build_model"]


@dataclass
class ReportModel:
    name: str
    spec: SpecRecord  # passwords masked
    provenance: dict[str, object]
    storage: str
    generated: str
    arms: list[ArmSummary]  # leaderboard order: best mean test accuracy first
    test: str  # the paired test whose p-values the family's Holm correction reads (t unless asked otherwise)
    baseline: str  # what the comparisons are against, in words
    comparisons: list[Verdict]  # a view of the verdicts: arms against their baseline, then factor levels
    unfinished: list[str]
    refused: list[tuple[str, str]]  # (arm, why)
    components: dict[str, dict[str, object]]  # name -> {kind, summary, plugin, ...}, where stored or given
    against_baseline: list[Verdict] = field(default_factory=list)  # the comparisons' first rows: arm vs its baseline
    factorial: Factorial = None  # type: ignore[assignment]  # set by build_model
    claims: list[ClaimVerdict] = field(default_factory=list)  # a preset's published claims, judged
    race: RaceRecord | None = None  # with seeds = "auto": how the final phase's race ended
    findings: list[str] = field(default_factory=list)
    decisions: list[Verdict] = field(default_factory=list)  # the family's verdicts (lossbench.decisions)
    speed: list[Verdict] = field(default_factory=list)  # epochs to a common target (lossbench.decisions.speed)
    alpha: float = stats.ALPHA  # the family's level: a raced sweep's is the race's (alpha / looks planned)
    tiers: dict[str, int] = field(default_factory=dict)  # arm -> tier (report.tiers), arms with results only
    answer: list[str] = field(default_factory=list)  # the answer first (report.answer)
    finding_groups: list[tuple[str, list[str]]] = field(default_factory=list)  # (topic, sentences); findings flat

    @property
    def partial(self) -> bool:
        return bool(self.unfinished)

    @property
    def objective(self) -> Objective:
        return self.spec.objective

    @property
    def seeds(self) -> int:
        """Final-phase seeds per arm: the spec's number, or (``seeds = "auto"``) where the race ended."""
        race = self.race.stored if self.race else None
        return final_budget(self.spec.stored, race) or max((len(a.accuracy) for a in self.arms), default=0)

    @property
    def sequential(self) -> bool:
        """The final phase ran seeds in rounds until decided (``seeds = "auto"``)."""
        return self.spec.race

    @property
    def num_classes(self) -> int | None:
        """The dataset's class count, where the sweep's provenance stored it (sweeps since the report's chance
        margin; None for older ones, which then say nothing about chance)."""
        classes = (self.provenance.get("dataset_info") or {}).get("num_classes")
        return classes if isinstance(classes, int) and classes > 1 else None

    @property
    def chance(self) -> float | None:
        """Chance accuracy, 1 / classes (None where the class count is not stored)."""
        return 1 / self.num_classes if self.num_classes else None

    def at_chance(self, arm: ArmSummary) -> bool:
        """Test accuracy within ``CHANCE_MARGIN`` of chance: nothing its calibration says means anything."""
        from lossbench.convergence import at_chance

        return at_chance(arm.acc_mean, self.chance)

    def arm(self, key: str) -> ArmSummary | None:
        return next((a for a in self.arms if a.key == key), None)


def build_model(data: SweepData, storage: str, *, baseline: str | None = None, test: str = "t",
                importances: dict[str, dict[str, float]] | None = None) -> ReportModel:
    """Everything the renderers show, from the stored sweep (``storage`` is shown masked)."""
    from lossbench.report.claims import Budget, judge_claims
    from lossbench.report.factorial import build_factorial
    from lossbench.report.answer import answer
    from lossbench.report.findings import write_findings
    from lossbench.report.tiers import tiers

    if test not in stats.TESTS:
        from lossbench.errors import LossbenchError

        raise LossbenchError(f"unknown test {test!r}; give wilcoxon or t")
    spec = data.spec_record
    classes = (data.provenance.get("dataset_info") or {}).get("num_classes")
    chance = 1 / classes if isinstance(classes, int) and classes > 1 else None
    arms = [summarise(arm, spec, data.race, chance) for arm in data.arms]
    for arm in arms:
        arm.importances = (importances or {}).get(arm.key)
    arms.sort(key=lambda a: (a.acc_mean is None, -(a.acc_mean or 0.0), a.key))
    cells = [(a.key, a.cell) for a in arms]
    pairs = family_pairs(spec.stored, cells, baseline)  # an unknown baseline is one clear error, before anything
    named = spec.components
    stored_components = {k: v for k, v in (data.provenance.get("components") or {}).items() if k in named}
    provenance = dict(data.provenance)
    provenance.setdefault("environment", next((run.environment for a in data.arms for t in a.final
                                               if (run := t.run) is not None and run.environment), {}))
    model = ReportModel(
        name=data.name, spec=SpecRecord.parse(mask_all(data.spec)), provenance=mask_all(provenance),
        storage=mask_all(storage),
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), arms=arms, test=test,
        baseline="", comparisons=[], unfinished=[a.key for a in arms if not a.finished],
        refused=list(spec.refused.items()), components=mask_all(stored_components),
        race=RaceRecord.parse(data.race), alpha=race_alpha(spec.seeds) if spec.race else stats.ALPHA)
    decided_arms, workers = sweep_arms(data)
    model.decisions = decide(decided_arms, model.alpha, workers, pairs, test)
    model.comparisons, against, model.baseline = comparisons(model.decisions, spec, cells, baseline)
    model.against_baseline = model.comparisons[:against]
    model.speed = speed(decided_arms, model.decisions, model.alpha)
    model.factorial = build_factorial(model)
    model.claims = judge_claims(spec, data.arms, {a.key: not a.improving for a in arms if a.convergence is not None},
                                model.decisions, Budget({a.key: a for a in decided_arms}, workers), model.speed)
    model.tiers = tiers([a.key for a in arms if a.acc_mean is not None], model.decisions)
    model.finding_groups = write_findings(model)
    model.findings = [s for _, group in model.finding_groups for s in group]
    model.answer = answer(model)
    return model

