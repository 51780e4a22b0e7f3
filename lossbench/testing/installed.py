"""The conformance kit on what is installed (``lossbench check``): plugins and components from the registry.

Each plugin involved gets its own checks (it loaded, no torch/optuna/rich at import, its API version), each
component the checks of its kind. A dataset whose ``load`` raises a ``ParameterError`` at the parameters given
(a folder to name, say) is skipped, with that message: it needs parameters, not fixing. A cell named by its
component name is also tried with every remedy that accepts it (``on`` names the cell); the remedies its
declarations refuse are listed as skipped, with why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lossbench.errors import UnknownNameError
from lossbench.registry import KINDS, PluginInfo, Registry
from lossbench.testing.report import Checks, CheckResult, Report

SCHEMA = "lossbench.check/1"


@dataclass
class Outcome:
    """The checks of one plugin (``kind`` "plugin") or one component, or why it was skipped."""

    plugin: str
    kind: str
    name: str
    report: Report = field(default_factory=Report)
    skipped: str | None = None
    on: str | None = None  # a remedy tried on this cell (``lossbench check CELL``)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" + (f" on {self.on}" if self.on else "")

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "passed" if self.report.passed else "failed"

    def to_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "kind": self.kind, "name": self.name, "on": self.on, "status": self.status,
                "skipped": self.skipped, "checks": [
                    {"check": r.check, "status": _status(r), "message": r.message} for r in self.report]}


def select(registry: Registry, names: Sequence[str]) -> tuple[list[PluginInfo], list[tuple[str, str]]]:
    """The plugins and the (kind, component) pairs to check: everything when ``names`` is empty; a plugin's name
    selects the plugin and its components, a distribution's name every plugin (entry point) it installs, a
    component's name that component (of every kind that has it)."""
    plugins = {p.name: p for p in registry.plugins}
    components = [(kind, name) for kind in KINDS for name in registry.names(kind)]
    if not names:
        return list(plugins.values()), components
    chosen_plugins: dict[str, PluginInfo] = {}
    chosen: list[tuple[str, str]] = []
    for name in names:
        matches = [c for c in components if c[1] == name]
        named = [p for p in plugins.values() if p.name == name or _distribution(p) == _normal(name)]
        for plugin in named:
            chosen_plugins[plugin.name] = plugin
            matches += [(kind, n) for kind, found in plugin.components.items() for n in found]
        if not matches and not named:
            distributions = sorted({d for p in plugins.values() if (d := _distribution(p))})
            raise UnknownNameError("plugin, distribution or component", name,
                                   [*plugins, *distributions, *(n for _, n in components)])
        for kind, component in matches:
            chosen_plugins.setdefault(registry.owner(kind, component), plugins[registry.owner(kind, component)])
            if (kind, component) not in chosen:
                chosen.append((kind, component))
    return list(chosen_plugins.values()), chosen


def _distribution(plugin: PluginInfo) -> str | None:
    """The distribution an entry-point plugin comes from (its name is ``DISTRIBUTION:ENTRY``), normalised."""
    if plugin.source == "built-in":
        return "lossbench"
    return _normal(plugin.name.partition(":")[0]) if plugin.source == "entry point" and ":" in plugin.name else None


def _normal(name: str) -> str:
    """A distribution's name as pip compares it (PEP 503): ``Lossbench_Poly`` is ``lossbench-poly``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def check_installed(registry: Registry, names: Sequence[str] = (),
                    params: Mapping[str, Mapping[str, Any]] | None = None) -> list[Outcome]:
    """Every selected plugin's checks, then every selected component's, in the registry's order."""
    from lossbench.testing.plugin import check_component

    plugins, components = select(registry, names)
    outcomes = [_check_plugin(plugin) for plugin in plugins]
    for kind, name in components:
        spec, plugin = registry.get(kind, name), registry.owner(kind, name)
        cell = _cell_for(spec, registry) if kind == "remedies" else None
        outcome = Outcome(plugin, spec.kind, name, check_component(spec, (params or {}).get(name), None, cell))
        outcome.skipped = _needs_parameters(outcome.report) if kind == "datasets" else None
        outcomes.append(outcome)
    for name in dict.fromkeys(n for n in names if n in registry.names("cells")):
        outcomes += remedies_on(registry, name, params or {})
    return outcomes


def remedies_on(registry: Registry, cell_name: str, params: Mapping[str, Mapping[str, Any]]) -> list[Outcome]:
    """Every remedy tried on one cell (at the cell's parameters given): checked where the declarations accept the
    pair, skipped with why where they refuse it."""
    from lossbench.testing.remedies import check_remedy

    cell = registry.get("cells", cell_name)
    cell_params = dict(params.get(cell_name) or {})
    outcomes = []
    for name, refused in registry.remedy_fit(cell, cell_params).items():
        plugin = registry.owner("remedies", name)
        if refused is not None:
            outcomes.append(Outcome(plugin, "remedy", name, skipped=f"refused: {refused}", on=cell_name))
            continue
        report = check_remedy(registry.get("remedies", name), cell, params.get(name), cell_params)
        outcomes.append(Outcome(plugin, "remedy", name, report, on=cell_name))
    return outcomes


def to_json(outcomes: list[Outcome]) -> dict[str, Any]:
    results = [o.to_json() for o in outcomes]
    checks = [c for r in results if r["status"] != "skipped" for c in r["checks"]]
    return {"schema": SCHEMA, "passed": all(o.status != "failed" for o in outcomes), "summary": {
        "checked": sum(o.status != "skipped" for o in outcomes), "failed": sum(o.status == "failed" for o in outcomes),
        "skipped": sum(o.status == "skipped" for o in outcomes), "checks": len(checks),
        "failed_checks": sum(c["status"] == "fail" for c in checks), "notes": sum(c["status"] == "note" for c in checks),
    }, "results": results}


def _check_plugin(plugin: PluginInfo) -> Outcome:
    from lossbench.testing.imports import check_no_heavy_import
    from lossbench.testing.plugin import check_api_version

    checks = Checks(f"plugin {plugin.name}")
    if plugin.error is not None:
        checks.failed("loads", f"failed to load: {plugin.error}")
    else:
        checks.run("loads", lambda: None)
        checks.run("no torch at import", check_no_heavy_import, plugin.plugin)
        checks.run("API version", check_api_version, plugin.plugin)
        for conflict in plugin.conflicts:
            checks.failed("unique names", f"{conflict}; expected names no other plugin registers")
    return Outcome(plugin.name, "plugin", plugin.name, checks.report)


def _cell_for(remedy: Any, registry: Registry) -> Any:
    """None when one of the kit's own cells fits the remedy (check_remedy picks it), else the first registered
    cell that does (a remedy for a plugin's own cell is checked on that cell)."""
    from lossbench.testing.reference_cells import CANDIDATES

    if any(remedy.incompatibility(cell, cell.resolve(overrides)) is None for cell, overrides in CANDIDATES):
        return None
    for name in registry.names("cells"):
        cell = registry.get("cells", name)
        if remedy.incompatibility(cell, cell.resolve()) is None:
            return cell
    return None


def _needs_parameters(report: Report) -> str | None:
    """The message of a dataset whose load asked for a parameter (ParameterError), else None."""
    first = report.failures[0] if report.failures else None
    if first is not None and first.check == "load" and "load raised ParameterError: " in first.message:
        return first.message.split("load raised ParameterError: ", 1)[1]
    return None


def _status(result: CheckResult) -> str:
    return "fail" if not result.passed else "note" if result.is_note else "pass"
