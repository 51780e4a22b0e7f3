"""Passwords never reach a report: mask them in URLs, in any string of a nested structure."""

from __future__ import annotations

import re
from typing import Any

_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")


def mask_url(text: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``; other text unchanged."""
    return _PASSWORD.sub(r"\1***@", text)


def mask_all(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every URL password masked."""
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {mask_all(k): mask_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_all(v) for v in value]
    return value
