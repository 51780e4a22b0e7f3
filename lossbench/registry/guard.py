"""Blame: wherever lossbench calls into a plugin's code, an exception from it becomes one message naming the
component, its plugin and the stage, instead of a traceback from deep inside the engine.

lossbench's own errors (``DataError``, ``ParameterError``, ...) pass through untouched: a plugin raises them on
purpose, with a message of its own for the user.

``os._exit`` cannot be caught, so while a plugin is imported, its hooks run or a trial runs, ``no_hard_exit``
replaces it by a function that raises ``PluginExit`` instead (process-wide, for the duration of the block).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from lossbench.errors import LossbenchError, PluginCodeError, Stopped

PASS_THROUGH = (LossbenchError, Stopped, KeyboardInterrupt, GeneratorExit)  # ours, the user's and Python's own
from lossbench.registry.discovery import one_line


class Blame:
    """``with Blame("loss focal (plugin losses)", "the loss function"): ...``; reusable, and cheap enough for
    every training step (a class, not a generator: entering costs two method calls)."""

    __slots__ = ("component", "stage")

    def __init__(self, component: str, stage: str):
        self.component, self.stage = component, stage

    def __enter__(self) -> Blame:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        if error is None or isinstance(error, PASS_THROUGH):
            return False  # any other BaseException (SystemExit, a plugin's own subclass) is the plugin's
        raise PluginCodeError(f"{self.component}: {self.stage} raised {one_line(error)}") from error


class PluginExit(Exception):
    """Raised in place of ``os._exit`` while plugin code runs."""

    def __init__(self, code: object):
        super().__init__(f"called os._exit({code!r})")
        self.code = code


@contextmanager
def no_hard_exit() -> Iterator[None]:
    """While the block runs, ``os._exit(code)`` raises PluginExit instead of ending the process."""
    original = os._exit

    def refuse(code: object) -> None:
        raise PluginExit(code)

    os._exit = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = original
