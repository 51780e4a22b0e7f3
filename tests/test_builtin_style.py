"""The built-in plugins in the one registration style the plugin guide (docs/plugins.md) shows (issue 10).

Each registration module names every component as a spec constant, gathers them in ``SPECS`` and registers
them with one short hook; every builder / loader takes exactly the spec's parameters with no default of its own
(the defaults live in the spec), and so do the Remedy classes and the implementation functions behind them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import lossbench
from lossbench import CellSpec, DatasetSpec, LossSpec, RemedySpec

MODULES = {
    "lossbench_builtins.losses": ("register_losses", LossSpec),
    "lossbench_builtins.cells": ("register_cells", CellSpec),
    "lossbench_builtins.datasets": ("register_datasets", DatasetSpec),
    "lossbench_builtins.remedies": ("register_remedies", RemedySpec),
}
# the modules behind the registration modules, imported by the builders
IMPLEMENTATIONS = {
    "lossbench_builtins.losses": ["lossbench_builtins.loss_functions"],
    "lossbench_builtins.cells": ["lossbench_builtins.cell_modules"],
    "lossbench_builtins.datasets": [
        f"lossbench_builtins.datasets.{m.name}"
        for m in pkgutil.iter_modules(importlib.import_module("lossbench_builtins.datasets").__path__)
    ],
    "lossbench_builtins.remedies": ["lossbench_builtins.remedy_modules"],
}


def _specs(module_name: str) -> tuple:
    return importlib.import_module(module_name).SPECS


ALL_SPECS = [pytest.param(name, spec, id=f"{spec.kind}-{spec.name}") for name in MODULES for spec in _specs(name)]


@pytest.mark.parametrize("module_name", MODULES)
def test_module_names_its_specs_and_its_hook_registers_exactly_them(module_name):
    module = importlib.import_module(module_name)
    hook_name, spec_type = MODULES[module_name]
    assert module.LOSSBENCH_API == lossbench.API_VERSION  # declared, as the guide asks of every plugin
    specs = module.SPECS
    assert isinstance(specs, tuple) and specs and all(isinstance(s, spec_type) for s in specs)
    # every spec is a module-level constant, and every such constant is in SPECS
    constants = [value for key, value in vars(module).items() if key.isupper() and isinstance(value, spec_type)]
    assert sorted(map(id, constants)) == sorted(map(id, specs))
    registered = []
    getattr(module, hook_name)(registered.append)
    assert len(registered) == len(specs) and all(a is b for a, b in zip(registered, specs))
    # the hook is the short loop: decorator, def, for, register
    source = [line for line in inspect.getsource(getattr(module, hook_name)).splitlines() if line.strip()]
    assert source == ["@hookimpl", f"def {hook_name}(register):", "    for spec in SPECS:", "        register(spec)"]


@pytest.mark.parametrize("module_name, spec", ALL_SPECS)
def test_builder_is_a_named_function_taking_exactly_the_spec_parameters_without_defaults(module_name, spec):
    builder = spec.load if isinstance(spec, DatasetSpec) else spec.build
    assert inspect.isfunction(builder) and builder.__module__ == module_name, builder
    assert getattr(importlib.import_module(module_name), builder.__name__) is builder  # named, module level
    parameters = list(inspect.signature(builder).parameters.values())
    if isinstance(spec, CellSpec):
        assert [p.name for p in parameters[:2]] == ["input_size", "hidden_size"]
        parameters = parameters[2:]
    assert {p.name for p in parameters} == set(spec.defaults)
    assert all(p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    declared_twice = [p.name for p in parameters if p.default is not p.empty]
    assert not declared_twice, f"{spec.name}: defaults in the builder as well as the spec: {declared_twice}"


@pytest.mark.parametrize("spec", [p.values[1] for p in ALL_SPECS if isinstance(p.values[1], RemedySpec)],
                         ids=lambda spec: spec.name)
def test_remedy_classes_take_their_parameters_without_defaults(spec):
    remedy = spec.build(**spec.resolve())
    parameters = inspect.signature(type(remedy)).parameters.values()
    assert {p.name for p in parameters} == set(spec.defaults)
    assert all(p.default is p.empty for p in parameters), type(remedy).__name__


@pytest.mark.parametrize("module_name", MODULES)
def test_implementations_declare_no_default_for_a_spec_parameter(module_name):
    """A function or class behind the specs that gives a spec's parameter a default would declare it twice."""
    spec_params = {key for spec in _specs(module_name) for key in spec.defaults}
    found = []
    for implementation in IMPLEMENTATIONS[module_name]:
        module = importlib.import_module(implementation)
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != implementation or not callable(value):
                continue
            functions = [value] if inspect.isfunction(value) else [
                member for member in vars(value).values() if inspect.isfunction(member)]
            for function in functions:
                for parameter in inspect.signature(function).parameters.values():
                    if parameter.name in spec_params and parameter.default is not parameter.empty:
                        found.append(f"{implementation}.{function.__qualname__}({parameter.name}=...)")
    assert not found, found
