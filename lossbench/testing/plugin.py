"""check_plugin / assert_conforms: collect what a plugin module registers, then check every component."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec
from lossbench.api.version import API_VERSION, DECLARATION, api_mismatch
from lossbench.testing.report import Checks, Note, Report, fail

HOOKS: dict[str, tuple[str, type]] = {
    "register_losses": ("loss", LossSpec),
    "register_cells": ("cell", CellSpec),
    "register_datasets": ("dataset", DatasetSpec),
    "register_remedies": ("remedy", RemedySpec),
}
_MARK = "lossbench_impl"  # the attribute pluggy's HookimplMarker("lossbench") sets


def load_module(module_or_path: ModuleType | str | os.PathLike) -> ModuleType:
    """A module object as is; a ``.py`` path loaded under a private name; otherwise a dotted name imported."""
    if isinstance(module_or_path, ModuleType):
        return module_or_path
    text = os.fspath(module_or_path)
    path = Path(text)
    if text.endswith(".py") or path.exists():
        if path.is_dir():
            path = path / "__init__.py"
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        name = f"lossbench_conformance_{path.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load a Python module from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    return importlib.import_module(text)


def collect(module: ModuleType, checks: Checks) -> list[Any]:
    """Call each hook the module implements with a collecting ``register``; record a check per hook."""
    specs: list[Any] = []
    found = [hook for hook in HOOKS if callable(getattr(module, hook, None))]
    if not found:
        checks.failed("hooks", f"implements none of the hooks {', '.join(HOOKS)}; expected at least one, "
                               f"decorated with @lossbench.hookimpl")
        return specs
    for hook in found:
        checks.run(hook, _call_hook, module, hook, specs)
    seen: dict[tuple[str, str], int] = {}
    for spec in specs:
        seen[(spec.kind, spec.name)] = seen.get((spec.kind, spec.name), 0) + 1
    twice = [f"{kind} {name}" for (kind, name), count in seen.items() if count > 1]
    if twice:
        checks.failed("unique names", f"registers {', '.join(twice)} more than once; expected each name once")
    return specs


def _call_hook(module: ModuleType, hook: str, specs: list[Any]) -> None:
    function = getattr(module, hook)
    word, spec_type = HOOKS[hook]
    if not hasattr(function, _MARK):
        fail(f"{hook} is not decorated with @lossbench.hookimpl; expected the decorator, or lossbench never calls it")
    got: list[Any] = []
    function(register=got.append)
    wrong = [type(item).__name__ for item in got if not isinstance(item, spec_type)]
    if wrong:
        fail(f"{hook} registered {', '.join(wrong)}; expected {spec_type.__name__} objects only")
    if not got:
        fail(f"{hook} registered nothing; expected register({spec_type.__name__}(...)) at least once")
    specs.extend(got)


Params = Mapping[str, Any]
ParamSets = Mapping[str, "Params | Sequence[Params]"]


def check_plugin(module_or_path: ModuleType | str | os.PathLike, params: ParamSets | None = None,
                 *, only: Iterable[str] | None = None, skip: Iterable[str] = (),
                 cells: Mapping[str, CellSpec] | None = None) -> Report:
    """Check every component a plugin module registers.

    ``module_or_path``: a module, a dotted module name, or a path to a ``.py`` file. ``params`` maps a component
    name to parameter overrides (a dataset's small sizes or its folder), or to a list of them: the component is
    checked once per set (``{"ucr": [{"name": "GunPoint"}, {"name": "JapaneseVowels"}]}``), each labelled with
    its set. ``only`` / ``skip`` select components by name (skipped ones are reported as notes); ``cells`` maps
    a remedy name to the cell spec to check it on.
    """
    label = module_or_path.__name__ if isinstance(module_or_path, ModuleType) else os.fspath(module_or_path)
    checks = Checks(f"plugin {label}")
    ok, module = checks.run("import", load_module, module_or_path)
    if not ok:
        return checks.report
    from lossbench.testing.imports import check_no_heavy_import

    checks.run("no torch at import", check_no_heavy_import, module)
    checks.run("API version", check_api_version, module)
    specs = collect(module, checks)
    report = checks.report
    params = params or {}
    only_set = None if only is None else set(only)
    skip_set = set(skip)
    for spec in specs:
        if (only_set is not None and spec.name not in only_set) or spec.name in skip_set:
            checks.note("selection", f"{spec.kind} {spec.name} not checked (left out by only/skip)")
            continue
        report.extend(check_component(spec, params.get(spec.name), module, (cells or {}).get(spec.name)))
    return report


def check_api_version(plugin: Any) -> None:
    """Fail when the plugin's ``LOSSBENCH_API`` does not fit this lossbench; a note when it declares none."""
    declared = getattr(plugin, DECLARATION, None)
    if declared is None:
        raise Note(f"declares no {DECLARATION}; add {DECLARATION} = {API_VERSION!r} (the API it is written for), "
                   f"so that a lossbench it does not fit says so instead of failing somewhere inside")
    mismatch = api_mismatch(declared)
    if mismatch:
        fail(mismatch)


def check_component(spec: Any, params: Params | Sequence[Params] | None = None, module: ModuleType | None = None,
                    cell: CellSpec | None = None) -> Report:
    """Check one component of any kind, once per parameter set when ``params`` is a list of them."""
    if params is None or isinstance(params, Mapping):
        return _check_one(spec, params, module, cell)
    report = Report()
    for overrides in params:
        label = f"{spec.kind} {spec.name}"
        named = f"{label} [{', '.join(f'{k}={v}' for k, v in overrides.items()) or 'defaults'}]"
        report.extend(r._replace(component=named, message=r.message.replace(label, named, 1))
                      for r in _check_one(spec, overrides, module, cell))
    return report


def _check_one(spec: Any, overrides: Params | None, module: ModuleType | None, cell: CellSpec | None) -> Report:
    from lossbench.testing.cells import check_cell
    from lossbench.testing.datasets import check_dataset
    from lossbench.testing.losses import check_loss
    from lossbench.testing.remedies import check_remedy

    if isinstance(spec, LossSpec):
        return check_loss(spec, overrides, module=module)
    if isinstance(spec, CellSpec):
        return check_cell(spec, overrides)
    if isinstance(spec, DatasetSpec):
        return check_dataset(spec, overrides)
    return check_remedy(spec, cell, overrides)


def assert_conforms(module_or_path: ModuleType | str | os.PathLike, params: ParamSets | None = None,
                    **options: Any) -> Report:
    """For a test: check the plugin and raise ``AssertionError`` listing every failed check; returns the report."""
    report = check_plugin(module_or_path, params, **options)
    report.raise_on_failure()
    return report
