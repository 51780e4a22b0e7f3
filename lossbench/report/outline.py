"""The report's outline, once: its sections in order, each with what it holds (paragraphs, lists, tables,
plots). Markdown, HTML and the terminal lay out this one list; each renderer only decides how a block looks and
escapes it. The terminal shows each section's ``brief`` blocks (``compact``'s tables, no plots), the documents the
full ``blocks``.

A paragraph is a template and its values: a renderer escapes the values (names from users and plugins) and
keeps the template's own words as written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from lossbench.report import compact, fmt, tables

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport
    from lossbench.results import RaceRecord, SpecRecord


@dataclass
class Paragraph:
    template: str  # "{}" where a value goes
    values: tuple[object, ...] = ()
    kind: str = "text"  # text, note (secondary), warning (a lead in bold: ``lead``) or title (a bold line)
    lead: str = ""


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Group:
    """A topic's findings under its title: its most important sentence first; folds open on click in HTML."""

    title: str
    items: list[str]


@dataclass
class TableBlock:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""  # shown where the table stands alone (the terminal); documents head it with the section's


@dataclass
class Figures:
    section: str  # the plots of this section (Plot.section)


Block = Union[Paragraph, Bullets, Group, TableBlock, Figures]


@dataclass
class Section:
    title: str
    level: int  # 1: the report's title, 2: a section, 3: a subsection
    blocks: list[Block] = field(default_factory=list)
    brief: list[Block] = field(default_factory=list)  # what the terminal shows of it


TIER_NOTE = ("Tier: tier 1 holds the arms no decided comparison shows worse than another; tier 2 those it shows "
             "worse only than tier 1 arms; and so on (lossbench.report.tiers). Arms in one tier are not yet separated "
             "by a decided comparison: that is not a tie (a tie is a verdict of its own, in the decision table). "
             "Within a tier, arms are listed by mean test accuracy, which decides nothing.")
DECISION_NOTE = ("Every pair of arms that differ in one factor (loss, cell or remedy set), each arm and its baseline, "
                 "each claim's arms, and each factor's levels over matched arms (one unit per seed: the mean over "
                 "them), tested on test accuracy over the seeds both sides ran: a paired t-test, Holm-corrected once "
                 "over all of them, each interval at the level Holm tested it at, so a difference is decided exactly "
                 "when its interval excludes 0 and training longer could not overturn it (lossbench.decisions).")


def _race_end(race: RaceRecord, spec: SpecRecord) -> str:
    """Why a race stopped, in words: all decided, its most seeds reached, or nothing within its most seeds and caps
    could decide what is open (it stops before the most where no open pair is within reach)."""
    if race.stored.get("over") is False:
        return "it has not ended (stopped by a time budget or a signal: the same command goes on)."
    if race.decided:
        return "every comparison was decided."
    if race.seeds is not None and spec.seeds is not None and race.seeds >= spec.seeds:
        return "the maximum was reached with comparisons still open."
    return ("no comparison still open could be decided within its most seeds and epochs (the decision table says "
            "why of each).")


def _titled(table: compact.Titled) -> TableBlock:
    title, headers, rows = table
    return TableBlock(headers, rows, title)


