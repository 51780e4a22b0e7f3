"""A sweep's spec as stored (the ``spec`` attribute of its ``<sweep>:spec`` study), read once into typed fields;
and, with ``seeds = "auto"``, how the final phase's race ended (its ``race`` attribute).

The sweep writes ``SweepSpec.to_json()``; the report and the live display read it through ``SpecRecord`` only.
An optional field the stored dict lacks reads as None (or empty), so a spec written by an older version still reads;
``read_sweep`` refuses a spec without the fields every reader needs, or with one of another type (``checks``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lossbench.results.objective import Objective
from lossbench.results.schema import arm_key


@dataclass(frozen=True)
class SpecRecord:
    stored: dict[str, Any]  # as stored: what the report prints and exports whole
    name: str | None = None
    dataset: str | None = None
    losses: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    remedy_sets: list[list[str]] = field(default_factory=list)
    trials: int | None = None  # tuning trials per arm
    epochs: int | None = None  # a cap when patience is set
    patience: int | None = None  # epochs without gain that stop a run (lossbench.convergence); None: fixed epochs
    seeds: int | None = None  # final-phase seeds; with race, the most the race may use
    max_epochs: int | None = None  # with race: the highest cap the race may raise an arm's runs to (a spec stored
    # before races raised caps: its epochs, as a resume of it plans: ``sweep.grow.stored_caps``)
    time_budget: float | None = None  # the seconds the latest start was given (None: until done)
    race: bool = False  # seeds = "auto"
    objective: Objective = field(default_factory=lambda: Objective.named(None))
    baseline: str | None = None
    claims: list[dict[str, Any]] = field(default_factory=list)
    sampler: str | None = None
    sampler_seed: int | None = None
    pruner: str | None = None
    refused: dict[str, str] = field(default_factory=dict)  # arm key -> why that combination cannot run

    @classmethod
    def parse(cls, stored: dict[str, Any] | None) -> SpecRecord:
        s = dict(stored or {})
        return cls(stored=s, name=s.get("name"), dataset=s.get("dataset"), losses=list(s.get("losses") or []),
                   cells=list(s.get("cells") or []), remedy_sets=[list(r) for r in s.get("remedy_sets") or []],
                   trials=_int(s.get("trials")), epochs=_int(s.get("epochs")), patience=_int(s.get("patience")),
                   seeds=_int(s.get("seeds")),
                   max_epochs=_int(s.get("max_epochs")) if "max_epochs" in s else _int(s.get("epochs")),
                   time_budget=s.get("time_budget") if isinstance(s.get("time_budget"), (int, float)) else None,
                   race=bool(s.get("race")), objective=Objective.named(s.get("objective")),
                   baseline=s.get("baseline"), claims=list(s.get("claims") or []), sampler=s.get("sampler"),
                   sampler_seed=s.get("sampler_seed"), pruner=s.get("pruner"),
                   refused={str(k): str(v) for k, v in (s.get("refused") or {}).items()})

    @property
    def remedy_keys(self) -> list[str]:
        """Each remedy set as arms name it: names joined by +, or none."""
        return ["+".join(r) or "none" for r in self.remedy_sets]

    @property
    def arms(self) -> list[tuple[str, str, str, list[str]]]:
        """(key, loss, cell, remedies) of every arm the spec runs, in grid order; refused arms left out."""
        return [(key, loss, cell, list(remedies))
                for loss in self.losses for cell in self.cells for remedies in self.remedy_sets
                if (key := arm_key(loss, cell, remedies)) not in self.refused]

    @property
    def components(self) -> set[str]:
        """Every component name the spec uses: losses, cells, remedies and the dataset."""
        return {*self.losses, *self.cells, *(r for s in self.remedy_sets for r in s),
                *([self.dataset] if self.dataset else [])}


@dataclass(frozen=True)
class RaceRecord:
    """How the final phase's race ended (``seeds = "auto"``), as the sweep stored it once it was over."""

    stored: dict[str, Any]  # as stored: what results.json exports
    seeds: int | None  # the most seeds an arm ran when it stopped
    looks: list[dict[str, Any]]  # one per round: {seeds, decided, open, racing}
    method: str | None  # the rule that stopped it, in words
    arms: dict[str, int] = field(default_factory=dict)  # the seeds each arm ran (an arm decided early ran fewer)

    @classmethod
    def parse(cls, stored: dict[str, Any] | None) -> RaceRecord | None:
        if not stored:
            return None
        return cls(dict(stored), _int(stored.get("seeds")), list(stored.get("looks") or []), stored.get("method"),
                   {str(k): int(v) for k, v in (stored.get("arms") or {}).items()})

    @property
    def decided(self) -> bool:
        """Every comparison was decided at the last look (rather than the maximum of seeds reached)."""
        return bool(self.looks) and not self.looks[-1].get("open")


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
