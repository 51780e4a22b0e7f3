"""Finding plugin objects: the ``lossbench`` entry-point group and local plugin folders.

Nothing here calls a hook; a plugin that cannot even be imported comes back as a failed ``Candidate``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lossbench.registry.guard import Isolated

GROUP = "lossbench"
PLUGINS_DIR_ENV = "LOSSBENCH_PLUGINS_DIR"
BUILTIN_DISTRIBUTION = "lossbench"


@dataclass
class Candidate:
    """A plugin found somewhere: its object when it imported, else the error in one line."""

    name: str
    source: str  # "built-in", "entry point" or "local file"
    location: str
    version: str | None
    plugin: Any = None
    error: str | None = None
    distribution: str | None = None  # the installed distribution an entry point comes from


def guarded_import(candidate: Candidate, load: Any) -> None:
    """``load()`` the candidate's plugin: what it raises (even ``sys.exit``, even ``os._exit``) and any change it
    makes to torch's global state become its error, the state put back, the other plugins unaffected."""
    with Isolated() as guard:
        candidate.plugin = load()
    if guard.failed:
        candidate.plugin, candidate.error = None, guard.raised or f"at import {guard.changed}"


def entry_point_candidates() -> list[Candidate]:
    found = []
    for ep in sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: (e.dist.name if e.dist else "", e.name)):
        dist = ep.dist.name if ep.dist else None
        builtin = dist is not None and dist.lower() == BUILTIN_DISTRIBUTION
        candidate = Candidate(
            name=ep.name if builtin else f"{dist}:{ep.name}" if dist else ep.name,
            source="built-in" if builtin else "entry point",
            location=ep.value,
            version=ep.dist.version if ep.dist else None,
            distribution=dist,
        )
        guarded_import(candidate, ep.load)
        found.append(candidate)
    return found


def plugin_dirs(cli_dirs: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """Folders from ``--plugins-dir`` first, then from ``LOSSBENCH_PLUGINS_DIR`` (os.pathsep-separated)."""
    env = [part for part in os.environ.get(PLUGINS_DIR_ENV, "").split(os.pathsep) if part]
    seen, dirs = set(), []
    for raw in [*cli_dirs, *env]:
        path = Path(raw).expanduser().resolve()
        if path not in seen:
            seen.add(path)
            dirs.append(path)
    return dirs


def local_candidates(dirs: list[Path]) -> list[Candidate]:
    """A plugin per ``*.py`` file, named by its stem (the registry refuses a name already taken)."""
    found = []
    for folder in dirs:
        if not folder.is_dir():
            found.append(Candidate(name=folder.name, source="local file", location=str(folder), version=None,
                                   error=f"NotADirectoryError: plugins folder {folder} "
                                         + ("is not a folder" if folder.exists() else "does not exist")))
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            candidate = Candidate(name=path.stem, source="local file", location=str(path), version=None)
            module_name = f"lossbench_local_plugins.{path.stem}"

            def load(path: Path = path, module_name: str = module_name) -> Any:
                spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
                return module

            guarded_import(candidate, load)
            if candidate.error is not None:
                sys.modules.pop(module_name, None)
            else:
                candidate.version = getattr(candidate.plugin, "__version__", None)
            found.append(candidate)
    return found


def requirements(distribution: str) -> dict[str, str | None]:
    """What an installed distribution requires (its extras left out), each with the version installed here (None
    where it is not installed): a plugin's own dependencies, for a sweep's provenance."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        declared = importlib.metadata.distribution(distribution).requires or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    found: dict[str, str | None] = {}
    for text in declared:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra's (test, postgres) or another platform's
        try:
            found[requirement.name] = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            found[requirement.name] = None
    return found
