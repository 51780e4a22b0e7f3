"""The version of the public API plugins are written against, and the check of the version a plugin targets.

A plugin may declare ``LOSSBENCH_API = "1.1"`` (module level): the API version it was written for. The major
number changes when something a plugin relies on changes or goes; the minor number when something is added.
A plugin loads when its major number is this one's and its minor number is not newer.

1.1 added, for cells: ``CellSpec.bidirectional`` (its parameter ``bidirectional`` runs it both ways),
``CellSpec.inputs`` (``forward`` may receive ``lengths`` and an initial ``state``) and ``CellSpec.gate_roles``
(what each gate means: ``chrono_init`` refuses a cell that does not say); for remedies: ``ModelInfo.directions``,
``ModelInfo.readout`` and ``ModelInfo.gate_roles``. A plugin written for 1.0 declares none of them and loads as
before.
"""

from __future__ import annotations

from typing import Any

API_VERSION = "1.1"
DECLARATION = "LOSSBENCH_API"  # the module attribute a plugin declares its target version in


def api_mismatch(declared: Any) -> str | None:
    """Why a plugin declaring ``declared`` cannot load here, or None (also when it declares nothing)."""
    if declared is None:
        return None
    target = _parse(declared)
    if target is None:
        return f"{DECLARATION} = {declared!r} is not a version string like {API_VERSION!r}"
    here = _parse(API_VERSION)
    if target[0] != here[0] or target[1] > here[1]:
        newer = target > here
        return (f"written for lossbench API {declared}; this lossbench provides API {API_VERSION} ("
                + ("upgrade lossbench, or " if newer else "")
                + f"install a release of the plugin written for API {here[0]}.x)")
    return None


def _parse(version: Any) -> tuple[int, int] | None:
    parts = str(version).strip().split(".") if isinstance(version, (str, int)) and not isinstance(version, bool) else []
    if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0
