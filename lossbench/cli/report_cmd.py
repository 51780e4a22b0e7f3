"""``lossbench report NAME``: rebuild every report output from stored results, without training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lossbench.cli.context import session
from lossbench.cli.output import stderr, stdout


def report_command(
    name: Annotated[str, typer.Argument(help="Sweep name.")],
    storage: Annotated[str | None, typer.Option(help="Database URL the sweep lives in; default: the journal file "
                                                     "OUT/NAME/sweep.journal.")] = None,
    out: Annotated[str, typer.Option(help="Results folder: outputs go to OUT/NAME/.")] = "results",
    format: Annotated[list[str] | None, typer.Option(
        "--format", help="terminal, md, html, json or all (default; repeatable or comma-separated).")] = None,
    baseline: Annotated[str | None, typer.Option(
        help="Compare against: a loss (ce), a loss and remedy set (ce:none; same cell) or an arm key "
             "(ce:gru:none). Default: ce with no remedy, same cell.")] = None,
    test: Annotated[str, typer.Option(help="Paired test over shared seeds: wilcoxon or t.")] = "wilcoxon",
) -> None:
    """Rebuild the comparison report of a stored sweep: terminal, Markdown, HTML, JSON and CSV."""
    paths = write_report(name, storage=storage, out=out, formats=format or ["all"], baseline=baseline, test=test)
    for kind, path in paths.items():
        stderr.print(f"{kind}: {path}", markup=False, highlight=False)


def write_report(name: str, *, storage: Any = None, out: str | Path = "results", formats: list[str] | tuple[str, ...] =
                 ("all",), baseline: str | None = None, test: str = "wilcoxon", console: Any = None) -> dict[str, Path]:
    """Write the report of sweep ``name`` into OUT/NAME/ and print its terminal part; {kind: path} written.

    ``storage``: a database URL, an Optuna storage object, or None for OUT/NAME/sweep.journal. Component
    summaries come from the storage where the run recorded them, else from the plugins loaded now."""
    from lossbench.report import build_report

    folder = Path(out) / name
    where = storage if storage is not None else str(folder / "sweep.journal")
    return build_report(name, where, folder, formats, baseline=baseline, test=test, components=_components(),
                        console=console if console is not None else stdout)


_KINDS = {"losses": "loss", "cells": "cell", "datasets": "dataset", "remedies": "remedy"}


def _components() -> dict[str, dict[str, Any]]:
    """Every loaded component's kind, summary and plugin; empty if the plugins cannot be loaded."""
    try:
        registry = session.registry(check_conflicts=False)
    except Exception:
        return {}
    found = {}
    for kind in _KINDS:
        for component in registry.names(kind):
            spec = registry.get(kind, component)
            found[component] = {"kind": _KINDS[kind],
                                "summary": getattr(spec, "summary", ""), "plugin": registry.owner(kind, component)}
    return found
