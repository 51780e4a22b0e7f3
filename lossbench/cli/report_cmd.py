"""``lossbench report NAME``: rebuild every report output from stored results, without training."""

from __future__ import annotations

from typing import Annotated

import typer

from lossbench.cli.output import note, stdout


def report_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sweep name.")],
    storage: Annotated[str | None, typer.Option(help="Database URL the sweep lives in; default: the journal file "
                                                     "OUT/NAME/sweep.journal.")] = None,
    out: Annotated[str, typer.Option(help="Results folder: outputs go to OUT/NAME/.")] = "results",
    format: Annotated[list[str] | None, typer.Option(
        "--format", help="terminal, md, html, json or all (default; repeatable or comma-separated).")] = None,
    baseline: Annotated[str | None, typer.Option(
        help="Compare against: a loss (ce), a loss and remedy set (ce:none; same cell) or an arm key "
             "(ce:gru:none). Default: ce with no remedy, same cell.")] = None,
    test: Annotated[str, typer.Option(help="Paired test over shared seeds: t (the paired t-test, as the decisions use) or wilcoxon (signed-rank; needs at least 6 seeds to reach p < 0.05).")] = "t",
) -> None:
    """Rebuild the comparison report of a stored sweep: terminal, Markdown, HTML, JSON and CSV."""
    from lossbench import report
    from lossbench.results import Storage

    paths = report.write(Storage(name=name, out=out, url=storage), format or ["all"], baseline=baseline, test=test,
                         console=stdout)
    for kind, path in paths.items():
        note(f"{kind}: {path}")

