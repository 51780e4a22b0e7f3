"""Text from plugins and users made safe to show: no control characters reach a terminal or a report.

A plugin's summary or error message, or a sweep's name, could hold an escape sequence that sets the terminal's
title or clears the screen; ``printable`` drops every control character (ESC, BEL, the C1 range, ...) and keeps
newlines and tabs only where asked. Markdown and HTML escaping call it first, then escape their own syntax.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL and C1 controls; ANSI sequences (ESC [ ... letter, ESC ] ... BEL/ST) are dropped whole.
_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_NO_NEWLINES = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: Any, newlines: bool = True) -> str:
    """``str(text)`` without control characters (escape sequences dropped whole); newlines and tabs kept
    unless ``newlines`` is False, when they become spaces."""
    text = _SEQUENCE.sub("", str(text))
    if not newlines:
        text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
        return _CONTROL_NO_NEWLINES.sub("", text)
    return _CONTROL.sub("", text)


def printable_all(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every string made printable."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_all(k): printable_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_all(v) for v in value]
    return value


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a value quoted in a message (repr also escapes controls)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
