"""Errors a user can cause. The CLI prints them as one line and exits with the error's ``exit_code``: 2 for bad
input (nothing ran); the codes a finished or stopped sweep exits with are below (docs/failures.md: "Exit codes")."""

from __future__ import annotations

import contextvars
import difflib
from collections.abc import Iterable


EXIT_BAD_INPUT = 2
EXIT_TRIALS_FAILED = 3  # a sweep that finished, report written, with trials that failed (their errors in the report)
EXIT_STORAGE_LOST = 4  # the sweep's storage failed mid-sweep (a database gone, a disk full): rerun to resume
EXIT_INTERRUPTED = 128  # + the signal's number: 129 for SIGHUP, 130 for SIGINT (Ctrl-C), 143 for SIGTERM


# Who reads the messages: a Python caller of ``lossbench.sweep.run`` (the default) or the ``lossbench`` command,
# which says so at its start. Messages name settings and the way to resume in the reader's words.
VOICE: contextvars.ContextVar[str] = contextvars.ContextVar("lossbench_voice", default="api")


def setting(name: str) -> str:
    """A setting as the reader gives it: ``--trial-timeout`` on the command line, ``trial_timeout=`` from Python."""
    return f"--{name.replace('_', '-')}" if VOICE.get() == "cli" else f"{name}="


def again(what: str = "") -> str:
    """How to do it again: run the same command (with ``what``), or call the same function."""
    if VOICE.get() == "cli":
        return f"run the same command again{' with ' + what if what else ''}"
    return f"call lossbench.sweep.run again with the same spec{' and ' + what if what else ''}"


def one_line(error: BaseException, limit: int | None = None) -> str:
    """``Type: message`` on one line (whitespace collapsed; the bare type without a message), cut at ``limit``
    characters where given: how plugin code's errors, and the libraries', are quoted in our messages."""
    text = " ".join(str(error).split())
    line = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return line[:limit] if limit else line


class LossbenchError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""

    exit_code = EXIT_BAD_INPUT


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


class TrialsFailedError(LossbenchError):
    """A sweep finished, but some of its trials failed (a plugin raised, or a trial ran past its time limit)."""

    exit_code = EXIT_TRIALS_FAILED


class Stopped(BaseException):
    """A stop signal (SIGHUP, SIGINT, SIGTERM) arrived: ``signum`` says which. A BaseException, so that no trial's
    error handling swallows it; here, a shared leaf, so that ``Blame`` can let it pass (a plugin's own
    BaseException is blamed on the plugin; this one is the user's)."""

    def __init__(self, signum: int):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.released: int | None = None  # the running trials it stopped, once counted (marked interrupted)


class InterruptedRunError(LossbenchError):
    """A sweep stopped by SIGHUP, SIGINT or SIGTERM; its running trials were marked and will be retried on resume."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = EXIT_INTERRUPTED + signum


class StorageLostError(LossbenchError):
    """The sweep's storage failed while it ran; what was stored is kept, and the same command resumes."""

    exit_code = EXIT_STORAGE_LOST
