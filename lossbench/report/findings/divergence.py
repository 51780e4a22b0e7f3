"""Divergence, failed trials and refused combinations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report import fmt

if TYPE_CHECKING:
    from lossbench.report.evidence import Evidence


def sentences(report: Evidence) -> list[str]:
    out = []
    every = [a.key for a in report.arms if a.all_diverged]
    if every:
        out.append(f"Every tuning trial diverged for {', '.join(every)}.")
    some = [f"{a.key} ({a.diverged} of {a.trials})" for a in report.arms if a.diverged and not a.all_diverged]
    if some:
        out.append(f"Some tuning trials diverged: {', '.join(some)}.")
    finals = [f"{a.key} ({a.final_diverged} of {a.final_runs})" for a in report.arms if a.final_diverged]
    if finals:
        out.append(f"Final-phase runs diverged for {', '.join(finals)}; they are left out of the accuracy statistics.")
    if not every and not some and not finals and any(a.trials for a in report.arms):
        broke = sum(len(a.collapses) for a in report.arms)
        out.append("No run diverged." if not broke else
                   f"No run diverged (to a non-finite loss), but {fmt.plural(broke, 'final run')} collapsed: see the "
                   f"instability finding.")
    failed = [f"{a.key} ({a.failed})" for a in report.arms if a.failed]
    if failed:
        out.append(f"Trials failed with an error in {', '.join(failed)}.")
    for arm, why in report.refused:
        out.append(f"The combination {arm} was refused" + (f": {why}." if why else "."))
    return out
