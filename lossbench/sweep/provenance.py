"""What a sweep records about where and with what it ran, so that a report can say it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from lossbench.sweep.execution import Execution
from lossbench.sweep.spec import SweepSpec

INPUTS = "inputs"  # the provenance's key of ``inputs_identity``
_KINDS = {"losses": "loss", "cells": "cell", "datasets": "dataset", "remedies": "remedy"}


def provenance(spec: SweepSpec, registry: Any, storage: str, execution: Execution,
               dataset_info: dict[str, Any] | None = None, data: Any = None) -> dict[str, Any]:
    """Recorded at the sweep's first start (each trial records its own worker, threads and device too), with what
    the dataset says of itself (``Dataset.info``), its every parameter and shape, and each plugin's own
    requirements with the versions installed."""
    import optuna

    from lossbench import __version__

    torch = _torch()
    return {
        "lossbench": __version__, "torch": torch.__version__ if torch else metadata.version("torch"),
        "optuna": optuna.__version__, "python": platform.python_version(), "platform": platform.platform(),
        "cpu": _cpu_name(), "cpus": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch and torch.cuda.is_available() else None,
        "workers": execution.workers, "threads": execution.threads, "device": execution.device,
        "gpus": [torch.cuda.get_device_name(i) for i in range(execution.gpus)] if torch else [],
        "reproducible": f"trial for trial with one worker, for the same seeds and {execution.threads} torch "
                        f"thread(s) per worker; another thread count changes float results",
        "git_commit": _git_commit(), "lossbench_git_commit": _lossbench_commit(), "storage": storage,
        "sampler_seed": spec.sampler_seed, "seeds": spec.final_seeds,
        "components": _components(spec, registry),
        "dataset_info": dict(dataset_info or {}),
        "dataset": {"name": spec.dataset, "params": registry.get("datasets", spec.dataset).resolve(spec.dataset_params),
                    **({"shape": data_shape(data)} if data is not None else {})},
        "plugin_requirements": plugin_requirements(spec, registry),
    }


def _torch() -> Any:
    """torch, where this machine may have a GPU it sees; None on Linux without a GPU's device file (NVIDIA, ROCm,
    WSL's), where it could see none: its import (about a second) is then not paid by a process that trains nothing."""
    if sys.platform == "linux" and "torch" not in sys.modules and not any(
            next(Path("/dev").glob(pattern), None) for pattern in ("nvidia*", "kfd", "dxg")):
        return None
    import torch

    return torch


def data_shape(data: Any) -> dict[str, Any]:
    """What a reviewer checks a dataset by: channels, steps (the length range), sequences per split, classes."""
    lengths = [split.lengths if split.lengths is not None else [split.x.shape[1]] * len(split.x)
               for split in (data.train, data.val, data.test)]
    every = [int(n) for part in lengths for n in part]
    return {"channels": data.num_features, "steps": data.seq_len, "min_length": min(every, default=0),
            "max_length": max(every, default=0), "train": len(data.train.x), "val": len(data.val.x),
            "test": len(data.test.x), "classes": data.num_classes, "per_step": data.per_step}


def plugin_requirements(spec: SweepSpec, registry: Any) -> dict[str, dict[str, Any]]:
    """For each installed distribution whose plugins the sweep uses: its version and what it requires, each with
    the version installed (a local file's plugin has no distribution, so none)."""
    from lossbench.registry.discovery import requirements

    plugins = {plugin.name: plugin for plugin in registry.plugins}
    found: dict[str, dict[str, Any]] = {}
    for _, _, owner, version in _used(spec, registry):
        plugin = plugins.get(owner)
        dist = getattr(plugin, "distribution", None)
        if dist and dist not in found:
            found[dist] = {"version": version, "requires": requirements(dist)}
    return found


def _components(spec: SweepSpec, registry: Any) -> dict[str, dict[str, Any]]:
    return {name: {"kind": _KINDS[kind], "summary": registry.get(kind, name).summary, "plugin": owner,
                   "version": version} for kind, name, owner, version in _used(spec, registry)}


def _used(spec: SweepSpec, registry: Any) -> list[tuple[str, str, str, str | None]]:
    """(kind, name, plugin, its version) of every component the sweep uses, each once."""
    used = {"datasets": [spec.dataset], "losses": spec.losses, "cells": spec.cells,
            "remedies": [r for remedies in spec.remedy_sets for r in remedies]}
    versions = {plugin.name: plugin.version for plugin in registry.plugins}
    return [(kind, name, owner := registry.owner(kind, name), versions.get(owner))
            for kind, names in used.items() for name in dict.fromkeys(names)]


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _lossbench_commit() -> str | None:
    """lossbench's own commit where it runs from a git checkout (an editable install), else None; a copy that
    merely lies inside some repository (a virtual environment in a project) has none."""
    import lossbench

    folder = os.path.dirname(os.path.abspath(lossbench.__file__))
    try:
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "__init__.py"], cwd=folder,
                                 capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return None
    return _git_commit(folder) if tracked else None


def _git_commit(folder: str | None = None) -> str | None:
    """The commit of the git checkout holding ``folder`` (default: the working directory, the project the sweep
    ran in), with ``-dirty`` for local changes; None outside a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=folder)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=folder).stdout.strip()
        return commit.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def inputs_identity(spec: SweepSpec, registry: Any, data: Any) -> dict[str, Any]:
    """What decides a sweep's numbers beyond its spec: each component's plugin, version and defaults, and a
    fingerprint (SHA-256) of the dataset's arrays. A resume that would mix trials under two of these is refused
    (``identity_changes``)."""
    import json

    components = {name: {"plugin": owner, "version": version, "defaults": dict(registry.get(kind, name).defaults)}
                  for kind, name, owner, version in _used(spec, registry)}
    found = {"components": components, "dataset_sha256": data_fingerprint(data)}
    return json.loads(json.dumps(found, sort_keys=True, default=str))  # as it reads back from storage


def data_fingerprint(data: Any) -> str:
    """SHA-256 over every split's arrays (shape, dtype and bytes), the class count and names."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256(f"{data.num_classes} {data.class_names!r}".encode())
    for split in (data.train, data.val, data.test):
        for array in (split.x, split.y, split.lengths):
            if array is None:
                digest.update(b"none")
                continue
            array = np.ascontiguousarray(array)
            digest.update(f"{array.shape} {array.dtype.str}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def identity_changes(stored: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between a stored ``inputs_identity`` and this start's, in words."""
    changes = []
    old, new = stored.get("components", {}), now.get("components", {})
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name, {}), new.get(name, {})
        for key in ("plugin", "version"):
            if before.get(key) != after.get(key):
                changes.append(f"{name}: {key} {before.get(key)} -> {after.get(key)}")
        was, is_ = before.get("defaults", {}), after.get("defaults", {})
        for param in dict.fromkeys([*was, *is_]):
            if was.get(param) != is_.get(param):
                changes.append(f"{name}: default {param} = {was.get(param)!r} -> {is_.get(param)!r}")
    if stored.get("dataset_sha256") != now.get("dataset_sha256"):
        changes.append(f"the dataset's data (fingerprint {str(stored.get('dataset_sha256'))[:12]} -> "
                       f"{str(now.get('dataset_sha256'))[:12]})")
    return changes
