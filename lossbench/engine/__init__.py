"""The training engine: one run end to end. Imports torch; nothing on the CLI's start-up path imports it.

``prepare(config, registry, data)`` resolves and checks a run once and builds it; ``PreparedRun.fit`` trains it.
``train`` does both. ``PreparedRun.checkpoint()`` hands over a run's state at its last finished epoch, which
``fit(resume=...)`` continues exactly (``checkpoint``).

The names below load on first use (PEP 562): importing ``lossbench.engine.config`` (a sweep's validation, which
a refused ``lossbench run`` reaches) must not import torch through this package. The submodule ``prepare`` never
takes the place of the function ``prepare`` as the package's attribute, whichever is imported first."""

import sys
from importlib import import_module
from types import ModuleType

_WHERE = {"Checkpoint": "lossbench.engine.checkpoint", "ResolvedRun": "lossbench.engine.config",
          "RunConfig": "lossbench.engine.config", "resolve": "lossbench.engine.config",
          "PreparedRun": "lossbench.engine.prepare", "load_dataset": "lossbench.engine.dataset",
          "prepare": "lossbench.engine.prepare", "train": "lossbench.engine.prepare",
          "EpochRecord": "lossbench.results.run", "RunResult": "lossbench.results.run"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'lossbench.engine' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


class _Engine(ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if name in _WHERE and isinstance(value, ModuleType):  # the import system binding submodule prepare:
            return  # the name stays the function's (read through __getattr__)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine
