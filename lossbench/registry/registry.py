"""The registry: every component that loaded, which plugin gave it, and every plugin that failed.

Each plugin's hooks are called one plugin at a time, so a hook that raises is blamed on its plugin and
skipped while the rest still load (unless strict loading is on). A name registered twice is a conflict: the
first registration wins, the later one is skipped and listed (on both plugins), and every command goes on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pluggy

from lossbench.api import hookspecs
from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec, Spec
from lossbench.api.version import DECLARATION, api_mismatch
from lossbench.errors import DuplicateNameError, PluginError, UnknownNameError, one_line
from lossbench.registry.discovery import Candidate, entry_point_candidates, local_candidates, plugin_dirs
from lossbench.registry.guard import Isolated

STRICT_ENV = "LOSSBENCH_STRICT_PLUGINS"

# kind (plural, as on the command line) -> (hook name, spec class, singular word)
KINDS: dict[str, tuple[str, type, str]] = {
    "losses": ("register_losses", LossSpec, "loss"),
    "cells": ("register_cells", CellSpec, "cell"),
    "datasets": ("register_datasets", DatasetSpec, "dataset"),
    "remedies": ("register_remedies", RemedySpec, "remedy"),
}


@dataclass
class PluginInfo:
    name: str
    source: str
    location: str
    version: str | None
    components: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    error: str | None = None
    plugin: Any = field(default=None, repr=False, compare=False)  # the loaded module (or object), when it loaded
    conflicts: list[str] = field(default_factory=list)  # names it registered that another plugin had first
    distribution: str | None = None  # the installed distribution it comes from (an entry point's)

    @property
    def status(self) -> str:
        return "failed" if self.error is not None else "conflict" if self.conflicts else "ok"


@dataclass
class Registry:
    plugins: list[PluginInfo] = field(default_factory=list)
    # kind -> name -> (spec, plugin name)
    components: dict[str, dict[str, tuple[Spec, str]]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    conflicts: list[str] = field(default_factory=list)
    strict: bool = False

    def get(self, kind: str, name: str) -> Any:
        """The spec registered as ``name``; an error with the closest names when there is none."""
        entries = self.components[kind]
        if name not in entries:
            raise UnknownNameError(KINDS[kind][2], name, entries)
        return entries[name][0]

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def owner(self, kind: str, name: str) -> str:
        return self.components[kind][name][1]

    def describe(self, kind: str, name: str) -> str:
        """``loss focal (plugin losses)``: how messages name a component, so that its author can be found."""
        return f"{KINDS[kind][2]} {name} (plugin {self.owner(kind, name)})"

    def remedy_fit(self, cell: CellSpec, cell_params: dict[str, Any] | None = None) -> dict[str, str | None]:
        """For each registered remedy, why it refuses ``cell`` at ``cell_params`` (its defaults when None), or None
        where it accepts it: what the declarations say, before anything is built."""
        params = cell.resolve(cell_params)
        fit: dict[str, str | None] = {}
        for name in self.names("remedies"):
            try:
                fit[name] = self.get("remedies", name).incompatibility(cell, params)
            except Exception as error:  # a remedy's own check raised: refused, the listing goes on
                fit[name] = f"{self.describe('remedies', name)}: its check raised {one_line(error)}"
        return fit

    def failures(self) -> list[PluginInfo]:
        return [plugin for plugin in self.plugins if plugin.error]

    def raise_conflicts(self) -> None:
        """Under strict loading a conflict is an error; otherwise the first registration is used, as listed."""
        if self.conflicts and self.strict:
            raise DuplicateNameError("; ".join(self.conflicts))


def load_registry(dirs: tuple[str, ...] | list[str] = (), strict: bool | None = None) -> Registry:
    """Discover every plugin (entry points, then local folders) and collect what each registers."""
    if strict is None:
        strict = os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}
    registry = Registry(strict=strict)
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for candidate in [*entry_point_candidates(), *local_candidates(plugin_dirs(dirs))]:
        info = PluginInfo(candidate.name, candidate.source, candidate.location, candidate.version, error=candidate.error,
                          plugin=candidate.plugin, distribution=candidate.distribution)
        taken = next((p for p in registry.plugins if p.name == info.name), None)
        if taken is not None:  # named by its path instead, so that every name in the list is one plugin
            info.name = info.location
            if info.error is None:
                info.error = (f"a plugin named {taken.name} is already loaded ({taken.source}, {taken.location}); "
                              f"plugin names must be unique: rename {info.location}")
                info.plugin = None
        registry.plugins.append(info)
        if info.error is None:
            _collect(manager, candidate, info, registry)
        if info.error is not None and strict:
            raise PluginError(f"plugin {info.name} ({info.source}, {info.location}) failed: {info.error}")
    return registry


def _collect(manager: pluggy.PluginManager, candidate: Candidate, info: PluginInfo, registry: Registry) -> None:
    mismatch = api_mismatch(getattr(candidate.plugin, DECLARATION, None))
    if mismatch:
        info.error = mismatch
        return
    try:
        manager.register(candidate.plugin, name=f"{candidate.source}:{candidate.location}")
    except Exception as error:  # a hook with the wrong signature, or the same object twice
        info.error = one_line(error)
        return
    unknown = [hook_name for hook_name, _ in _impls(manager, candidate.plugin) if hook_name not in _HOOKS]
    if unknown:
        manager.unregister(candidate.plugin)
        info.error = f"implements hooks this lossbench version lacks: {', '.join(sorted(unknown))}"
        return
    added: list[tuple[str, str]] = []
    for kind, (hook_name, spec_type, word) in KINDS.items():
        impl = next((i for name, i in _impls(manager, candidate.plugin) if name == hook_name), None)
        if impl is None:
            continue

        def register(spec: Any, kind: str = kind, spec_type: type = spec_type, word: str = word) -> None:
            if not isinstance(spec, spec_type):
                raise TypeError(f"{hook_name} registered a {type(spec).__name__}, expected {spec_type.__name__}")
            added.append((kind, spec.name))
            info.components[kind].append(spec.name)
            pending[kind].append(spec)

        pending: dict[str, list[Spec]] = {kind: []}
        with Isolated() as guard:
            impl.function(register=register)
        if guard.failed:
            # Keep nothing from a plugin whose hook raised: half a plugin is worse than none.
            for done_kind, name in added:
                if registry.components[done_kind].get(name, (None, None))[1] == info.name:
                    del registry.components[done_kind][name]
            info.components = {k: [] for k in KINDS}
            info.error = f"{hook_name} raised {guard.raised or one_line(RuntimeError(guard.changed))}"
            manager.unregister(candidate.plugin)
            return
        for spec in pending[kind]:
            existing = registry.components[kind].get(spec.name)
            if existing is not None:
                other = next(p for p in registry.plugins if p.name == existing[1])
                conflict = (f"{word} {spec.name!r} is registered by two plugins: {other.name} ({other.source}, "
                            f"{other.location}), used, and {info.name} ({info.source}, {info.location}), "
                            f"skipped; uninstall or rename one")
                registry.conflicts.append(conflict)
                info.conflicts.append(conflict)
                info.components[kind].remove(spec.name)
                continue
            registry.components[kind][spec.name] = (spec, info.name)


_HOOKS = {hook_name for hook_name, _, _ in KINDS.values()}


def _impls(manager: pluggy.PluginManager, plugin: Any) -> list[tuple[str, Any]]:
    """(hook name, implementation) for each hook the plugin implements."""
    callers = manager.get_hookcallers(plugin) or []
    return [(caller.name, impl) for caller in callers for impl in caller.get_hookimpls() if impl.plugin is plugin]
