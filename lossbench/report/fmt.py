"""Number formatting shared by every renderer: one place decides how a value reads, and how a gap reads."""

from __future__ import annotations

import math
from typing import Sequence

NONE = "-"
BLOCKS = "▁▂▃▄▅▆▇█"
NO_INTERVAL = "no interval (fewer than 3 seeds)"
NO_TEST = "no test possible (fewer than 2 shared seeds)"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def num(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return NONE
    return f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return NONE
    return f"{value + 0.0:+.{digits}f}"  # + 0.0: a difference of -0.0 reads +0.0000


def sci(value: float | None) -> str:
    """Tiny or huge ratios (vanishing gradients) in scientific notation; zero stays 0."""
    if value is None or not math.isfinite(value):
        return NONE
    return "0" if value == 0 else f"{value:.2e}"


def pct(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.0f}%"


def level(value: float | None, default: str = "") -> str:
    """A confidence level as 95%, 99.4% or 99.96% (Holm's levels are not round): as many decimals as it takes for a
    level below 1 never to read 100%."""
    if value is None:
        return default
    digits = 1
    while value < 1 and f"{value:.{digits}%}".startswith("100"):
        if digits == 4:
            return "> 99.9999%"
        digits += 1
    return f"{value:.{digits}%}".replace(".0%", "%")


def pvalue(value: float | None) -> str:
    if value is None:
        return NONE
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def mean_std(mean: float | None, std: float | None, digits: int = 4) -> str:
    if mean is None:
        return NONE
    return num(mean, digits) if std is None else f"{num(mean, digits)} ± {num(std, digits)}"


def interval(ci: tuple[float, float] | None, digits: int = 4, sign: bool = False) -> str:
    """``[low, high]``; ``sign``: with a + or - on each end (an interval of a difference)."""
    shown = signed if sign else num
    return NONE if ci is None else f"[{shown(ci[0], digits)}, {shown(ci[1], digits)}]"


def duration(minutes: float) -> str:
    """An estimate of wall time in words: under a minute, minutes, hours or days."""
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"about {minutes:.0f} min"
    hours = minutes / 60
    return f"about {hours:.0f} h" if hours < 48 else f"about {hours / 24:.0f} days"


def sparkline(values: Sequence[float | None], log: bool = False, width: int = 9) -> str:
    """Block characters scaled between the series' min and max; log scale for gradient norms (zeros at the floor)."""
    kept = [v for v in values if v is not None and math.isfinite(v)]
    if not kept:
        return ""
    if len(values) > width:  # thin evenly to the width
        values = [values[round(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    if log:
        positive = [v for v in kept if v > 0]
        floor = min(positive) if positive else 1.0
        values = [None if v is None else math.log10(max(v, floor)) for v in values]
        kept = [v for v in values if v is not None]
    low, high = min(kept), max(kept)
    span = high - low or 1.0
    return "".join(" " if v is None or not math.isfinite(v) else BLOCKS[round((v - low) / span * (len(BLOCKS) - 1))]
                   for v in values)


def params(values: dict[str, object] | None) -> str:
    if not values:
        return NONE
    return ", ".join(f"{k}={sci(v) if k == 'lr' and isinstance(v, float) else _short(v)}" for k, v in values.items())


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def data_shape(shape: dict) -> str:
    """A dataset's shape as stored in the provenance: channels, steps (a range when lengths differ), sequences."""
    low, high = shape.get("min_length"), shape.get("max_length")
    steps = f"{low} to {high} steps (padded to {shape.get('steps')})" if low != high else f"{high} steps"
    return (f"{plural(shape.get('channels', 0), 'channel')}, {steps}, {shape.get('train')} / {shape.get('val')} / "
            f"{shape.get('test')} sequences (train / val / test), {shape.get('classes')} classes"
            + (", a target at every step" if shape.get("per_step") else ""))


def requirements(found: dict) -> str:
    """Each plugin distribution's requirements with the versions installed: ``dist 1.0: pandas 2.2, sktime 0.30``."""
    return "; ".join(f"{dist} {info.get('version') or '(no version)'}: " + (", ".join(
        f"{name} {version or '(not installed)'}" for name, version in sorted((info.get("requires") or {}).items()))
        or "nothing") for dist, info in found.items())
