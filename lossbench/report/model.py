"""The report model: plain dataclasses computed once from a stored sweep. Every renderer reads only this."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lossbench import stats
from lossbench.report.compare import Comparison, add_power, compare
from lossbench.report.summary import ArmSummary, summarise
from lossbench.results import Objective, RaceRecord, SpecRecord, SweepData, mask_all
from lossbench.results.decisions import Decision, sweep_decisions
from lossbench.results.phase import final_budget

if TYPE_CHECKING:
    from lossbench.report.claims import ClaimVerdict
    from lossbench.report.factorial import Factorial

__all__ = ["ArmSummary", "Comparison", "ReportModel", "build_model"]


@dataclass
class ReportModel:
    name: str
    spec: SpecRecord  # passwords masked
    provenance: dict[str, object]
    storage: str
    generated: str
    arms: list[ArmSummary]  # leaderboard order: best mean test accuracy first
    test: str  # the paired test used
    baseline: str  # what the comparisons are against, in words
    comparisons: list[Comparison]  # arms against their baseline, then factor levels; Holm-corrected together
    unfinished: list[str]
    refused: list[tuple[str, str]]  # (arm, why)
    components: dict[str, dict[str, object]]  # name -> {kind, summary, plugin, ...}, where stored or given
    factorial: Factorial = None  # type: ignore[assignment]  # set by build_model
    claims: list[ClaimVerdict] = field(default_factory=list)  # a preset's published claims, judged
    race: RaceRecord | None = None  # with seeds = "auto": how the final phase's race ended
    findings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # one-factor comparisons, decided or open (results.decisions)

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

    def arm(self, key: str) -> ArmSummary | None:
        return next((a for a in self.arms if a.key == key), None)


def build_model(data: SweepData, storage: str, *, baseline: str | None = None, test: str = "wilcoxon",
                importances: dict[str, dict[str, float]] | None = None) -> ReportModel:
    """Everything the renderers show, from the stored sweep (``storage`` is shown masked)."""
    from lossbench.report.claims import judge_claims
    from lossbench.report.factorial import build_factorial
    from lossbench.report.findings import write_findings

    if test not in stats.TESTS:
        from lossbench.errors import LossbenchError

        raise LossbenchError(f"unknown test {test!r}; give wilcoxon or t")
    spec = data.spec_record
    arms = [summarise(arm, spec, data.race) for arm in data.arms]
    for arm in arms:
        arm.importances = (importances or {}).get(arm.key)
    arms.sort(key=lambda a: (a.acc_mean is None, -(a.acc_mean or 0.0), a.key))
    comparisons, described = compare(arms, spec, baseline, test)
    add_power(comparisons, test)
    named = spec.components
    stored_components = {k: v for k, v in (data.provenance.get("components") or {}).items() if k in named}
    provenance = dict(data.provenance)
    provenance.setdefault("environment", next((run.environment for a in data.arms for t in a.final
                                               if (run := t.run) is not None and run.environment), {}))
    model = ReportModel(
        name=data.name, spec=SpecRecord.parse(mask_all(data.spec)), provenance=mask_all(provenance),
        storage=mask_all(storage),
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), arms=arms, test=test,
        baseline=described, comparisons=comparisons, unfinished=[a.key for a in arms if not a.finished],
        refused=list(spec.refused.items()), components=mask_all(stored_components),
        race=RaceRecord.parse(data.race))
    model.decisions = sweep_decisions(data)
    model.factorial = build_factorial(model)
    model.claims = judge_claims(spec, data.arms, {a.key: not a.improving for a in arms if a.convergence is not None},
                                model.decisions)
    model.findings = write_findings(model)
    return model

