"""Does importing a plugin module pull in torch? Checked in a fresh interpreter, since this one has it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from types import ModuleType

HEAVY = ("torch", "optuna", "rich")

_PROBE = r"""
import importlib, importlib.util, json, sys
name, path = sys.argv[1], sys.argv[2]
heavy = sys.argv[3].split(",")
import lossbench  # the public API: must not load them either
before = {m for m in heavy if m in sys.modules}
try:
    module = importlib.import_module(name) if name else None
except ModuleNotFoundError:
    module = None
if module is None:
    spec = importlib.util.spec_from_file_location("lossbench_conformance_probe", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
print(json.dumps({"loaded": sorted(m for m in heavy if m in sys.modules and m not in before)}))
"""


def module_target(module: object) -> tuple[str, str]:
    """(importable name, file) of a module object, a dotted name or a path to a ``.py`` file."""
    if isinstance(module, str) and not (module.endswith(".py") or os.sep in module):
        found = sys.modules.get(module)
        return module, getattr(found, "__file__", "") or ""
    if isinstance(module, (str, os.PathLike)):
        return "", os.fspath(module)
    if not isinstance(module, ModuleType) and getattr(module, "__module__", None) in sys.modules:
        module = sys.modules[module.__module__]  # a plugin object that is not a module: the module defining it
    name = getattr(module, "__name__", "")
    importable = name if name and not name.startswith("lossbench_conformance") else ""
    return importable, getattr(module, "__file__", "") or ""


@lru_cache(maxsize=64)
def heavy_imports(name: str, path: str) -> tuple[str, ...]:
    """The heavy modules (torch, optuna, rich) that importing the plugin module loads, in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOSSBENCH_")}
    done = subprocess.run([sys.executable, "-c", _PROBE, name, path, ",".join(HEAVY)], capture_output=True,
                          text=True, timeout=120, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"importing {name or path} in a fresh interpreter failed: {last}")
    return tuple(json.loads(done.stdout.strip().splitlines()[-1])["loaded"])


def check_no_heavy_import(module: object, what: str = "plugin module") -> None:
    """Fail (CheckFailed) when importing ``module`` loads torch, optuna or rich."""
    from lossbench.testing.report import fail

    name, path = module_target(module)
    if not name and not path:
        fail("cannot tell which module to import-check; pass module='package.module' or a .py path")
    loaded = heavy_imports(name, path)
    if loaded:
        fail(f"importing {what} {name or path} loads {', '.join(loaded)}; import it inside build/load instead "
             f"(plugins load with every lossbench command)")
