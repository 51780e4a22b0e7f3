"""Where output goes: data (tables, JSON) to stdout, messages to stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console

from lossbench.text import printable

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


_json_stream: Any = None  # the real stdout, once ``reserve_stdout_for_json`` moved fd 1 to stderr


def reserve_stdout_for_json() -> None:
    """Under ``--json`` stdout carries the JSON alone: from here on file descriptor 1 (so ``print``, ``sys.stdout``,
    a C library writing to fd 1 and every child process) goes to stderr, and ``print_json`` writes to the real
    stdout. Whatever plugin code prints then lands on stderr, never inside the JSON."""
    global _json_stream
    if _json_stream is not None:
        return
    sys.stdout.flush()
    _json_stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)


def print_json(data: Any) -> None:
    """Machine-readable output: JSON alone on stdout, nothing else there."""
    stream = _json_stream or sys.stdout
    stream.write(json.dumps(data, indent=2, default=_fallback) + "\n")
    stream.flush()


def note(message: str, style: str | None = None) -> None:
    """A line for the user on stderr (never markup; control characters dropped: names come from plugins)."""
    stderr.print(printable(message), markup=False, highlight=False, soft_wrap=True, style=style)


def warn(message: str) -> None:
    stderr.print("warning: " + printable(message), markup=False, soft_wrap=True, style="yellow")


def fail(message: str) -> None:
    stderr.print("error: " + printable(message), markup=False, soft_wrap=True, style="bold red")


def _fallback(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)
