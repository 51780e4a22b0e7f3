"""Comparison reports from a stored sweep: terminal, Markdown, self-contained HTML, JSON and CSV.

Reads stored results only (``lossbench.results``); never trains, never imports the engine or the sweep.
``write`` writes a stored sweep's report into its folder; ``build_report`` is the one entry point behind it (any
storage, any folder); ``report.assemble`` computes everything once, renderers only format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

FORMATS = ("terminal", "md", "html", "json")


def build_report(name: str, storage: Any, out_dir: str | Path | None, formats: Iterable[str] = ("all",), *,
                 baseline: str | None = None, test: str = "t", console: Any = None) -> dict[str, Path]:
    """Rebuild the report of sweep ``name`` from ``storage`` (a ``lossbench.results.Storage``, a database URL, a
    journal path or an Optuna storage).

    Writes into ``out_dir`` (``report.md``, ``report.html``, ``results.json``, ``trials.csv``, ``plots/*.png``
    as ``formats`` ask; ``all`` is every format) and prints the terminal report to ``console`` (a Rich console;
    stdout when None). Returns {output kind: path}. Unknown sweeps and unreadable storage raise LossbenchError.
    ``baseline``: a loss (``ce``), a loss and remedy set (``ce:none``: same cell) or an arm key; ``test``:
    ``wilcoxon`` or ``t``. Components' summaries and versions are those the sweep stored.
    """
    from lossbench.report.builder import assemble

    chosen = _formats(formats)
    data, optuna_storage, shown = _load(name, storage)
    importances = _importances(name, optuna_storage, [a.key for a in data.arms])
    report = assemble(data, shown, baseline=baseline, test=test, importances=importances)
    paths: dict[str, Path] = {}
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and chosen - {"terminal"}:
        out.mkdir(parents=True, exist_ok=True)
    plots = []
    if out is not None and chosen & {"md", "html"}:
        from lossbench.report.plots import make_plots

        plots = make_plots(report)
        (out / "plots").mkdir(exist_ok=True)
        for plot in plots:
            _write(out / "plots" / f"{plot.name}.png", plot.png)
        paths["plots"] = out / "plots"
    if out is not None and "md" in chosen:
        from lossbench.report.markdown import render_markdown

        paths["md"] = _write(out / "report.md", render_markdown(report, plots))
    if out is not None and "html" in chosen:
        from lossbench.report.html import render_html

        paths["html"] = _write(out / "report.html", render_html(report, plots))
    if out is not None and "json" in chosen:
        from lossbench.report.export import results_json, trials_csv

        paths["json"] = _write(out / "results.json", results_json(report))
        paths["csv"] = _write(out / "trials.csv", trials_csv(data))
    if "terminal" in chosen:
        from lossbench.report.terminal import render_terminal

        render_terminal(report, console, paths.get("plots"))
    return paths


def write(storage: Any, formats: Iterable[str] = ("all",), *, out: str | Path = "results", baseline: str | None = None,
          test: str = "t", console: Any = None) -> dict[str, Path]:
    """Write the report of a stored sweep into its folder OUT/NAME/ (and print its terminal part, where
    ``formats`` ask for it); {output kind: path}. ``storage``: a ``lossbench.results.Storage`` (a sweep's
    ``SweepOutcome.storage``), or a sweep's name for its journal under ``out``. A folder that cannot be written
    is one LossbenchError (the sweep itself is safe in its storage)."""
    from lossbench.errors import LossbenchError
    from lossbench.results import Storage

    storage = storage if isinstance(storage, Storage) else Storage(name=str(storage), out=str(out))
    try:
        return build_report(storage.name, storage, storage.folder, formats, baseline=baseline, test=test,
                            console=console)
    except OSError as error:
        raise LossbenchError(f"cannot write the report into {storage.folder}: {error.strerror or error} "
                             f"({error.filename or 'a report file'}); `lossbench report {storage.name} --format "
                             f"terminal` prints it without writing") from None


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


def _load(name: str, storage: Any) -> tuple[Any, Any, str]:
    """The sweep, the open storage and how to show it; one clear LossbenchError for anything unreadable."""
    from lossbench.errors import LossbenchError
    from lossbench.results import Storage, load_sweep, mask_secrets, mask_url, open_storage
    from lossbench.results.storage import NoSweepError

    storage = str(storage) if isinstance(storage, Path) else storage
    url = storage.url if isinstance(storage, Storage) else storage if isinstance(storage, str) else None

    def hide(text: str) -> str:  # the password wherever a driver's message quotes it, not only inside URLs
        return mask_secrets(text, url if url and "://" in url else None)

    shown = (storage.describe() if isinstance(storage, Storage) else
             mask_url(storage) if isinstance(storage, str) else type(storage).__name__)
    try:
        optuna_storage = open_storage(storage)
    except LossbenchError:
        raise
    except Exception as error:
        raise LossbenchError(f"cannot open storage {shown}: {hide(_first_line(error))}") from None
    try:
        data = load_sweep(name, optuna_storage)
    except NoSweepError:
        raise LossbenchError(f"no sweep named {name!r} in {shown}") from None
    except LossbenchError:  # a damaged journal, a stored form this version cannot read: said where
        raise
    except Exception as error:
        raise LossbenchError(f"cannot read sweep {name!r} from {shown}: {hide(_first_line(error))}") from None
    return data, optuna_storage, shown


def _importances(name: str, optuna_storage: Any, keys: list[str]) -> dict[str, dict[str, float]]:
    from lossbench.report.importance import param_importances

    try:
        return param_importances(name, optuna_storage, keys)
    except Exception:  # importances are an extra: a failing evaluator never costs the whole report
        return {}


def _write(path: Path, text: str | bytes) -> Path:
    from lossbench.results.storage import write_atomically

    return write_atomically(path, text)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


__all__ = ["FORMATS", "build_report", "write"]
