"""The sweep spec: what to compare and on which budget. Built from a TOML file, from flags or from a preset,
and validated whole (every problem listed at once) before any storage is created or anything trains."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lossbench.api.params import Categorical, Float, Int, Param
from lossbench.errors import LossbenchError, ParameterError, UnknownNameError

SAMPLERS = ("tpe", "random", "qmc", "grid")
PRUNERS = ("median", "hyperband", "none")
OBJECTIVES = ("val_accuracy", "val_nll")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
LR_SPACE = Float(1e-4, 1e-1, log=True)
TRAINING_KEYS = ("lr", "hidden", "batch_size", "optimizer")
FINAL_SEED_BASE = 1000


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
    epochs: int = 3
    seeds: int = 3
    hidden: tuple[int, ...] = (64,)
    batch_size: int = 100
    optimizer: str = "adam"
    sampler: str = "tpe"
    pruner: str = "median"
    objective: str = "val_accuracy"
    sampler_seed: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # arm key -> why that combination cannot run
    # What build_spec already found wrong (unknown keys, fields of the wrong shape, left at their defaults), so that
    # validate lists it with every other problem. Never stored.
    problems: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["problems"]
        data["losses"], data["cells"], data["hidden"] = list(self.losses), list(self.cells), list(self.hidden)
        data["remedy_sets"] = [list(s) for s in self.remedy_sets]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepSpec:
        data = dict(data)
        for key in ("losses", "cells", "hidden"):
            if key in data:
                data[key] = tuple(data[key])
        if "remedy_sets" in data:
            data["remedy_sets"] = tuple(tuple(s) for s in data["remedy_sets"])
        return cls(**data)

    def identity(self) -> dict[str, Any]:
        """What decides the results: a second start under the same name must match it exactly."""
        return self.to_json()

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
        return [FINAL_SEED_BASE + i for i in range(self.seeds)]

    @property
    def maximize(self) -> bool:
        return self.objective == "val_accuracy"


@dataclass(frozen=True)
class Arm:
    index: int
    loss: str
    cell: str
    remedies: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.loss}:{self.cell}:{'+'.join(self.remedies) or 'none'}"

    def study(self, sweep: str, phase: str) -> str:
        return f"{sweep}:{self.key}:{phase}"

    @property
    def components(self) -> tuple[str, ...]:
        return (self.loss, self.cell, *self.remedies)


PRESETS: dict[str, SweepSpec] = {
    # Sized to finish within about 3 minutes on a 2-core machine (measured: see the README).
    "quickstart": SweepSpec(name="quickstart", dataset="mnist1d", losses=("ce", "focal", "bce"), cells=("rnn", "gru"),
                            remedy_sets=((), ("clip_norm", "orthogonal_init")), trials=6, epochs=4, seeds=3,
                            hidden=(64,), batch_size=100),
    # The seed article done right: stacked tanh RNN (64, 32), Adam, bce as the article used it against ce, lr tuned.
    "seed": SweepSpec(name="seed", dataset="digits", losses=("bce", "ce"), cells=("rnn",), remedy_sets=((),),
                      fixed={"rnn.activation": "tanh"}, trials=12, epochs=10, seeds=5, hidden=(64, 32),
                      batch_size=64, optimizer="adam"),
}

_SPEC_KEYS = set(SweepSpec.__dataclass_fields__) - {"refused", "problems"}  # what a file or flags may set
_TOML_KEYS = _SPEC_KEYS | {"remedies"}  # "remedies" is read as "remedy_sets"


def load_toml(path: str | Path) -> dict[str, Any]:
    """A TOML spec as a dict of SweepSpec fields (``remedies`` is accepted for ``remedy_sets``); unknown keys
    are left in for ``build_spec`` to report with every other problem."""
    path = Path(path)
    if not path.is_file():
        raise LossbenchError(f"sweep spec {path} not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise LossbenchError(f"sweep spec {path} is not valid TOML: {error}") from None
    if "remedies" in data:
        data["remedy_sets"] = data.pop("remedies")
    data.setdefault("name", path.stem)
    return data


def build_spec(base: dict[str, Any], overrides: dict[str, Any]) -> SweepSpec:
    """Fields from a TOML file or a preset, then flags on top. An unknown key or a field of the wrong shape is
    left out and recorded in ``problems``; values are checked later, by ``validate``."""
    data = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    data.setdefault("name", "quickstart")
    problems = [str(UnknownNameError("key in the sweep spec", key, sorted(_TOML_KEYS)))
                for key in data if key not in _TOML_KEYS]
    for key, problem in _shape_problems(data):
        problems.append(problem)
        data.pop(key, None)
    data = {k: v for k, v in data.items() if k in _SPEC_KEYS}
    for key in ("losses", "cells"):
        if isinstance(data.get(key), str):
            data[key] = (data[key],)
    for key in ("losses", "cells", "hidden"):
        if key in data and isinstance(data[key], (list, tuple)):
            data[key] = tuple(data[key])
        elif key == "hidden" and isinstance(data.get(key), int):
            data[key] = (data[key],)
    if "remedy_sets" in data:
        data["remedy_sets"] = tuple(tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in data["remedy_sets"])
    return SweepSpec(**data, problems=tuple(problems))


def _shape_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, problem) for fields of the wrong shape (a TOML file can hold anything), found before anything
    iterates them."""
    problems = []
    for key in ("name", "dataset", "sampler", "pruner", "objective", "optimizer"):
        if key in data and not isinstance(data[key], str):
            problems.append((key, f"{key} must be a string, got {data[key]!r}"))
    for key in ("losses", "cells"):
        value = data.get(key, ())
        if not isinstance(value, str) and not (isinstance(value, (list, tuple))
                                               and all(isinstance(v, str) for v in value)):
            problems.append((key, f"{key} must be a name or a list of names, got {value!r}"))
    sets = data.get("remedy_sets", ())
    if not isinstance(sets, (list, tuple)) or not all(
            isinstance(s, str) or (isinstance(s, (list, tuple)) and all(isinstance(r, str) for r in s)) for s in sets):
        problems.append(("remedy_sets", f"remedies must be a list of remedy sets (each a list of names), got {sets!r}"))
    for key in ("dataset_params", "fixed", "space"):
        if key in data and not isinstance(data[key], dict):
            problems.append((key, f"{key} must be a table, got {data[key]!r}"))
    return problems


