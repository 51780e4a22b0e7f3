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
    from lossbench.report.model import ReportModel


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
class TableBlock:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""  # shown where the table stands alone (the terminal); documents head it with the section's


@dataclass
class Figures:
    section: str  # the plots of this section (Plot.section)


Block = Union[Paragraph, Bullets, TableBlock, Figures]


@dataclass
class Section:
    title: str
    level: int  # 1: the report's title, 2: a section, 3: a subsection
    blocks: list[Block] = field(default_factory=list)
    brief: list[Block] = field(default_factory=list)  # what the terminal shows of it


def _titled(table: compact.Titled) -> TableBlock:
    title, headers, rows = table
    return TableBlock(headers, rows, title)


def outline(model: ReportModel) -> list[Section]:
    """Every section of the report, in order (claims and components only where there are some): the blocks
    report.md and report.html show, and the brief the terminal shows."""
    head = Section(f"lossbench report: {model.name}", 1)
    if model.partial:
        head.blocks.append(Paragraph("{} of {} arms have not finished; numbers may change as the sweep goes on.",
                                     (len(model.unfinished), len(model.arms)), "warning", "Partial report"))
    improving = [a.key for a in model.arms if a.improving]
    if improving:
        head.blocks.append(Paragraph(
            "{} " + ("was" if len(improving) == 1 else "were") + " still improving at the last epoch; the ranking is "
            "not a conclusion (see the leaderboard's converged column).", (", ".join(improving),), "warning",
            "Still improving"))
    head.blocks.append(Paragraph(
        "Generated {} from {}. Arms are tuned on {} with {} trials each, then each best configuration is rerun on {}; "
        "the leaderboard shows those final-phase runs on the test split.",
        (model.generated, model.storage, model.objective.name, model.spec.trials,
         fmt.plural(model.seeds, "fresh seed")),
        "note"))
    sections = [head]
    if model.claims:
        sections.append(Section("Published claims against this run", 2, [TableBlock(*tables.claims(model))],
                                [_titled(compact.claims(model))]))
    sections.append(Section("Findings", 2, [Bullets(model.findings)],
                            [Paragraph("Findings", kind="title"), Bullets(model.findings)]))
    leaderboard = [_titled(compact.leaderboard(model))]
    if improving:
        leaderboard.append(Paragraph("{}", (compact.IMPROVING_NOTE,), "warning"))
    sections.append(Section("Leaderboard", 2, [TableBlock(*tables.leaderboard(model)), Figures("leaderboard")],
                            [*leaderboard, _titled(compact.calibration(model))]))
    test = "Wilcoxon signed-rank" if model.test == "wilcoxon" else "paired t-test"
    significance = Section("Significance", 2, [Paragraph(
        "Baseline: {}. Test: {}, two-sided, over the seeds both arms share; factor levels (loss against the "
        "baseline's, remedy set against the baseline's, cell against cell) over matched arms x shared seeds; "
        "Holm-corrected over all comparisons.", (model.baseline, test))],
        [_titled(compact.comparisons(model)), Paragraph("{}", (compact.baseline_note(model),))])
    if model.seeds < 2:
        significance.blocks.append(Paragraph("{}: with fewer than 2 seeds no interval or test is possible.",
                                             (fmt.NO_TEST,)))
    significance.blocks.append(TableBlock(*tables.comparisons(model)))
    sections += [significance,
                 Section("Robustness: learning rate, seeds, tuning", 2, [TableBlock(*tables.robustness(model))],
                         [_titled(compact.robustness(model))]),
                 Section("Factorial view", 2)]
    sections += [Section(f"Cell {g.cell}: mean test accuracy, loss x remedy set", 3, [TableBlock(*tables.grid(g))])
                 for g in model.factorial.grids]
    sections += [
        Section("Main effects", 3, [TableBlock(*tables.effects(model)), Figures("factorial")],
                [_titled(compact.effects(model))]),
        Section("Gradients", 2, [Paragraph("{}", (tables.flow_note(model),), "note"),
                                 TableBlock(*tables.gradients(model)), Figures("gradients")],
                [_titled(compact.sparklines(model))]),
        Section("Learning curves, sensitivity and importances", 2, [Figures("curves")]),
        Section("Optuna parameter importances", 3, [Paragraph("{}", (tables.IMPORTANCE_NOTE,), "note"),
                                                     TableBlock(*tables.importances(model))]),
        Section("Refused combinations, errors, unfinished arms", 2, [TableBlock(*tables.problems(model))])]
    if model.components:
        sections.append(Section("Components", 2, [TableBlock(*tables.components(model))]))
    sections += [Section("Method and thresholds", 2, [TableBlock(*tables.rules(model))]),
                 Section("Provenance", 2, [TableBlock(*tables.provenance(model))])]
    return sections
