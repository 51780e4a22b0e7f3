"""Whether the report is complete and how many seeds it rests on (how the final phase chose them is in the
report's head note; the claims lead the answer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.convergence import cap_caution

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence


def sentences(report: Evidence) -> list[str]:
    out = []
    if report.partial:
        out.append(f"This report is partial: {len(report.unfinished)} of {len(report.arms)} arms have not finished "
                   f"({', '.join(report.unfinished)}); their numbers may change.")
    if caution := cap_caution(report.spec.epochs, report.spec.patience):
        out.append(f"This sweep could not decide a tie: {caution}.")
    measured = [a for a in report.arms if a.acc_mean is not None]
    if report.seeds < 2 or (measured and all(len(a.accuracy) < 2 for a in measured)):
        out.append("With fewer than 2 seeds per arm, no interval or significance test is possible; "
                   "the numbers are single runs.")
    return out
