"""Read a stored sweep back: per-arm tuning trials and final-phase runs (each slot's current run: ``chains``), and
the one best-trial rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from lossbench.results.checks import refuse, spec_problem, trial_problem
from lossbench.results.masking import mask_url
from lossbench.results.objective import Objective
from lossbench.results.run import RunResult
from lossbench.results.schema import (ATTR_DIVERGED_AT, ATTR_ERROR, ATTR_PARAMS, ATTR_PHASE, ATTR_RESULT, ATTR_SEED,
                                      ATTR_SLOT, ATTR_STATUS, ATTR_SURPLUS, CAP_KEYS, CAPS_ATTR, FAILED_STATUSES, FINAL,
                                      PROVENANCE_ATTR, RACE_ATTR, SPEC_ATTR, TUNE, spec_study, study_name)
from lossbench.results.chains import split_superseded
from lossbench.results.spec_record import SpecRecord
from lossbench.results.halving import pool
from lossbench.results.phase import COMPLETE, TUNE_FINISHED, judged_runs
from lossbench.results.storage import NoSweepError, Storage, open_storage


@dataclass
class TrialRecord:
    number: int
    state: str  # Optuna's: COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    status: str | None
    value: float | None
    params: dict[str, Any]
    seed: int | None
    result: dict[str, Any] | None  # as stored; ``run`` reads it typed
    user_attrs: dict[str, Any]

    @property
    def run(self) -> RunResult | None:
        """The stored result, typed (read anew on each call: keep it where it is read more than once)."""
        return RunResult.from_json(self.result) if self.result else None

    @property
    def surplus(self) -> bool:
        return bool(self.user_attrs.get(ATTR_SURPLUS))

    @property
    def slot(self) -> int | None:
        """The slot it ran (a retry's and a continuation's is the slot they carry)."""
        return self.user_attrs.get(ATTR_SLOT)

    @property
    def error(self) -> str | None:
        return self.user_attrs.get(ATTR_ERROR)

    @property
    def diverged_at(self) -> dict[str, Any] | None:
        """{epoch, step, reason} of a diverged trial."""
        return self.user_attrs.get(ATTR_DIVERGED_AT)


@dataclass
class ArmData:
    key: str
    loss: str
    cell: str
    remedies: list[str]
    tuning: list[TrialRecord] = field(default_factory=list)  # each slot's current run (and failed trials)
    final: list[TrialRecord] = field(default_factory=list)
    # runs a later trial of the same slot continued (``chains``), of both phases: their results stand only as of
    # their cap
    superseded: list[TrialRecord] = field(default_factory=list)

    def count(self, status: str, phase: str = TUNE) -> int:
        trials = self.tuning if phase == TUNE else self.final
        return sum(1 for t in trials if t.status == status and not t.surplus)

    @property
    def failed(self) -> int:
        """Tuning trials that failed for good (a plugin raised, a time limit ran out)."""
        return sum(1 for t in self.tuning if t.status in FAILED_STATUSES and not t.surplus)

    def superseded_in(self, phase: str) -> list[TrialRecord]:
        """The superseded runs of one phase (``TUNE``: a halving's first rungs; ``FINAL``: a race's shorter caps)."""
        return [t for t in self.superseded if t.user_attrs.get(ATTR_PHASE) == phase]

    @property
    def tuning_runs(self) -> list[TrialRecord]:
        """Every tuning trial, the runs a later trial of their slot continued included (successive halving)."""
        return [*self.tuning, *self.superseded_in(TUNE)]

    @property
    def finished_tuning(self) -> list[TrialRecord]:
        return [t for t in self.tuning if t.state in TUNE_FINISHED and not t.surplus]

    @property
    def completed_final(self) -> list[TrialRecord]:
        return [t for t in self.final if t.state == COMPLETE and not t.surplus]


@dataclass
class SweepData:
    name: str
    spec: dict[str, Any]
    provenance: dict[str, Any]
    arms: list[ArmData]
    race: dict[str, Any] | None = None  # with seeds = "auto", how the final phase's race ended: {seeds, looks, method}

    @property
    def spec_record(self) -> SpecRecord:
        """``spec`` (as stored) read into typed fields."""
        return SpecRecord.parse(self.spec)

    def judged_final(self, arm: ArmData) -> list[TrialRecord]:
        """The final runs of ``arm`` the decisions judge: of a race that ended, those it judged (``judged_runs``)."""
        return judged_runs([*arm.final, *arm.superseded_in(FINAL)], self.spec, self.race, arm.key)

    def failed_trials(self) -> list[TrialRecord]:
        """Trials that failed for good (a plugin raised, a time limit ran out): not surplus claims, not lost
        trials (those are retried)."""
        return [t for arm in self.arms for t in [*arm.tuning, *arm.final]
                if t.status in FAILED_STATUSES and not t.surplus]


def stored_attrs(name: str, storage: Any) -> tuple[dict[str, Any], set[str]] | None:
    """The spec study's attributes of sweep ``name`` and the names of every study in ``storage``; None if absent."""
    import optuna

    summaries = {s.study_name: s for s in optuna.study.get_all_study_summaries(storage, include_best_trial=False)}
    if spec_study(name) not in summaries:
        return None
    return summaries[spec_study(name)].user_attrs, set(summaries)


