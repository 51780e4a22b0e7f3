"""State shared by the commands of one invocation: the plugin folders and the registry, loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field

from lossbench.cli.output import warn
from lossbench.registry import Registry, load_registry


@dataclass
class Session:
    plugins_dirs: list[str] = field(default_factory=list)
    _registry: Registry | None = None

    def registry(self, check_conflicts: bool = True) -> Registry:
        if self._registry is None:
            self._registry = load_registry(self.plugins_dirs)
            for plugin in self._registry.failures():
                warn(f"plugin {plugin.name} ({plugin.source}, {plugin.location}) skipped: {plugin.error}")
            for conflict in self._registry.conflicts:
                warn(f"conflict: {conflict}")
        if check_conflicts:
            self._registry.raise_conflicts()
        return self._registry


session = Session()
