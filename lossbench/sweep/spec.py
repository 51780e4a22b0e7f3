"""The sweep spec: what to compare and on which budget, and the arms it makes (loss x cell x remedy set).

Built by ``inputs`` from a TOML file, flags or a preset (``presets``), and checked whole by ``validate``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lossbench.convergence import PATIENCE, WARMUP
from lossbench.results.halving import PATIENCE as PATIENCE_RULE
from lossbench.results.objective import OBJECTIVES as _OBJECTIVES
from lossbench.results.objective import Objective
from lossbench.results.schema import CAP_KEYS, FINAL, arm_key, study_name

SAMPLERS = ("screen", "tpe", "random", "qmc", "grid")
PRUNERS = ("median", "hyperband", "none")
OBJECTIVES = tuple(_OBJECTIVES)
# The default tuning rule: halving picked as the patience rule does in half its time on the quickstart (whose preset
# tunes so) and on greydanus2020, but missed a slow starter's point on muller2019 (benchmarks/README.md)
TUNING = PATIENCE_RULE
FINAL_SEED_BASE = 1000
TUNE_SEED_HIGH = 2**31  # a tuning slot from FINAL_SEED_BASE on trains on TUNE_SEED_HIGH + index: never a final seed


def slot_seed(phase: str, index: int) -> int:
    """The training seed of slot ``index`` of a phase (tune or final): the slot's alone, never Optuna's trial
    number (a retry gets a new one) nor the budget (a resume may raise it). Tuning: 0, 1, 2, ...; final: 1000,
    1001, ... (fresh seeds: no tuning run trained on one)."""
    if phase == FINAL:
        return FINAL_SEED_BASE + index
    return index if index < FINAL_SEED_BASE else TUNE_SEED_HIGH + index


def seed_slot(phase: str, seed: int) -> int:
    """The slot whose seed ``seed`` is (``slot_seed`` inverted): for trials stored before slots were recorded."""
    if phase == FINAL:
        return seed - FINAL_SEED_BASE
    return seed if seed < FINAL_SEED_BASE else seed - TUNE_SEED_HIGH


@dataclass(frozen=True)
class SweepSpec:
    name: str = "quickstart"
    dataset: str = "mnist1d"
    dataset_params: dict[str, Any] = field(default_factory=dict)
    losses: tuple[str, ...] = ("ce",)
    cells: tuple[str, ...] = ("gru",)
    remedy_sets: tuple[tuple[str, ...], ...] = ((),)
    fixed: dict[str, Any] = field(default_factory=dict)  # "lr" or "component.param" -> value
    space: dict[str, dict[str, Any]] = field(default_factory=dict)  # "lr" or "component.param" -> {low, high, log} | {choices}
    trials: int = 4
    epochs: int = WARMUP * PATIENCE  # a cap when patience is set: by default the fewest at which a run can plateau
    # (a cap a later start may raise: runs still improving at it are continued from their checkpoints)
    patience: int | None = PATIENCE  # stop a run after this many epochs without gain (None: train every epoch)
    seeds: int = 3  # final-phase seeds; with race, the most the race may use (a maximum a later start may raise)
    race: bool = False  # seeds = "auto": the final phase in rounds until decided (see ``racing``)
    baseline: str | None = None  # what arms are compared with (report and race); None: ce, no remedy, same cell
    claims: tuple[dict[str, Any], ...] = ()  # published claims a preset checks (see lossbench.report.claim_verdicts)
    hidden: tuple[int, ...] = (64,)
    readout: str = "last"  # what the head reads: the last valid step, the mean over valid steps, or all steps
    batch_size: int = 100
    optimizer: str = "adam"
    sampler: str = "screen"
    tuning: str = TUNING  # "halving": the points to a short cap, the best continued; "patience": each to the cap
    pruner: str = "none"
    objective: str = "val_accuracy"
    sampler_seed: int = 0
    trial_timeout: float | None = None  # seconds a trial may run (None: no limit); not part of the identity
    time_budget: float | None = None  # seconds this start may train (None: until done); not part of the identity
    max_epochs: int = 200  # with race: the highest cap the race may raise an arm's runs to; not part of the identity
    refused: dict[str, str] = field(default_factory=dict)  # arm key -> why that combination cannot run
    # What build_spec already found wrong (unknown keys, fields of the wrong shape, left at their defaults), so that
    # validate lists it with every other problem. Never stored.
    problems: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # The caps (epochs, seeds, max_epochs) a spec file, a preset or a flag named (``build_spec``); a resume takes the
    # others from the stored sweep, as ``lossbench run NAME`` does (``grow.in_force``). None: all (made in Python).
    # Never stored.
    given: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["problems"], data["given"]
        data["losses"], data["cells"], data["hidden"] = list(self.losses), list(self.cells), list(self.hidden)
        data["remedy_sets"] = [list(s) for s in self.remedy_sets]
        data["claims"] = [dict(c) for c in self.claims]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepSpec:
        data = dict(data)
        for key in ("losses", "cells", "hidden"):
            if key in data:
                data[key] = tuple(data[key])
        if "remedy_sets" in data:
            data["remedy_sets"] = tuple(tuple(s) for s in data["remedy_sets"])
        if "claims" in data:
            data["claims"] = tuple(data["claims"])
        return cls(**data)

    def identity(self) -> dict[str, Any]:
        """What decides the results: a second start under the same name must match it exactly. The caps (epochs,
        seeds, max_epochs: a later start may raise them, and runs continue) and the run options (time_budget,
        trial_timeout), like the number of workers, are not part of it (``CAP_KEYS``)."""
        data = self.to_json()
        for key in CAP_KEYS:
            data.pop(key, None)
        if data["readout"] == "last":
            del data["readout"]  # the default, as a sweep stored before readouts existed names it
        if data["tuning"] == PATIENCE_RULE:
            del data["tuning"]  # as a sweep stored before tuning rules existed names it (it tuned so)
        return data

    def recorded(self) -> dict[str, Any]:
        """The spec as its first start stores it: its identity, with the caps it started with (a later start's
        caps are stored beside it: ``results.schema.CAPS_ATTR``)."""
        return {**self.identity(), "epochs": self.epochs, "seeds": self.seeds, "max_epochs": self.max_epochs}

    def caps(self) -> dict[str, Any]:
        """The caps and run options of this start (``CAP_KEYS``)."""
        return {key: getattr(self, key) for key in CAP_KEYS}

    @property
    def arms(self) -> list[Arm]:
        """The arms that run: every loss x cell x remedy set but the refused ones (indices stay those of the grid)."""
        return [arm for arm in self.grid if arm.key not in self.refused]

    @property
    def grid(self) -> list[Arm]:
        arms = []
        for loss in self.losses:
            for cell in self.cells:
                for remedies in self.remedy_sets:
                    arms.append(Arm(len(arms), loss, cell, tuple(remedies)))
        return arms

    @property
    def final_seeds(self) -> list[int]:
        return [slot_seed(FINAL, i) for i in range(self.seeds)]

    @property
    def goal(self) -> Objective:
        """The objective tuned, with its direction."""
        return Objective.named(self.objective)

    @property
    def maximize(self) -> bool:
        return self.goal.maximize


@dataclass(frozen=True)
class Arm:
    index: int
    loss: str
    cell: str
    remedies: tuple[str, ...]

    @property
    def key(self) -> str:
        return arm_key(self.loss, self.cell, self.remedies)

    def study(self, sweep: str, phase: str) -> str:
        return study_name(sweep, self.key, phase)

    @property
    def components(self) -> tuple[str, ...]:
        return (self.loss, self.cell, *self.remedies)
