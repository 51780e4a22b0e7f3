"""Where output goes: data (tables, JSON) to stdout, messages to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Machine-readable output: JSON alone on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2, default=_fallback) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    stderr.print("warning: " + message, markup=False, soft_wrap=True, style="yellow")


def fail(message: str) -> None:
    stderr.print("error: " + message, markup=False, soft_wrap=True, style="bold red")


def _fallback(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)
