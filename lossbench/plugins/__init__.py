"""Plugin discovery and the registry of components."""

from lossbench.plugins.guard import Blame
from lossbench.plugins.registry import KINDS, PluginInfo, Registry, load_registry

__all__ = ["KINDS", "Blame", "PluginInfo", "Registry", "load_registry"]
