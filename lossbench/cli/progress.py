"""The live sweep display: a Rich table redrawn from the progress a sweep reports (``lossbench.results.Progress``)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from lossbench.cli.output import stderr

if TYPE_CHECKING:
    from rich.console import RenderableType

    from lossbench.results import Progress


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


class LiveProgress:
    """The live sweep display on stderr, redrawn from each ``Progress`` that ``lossbench.sweep.run`` reports
    (its ``on_progress``, about once a second while training, and once at the end)."""

    def __init__(self) -> None:
        from rich.text import Text

        self._view: RenderableType = Text("starting...")

    def __rich__(self) -> RenderableType:
        return self._view

    def update(self, progress: Progress) -> None:
        self._view = render(progress)

    @contextmanager
    def shown(self) -> Iterator[None]:
        from rich.live import Live

        try:
            with Live(self, console=stderr, refresh_per_second=2, transient=False):
                yield
        finally:
            if not stderr.is_terminal:  # Rich ends its last frame with a newline only on a terminal
                stderr.line()
