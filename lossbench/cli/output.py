"""Where output goes: data (tables, JSON) to stdout, messages to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from lossbench.text import printable

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Machine-readable output: JSON alone on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2, default=_fallback) + "\n")
    sys.stdout.flush()


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
