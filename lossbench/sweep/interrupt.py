"""Signal plumbing: SIGHUP, SIGINT and SIGTERM during a sweep become ``Stopped`` in the main thread.

``Stopped`` is a BaseException (defined in ``lossbench.errors``), so no trial's error handling swallows it; the
worker then releases its taken slot (``slots.release``: marked ``interrupted``, a retry queued), the command says
how to resume and exits with 128 + the signal's number (129, 130, 143). A closed terminal (SIGHUP) is a stop
like Ctrl-C: the next start finishes each phase's exact quota.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lossbench.errors import Stopped

SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)

__all__ = ["SIGNALS", "OutOfTime", "Stopped", "held", "stop_on_signals"]

class OutOfTime(Stopped):
    """This start's time budget ran out (``--time-budget``): the running trial is queued again, like a stop
    signal's, and the worker returns; the sweep resumes where it stopped."""

    def __init__(self) -> None:
        BaseException.__init__(self, "time budget")
        self.signum, self.released = 0, None


_held: list[int] = []  # one entry per open ``held`` block
_pending: list[int] = []  # signals that arrived inside one


@contextmanager
def held() -> Iterator[None]:
    """A stop signal arriving inside the block takes effect at its end (taking a trial and remembering it is
    one step: a trial taken but not yet known as held would be left RUNNING)."""
    _held.append(1)
    try:
        yield
    finally:
        _held.pop()
    if not _held and _pending:
        raise Stopped(_pending.pop())


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, the first stop signal raises Stopped (later ones are ignored: the trial is being
    marked). Outside the main thread, where no handler can be installed, the block just runs."""
    stopping = []

    def handler(signum: int, frame: Any) -> None:
        if not stopping:
            stopping.append(signum)
            if _held:
                _pending.append(signum)
                return
            raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only, and installs them only from there
        return
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
        _pending.clear()  # a signal that arrived in a block which then raised must not stop the next sweep
