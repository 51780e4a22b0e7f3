"""The live sweep display: a Rich table redrawn from the progress a sweep reports (``lossbench.results.Progress``):
arms tuned and done, trials and final runs, the best so far, and the time left, steadied (``Countdown``)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from lossbench.cli.output import stderr

if TYPE_CHECKING:
    from rich.console import RenderableType

    from lossbench.results import Progress


class Countdown:
    """The time left, steadily: each reading's own estimate (``Progress.eta``: epochs left at the measured seconds
    per epoch) predicts a finish time; the display follows the finish time smoothed over the last readings
    (exponentially, ``WEIGHT`` per reading), so one run that ends fast or slow moves it a little, not by minutes, while
    a lasting change in pace still carries it within a minute or so of readings. None until a run has finished."""

    WEIGHT = 0.3  # a reading's share in the smoothed finish time (readings come about once a second)

    def __init__(self) -> None:
        self.finish: float | None = None

    def update(self, progress: Progress) -> float | None:
        """The seconds left to show after this reading (None: nothing measured yet)."""
        eta = progress.eta
        if eta is None:
            return None if self.finish is None else max(0.0, self.finish - progress.elapsed)
        finish = progress.elapsed + eta
        self.finish = finish if self.finish is None else self.finish + self.WEIGHT * (finish - self.finish)
        return 0.0 if eta == 0 else max(0.0, self.finish - progress.elapsed)


def render(progress: Progress, left: float | None = None) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from lossbench.text import printable

    def row(label: str, value: str) -> None:  # values as Text, never markup: names come from users and plugins
        table.add_row(Text(label, style="bold"), Text(printable(value, newlines=False)))

    table = Table.grid(padding=(0, 2))
    best = "-" if progress.best is None else f"{progress.best:.4f} ({progress.best_arm})"
    row("sweep", f"{progress.name}: arms {progress.arms_tuned}/{progress.arms} tuned, {progress.arms_done}/"
        f"{progress.arms} done (phases {progress.arms_tuned + progress.arms_done}/{2 * progress.arms})")
    row("trials", f"tuning {progress.trials_done}/{progress.trials_total} (pruned {progress.pruned}, diverged "
        f"{progress.diverged}, failed {progress.failed}), final runs {progress.finals_done}/{progress.finals_total}")
    row("best", f"{progress.objective} {best}")
    row("now", "; ".join(progress.current[:4]) or "-")
    rate = "" if progress.epoch_seconds is None else f" ({progress.epoch_seconds:.1f}s per epoch measured)"
    row("time", f"{progress.elapsed:.0f}s elapsed, " + (
        "time left: cannot estimate yet (no run has finished)" if left is None else f"about {_duration(left)} left{rate}"))
    return table


def _duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f} min"


class LiveProgress:
    """The live sweep display on stderr, redrawn from each ``Progress`` that ``lossbench.sweep.run`` reports
    (its ``on_progress``, about once a second while training, and once at the end)."""

    def __init__(self) -> None:
        from rich.text import Text

        self._view: RenderableType = Text("starting...")
        self._countdown = Countdown()

    def __rich__(self) -> RenderableType:
        return self._view

    def update(self, progress: Progress) -> None:
        self._view = render(progress, self._countdown.update(progress))

    @contextmanager
    def shown(self) -> Iterator[None]:
        from rich.live import Live

        try:
            with Live(self, console=stderr, refresh_per_second=2, transient=False):
                yield
        finally:
            if not stderr.is_terminal:  # Rich ends its last frame with a newline only on a terminal
                stderr.line()
