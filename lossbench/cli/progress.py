"""The live sweep display: a Rich table redrawn from what storage says (``lossbench.results.read_progress``)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from lossbench.cli.output import stderr

if TYPE_CHECKING:
    from rich.console import RenderableType

    from lossbench.results import Progress, Storage


def render(progress: Progress) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from lossbench.text import printable

    def row(label: str, value: str) -> None:  # values as Text, never markup: names come from users and plugins
        table.add_row(Text(label, style="bold"), Text(printable(value, newlines=False)))

    table = Table.grid(padding=(0, 2))
    eta = "?" if progress.eta is None else f"{progress.eta:.0f}s"
    best = "-" if progress.best is None else f"{progress.best:.4f} ({progress.best_arm})"
    row("sweep", f"{progress.name}: arms {progress.arms_done}/{progress.arms}, "
        f"tuning trials {progress.trials_done}/{progress.trials_budget} "
        f"(pruned {progress.pruned}, diverged {progress.diverged}, failed {progress.failed}), "
        f"final runs {progress.finals_done}/{progress.finals_budget}")
    row("best", f"{progress.objective} {best}")
    row("now", "; ".join(progress.current[:4]) or "-")
    row("time", f"{progress.elapsed:.0f}s elapsed, about {eta} left")
    return table


@contextmanager
def live_progress(name: str, storage: Storage) -> Iterator[None]:
    """Show the progress of sweep ``name`` on stderr while the block runs; ``storage`` is a ``Storage`` (the
    display opens its own Optuna storage: the worker's may be busy in another thread)."""
    from rich.live import Live
    from rich.text import Text

    from lossbench.results import read_progress

    started = time.perf_counter()
    state: dict[str, RenderableType] = {"view": Text("starting...")}
    stop = threading.Event()

    def poll(monitor: Any) -> None:
        while True:
            try:
                state["view"] = render(read_progress(name, monitor, started))
            except Exception:  # a display that cannot read storage this second shows the last view
                pass
            if stop.is_set():
                break  # after one last read: the display ends on the final counts
            stop.wait(1.0)

    class View:
        def __rich__(self) -> RenderableType:
            return state["view"]

    monitor = storage.open()
    poller = threading.Thread(target=poll, args=(monitor,), daemon=True)
    try:
        with Live(View(), console=stderr, refresh_per_second=2, transient=False):
            poller.start()
            try:
                yield
            finally:
                stop.set()
                poller.join(timeout=10)
    finally:
        if not stderr.is_terminal:  # Rich ends its last frame with a newline only on a terminal
            stderr.line()
