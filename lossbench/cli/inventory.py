"""``lossbench plugins`` and ``lossbench list``: what is installed, and what each component offers."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec
from lossbench.cli.context import session
from lossbench.cli.output import print_json, stdout
from lossbench.plugins import KINDS, Registry

PLUGINS_SCHEMA = "lossbench.plugins/1"
COMPONENTS_SCHEMA = "lossbench.components/1"


def plugins_command(json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False) -> None:
    """Every plugin found: version, source, the components it registered, and whether it loaded."""
    registry = session.registry(check_conflicts=False)
    data = plugins_json(registry)
    if json:
        print_json(data)
        return
    table = Table(title="lossbench plugins")
    for column in ("plugin", "version", "source", "components", "status"):
        table.add_column(column)
    for plugin in data["plugins"]:
        parts = [f"{kind}: {', '.join(names)}" for kind, names in plugin["components"].items() if names]
        status = "ok" if plugin["status"] == "ok" else f"failed: {plugin['error']}"
        table.add_row(plugin["name"], plugin["version"] or "-", f"{plugin['source']}\n{plugin['location']}",
                      "\n".join(parts) or "-", status, style=None if plugin["status"] == "ok" else "red")
    stdout.print(table)
    for conflict in data["conflicts"]:
        stdout.print("conflict: " + conflict, style="red", markup=False)


def list_command(
    kind: Annotated[str | None, typer.Argument(help="Only this kind of component: losses, cells, datasets or "
                                                   "remedies.", show_default=False)] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
) -> None:
    """Components by kind: name, plugin, summary, search space, defaults and compatibility."""
    if kind is not None and kind not in KINDS:
        from lossbench.errors import UnknownNameError

        raise UnknownNameError("kind of component", kind, list(KINDS))
    registry = session.registry()
    kinds = [kind] if kind else list(KINDS)
    data = components_json(registry, kinds)
    if json:
        print_json(data)
        return
    for k in kinds:
        table = Table(title=k, title_justify="left")
        for column in ("name", "plugin", "summary", "search space", "defaults", "compatibility"):
            table.add_column(column, overflow="fold")
        for item in (c for c in data["components"] if c["kind"] == k):
            space = "\n".join([*(f"{p}: {d}" for p, d in item["space_text"].items()),
                               *(f"{p}: {d} (set only)" for p, d in item["constraints_text"].items())]) or "-"
            defaults = "\n".join(f"{p}={v}" for p, v in item["defaults"].items()) or "-"
            compat = "\n".join(f"{key}: {value}" for key, value in item["compatibility"].items()) or "-"
            table.add_row(item["name"], item["plugin"], item["summary"], space, defaults, compat)
        stdout.print(table)


def plugins_json(registry: Registry) -> dict[str, Any]:
    return {
        "schema": PLUGINS_SCHEMA,
        "plugins": [
            {"name": p.name, "version": p.version, "source": p.source, "location": p.location,
             "status": p.status, "error": p.error, "components": p.components}
            for p in registry.plugins
        ],
        "conflicts": list(registry.conflicts),
    }


def components_json(registry: Registry, kinds: list[str]) -> dict[str, Any]:
    items = []
    for kind in kinds:
        for name in registry.names(kind):
            spec = registry.get(kind, name)
            items.append({
                "kind": kind,
                "name": name,
                "plugin": registry.owner(kind, name),
                "summary": spec.summary,
                "space": {p: param.to_json() for p, param in spec.space.items()},
                "space_text": {p: param.describe() for p, param in spec.space.items()},
                "constraints": {p: param.to_json() for p, param in spec.constraints.items()},
                "constraints_text": {p: param.describe() for p, param in spec.constraints.items()},
                "defaults": dict(spec.defaults),
                "compatibility": compatibility(spec),
            })
    return {"schema": COMPONENTS_SCHEMA, "components": items}


def compatibility(spec: Any) -> dict[str, Any]:
    if isinstance(spec, LossSpec):
        return {"targets": sorted(spec.targets)}
    if isinstance(spec, DatasetSpec):
        return {"targets": sorted(spec.targets), "per_step": spec.per_step}
    if isinstance(spec, RemedySpec):
        return {"cells": list(spec.cells) if spec.cells is not None else "any",
                **({"condition": spec.check.__doc__.strip()} if spec.check is not None and spec.check.__doc__ else {})}
    if isinstance(spec, CellSpec):
        return {"gates": "".join(spec.gates)}
    return {}
