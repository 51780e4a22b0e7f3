"""Findings: short sentences in plain words, every number taken from the evidence (nothing hard-coded).

One module per topic; each returns its sentences (none where the numbers support none). Every verdict on a pair
comes from ``lossbench.decisions`` (``report.decisions``); the other numbers from ``report.improvement``,
``report.sensitivity``, ``report.factorial`` and the shared leaf ``lossbench.stats``; the thresholds, with their
reasons, in ``report.thresholds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report.findings import (calibration, divergence, factors, flow, ranking, robustness, significance,
                                       status)

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence


GROUPS = (("Accuracy and ranking", (status, ranking, significance, factors)),
          ("Calibration", (calibration,)),
          ("Robustness: learning rate, seeds, tuning gap", (robustness,)),
          ("Gradients", (flow,)),
          ("Divergence and failures", (divergence,)))


def write_findings(report: Evidence) -> list[tuple[str, list[str]]]:
    """(topic, sentences) per group that has any, each group's most important sentence first: status and the
    ranking (refused while arms were still improving), tests, factors; calibration; robustness; gradient flow;
    divergence. Sentences of one shape are merged into one sentence with a list; the tables carry the detail."""
    groups = []
    for title, topics in GROUPS:
        sentences = [s for topic in topics for s in topic.sentences(report)]
        if sentences:
            groups.append((title, sentences))
    return groups


__all__ = ["write_findings"]
