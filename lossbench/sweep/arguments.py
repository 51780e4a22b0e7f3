"""The arguments of ``lossbench.sweep.run`` checked before anything is read or created: a Python caller gets one
``LossbenchError`` naming the argument, never a traceback from deep inside (or a folder named ``None``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.sweep.spec import SweepSpec


def check_arguments(spec: Any, storage: Any, out: Any, registry: Any, plugins_dirs: Any, heartbeat: Any,
                    on_start: Any, on_progress: Any) -> None:
    """Every argument of the wrong kind, at once (workers, threads and device: ``execution.plan``)."""
    from lossbench.registry.registry import Registry

    problems = []
    if not isinstance(spec, (SweepSpec, Mapping)):
        problems.append(f"spec must be a SweepSpec or a dict of its fields (as a TOML spec file has them, "
                        f"{{'losses': ['ce', 'focal'], ...}}), got {_shown(spec)}")
    if storage is not None and not isinstance(storage, str):
        problems.append(f"storage must be a database URL (a str) or None for the journal file, got {_shown(storage)}")
    if not isinstance(out, (str, os.PathLike)) or not str(out).strip():
        problems.append(f"out must be a folder (a str or a Path), got {_shown(out)}")
    if registry is not None and not isinstance(registry, Registry):
        problems.append(f"registry must be a lossbench registry (lossbench.registry.load_registry()) or None, "
                        f"got {_shown(registry)}")
    if isinstance(plugins_dirs, (str, bytes, os.PathLike)) or not isinstance(plugins_dirs, (list, tuple)) or not all(
            isinstance(d, (str, os.PathLike)) for d in plugins_dirs):
        problems.append(f"plugins_dirs must be a list of folders (['my_plugins']), got {_shown(plugins_dirs)}")
    if heartbeat is not None and (isinstance(heartbeat, bool) or not isinstance(heartbeat, int) or heartbeat < 1):
        problems.append(f"heartbeat must be a number of seconds (an int of 1 or more) or None, got {_shown(heartbeat)}")
    for name, function in (("on_start", on_start), ("on_progress", on_progress)):
        if function is not None and not callable(function):
            problems.append(f"{name} must be a function or None, got {_shown(function)}")
    if problems:
        raise LossbenchError("\n  - ".join([f"lossbench.sweep.run: {len(problems)} bad arguments:", *problems])
                             if len(problems) > 1 else f"lossbench.sweep.run: {problems[0]}")


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:60]}... ({type(value).__name__})" if len(text) > 60 else f"{text} ({type(value).__name__})"
