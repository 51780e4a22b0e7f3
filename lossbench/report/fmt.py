"""Number formatting shared by every renderer: one place decides how a value reads, and how a gap reads."""

from __future__ import annotations

import math
from typing import Any

NONE = "-"
NO_INTERVAL = "no interval (fewer than 3 seeds)"
NO_TEST = "no test possible (fewer than 2 shared seeds)"


def plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def num(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return NONE
    return f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return NONE
    return f"{value:+.{digits}f}"


def sci(value: float | None) -> str:
    """Tiny or huge ratios (vanishing gradients) in scientific notation; zero stays 0."""
    if value is None or not math.isfinite(value):
        return NONE
    return "0" if value == 0 else f"{value:.2e}"


def pct(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.0f}%"


def pvalue(value: float | None) -> str:
    if value is None:
        return NONE
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def mean_std(mean: float | None, std: float | None) -> str:
    if mean is None:
        return NONE
    return num(mean) if std is None else f"{num(mean)} ± {num(std)}"


def interval(ci: tuple[float, float] | None) -> str:
    return NONE if ci is None else f"[{num(ci[0])}, {num(ci[1])}]"


def params(values: dict[str, Any] | None) -> str:
    if not values:
        return NONE
    return ", ".join(f"{k}={sci(v) if k == 'lr' and isinstance(v, float) else _short(v)}" for k, v in values.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
