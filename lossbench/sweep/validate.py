"""Whole-spec validation: every problem listed at once, before any storage exists or anything trains.

Each check below looks at one part of the spec and returns its problems in words. Combinations that cannot
run are found once: such an arm is refused (skipped and reported); a loss or remedy set none of whose arms can
run is an error."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from lossbench.api.params import Categorical
from lossbench.engine.config import (BATCH_SIZE_MAX, EPOCHS_MAX, OPTIMIZERS, READOUTS, compatibility_problems,
                                     hidden_problems, int_problem, lr_problem, model_problems)
from lossbench.errors import LossbenchError, ParameterError, UnknownNameError
from lossbench.sweep.inputs import TIME_BUDGET_MAX
from lossbench.sweep.space import arm_space, parse_param
from lossbench.results.halving import TUNINGS
from lossbench.results.schema import name_problem
from lossbench.sweep.spec import OBJECTIVES, PRUNERS, SAMPLERS, SweepSpec
from lossbench.text import shown

# Upper bounds of a sweep's own numbers (a run's are in lossbench.engine.config); docs/failures.md: "Limits".
TRIALS_MAX = 10_000  # per arm: every trial is stored, and the report reads them all
SEEDS_MAX = 1_000
SAMPLER_SEED_MAX = 2**31 - 1
TRIAL_TIMEOUT_MAX = TIME_BUDGET_MAX  # a week: a longer limit is a typo


def check(spec: SweepSpec, registry: Any) -> SweepSpec:
    """The spec with its refused arms recorded, or one error listing every problem."""
    problems, refused = validate(spec, registry)
    if problems:
        raise LossbenchError("\n  - ".join([f"invalid sweep {shown(spec.name)} ({len(problems)} problems):", *problems])
                             if len(problems) > 1 else f"invalid sweep {shown(spec.name)}: {problems[0]}")
    return replace(spec, refused={key: "; ".join(reasons) for key, reasons in refused.items()},
                   dataset_params=_without_defaults(spec, registry))


def _without_defaults(spec: SweepSpec, registry: Any) -> dict[str, Any]:
    """The dataset's parameters without those given at their default: ``--set digits.split_seed=0`` names the same
    sweep as leaving it out (a dataset's parameters are set, never tuned, so a default given is no choice)."""
    dataset = registry.get("datasets", spec.dataset)
    defaults = dataset.resolve({})
    return {key: value for key, value in spec.dataset_params.items()
            if key not in defaults or dataset.resolve({key: value})[key] != defaults[key]}


def validate(spec: SweepSpec, registry: Any) -> tuple[list[str], dict[str, list[str]]]:
    """Every problem with the spec (empty when it can run), and why each refused arm cannot run."""
    problems = [*spec.problems, *_choices(spec), *_sizes(spec), *_lists(spec)]
    dataset, components = _lookup(spec, registry, problems)
    problems += _dataset_params(spec, dataset, components)
    problems += _fixed(spec, components)
    problems += _space(spec, components)
    refused = _refused_arms(spec, dataset, components, registry)
    problems += nothing_left(spec, refused, problems)
    problems += _comparisons(spec, refused)
    if spec.sampler == "grid" and not problems:
        problems += _grid_is_finite(spec, registry, refused)
    return problems, refused


def _choices(spec: SweepSpec) -> list[str]:
    return [str(UnknownNameError(label, str(value), allowed))
            for label, value, allowed in [("sampler", spec.sampler, SAMPLERS), ("pruner", spec.pruner, PRUNERS),
                                          ("objective", spec.objective, OBJECTIVES),
                                          ("optimizer", spec.optimizer, OPTIMIZERS),
                                          ("readout", spec.readout, READOUTS), ("tuning", spec.tuning, TUNINGS)]
            if value not in allowed]


def _sizes(spec: SweepSpec) -> list[str]:
    problems = [p for p in (int_problem("trials", spec.trials, 1, TRIALS_MAX),
                            int_problem("epochs", spec.epochs, 1, EPOCHS_MAX),
                            int_problem("max_epochs", spec.max_epochs, 1, EPOCHS_MAX),
                            int_problem("seeds", spec.seeds, 1, SEEDS_MAX),
                            int_problem("batch_size", spec.batch_size, 1, BATCH_SIZE_MAX),
                            int_problem("sampler_seed", spec.sampler_seed, 0, SAMPLER_SEED_MAX)) if p]
    if spec.patience is not None and (problem := int_problem("patience", spec.patience, 1, EPOCHS_MAX)):
        problems.append(problem + " (0 in a spec: no early stop)")
    problems += hidden_problems(spec.hidden)
    time_budget = spec.time_budget
    if time_budget is not None and (isinstance(time_budget, bool) or not isinstance(time_budget, (int, float))
                                    or not 0 < time_budget <= TRIAL_TIMEOUT_MAX):
        problems.append(f"time_budget must be a duration in (0 s, {TRIAL_TIMEOUT_MAX:g} s] (10m, 90s, 1h), got "
                        f"{_seconds(time_budget)}")
    timeout = spec.trial_timeout
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout <= TRIAL_TIMEOUT_MAX):
        problems.append(f"trial_timeout must be a number of seconds in (0, {TRIAL_TIMEOUT_MAX}], got "
                        f"{_seconds(timeout)}")
    if (problem := name_problem(spec.name)) is not None:
        problems.append(problem)
    return problems


