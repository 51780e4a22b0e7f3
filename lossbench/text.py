"""Text from plugins and users made safe to show: no control characters reach a terminal or a report.

A plugin's summary or error message, or a sweep's name, could hold an escape sequence that sets the terminal's
title or clears the screen, or a bidirectional control (U+202E) that shows text reversed; ``printable`` drops
every control character (ESC, BEL, the C1 range, the bidi controls, ...) and keeps newlines and tabs only where
asked. Markdown and HTML escaping call it first, then escape their own syntax; ``csv_cell`` also keeps a
spreadsheet from reading a cell as a formula. ``walk`` is the one copy-with-every-string-changed of nested data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# C0 controls, DEL and C1 controls; ANSI sequences (ESC [ ... letter, ESC ] ... BEL/ST) are dropped whole.
_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# Unicode's bidirectional controls (embeddings, overrides, isolates, marks) and the byte-order mark / zero widths:
# invisible, and able to show a name or a message reversed (CVE-2021-42574, "Trojan Source").
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_CONTROL_NO_NEWLINES = re.compile(rf"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's CSV injection rule


def printable(text: Any, newlines: bool = True) -> str:
    """``str(text)`` without control characters (escape sequences dropped whole); newlines and tabs kept
    unless ``newlines`` is False, when they become spaces."""
    text = _SEQUENCE.sub("", str(text))
    if not newlines:
        text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
        return _CONTROL_NO_NEWLINES.sub("", text)
    return _CONTROL.sub("", text)


def walk(value: Any, change: Callable[[Any], Any], keys: Callable[[Any], Any] | None = None) -> Any:
    """A copy of ``value`` (dicts, lists, tuples as lists) with ``change`` applied to every leaf and ``keys``
    (default: ``change``) to every dict key."""
    if isinstance(value, dict):
        key = keys or change
        return {key(k): walk(v, change, keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [walk(v, change, keys) for v in value]
    return change(value)


def printable_all(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every string made printable."""
    return walk(value, lambda v: printable(v) if isinstance(v, str) else v)


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: control characters dropped (newlines kept: the CSV quotes them) and
    a string starting with ``=``, ``+``, ``-``, ``@``, tab or CR (a formula) given a leading quote. Numbers stay."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        return "'" + printable(value)
    return printable(value)


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a value quoted in a message (repr also escapes controls)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
