"""The evidence a report states: every number and verdict, computed once from a stored sweep (``report.builder``),
before any sentence is written. The findings and the answer read it whole; the renderers read the
``SweepReport`` (``report.builder``), which is this evidence with its words."""

from __future__ import annotations

from dataclasses import dataclass, field

from lossbench import stats
from lossbench.decisions import Verdict
from lossbench.report.claim_verdicts import ClaimVerdict
from lossbench.report.factorial import Factorial
from lossbench.report.summary import ArmSummary
from lossbench.results import Objective, RaceRecord, SpecRecord
from lossbench.results.phase import final_seeds


@dataclass(kw_only=True)
class Evidence:
    name: str
    spec: SpecRecord  # passwords masked
    provenance: dict[str, object]
    storage: str
    generated: str
    arms: list[ArmSummary]  # leaderboard order: best mean test accuracy first
    test: str  # the paired test whose p-values the family's Holm correction reads (t unless asked otherwise)
    baseline: str  # what the comparisons are against, in words
    comparisons: list[Verdict]  # a view of the verdicts: arms against their baseline, then factor levels
    against_baseline: list[Verdict]  # the comparisons' first rows: arm vs its baseline
    unfinished: list[str]
    refused: list[tuple[str, str]]  # (arm, why)
    components: dict[str, dict[str, object]]  # name -> {kind, summary, plugin, ...}, where stored or given
    factorial: Factorial
    claims: list[ClaimVerdict] = field(default_factory=list)  # a preset's published claims, judged
    race: RaceRecord | None = None  # with seeds = "auto": how the final phase's race ended
    decisions: list[Verdict] = field(default_factory=list)  # the family's verdicts (lossbench.decisions)
    speed: list[Verdict] = field(default_factory=list)  # epochs to a common target (lossbench.decisions.speed)
    alpha: float = stats.ALPHA  # the family's level: a raced sweep's is the race's (alpha / looks planned)
    tiers: dict[str, int] = field(default_factory=dict)  # arm -> tier (report.tiers), arms with results only

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
        return final_seeds(self.spec.stored, race) or max((len(a.accuracy) for a in self.arms), default=0)

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