def _seconds(value: object) -> str:
    """A number of seconds as a person reads it (3.6e+12 s, not 3600000000000.0), anything else quoted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g} s"
    return shown(value)


def _lists(spec: SweepSpec) -> list[str]:
    problems = [f"no {label} given" for label, items in [("losses", spec.losses), ("cells", spec.cells),
                                                          ("remedy sets", spec.remedy_sets)] if not items]
    for label, items in [("losses", spec.losses), ("cells", spec.cells)]:
        twice = [name for name in dict.fromkeys(items) if list(items).count(name) > 1]
        problems += [f"{label} lists {name!r} more than once: each arm runs once" for name in twice]
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for remedies in spec.remedy_sets:  # a remedy set is a set: [a, b] and [b, a] are one arm
        if len(set(remedies)) != len(remedies):
            problems.append(f"a remedy is listed twice in the set {'+'.join(remedies)}")
        elif frozenset(remedies) in seen:
            first = seen[frozenset(remedies)]
            problems.append(f"the remedy set {'+'.join(remedies) or 'none'} is listed more than once"
                            + (f" (as {'+'.join(first)})" if first != remedies else "") + ": each arm runs once")
        seen.setdefault(frozenset(remedies), remedies)
    return problems


def _lookup(spec: SweepSpec, registry: Any, problems: list[str]) -> tuple[Any, dict[str, Any]]:
    """The dataset's spec and every loss, cell and remedy's spec by name; unknown names go to ``problems``."""

    def get(kind: str, name: str) -> Any:
        try:
            return registry.get(kind, name)
        except UnknownNameError as error:
            problems.append(str(error))
            return None

    dataset = get("datasets", spec.dataset)
    named = [*(("losses", n) for n in spec.losses), *(("cells", n) for n in spec.cells),
             *(("remedies", n) for s in spec.remedy_sets for n in s)]
    components = {}
    for kind, name in dict.fromkeys(named):
        found = get(kind, name)
        if found is not None:
            components[name] = found
    return dataset, components


def _dataset_params(spec: SweepSpec, dataset: Any, components: dict[str, Any]) -> list[str]:
    if dataset is None:
        return []
    problems = []
    try:
        dataset.resolve(spec.dataset_params)
    except ParameterError as error:
        problems.append(f"dataset {spec.dataset}: {error}")
    if spec.dataset in components:
        problems.append(f"dataset {spec.dataset} shares its name with a component; parameters would be ambiguous")
    return problems


def _fixed(spec: SweepSpec, components: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in spec.fixed.items():
        if key == "lr":
            if (problem := lr_problem(value)) is not None:
                problems.append(f"fixed lr: {problem}")
            continue
        owner, dot, param = key.partition(".")
        if not dot:
            problems.append(f"fixed {key!r}: write component.param (or lr)")
        elif owner not in components:
            problems.append(_unknown_component("fixed", key, owner, components))
        else:
            try:
                components[owner].resolve({param: value})
            except ParameterError as error:
                problems.append(str(error))
    return problems


def _space(spec: SweepSpec, components: dict[str, Any]) -> list[str]:
    problems = []
    for key, raw in spec.space.items():
        declared = None
        if key != "lr":
            owner, dot, param = key.partition(".")
            if not dot:
                problems.append(f"[space] {key!r}: write component.param (or lr)")
                continue
            if owner not in components:
                problems.append(_unknown_component("[space]", key, owner, components))
                continue
            component = components[owner]
            if param not in component.defaults:
                problems.append(str(UnknownNameError(f"parameter of {component.kind} {owner}", param,
                                                     component.defaults)))
                continue
            declared = component.space.get(param) or component.constraints.get(param)
        try:
            param_obj = parse_param(key, raw, declared)
        except (ParameterError, ValueError, TypeError) as error:
            problems.append(f"[space] {key}: {error}")
            continue
        if key in spec.fixed:
            problems.append(f"{key} is both fixed and given a search range")
        problems += _range_problems(key, param_obj, declared)
    return problems


def _range_problems(key: str, param: Any, declared: Any) -> list[str]:
    """A range's bounds against what they may be: a learning rate's limits, or the parameter's declared range."""
    if key == "lr":
        bounds = param.choices if isinstance(param, Categorical) else (param.low, param.high)
        return [f"[space] lr: {p}" for p in dict.fromkeys(p for p in map(lr_problem, bounds) if p is not None)]
    if declared is None or isinstance(param, Categorical):
        return []
    problems = []
    for bound in (param.low, param.high):
        try:
            declared.validate(key, bound)
        except ParameterError as error:
            problems.append(f"[space] {key}: bound outside the declared range: {error}")
    return problems


