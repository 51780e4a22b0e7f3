"""SIGINT and SIGTERM during a sweep: the running trial is marked ``interrupted`` at once and a retry of the same
slot (same parameters, same seed) is queued, so the next start finishes the exact budget.

``stop_on_signals`` turns both signals into ``Stopped`` in the main thread (a BaseException, so no trial's
error handling swallows it); the worker marks its taken trial, the command says how to resume and exits with
128 + the signal's number (130, 143).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lossbench.results import writer

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):
    """A stop signal arrived: ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class OutOfTime(Stopped):
    """This start's time budget ran out (``--time-budget``): the running trial is queued again, like a stop
    signal's, and the worker returns; the sweep resumes where it stopped."""

    def __init__(self) -> None:
        BaseException.__init__(self, "time budget")
        self.signum = 0


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
    """While the block runs, the first SIGINT or SIGTERM raises Stopped (later ones are ignored: the trial is
    being marked)."""
    stopping = []

    def handler(signum: int, frame: Any) -> None:
        if not stopping:
            stopping.append(signum)
            if _held:
                _pending.append(signum)
                return
            raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
        _pending.clear()  # a signal that arrived in a block which then raised must not stop the next sweep


def release(study: Any, storage: Any, trial: Any, why: str) -> bool:
    """Mark the taken ``trial`` failed with status ``why`` and queue its retry; False if it had already
    finished (nothing to redo)."""
    from optuna.exceptions import UpdateFinishedTrialError

    try:
        writer.record_lost(storage, trial._trial_id, status=why)
    except UpdateFinishedTrialError:
        return False
    frozen = storage.get_trial(trial._trial_id)
    study.enqueue_trial(dict(frozen.params), user_attrs=writer.retry_attrs(frozen))
    return True
