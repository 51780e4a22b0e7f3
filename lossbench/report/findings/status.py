"""Whether the report is complete, how many seeds it rests on, and how the final phase chose them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lossbench.report.model import ReportModel


def sentences(model: ReportModel) -> list[str]:
    out = []
    if model.partial:
        out.append(f"This report is partial: {len(model.unfinished)} of {len(model.arms)} arms have not finished "
                   f"({', '.join(model.unfinished)}); their numbers may change.")
    measured = [a for a in model.arms if a.acc_mean is not None]
    if model.seeds < 2 or (measured and all(len(a.accuracy) < 2 for a in measured)):
        out.append("With fewer than 2 seeds per arm, no interval or significance test is possible; "
                   "the numbers are single runs.")
    if model.sequential:
        race = model.race
        ended = (f" It stopped at {race.seeds} seeds: " + ("every comparison was decided." if race.decided else
                 "the maximum was reached with comparisons still open.")) if race else " The race has not ended yet."
        method = race.method if race else None
        out.append("The final phase chose its number of seeds sequentially (seeds = \"auto\"): "
                   + (method or "the stored sweep does not record the method") + "." + ended
                   + " The report's own tests below are read as if that number had been fixed in advance.")
    if model.claims:
        verdicts = [c.verdict for c in model.claims]
        counts = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
        out.append("Published claims checked against this run: "
                   + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) + " (see the claims table).")
    return out
