"""Plugin discovery and the registry of components."""

from lossbench.registry.guard import Blame
from lossbench.registry.registry import KINDS, PluginInfo, Registry, load_registry

__all__ = ["KINDS", "Blame", "PluginInfo", "Registry", "load_registry"]
