"""Small helpers the findings share: lists in words, the objective in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence


def join(parts: list[str]) -> str:
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def objective(report: Evidence) -> str:
    return report.objective.label


def value(report: Evidence, number: float | None) -> str:
    """An objective value: accuracy as a fraction, NLL in nats."""
    return fmt.num(number) + report.objective.unit


def remedies(name: str) -> str:
    return "no remedy" if name == "none" else name
