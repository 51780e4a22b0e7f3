"""Plugin code runs guarded: an exception, ``sys.exit`` or even ``os._exit`` in a plugin is that plugin's failure,
reported with its name, never the end of a command or of a sweep.

``os._exit`` cannot be caught, so while plugin code runs it is replaced by a function that raises ``PluginExit``
instead (process-wide, for the duration of the block; restored after).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from lossbench.errors import ComponentError, LossbenchError


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


@contextmanager
def plugin_code(who: str, doing: str) -> Iterator[None]:
    """Plugin code (``who``: "cell rnn (plugin x)", ``doing``: "build"): anything it raises but lossbench's own
    errors, an exit included, becomes one ComponentError naming the plugin and the component."""
    from lossbench.plugins.discovery import one_line

    with no_hard_exit():
        try:
            yield
        except LossbenchError:
            raise
        except (Exception, SystemExit) as error:
            raise ComponentError(f"{who} failed in {doing}: {one_line(error)}") from None