def outline(report: SweepReport) -> list[Section]:
    """Every section of the report, in order (claims and components only where there are some): the blocks
    report.md and report.html show, and the brief the terminal shows."""
    head = Section(f"lossbench report: {report.name}", 1)
    if report.partial:
        head.blocks.append(Paragraph("{} of {} arms have not finished; numbers may change as the sweep goes on.",
                                     (len(report.unfinished), len(report.arms)), "warning", "Partial report"))
    improving = [a.key for a in report.arms if a.improving]
    if improving:
        head.blocks.append(Paragraph(
            "{} " + ("was" if len(improving) == 1 else "were") + " still improving at the last epoch; the ranking is "
            "not a conclusion (see the leaderboard's converged column).", (", ".join(improving),), "warning",
            "Still improving"))
    head.blocks.append(Paragraph(
        "Generated {} from {}. Arms are tuned on {} with {} trials each, then each best configuration is rerun on {}; "
        "the leaderboard shows those final-phase runs on the test split.",
        (report.generated, report.storage, report.objective.name, report.spec.trials,
         fmt.plural(report.seeds, "fresh seed")),
        "note"))
    if report.sequential:
        race = report.race
        head.blocks.append(Paragraph(
            "The final phase chose its number of seeds sequentially (seeds = \"auto\"): {}. {} The report's own tests "
            "are read as if that number had been fixed in advance.",
            ((race.method if race and race.method else "the stored sweep does not record the method").rstrip("."),
             f"It stopped at {race.seeds} seeds: {_race_end(race, report.spec)}" if race else
             "The race has not ended yet."),
            "note"))
    answer = Paragraph(" ".join("{}" for _ in report.answer), tuple(report.answer), "answer")
    sections = [head, Section("Answer", 2, [answer, Figures("answer")], [Paragraph("Answer", kind="title"), answer])]
    if report.claims:
        sections.append(Section("Published claims against this run", 2, [TableBlock(*tables.claims(report))],
                                [_titled(compact.claims(report))]))
    groups = [Group(title, items) for title, items in report.finding_groups]
    sections.append(Section("Findings", 2, groups,
                            [Paragraph("Findings", kind="title"),
                             *[b for g in groups for b in (Paragraph(g.title, kind="title"), Bullets(g.items))]]))
    leaderboard = [_titled(compact.leaderboard(report))]
    if improving:
        leaderboard.append(Paragraph("{}", (compact.IMPROVING_NOTE,), "warning"))
    sections.append(Section("Leaderboard", 2, [Paragraph("{}", (TIER_NOTE,), "note"), TableBlock(*tables.leaderboard(report)),
                                               Figures("leaderboard")],
                            [*leaderboard, _titled(compact.calibration(report))]))
    level = ("" if not report.sequential else
             f" The race judged this family at alpha {report.alpha:.4g} per look (0.05 over its planned looks); so does "
             f"this report, so a pair the race left open reads open here too.")
    sections.append(Section("Decisions", 2, [Paragraph("{}", (DECISION_NOTE + level,), "note"),
                                             TableBlock(*tables.decisions(report))],
                            [_titled(compact.decisions(report))]))
    test = "Wilcoxon signed-rank" if report.test == "wilcoxon" else "paired t-test"
    significance = Section("Significance", 2, [Paragraph(
        "Baseline: {}. The verdicts (the decision table's numbers) on each arm against its baseline and on each "
        "factor's levels over matched arms, one unit per seed; test: {}, two-sided, Holm-corrected once over the "
        "family.", (report.baseline, test))],
        [_titled(compact.comparisons(report)), Paragraph("{}", (compact.baseline_note(report),))])
    if report.seeds < 2:
        significance.blocks.append(Paragraph("{}: with fewer than 2 seeds no interval or test is possible.",
                                             (fmt.NO_TEST,)))
    significance.blocks.append(TableBlock(*tables.comparisons(report)))
    sections += [significance,
                 Section("Robustness: learning rate, seeds, tuning", 2, [TableBlock(*tables.robustness(report))],
                         [_titled(compact.robustness(report))]),
                 Section("Factorial view", 2)]
    sections += [Section(f"Cell {g.cell}: mean test accuracy, loss x remedy set", 3, [TableBlock(*tables.grid(g))])
                 for g in report.factorial.grids]
    sections += [
        Section("Main effects", 3, [TableBlock(*tables.effects(report)), Figures("factorial")],
                [_titled(compact.effects(report))]),
        Section("Gradients", 2, [Paragraph("{}", (tables.flow_note(report),), "note"),
                                 TableBlock(*tables.gradients(report)), Figures("gradients")],
                [_titled(compact.sparklines(report))]),
        Section("Learning curves, sensitivity and importances", 2, [Figures("curves")]),
        Section("Optuna parameter importances", 3, [Paragraph("{}", (tables.IMPORTANCE_NOTE,), "note"),
                                                     TableBlock(*tables.importances(report))]),
        Section("Refused combinations, errors, unfinished arms", 2, [TableBlock(*tables.problems(report))])]
    if report.components:
        sections.append(Section("Components", 2, [TableBlock(*tables.components(report))],
                                [_titled(compact.components(report))]))
    sections += [Section("Method and thresholds", 2, [TableBlock(*tables.rules(report))]),
                 Section("Provenance", 2, [TableBlock(*tables.provenance(report))])]
    return sections
