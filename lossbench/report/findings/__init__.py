"""Findings: short sentences in plain words, every number taken from the report model (nothing hard-coded).

One module per topic; each returns its sentences (none where the numbers support none). The statistics live in
``report.convergence``, ``report.compare``, ``report.sensitivity``, ``report.factorial`` and the shared leaf
``lossbench.stats``; the thresholds, with their reasons, in ``report.thresholds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report.findings import (calibration, divergence, factors, flow, ranking, robustness, significance,
                                       status)

if TYPE_CHECKING:
    from lossbench.report.model import ReportModel


def write_findings(model: ReportModel) -> list[str]:
    """Status, ranking (refused while arms were still improving), tests, factors, calibration, robustness,
    divergence, gradient flow."""
    out: list[str] = []
    for topic in (status, ranking, significance, factors, calibration, robustness, divergence, flow):
        out += topic.sentences(model)
    return out


__all__ = ["write_findings"]
