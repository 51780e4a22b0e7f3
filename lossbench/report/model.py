"""The report model: plain dataclasses computed once from a stored sweep. Every renderer reads only this."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from lossbench import stats
from lossbench.report.compare import Comparison, add_power, compare
from lossbench.report.summary import ArmSummary, summarise
from lossbench.results import SweepData, mask_all
from lossbench.results.decisions import Decision, sweep_decisions
from lossbench.results.phase import final_budget

__all__ = ["ArmSummary", "Comparison", "ReportModel", "build_model"]


@dataclass
class ReportModel:
    name: str
    spec: dict[str, Any]
    provenance: dict[str, Any]
    storage: str
    generated: str
    arms: list[ArmSummary]  # leaderboard order: best mean test accuracy first
    test: str  # the paired test used
    baseline: str  # what the comparisons are against, in words
    comparisons: list[Comparison]  # arms against their baseline, then factor levels; Holm-corrected together
    unfinished: list[str]
    refused: list[tuple[str, str]]  # (arm, why)
    components: dict[str, dict[str, Any]]  # name -> {kind, summary, plugin, ...}, where stored or given
    factorial: Any = None  # factorial.Factorial, set by build_model
    claims: list[Any] = field(default_factory=list)  # claims.ClaimVerdict: a preset's published claims, judged
    race: dict[str, Any] | None = None  # with seeds = "auto": how the final phase's race ended, as stored
    findings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # one-factor comparisons, decided or open (results.decisions)

    @property
    def partial(self) -> bool:
        return bool(self.unfinished)

    @property
    def objective(self) -> str:
        return "val_nll" if self.spec.get("objective") == "val_nll" else "val_accuracy"

    @property
    def seeds(self) -> int:
        """Final-phase seeds per arm: the spec's number, or (``seeds = "auto"``) where the race ended."""
        return final_budget(self.spec, self.race) or max((len(a.accuracy) for a in self.arms), default=0)

    @property
    def sequential(self) -> bool:
        """The final phase ran seeds in rounds until decided (``seeds = "auto"``)."""
        return bool(self.spec.get("race"))

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
    spec = data.spec
    maximize = spec.get("objective", "val_accuracy") == "val_accuracy"
    arms = [summarise(arm, spec, maximize, data.race) for arm in data.arms]
    for arm in arms:
        arm.importances = (importances or {}).get(arm.key)
    arms.sort(key=lambda a: (a.acc_mean is None, -(a.acc_mean or 0.0), a.key))
    comparisons, described = compare(arms, spec, baseline, test)
    add_power(comparisons, test)
    named = {*spec.get("losses", []), *spec.get("cells", []), spec.get("dataset"),
             *(r for s in spec.get("remedy_sets", []) for r in s)}
    stored_components = {k: v for k, v in (data.provenance.get("components") or {}).items() if k in named}
    provenance = dict(data.provenance)
    provenance.setdefault("environment", next((t.result.get("environment") for a in data.arms for t in a.final
                                               if t.result and t.result.get("environment")), {}))
    model = ReportModel(
        name=data.name, spec=mask_all(spec), provenance=mask_all(provenance), storage=mask_all(storage),
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), arms=arms, test=test,
        baseline=described, comparisons=comparisons, unfinished=[a.key for a in arms if not a.finished],
        refused=_refused(spec), components=mask_all(stored_components), race=data.race)
    model.decisions = sweep_decisions(data)
    model.factorial = build_factorial(model)
    model.claims = judge_claims(spec, data.arms, {a.key: not a.improving for a in arms if a.convergence is not None})
    model.findings = write_findings(model)
    return model


def _refused(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Combinations the sweep refused, with why, as the spec stores them."""
    return [(str(k), str(v)) for k, v in (spec.get("refused") or {}).items()]
