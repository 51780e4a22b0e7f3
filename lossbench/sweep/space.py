"""The search space of an arm: the learning rate, then the tunable parameters of its loss, cell and remedies,
with the spec's overrides and fixed values applied; and sampling a point of it in an Optuna trial."""

from __future__ import annotations

from typing import Any

from lossbench.api.params import Categorical, Float, Int, Param
from lossbench.errors import ParameterError
from lossbench.sweep.spec import Arm, SweepSpec

LR_SPACE = Float(1e-4, 1e-1, log=True)


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


def suggest(trial: Any, key: str, param: Any) -> Any:
    if isinstance(param, Float):
        return trial.suggest_float(key, param.low, param.high, log=param.log)
    if isinstance(param, Int):
        return trial.suggest_int(key, param.low, param.high, log=param.log)
    if isinstance(param, Categorical):
        return trial.suggest_categorical(key, list(param.choices))
    raise TypeError(f"unknown parameter type for {key}: {param!r}")