def _comparisons(spec: SweepSpec, refused: dict[str, list[str]]) -> list[str]:
    """The baseline names an arm, and every claim's checks are well formed and name arms that run."""
    from lossbench.results.baseline import baseline_pairs
    from lossbench.results.claims import parse_claims

    running = [(arm.key, arm.cell) for arm in spec.grid if arm.key not in refused]
    problems = []
    try:
        baseline_pairs(spec.to_json(), running, spec.baseline)
    except LossbenchError as error:
        problems.append(str(error))
    if spec.race and isinstance(spec.seeds, int) and spec.seeds < 3:
        problems.append(f"seeds = auto races up to seeds; give at least 3, got {spec.seeds}")
    problems += parse_claims(list(spec.claims), {key for key, _ in running})[1]
    return problems


def _refused_arms(spec: SweepSpec, dataset: Any, components: dict[str, Any], registry: Any) -> dict[str, list[str]]:
    """Why each arm of the grid cannot run, for the arms that cannot (arms with unknown parts are left out: their
    names are problems already)."""
    found: dict[str, list[str]] = {}
    for arm in spec.grid:
        loss, cell = components.get(arm.loss), components.get(arm.cell)
        chosen = [components.get(r) for r in arm.remedies]
        kinds = [getattr(part, "kind", None) for part in (loss, cell, *chosen)]
        if kinds != ["loss", "cell", *["remedy"] * len(chosen)]:  # unknown, or a name of another kind (a loss gru)
            continue
        try:
            cell_params = cell.resolve({k.split(".", 1)[1]: v for k, v in spec.fixed.items() if k.startswith(arm.cell + ".")})
        except ParameterError:
            continue  # listed with the other problems
        reasons = compatibility_problems(dataset, cell, loss, chosen, cell_params, registry)
        if spec.readout in READOUTS:
            reasons = model_problems(dataset, cell, cell_params, spec.readout) + reasons
        if reasons:
            found[arm.key] = reasons
    return found


def nothing_left(spec: SweepSpec, refused: dict[str, list[str]], problems: list[str]) -> list[str]:
    """A loss or remedy set none of whose arms can run is an error, with each arm's reason."""
    found: list[str] = []
    for key_of in (lambda arm: arm.loss, lambda arm: arm.remedies):
        for value in dict.fromkeys(key_of(arm) for arm in spec.grid):
            arms = [arm for arm in spec.grid if key_of(arm) == value]
            if arms and all(arm.key in refused for arm in arms):
                for arm in arms:
                    for reason in refused[arm.key]:
                        message = f"arm {arm.key}: {reason}"
                        if message not in problems and message not in found:
                            found.append(message)
    return found


def _grid_is_finite(spec: SweepSpec, registry: Any, refused: dict[str, list[str]]) -> list[str]:
    for arm in spec.grid:
        if arm.key in refused:
            continue
        continuous = [k for k, p in arm_space(spec, arm, registry).items() if not isinstance(p, Categorical)]
        if continuous:
            return [f"sampler grid needs a finite space; arm {arm.key} has continuous {', '.join(continuous)}: "
                    f"give them choices in [space], e.g. lr = {{choices = [0.001, 0.01]}}"]
    return []


def _unknown_component(where: str, key: str, owner: str, components: dict[str, Any]) -> str:
    close = difflib.get_close_matches(owner, list(components), n=3, cutoff=0.5)
    text = f"{where} {key!r} names {owner!r}, which is not a loss, cell or remedy of this sweep"
    return text + (f"; did you mean {' or '.join(close)}?" if close else f" ({', '.join(components) or 'none'})")
