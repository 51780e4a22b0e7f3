"""Passwords never leave lossbench: one masking of database URLs, used by every output and every message.

A URL is parsed by SQLAlchemy's URL object, which renders without its password; a ``?password=`` query
parameter is masked too, and a password holding a raw ``@`` is masked up to the last ``@`` of the userinfo
(the part a reader would take for the password), not only to its first one.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_SECRET_KEYS = {"password", "passwd", "pass", "pwd", "sslpassword"}


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db?password=x`` -> ``postgresql://user:***@host/db?password=***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc_end = len(rest) if "?" not in rest else rest.index("?")
    at = rest.rfind("@", 0, netloc_end)
    if at >= 0 and ":" in rest[:at]:
        user = rest[:at].split(":", 1)[0]
        rest = f"{user}:{MASK}{rest[at:]}"
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(f"{scheme}://{rest}")
        secrets = {k: MASK for k in parsed.query if k.lower() in _SECRET_KEYS}
        rendered = parsed.update_query_dict(secrets).render_as_string(hide_password=True)
        return rendered.replace("%2A%2A%2A", MASK)  # the query's mask, as SQLAlchemy percent-encodes it
    except Exception:  # not parseable (a bad port, say): mask query secrets by hand
        return re.sub(r"([?&](?:" + "|".join(_SECRET_KEYS) + r")=)[^&#]*", rf"\1{MASK}", f"{scheme}://{rest}",
                      flags=re.IGNORECASE)


def mask_text(text: str) -> str:
    """Every URL inside ``text`` masked (error messages quote the URL they failed on)."""
    return _URL.sub(lambda match: mask_url(match.group(0)), text)


def mask_secrets(text: str, url: str | None) -> str:
    """``text`` with every URL masked and the passwords of ``url`` removed wherever they appear, raw or
    percent-decoded: an error message may quote them outside any URL the pattern above can find."""
    text = mask_text(text)
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _secrets(url: str | None) -> set[str]:
    from urllib.parse import parse_qsl, unquote

    if not url or "://" not in url:
        return set()
    rest = url.split("://", 1)[1]
    found = set()
    userinfo = rest[:rest.rfind("@")] if "@" in rest else ""
    if ":" in userinfo:
        found.add(userinfo.split(":", 1)[1])
    query = rest.split("?", 1)[1] if "?" in rest else ""
    found |= {value for key, value in parse_qsl(query) if key.lower() in _SECRET_KEYS}
    found |= {unquote(secret) for secret in found}
    return {secret for secret in found if len(secret) >= 3}  # a one-letter password would mask every such letter


def mask_all(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with every URL password masked."""
    from lossbench.text import walk

    return walk(value, lambda v: mask_text(v) if isinstance(v, str) else v)
