"""``lossbench plugins`` and ``lossbench list``: what is installed, and what each component offers."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from lossbench.api.specs import CellSpec, DatasetSpec, LossSpec, RemedySpec
from lossbench.cli.blocks import Block, print_blocks
from lossbench.cli.context import session
from lossbench.cli.output import print_json, stdout
from lossbench.registry import KINDS, Registry
from lossbench.text import printable_all

PLUGINS_SCHEMA = "lossbench.plugins/1"
COMPONENTS_SCHEMA = "lossbench.components/1"
WIDE = typer.Option("--wide", help="One table with a column per field, as wide as its content (for a wide "
                                   "terminal or `less -S`).")


def plugins_command(json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
                    wide: Annotated[bool, WIDE] = False) -> None:
    """Every plugin found: version, source, the components it registered, and whether it loaded."""
    registry = session.registry(check_conflicts=False)
    data = plugins_json(registry)
    if json:
        print_json(data)
        return
    data = printable_all(data)  # names, errors and summaries come from plugins: no escape sequence reaches the terminal
    if wide:
        print_wide("lossbench plugins", plugins_table(data["plugins"]))
    else:
        print_blocks(stdout, None, [plugin_block(plugin) for plugin in data["plugins"]])


def list_command(
    kind: Annotated[str | None, typer.Argument(metavar="KIND", help="Only this kind of component: losses, cells, datasets or "
                                                   "remedies.", show_default=False)] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")] = False,
    wide: Annotated[bool, WIDE] = False,
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
    data = printable_all(data)
    for k in kinds:
        items = [c for c in data["components"] if c["kind"] == k]
        if wide:
            print_wide(k, components_table(items))
        else:
            print_blocks(stdout, f"{k} ({len(items)})", [component_block(item) for item in items])


def plugin_block(plugin: dict[str, Any]) -> Block:
    ok = plugin["status"] == "ok"
    fields = [("source", [f"{plugin['source']}: {plugin['location']}"])]
    fields += [(kind, [", ".join(names)]) for kind, names in plugin["components"].items() if names]
    if plugin["status"] == "failed":
        fields.append(("error", [plugin["error"] or "unknown"]))
    fields += [("conflict", [conflict]) for conflict in plugin["conflicts"]]
    return Block(plugin["name"], note=f"{plugin['version'] or '-'}  {plugin['status']}", fields=fields,
                 style=None if ok else "red")


def component_block(item: dict[str, Any]) -> Block:
    fields = [("plugin", [item["plugin"]]),
              ("search space", param_lines(item["space_text"]))]
    if item["constraints_text"]:
        fields.append(("set only", param_lines(item["constraints_text"])))
    fields.append(("defaults", [", ".join(defaults_text(item["defaults"]))] if item["defaults"] else []))
    fields.append(("compatibility", compatibility_lines(item["compatibility"])))
    if "remedies" in item:
        fields.append(("remedies", remedy_lines(item["remedies"])))
    return Block(item["name"], paragraph=item["summary"], fields=fields)


def param_lines(texts: dict[str, str]) -> list[str]:
    return [f"{name}: {text}" for name, text in texts.items()]


def defaults_text(defaults: dict[str, Any]) -> list[str]:
    """``name=value`` for each default; an empty string shows as ``""`` (``path=`` reads as a typo)."""
    return [f"{name}={value}" if value != "" else f'{name}=""' for name, value in defaults.items()]


def compatibility_lines(compat: dict[str, Any]) -> list[str]:
    return [f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in compat.items()]


def plugins_table(plugins: list[dict[str, Any]]) -> Table:
    table = Table()
    for column in ("plugin", "version", "source", "components", "status"):
        table.add_column(column)
    for plugin in plugins:
        parts = [f"{kind}: {', '.join(names)}" for kind, names in plugin["components"].items() if names]
        status = {"ok": "ok", "failed": f"failed: {plugin['error']}"}.get(
            plugin["status"], "conflict: " + "; ".join(plugin["conflicts"]))
        table.add_row(*map(Text, [plugin["name"], plugin["version"] or "-", f"{plugin['source']}\n{plugin['location']}",
                                  "\n".join(parts) or "-", status]), style=None if plugin["status"] == "ok" else "red")
    return table


def components_table(items: list[dict[str, Any]]) -> Table:
    table = Table()
    cells = any("remedies" in item for item in items)
    for column in ("name", "plugin", "summary", "search space", "set only", "defaults", "compatibility",
                   *(["remedies"] if cells else [])):
        table.add_column(column)
    for item in items:
        table.add_row(*map(Text, [item["name"], item["plugin"], item["summary"],  # Text: never Rich markup
                                  "\n".join(param_lines(item["space_text"])) or "-",
                                  "\n".join(param_lines(item["constraints_text"])) or "-",
                                  "\n".join(defaults_text(item["defaults"])) or "-",
                                  "\n".join(compatibility_lines(item["compatibility"])) or "-",
                                  *(["\n".join(remedy_lines(item["remedies"]))] if cells else [])]))
    return table


def print_wide(title: str, table: Table) -> None:
    """The table at the width its content needs, whatever the terminal's."""
    width = Measurement.get(stdout, stdout.options.update(max_width=100_000), table).maximum
    stdout.print(title, style="bold", markup=False)
    Console(width=width, highlight=False).print(table)


def plugins_json(registry: Registry) -> dict[str, Any]:
    return {
        "schema": PLUGINS_SCHEMA,
        "plugins": [
            {"name": p.name, "version": p.version, "source": p.source, "location": p.location,
             "status": p.status, "error": p.error, "components": p.components, "conflicts": p.conflicts}
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
                **({"remedies": remedies_json(registry, spec)} if isinstance(spec, CellSpec) else {}),
            })
    return {"schema": COMPONENTS_SCHEMA, "components": items}


def compatibility(spec: Any) -> dict[str, Any]:
    if isinstance(spec, LossSpec):
        return {"targets": sorted(spec.targets)}
    if isinstance(spec, DatasetSpec):
        return {"targets": sorted(spec.targets), "per_step": spec.per_step}
    if isinstance(spec, RemedySpec):
        return {**spec.takes(),
                **({"condition": spec.check.__doc__.strip()} if spec.check is not None and spec.check.__doc__ else {})}
    if isinstance(spec, CellSpec):
        return {"gates": "".join(spec.gates), "recurrent weight": spec.recurrent_weight or "none",
                **({"init styles": sorted(spec.init_styles)} if spec.init_styles else {}),
                **({"gate roles": [f"{g} {r}" for g, r in spec.gate_roles.items()]} if spec.gate_roles else {}),
                **({"directions": "one or both (parameter bidirectional)"} if spec.bidirectional else {}),
                **({"inputs": sorted(spec.inputs)} if spec.inputs else {})}
    return {}


def remedies_json(registry: Registry, cell: CellSpec) -> dict[str, Any]:
    """The remedies a cell accepts at its defaults, and those it refuses with why (from the declarations)."""
    fit = registry.remedy_fit(cell)
    return {"accepted": [name for name, why in fit.items() if why is None],
            "refused": {name: why for name, why in fit.items() if why is not None}}


def remedy_lines(remedies: dict[str, Any]) -> list[str]:
    return [f"accepts: {', '.join(remedies['accepted']) or 'none'}",
            *(f"refuses {name}: {why}" for name, why in remedies["refused"].items())]
