"""Blame: wherever lossbench calls into a plugin's code, an exception from it becomes one message naming the
component, its plugin and the stage, instead of a traceback from deep inside the engine.

lossbench's own errors (``DataError``, ``ParameterError``, ...) pass through untouched: a plugin raises them on
purpose, with a message of its own for the user.
"""

from __future__ import annotations

from types import TracebackType

from lossbench.errors import LossbenchError, PluginCodeError
from lossbench.plugins.discovery import one_line


class Blame:
    """``with Blame("loss focal (plugin losses)", "the loss function"): ...``; reusable, and cheap enough for
    every training step (a class, not a generator: entering costs two method calls)."""

    __slots__ = ("component", "stage")

    def __init__(self, component: str, stage: str):
        self.component, self.stage = component, stage

    def __enter__(self) -> Blame:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        if error is None or isinstance(error, LossbenchError) or not isinstance(error, (Exception, SystemExit)):
            return False
        raise PluginCodeError(f"{self.component}: {self.stage} raised {one_line(error)}") from error
