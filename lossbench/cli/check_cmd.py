"""``lossbench check``: the conformance kit on installed plugins and components, from the command line.

Exit codes: 0 when every check passed (notes and skipped datasets allowed), 1 when a check failed, 2 for bad
input (an unknown name, a bad ``--set``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from lossbench.cli.blocks import Block, print_blocks
from lossbench.cli.context import session
from lossbench.cli.output import print_json, stdout
from lossbench.cli.sets import component_params, parse_sets

FAILED = 1  # the exit code when a check failed (2 is bad input, as everywhere)


def check_command(
    names: Annotated[list[str] | None, typer.Argument(
        metavar="PLUGIN|DISTRIBUTION|COMPONENT", help="What to check: plugin names (as `lossbench plugins` "
                                                 "shows them), installed distributions (every plugin they register) "
                                                 "or component names; default: everything installed.",
        show_default=False)] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="A component parameter for its checks: ucr.path=DIR (repeatable).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print every check as JSON to stdout.")] = False,
) -> None:
    """Check plugins against what lossbench expects of them (the conformance kit): exit 1 when a check fails, 2
    for bad input."""
    from lossbench.testing.installed import check_installed, select, to_json

    registry = session.registry()
    selected = select(registry, names or [])[1]
    specs = {name: registry.get(kind, name) for kind, name in selected}
    if any(name in registry.names("cells") for name in names or []):  # a cell named: its remedies are tried too
        specs |= {name: registry.get("remedies", name) for name in registry.names("remedies") if name not in specs}
    params = component_params(parse_sets(set_), specs)
    for name, values in params.items():
        specs[name].resolve(values)  # a value out of range is bad input (exit 2), not a failed check
    outcomes = check_installed(registry, names or [], params)
    data = to_json(outcomes)
    if json:
        print_json(data)
    else:
        render(data)
    if not data["passed"]:
        raise typer.Exit(FAILED)


def render(data: dict[str, Any]) -> None:
    """A table with a row per plugin and component, then a block per failure, note and skip; reads at 80 columns."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("component", "left"), ("plugin", "left"), ("checks", "right"), ("result", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    blocks = []
    for result in data["results"]:
        checks = result["checks"]
        failed = [c for c in checks if c["status"] == "fail"]
        notes = [c for c in checks if c["status"] == "note"]
        label = f"{result['kind']} {result['name']}" + (f" on {result['on']}" if result.get("on") else "")
        if result["status"] == "skipped" and result["skipped"].startswith("refused: "):
            outcome, style = "refused", "yellow"  # by the declarations: lossbench would refuse it before training
            blocks.append(Block(f"SKIP {label}", paragraph=result["skipped"], style="yellow"))
        elif result["status"] == "skipped":
            outcome, style = "skipped: needs parameters", "yellow"
            blocks.append(Block(f"SKIP {label}", paragraph=result["skipped"] + " (set parameters with --set component.param=VALUE)",
                                style="yellow"))
        else:
            outcome = f"{len(failed)} failed" if failed else "ok" + (f", {len(notes)} note(s)" if notes else "")
            style = "red" if failed else None
            blocks += [Block(f"{'FAIL' if c['status'] == 'fail' else 'NOTE'} {label}", note=c["check"],
                             paragraph=_without_label(c["message"], f"{result['kind']} {result['name']}"),
                             style="red" if c in failed else None)
                       for c in [*failed, *notes]]
        passed = sum(c["status"] != "fail" for c in checks)
        table.add_row("(plugin)" if result["kind"] == "plugin" else label, result["plugin"], "-" if result["status"] == "skipped" else f"{passed}/{len(checks)}",
                      outcome, style=style)
    stdout.print(table)
    if blocks:
        print_blocks(stdout, None, blocks)
    s = data["summary"]
    stdout.print(f"{s['checked'] - s['failed']} passed, {s['failed']} failed, {s['skipped']} skipped "
                 f"({s['checks']} checks: {s['failed_checks']} failed, {s['notes']} notes)",
                 style="bold red" if s["failed"] else "bold", markup=False, highlight=False)


def _without_label(message: str, label: str) -> str:
    """A check's message without the component it starts with (the block's title names it)."""
    for prefix in (f"{label}: note: ", f"{label}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