def read_sweep(name: str, storage: Any) -> SweepData:
    """Every arm of sweep ``name`` with its tuning trials and final-phase runs, from Optuna storage (an Optuna
    storage, a ``Storage``, a database URL or a journal path)."""
    import optuna

    where = storage.describe() if isinstance(storage, Storage) else mask_url(str(storage)) if isinstance(
        storage, (str, Path)) else None
    storage = open_storage(storage)
    found = stored_attrs(name, storage)
    if found is None:
        raise NoSweepError(f"no sweep named {name!r} in this storage")
    attrs, studies = found
    spec = attrs.get(SPEC_ATTR)
    problem = ("no spec was recorded yet (its first start is recording it, or stopped before it could)"
               if spec is None else spec_problem(spec) or _attrs_problem(attrs))
    if problem is not None:
        raise refuse(name, where, problem)
    arms = []
    for key, loss, cell, remedies in SpecRecord.parse(spec).arms:
        arm = ArmData(key, loss, cell, remedies)
        for phase, target in [(TUNE, arm.tuning), (FINAL, arm.final)]:
            study = study_name(name, key, phase)
            if study in studies:
                loaded = optuna.load_study(study_name=study, storage=storage)
                records = []
                for trial in loaded.get_trials(deepcopy=False):
                    if (problem := trial_problem(trial.user_attrs)) is not None:
                        raise refuse(name, where, f"trial {trial.number} of arm {key} ({phase}): {problem}")
                    records.append(to_record(trial))
                current, superseded = split_superseded(records)
                target.extend(current)
                arm.superseded.extend(superseded)
        arms.append(arm)
    return SweepData(name, in_force(spec, attrs.get(CAPS_ATTR)), attrs.get(PROVENANCE_ATTR) or {}, arms,
                     attrs.get(RACE_ATTR))


def in_force(spec: dict[str, Any], caps: dict[str, Any] | None) -> dict[str, Any]:
    """The stored spec with the run options and caps in force (``caps``: the latest a start recorded, which are
    not part of the spec's identity; a sweep stored before them has its caps in its spec)."""
    return {**spec, **{k: v for k, v in (caps or {}).items() if k in CAP_KEYS}}


def _attrs_problem(attrs: dict[str, Any]) -> str | None:
    for key in (PROVENANCE_ATTR, RACE_ATTR):
        if attrs.get(key) is not None and not isinstance(attrs[key], dict):
            return f"its stored {key} is not a table"
    return None


def best_trial(trials: list[TrialRecord], objective: Objective | bool) -> TrialRecord | None:
    """The one rule for an arm's best tuning trial, used by the sweep (what the final phase reruns) and the report
    (what it shows): the best objective among completed trials, diverged ones only when nothing else completed;
    on a tie, the lowest trial number (the first found). ``objective``: the ``Objective``, or True to maximise."""
    complete = [t for t in trials if t.state == COMPLETE and t.value is not None and not t.surplus]
    pool = [t for t in complete if t.status != "diverged"] or complete
    if not pool:
        return None
    maximize = objective.maximize if isinstance(objective, Objective) else objective
    sign = 1 if maximize else -1
    return max(pool, key=lambda t: (sign * t.value, -t.number))


def tuned_best(tuning: list[Any], spec: dict[str, Any]) -> Any:
    """An arm's best tuning trial, the one the final phase reruns: ``best_trial`` among the trials its tuning rule
    chooses from (``halving.pool``: under successive halving, the points trained to the last rung). ``tuning``: its
    tuning trials (FrozenTrials as records, or TrialRecords), superseded runs included; ``spec``: as stored."""
    return best_trial(pool(tuning, spec), Objective.named(spec.get("objective")))


def final_metric(trials: Iterable[TrialRecord], metric: str) -> dict[int, float]:
    """{seed: test ``metric``} (accuracy, nll, ece, confidence) of the completed final-phase runs among
    ``trials`` that have it."""
    found = {}
    for t in trials:
        run = t.run if t.state == COMPLETE and not t.surplus and t.seed is not None else None
        value = run.test_metric(metric) if run is not None else None
        if value is not None:
            found[int(t.seed)] = value
    return found


def to_record(trial: Any) -> TrialRecord:
    """A stored Optuna trial (FrozenTrial) as a TrialRecord."""
    attrs = dict(trial.user_attrs)
    return TrialRecord(trial.number, trial.state.name, attrs.get(ATTR_STATUS), trial.value,
                       dict(trial.params) or dict(attrs.get(ATTR_PARAMS, {})), attrs.get(ATTR_SEED),
                       attrs.get(ATTR_RESULT), attrs)
