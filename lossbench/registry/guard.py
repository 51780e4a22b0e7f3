"""Plugin code isolated: ``Isolated`` around a plugin's import or hook (what it raises, even ``sys.exit``, becomes
its error; the other plugins go on), ``Blame`` wherever lossbench calls into a plugin's code during a run, an exception from it becomes one message naming the
component, its plugin and the stage, instead of a traceback from deep inside the engine.

lossbench's own errors (``DataError``, ``ParameterError``, ...) pass through untouched: a plugin raises them on
purpose, with a message of its own for the user.

``os._exit`` cannot be caught, so while a plugin is imported, its hooks run or a trial runs, ``no_hard_exit``
replaces it by a function that raises ``PluginExit`` instead (process-wide, for the duration of the block).

torch's global state (the default dtype, grad mode) is process-wide too: a plugin setting float64 as the
default would make every later arm fail, blamed on whichever built-in ran next. ``Blame`` therefore also notes
that state on entry and, when the block changed it, puts it back and blames the component
(:func:`torch_state` / :func:`undo_state_change`, the one mechanism for imports, builders, forward passes and the
conformance kit). Nothing here imports torch: with torch not imported yet, there is nothing to guard.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from lossbench.errors import LossbenchError, PluginCodeError, Stopped, one_line

PASS_THROUGH = (LossbenchError, Stopped, KeyboardInterrupt, GeneratorExit)  # ours, the user's and Python's own


class Blame:
    """``with Blame("loss focal (plugin losses)", "the loss function"): ...``; reusable, and cheap enough for
    every training step (a class, not a generator: entering costs two method calls)."""

    __slots__ = ("component", "stage", "state")

    def __init__(self, component: str, stage: str):
        self.component, self.stage = component, stage
        self.state: tuple[object, bool] | None = None

    def __enter__(self) -> Blame:
        self.state = torch_state()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        changed = undo_state_change(self.state)
        if error is None:
            if changed:
                raise PluginCodeError(f"{self.component}: {self.stage} {changed}")
            return False
        if isinstance(error, PASS_THROUGH):
            return False  # any other BaseException (SystemExit, a plugin's own subclass) is the plugin's
        raise PluginCodeError(f"{self.component}: {self.stage} raised {one_line(error)}") from error


class Isolated:
    """``with Isolated() as guard: plugin code``: what the block raises (any Exception, even ``SystemExit``, even
    ``os._exit``) ends the block as ``guard.raised`` (one line) instead of propagating, and a change it made to
    torch's global state is put back and said in ``guard.changed``; ``guard.failed`` is either. The one isolation of
    a plugin's import (``discovery``) and of its registration hooks (``registry``)."""

    __slots__ = ("before", "exits", "raised", "changed")

    def __init__(self) -> None:
        self.raised: str | None = None
        self.changed: str | None = None

    def __enter__(self) -> Isolated:
        self.before = torch_state()
        self.exits = no_hard_exit()
        self.exits.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        self.exits.__exit__(None, None, None)
        self.changed = undo_state_change(self.before)
        if isinstance(error, (Exception, SystemExit)):  # a broken plugin, even one calling sys.exit, stops nothing else
            self.raised = one_line(error)
            return True
        return False

    @property
    def failed(self) -> bool:
        return self.raised is not None or self.changed is not None


def torch_state() -> tuple[object, bool] | None:
    """torch's default dtype and grad mode, or ``None`` while torch is not imported (its defaults then hold)."""
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "get_default_dtype"):
        return None
    return torch.get_default_dtype(), torch.is_grad_enabled()


def undo_state_change(before: tuple[object, bool] | None) -> str | None:
    """Put torch's global state back as ``before`` found it (torch's defaults when it was not imported then);
    say what had changed, as the end of a sentence naming the culprit, or ``None`` when nothing did."""
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "get_default_dtype"):
        return None
    dtype, grad = before if before is not None else (torch.float32, True)
    changes = []
    if torch.get_default_dtype() != dtype:
        changes.append(f"default dtype from {_dtype(dtype)} to {_dtype(torch.get_default_dtype())} "
                       f"(torch.set_default_dtype)")
        torch.set_default_dtype(dtype)
    if torch.is_grad_enabled() != grad:
        changes.append(f"grad mode from {'on' if grad else 'off'} to {'off' if grad else 'on'} "
                       f"(torch.set_grad_enabled)")
        torch.set_grad_enabled(grad)
    if not changes:
        return None
    return (f"changed torch's {' and '.join(changes)}; expected torch's global state left as found (pass dtype= "
            f"to what you create, use a `with` block for grad mode); it was put back")


def _dtype(dtype: object) -> str:
    return str(dtype).removeprefix("torch.")


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
