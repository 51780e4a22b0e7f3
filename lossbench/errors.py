"""Errors a user can cause. The CLI prints them as one line and exits with code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LossbenchError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""


class UnknownNameError(LossbenchError, KeyError):
    """A component name that no plugin registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(self.message())

    def message(self) -> str:
        close = difflib.get_close_matches(self.name, self.known, n=3, cutoff=0.5)
        text = f"unknown {self.kind} {self.name!r}"
        if close:
            text += "; did you mean " + " or ".join(close) + "?"
        elif self.known:
            text += "; known: " + ", ".join(self.known)
        return text

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message()


class DuplicateNameError(LossbenchError):
    """Two plugins registered a component under the same name."""


class PluginError(LossbenchError):
    """A plugin failed to load while strict plugin loading was asked for."""


class ParameterError(LossbenchError, ValueError):
    """A hyperparameter value outside its declared range or of the wrong type."""


class DataError(LossbenchError):
    """A dataset file that is missing or corrupt."""


class IncompatibleError(LossbenchError):
    """A combination of components that cannot work together (refused before training)."""


class PluginCodeError(LossbenchError):
    """Code of a plugin raised something other than lossbench's own errors (while loading data, building a
    component or training): one line naming the component, its plugin, the stage and the error."""
