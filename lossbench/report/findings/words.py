"""Small helpers the findings share: lists in words, the objective in words."""

from __future__ import annotations

from typing import Any

from lossbench.report import fmt


def join(parts: list[str]) -> str:
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def objective(model: Any) -> str:
    return "validation accuracy" if model.objective == "val_accuracy" else "validation NLL"


def value(model: Any, number: float | None) -> str:
    """An objective value: accuracy as a fraction, NLL in nats."""
    return fmt.num(number) + ("" if model.objective == "val_accuracy" else " nats")


def remedies(name: str) -> str:
    return "no remedy" if name == "none" else name