def apply_sets(spec: SweepSpec, assignments: list[str]) -> SweepSpec:
    """``--set`` values: training keys (lr, hidden, batch_size, optimizer), dataset parameters
    (``<dataset>.param``) and component parameters (``component.param``), pinned for every arm."""
    fixed, dataset_params, training = dict(spec.fixed), dict(spec.dataset_params), {}
    for text in assignments:
        key, sep, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ParameterError(f"--set takes name=value, got {text!r}")
        if key == "hidden":
            try:
                training["hidden"] = tuple(int(v) for v in value.split(",") if v.strip())
            except ValueError:
                raise ParameterError(f"--set hidden takes sizes like 64,32; got {value!r}") from None
        elif key == "batch_size":
            try:
                training["batch_size"] = int(value)
            except ValueError:
                raise ParameterError(f"--set batch_size takes an integer; got {value!r}") from None
        elif key == "optimizer":
            training["optimizer"] = value
        elif key.startswith(spec.dataset + "."):
            dataset_params[key.split(".", 1)[1]] = value
        else:
            fixed[key] = value
    return replace(spec, fixed=fixed, dataset_params=dataset_params, **training)


def validate(spec: SweepSpec, registry: Any) -> list[str]:
    """Every problem with the spec, as a list (empty when it can run)."""
    from lossbench.engine.config import compatibility_problems, lr_problem

    problems: list[str] = list(spec.problems)

    def choice(label: str, value: Any, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            problems.append(str(UnknownNameError(label, str(value), allowed)))

    choice("sampler", spec.sampler, SAMPLERS)
    choice("pruner", spec.pruner, PRUNERS)
    choice("objective", spec.objective, OBJECTIVES)
    choice("optimizer", spec.optimizer, OPTIMIZERS)
    for label, value in [("trials", spec.trials), ("epochs", spec.epochs), ("seeds", spec.seeds),
                         ("batch_size", spec.batch_size)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{label} must be an integer of at least 1, got {value!r}")
    if isinstance(spec.sampler_seed, bool) or not isinstance(spec.sampler_seed, int) or not 0 <= spec.sampler_seed < 2**31:
        problems.append(f"sampler_seed must be an integer in [0, 2**31 - 1], got {spec.sampler_seed!r}")
    if not spec.hidden or any(not isinstance(h, int) or h < 1 for h in spec.hidden):
        problems.append(f"hidden sizes must be positive integers, got {list(spec.hidden)}")
    if not spec.name or any(c in spec.name for c in "/:\\") or spec.name.startswith("."):
        problems.append(f"sweep name {spec.name!r} must be non-empty and contain no '/', '\\' or ':'")
    for label, items in [("losses", spec.losses), ("cells", spec.cells), ("remedy sets", spec.remedy_sets)]:
        if not items:
            problems.append(f"no {label} given")

    def lookup(kind: str, name: str) -> Any:
        try:
            return registry.get(kind, name)
        except UnknownNameError as error:
            problems.append(str(error))
            return None

    dataset = lookup("datasets", spec.dataset)
    losses = {n: lookup("losses", n) for n in dict.fromkeys(spec.losses)}
    cells = {n: lookup("cells", n) for n in dict.fromkeys(spec.cells)}
    remedies = {n: lookup("remedies", n) for s in spec.remedy_sets for n in dict.fromkeys(s)}
    for remedy_set in spec.remedy_sets:
        if len(set(remedy_set)) != len(remedy_set):
            problems.append(f"a remedy is listed twice in the set {'+'.join(remedy_set)}")
    components = {n: s for n, s in [*losses.items(), *cells.items(), *remedies.items()] if s is not None}
    if dataset is not None:
        try:
            dataset.resolve(spec.dataset_params)
        except ParameterError as error:
            problems.append(f"dataset {spec.dataset}: {error}")
        if any(n == spec.dataset for n in components):
            problems.append(f"dataset {spec.dataset} shares its name with a component; parameters would be ambiguous")

    # fixed values
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
    # search-space overrides
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
            spec_ = components[owner]
            if param not in spec_.defaults:
                problems.append(str(UnknownNameError(f"parameter of {spec_.kind} {owner}", param, spec_.defaults)))
                continue
            declared = spec_.space.get(param) or spec_.constraints.get(param)
        try:
            param_obj = parse_param(key, raw, declared)
        except (ParameterError, ValueError, TypeError) as error:
            problems.append(f"[space] {key}: {error}")
            continue
        if key in spec.fixed:
            problems.append(f"{key} is both fixed and given a search range")
        if key == "lr":
            bounds = param_obj.choices if isinstance(param_obj, Categorical) else (param_obj.low, param_obj.high)
            for problem in dict.fromkeys(p for p in map(lr_problem, bounds) if p is not None):
                problems.append(f"[space] lr: {problem}")
        if key != "lr" and declared is not None and not isinstance(param_obj, Categorical):
            for bound in (param_obj.low, param_obj.high):
                try:
                    declared.validate(key, bound)
                except ParameterError as error:
                    problems.append(f"[space] {key}: bound outside the declared range: {error}")
    # Combinations: an arm that cannot run is refused (and reported); a loss or remedy set none of whose arms
    # can run is an error.
    refused = _arm_problems(spec, dataset, components, compatibility_problems)
    for label, key_of in (("loss", lambda arm: arm.loss), ("remedy set", lambda arm: arm.remedies)):
        for value in dict.fromkeys(key_of(arm) for arm in spec.grid):
            arms = [arm for arm in spec.grid if key_of(arm) == value]
            if arms and all(arm.key in refused for arm in arms):
                for arm in arms:
                    for problem in refused[arm.key]:
                        message = f"arm {arm.key}: {problem}"
                        if message not in problems:
                            problems.append(message)
    if spec.sampler == "grid" and not problems:
        for arm in spec.arms:
            continuous = [k for k, p in arm_space(spec, arm, registry).items() if not isinstance(p, Categorical)]
            if continuous:
                problems.append(f"sampler grid needs a finite space; arm {arm.key} has continuous {', '.join(continuous)}: "
                                f"give them choices in [space], e.g. lr = {{choices = [0.001, 0.01]}}")
                break
    return problems


def check(spec: SweepSpec, registry: Any) -> SweepSpec:
    """The spec with its refused arms recorded, or one error listing every problem."""
    problems = validate(spec, registry)
    if problems:
        raise LossbenchError("\n  - ".join([f"invalid sweep {spec.name!r} ({len(problems)} problems):", *problems])
                             if len(problems) > 1 else f"invalid sweep {spec.name!r}: {problems[0]}")
    from lossbench.engine.config import compatibility_problems

    components = {name: spec_ for kind in ("losses", "cells", "remedies") for name, (spec_, _) in registry.components[kind].items()}
    refused = _arm_problems(spec, registry.get("datasets", spec.dataset), components, compatibility_problems)
    return replace(spec, refused={key: "; ".join(reasons) for key, reasons in refused.items()})


def _arm_problems(spec: SweepSpec, dataset: Any, components: dict[str, Any], compatibility_problems: Any) -> dict[str, list[str]]:
    """Why each arm of the grid cannot run, for the arms that cannot."""
    found: dict[str, list[str]] = {}
    for arm in spec.grid:
        loss, cell = components.get(arm.loss), components.get(arm.cell)
        if loss is None or cell is None or any(r not in components for r in arm.remedies):
            continue
        try:
            cell_params = cell.resolve({k.split(".", 1)[1]: v for k, v in spec.fixed.items() if k.startswith(arm.cell + ".")})
        except ParameterError:
            continue  # listed with the other problems
        chosen = [components[r] for r in arm.remedies]
        reasons = (compatibility_problems(dataset, cell, loss, chosen, cell_params) if dataset is not None else
                   [reason for reason in (r.incompatibility(cell.name, cell_params) for r in chosen) if reason])
        if reasons:
            found[arm.key] = reasons
    return found


def parse_param(key: str, raw: Any, declared: Param | None) -> Param:
    if isinstance(raw, (Float, Int, Categorical)):
        return raw
    if not isinstance(raw, dict):
        raise ParameterError("give {low = .., high = .., log = ..} or {choices = [..]}")
    if "choices" in raw:
        choices = list(raw["choices"])
        if declared is not None:
            choices = [declared.validate(key, c) for c in choices]
        return Categorical(choices)
    unknown = set(raw) - {"low", "high", "log"}
    if unknown or "low" not in raw or "high" not in raw:
        raise ParameterError("give {low = .., high = .., log = ..} or {choices = [..]}")
    if isinstance(declared, Int):
        return Int(int(raw["low"]), int(raw["high"]), bool(raw.get("log", declared.log)))
    return Float(float(raw["low"]), float(raw["high"]),
                 bool(raw.get("log", declared.log if isinstance(declared, Float) else False)))


def arm_space(spec: SweepSpec, arm: Arm, registry: Any) -> dict[str, Param]:
    """The tuned space of an arm: lr, then each component's space keyed ``component.param``; overrides
    replace a range, fixed values leave the space."""
    space: dict[str, Param] = {"lr": LR_SPACE}
    for name, kind in [(arm.loss, "losses"), (arm.cell, "cells"), *[(r, "remedies") for r in arm.remedies]]:
        for param, declared in registry.get(kind, name).space.items():
            space[f"{name}.{param}"] = declared
    for key, raw in spec.space.items():
        owner = key.split(".", 1)[0]
        if key == "lr" or owner in arm.components:
            declared = None if key == "lr" else (space.get(key) or _declared(registry, arm, key))
            space[key] = parse_param(key, raw, declared)
    for key in spec.fixed:
        space.pop(key, None)
    return space


def _declared(registry: Any, arm: Arm, key: str) -> Param | None:
    owner, _, param = key.partition(".")
    for kind in ("losses", "cells", "remedies"):
        if owner in registry.names(kind):
            spec = registry.get(kind, owner)
            return spec.space.get(param) or spec.constraints.get(param)
    return None


def _unknown_component(where: str, key: str, owner: str, components: dict[str, Any]) -> str:
    close = difflib.get_close_matches(owner, list(components), n=3, cutoff=0.5)
    text = f"{where} {key!r} names {owner!r}, which is not a loss, cell or remedy of this sweep"
    return text + (f"; did you mean {' or '.join(close)}?" if close else f" ({', '.join(components) or 'none'})")


def run_config(spec: SweepSpec, arm: Arm, params: dict[str, Any], seed: int, flow_profile: bool) -> Any:
    """The engine's RunConfig for an arm with sampled ``params`` (keyed like the space) and a seed."""
    from lossbench.engine import RunConfig

    values = {**spec.fixed, **params}
    component_params: dict[str, dict[str, Any]] = {}
    if spec.dataset_params:
        component_params[spec.dataset] = dict(spec.dataset_params)
    for key, value in values.items():
        if key == "lr":
            continue
        owner, _, param = key.partition(".")
        if owner in arm.components:
            component_params.setdefault(owner, {})[param] = value
    return RunConfig(dataset=spec.dataset, cell=arm.cell, loss=arm.loss, remedies=arm.remedies, params=component_params,
                     epochs=spec.epochs, batch_size=spec.batch_size, lr=float(values.get("lr", 1e-2)),
                     hidden=tuple(spec.hidden), optimizer=spec.optimizer, seed=seed, flow_profile=flow_profile)
