"""``lossbench report NAME``: rebuild every report output from stored results, without training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lossbench.cli.output import note, stdout


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
    from lossbench.results import Storage

    paths = write_report(Storage(name=name, out=out, url=storage), formats=format or ["all"], baseline=baseline,
                         test=test)
    for kind, path in paths.items():
        note(f"{kind}: {path}")


def write_report(storage: Any, *, formats: list[str] | tuple[str, ...] = ("all",), baseline: str | None = None,
                 test: str = "wilcoxon") -> dict[str, Path]:
    """Write the report of the sweep in ``storage`` (a ``Storage``) into its folder OUT/NAME/ and print its
    terminal part; {kind: path} written."""
    from lossbench.errors import LossbenchError
    from lossbench.report import build_report

    try:
        return build_report(storage.name, storage, storage.folder, formats, baseline=baseline, test=test,
                            console=stdout)
    except OSError as error:  # a read-only or full results folder: the sweep itself is safe in its storage
        raise LossbenchError(f"cannot write the report into {storage.folder}: {error.strerror or error} "
                             f"({error.filename or 'a report file'}); `lossbench report {storage.name} --format "
                             f"terminal` prints it without writing") from None
