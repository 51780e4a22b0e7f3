"""Comparison reports from a stored sweep: terminal, Markdown, self-contained HTML, JSON and CSV.

Reads stored results only (``lossbench.results``); never trains, never imports the engine or the sweep.
``load_sweep`` (``lossbench.load_sweep``) reads a sweep back (a ``Sweep``: its report in memory, its DataFrames);
``build`` returns a sweep's report (a ``SweepReport``, from ``report.builder``) without writing anything; ``write``
writes it into the sweep's folder (and prints its terminal part). Renderers only format what the report holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from lossbench.report.loaded import Sweep, load_sweep

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport

FORMATS = ("terminal", "md", "html", "json")


def build(sweep: Sweep | str, *, out: str | Path = "results", storage: Any = None, baseline: str | None = None,
          test: str | None = None) -> SweepReport:
    """The report of a stored sweep, computed, nothing written: ``sweep`` is a loaded ``Sweep`` or a sweep's name
    (read from ``out`` or ``storage`` as ``load_sweep`` reads it). ``baseline``: a loss (``ce``), a loss and remedy
    set (``ce:none``: same cell) or an arm key; ``test``: ``t`` (the default) or ``wilcoxon``; None keeps the
    loaded sweep's. Unknown sweeps, unreadable storage and bad options raise ``LossbenchError``."""
    loaded = sweep if isinstance(sweep, Sweep) else load_sweep(sweep, out=out, storage=storage)
    return loaded.report_with(loaded.baseline if baseline is None else baseline,
                              loaded.test if test is None else test)


def write(sweep: Any, formats: Iterable[str] = ("all",), *, out: str | Path = "results", storage: Any = None,
          folder: str | Path | None = None, baseline: str | None = None, test: str | None = None,
          console: Any = None) -> dict[str, Path]:
    """Write the report of a stored sweep into its folder (OUT/NAME, or ``folder``): ``report.md``,
    ``report.html``, ``results.json``, ``trials.csv``, ``plots/*.png`` as ``formats`` ask (terminal, md, html,
    json; ``all``, the default, is every one), and print its terminal part to ``console`` (a Rich console; stdout
    when None) where asked; {output kind: path}. ``sweep``: a loaded ``Sweep``, a ``lossbench.results.Storage`` (a
    ``SweepOutcome``'s ``storage``), or a sweep's name (read from ``out`` or ``storage``). A folder that cannot
    be written is one LossbenchError (the sweep itself is safe in its storage)."""
    from lossbench.errors import LossbenchError
    from lossbench.results import Storage

    chosen = _formats(formats)
    if isinstance(sweep, Storage):
        sweep = load_sweep(sweep.name, storage=sweep)
    elif not isinstance(sweep, Sweep):
        sweep = load_sweep(str(sweep), out=out, storage=storage)
    report = build(sweep, baseline=baseline, test=test)
    where = Path(folder) if folder is not None else sweep.folder
    try:
        paths = _render(report, sweep, where, chosen, console)
        if sweep.importances_record and where == sweep.folder and chosen - {"terminal"}:
            from lossbench.report.importance import REMEMBERED

            try:  # a later report reads them back; one that cannot computes them again
                _write(where / REMEMBERED, json.dumps(sweep.importances_record))
            except OSError:
                pass
            sweep.importances_record = None
        return paths
    except OSError as error:
        raise LossbenchError(f"cannot write the report into {where}: {error.strerror or error} "
                             f"({error.filename or 'a report file'}); `lossbench report {sweep.name} --format "
                             f"terminal` prints it without writing") from None


def _render(report: SweepReport, sweep: Sweep, out: Path, chosen: set[str], console: Any) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    if chosen - {"terminal"}:
        out.mkdir(parents=True, exist_ok=True)
    plots = []
    if chosen & {"md", "html"}:
        from lossbench.report.plot_cache import MANIFEST, manifest, plot_key, stored_plots

        key = plot_key(report)
        plots = stored_plots(out / "plots", key)  # the same report written before: its plots as they were drawn
        if plots is None:
            from lossbench.report.plots import make_plots

            plots = make_plots(report)
            (out / "plots").mkdir(exist_ok=True)
            for plot in plots:
                _write(out / "plots" / f"{plot.name}.png", plot.png)
            if (index := manifest(key, plots)) is not None:  # last: it names only plots written whole
                _write(out / "plots" / MANIFEST, index)
        paths["plots"] = out / "plots"
    if "md" in chosen:
        from lossbench.report.markdown import render_markdown

        paths["md"] = _write(out / "report.md", render_markdown(report, plots))
    if "html" in chosen:
        from lossbench.report.html import render_html

        paths["html"] = _write(out / "report.html", render_html(report, plots))
    if "json" in chosen:
        from lossbench.report.export import results_json, trials_csv

        paths["json"] = _write(out / "results.json", results_json(report))
        paths["csv"] = _write(out / "trials.csv", trials_csv(sweep.data))
    if "terminal" in chosen:
        from lossbench.report.terminal import render_terminal

        render_terminal(report, console, paths.get("plots"))
    return paths


def _formats(formats: Iterable[str]) -> set[str]:
    from lossbench.errors import LossbenchError

    chosen = set()
    for item in formats:
        for part in str(item).split(","):
            part = part.strip().lower()
            if part == "all":
                chosen |= set(FORMATS)
            elif part in FORMATS:
                chosen.add(part)
            elif part:
                raise LossbenchError(f"unknown report format {part!r}; give terminal, md, html, json or all")
    return chosen or set(FORMATS)


def _write(path: Path, text: str | bytes) -> Path:
    from lossbench.results.storage import write_atomically

    return write_atomically(path, text)


__all__ = ["FORMATS", "Sweep", "build", "load_sweep", "write"]
