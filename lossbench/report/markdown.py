"""``report.md``: tables, findings and links to the PNG plots. Every stored string is escaped."""

from __future__ import annotations

import html
import re
from typing import Any

from lossbench.report import fmt, tables

_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")


def escape(text: Any) -> str:
    """Plain text in Markdown: HTML made inert, Markdown syntax (tables included) backslash-escaped, one line."""
    return _SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_markdown(model: Any, plots: list[Any]) -> str:
    out = [f"# lossbench report: {escape(model.name)}\n"]
    if model.partial:
        out.append(f"> **Partial report**: {len(model.unfinished)} of {len(model.arms)} arms have not finished; "
                   "numbers may change as the sweep goes on.\n")
    improving = [a.key for a in model.arms if a.improving]
    if improving:
        out.append(f"> **Still improving**: {escape(', '.join(improving))} "
                   f"{'was' if len(improving) == 1 else 'were'} still improving at the last epoch; the ranking is not a "
                   "conclusion (see the leaderboard's converged column).\n")
    out.append(f"Generated {escape(model.generated)} from {escape(model.storage)}. Arms are tuned on "
               f"{escape(model.spec.get('objective', 'val_accuracy'))} with {escape(model.spec.get('trials'))} trials each, "
               f"then each best configuration is rerun on {escape(fmt.plural(model.seeds, 'fresh seed'))}; "
               "the leaderboard shows those final-phase runs on the test split.\n")
    if model.claims:
        out += ["## Published claims against this run\n", table(*tables.claims(model))]
    out += ["## Findings\n", "\n".join(f"- {escape(s)}" for s in model.findings) + "\n"]
    out += ["## Leaderboard\n", table(*tables.leaderboard(model)), _images(plots, "leaderboard")]
    out += ["## Significance\n",
            f"Baseline: {escape(model.baseline)}. Test: {escape(_test_words(model))}, two-sided, over the seeds both "
            "arms share; factor levels (loss against the baseline's, remedy set against the baseline's, cell against "
            "cell) over matched arms x shared seeds; Holm-corrected over all comparisons.\n"]
    if model.seeds < 2:
        out.append(f"{escape(fmt.NO_TEST)}: with fewer than 2 seeds no interval or test is possible.\n")
    out.append(table(*tables.comparisons(model)))
    out += ["## Robustness: learning rate, seeds, tuning\n", table(*tables.robustness(model))]
    out.append("## Factorial view\n")
    for g in model.factorial.grids:
        out += [f"### Cell {escape(g.cell)}: mean test accuracy, loss x remedy set\n", table(*tables.grid(g))]
    out += ["### Main effects\n", table(*tables.effects(model)), _images(plots, "factorial")]
    out += ["## Gradients\n", f"{escape(tables.flow_note(model))}\n", table(*tables.gradients(model)),
            _images(plots, "gradients")]
    out += ["## Learning curves, sensitivity and importances\n", _images(plots, "curves")]
    out += ["### Optuna parameter importances\n", f"{escape(tables.IMPORTANCE_NOTE)}\n",
            table(*tables.importances(model))]
    out += ["## Refused combinations, errors, unfinished arms\n", table(*tables.problems(model))]
    if model.components:
        out += ["## Components\n", table(*tables.components(model))]
    out += ["## Method and thresholds\n", table(*tables.rules(model))]
    out += ["## Provenance\n", table(*tables.provenance(model))]
    return "\n".join(out)


def _images(plots: list[Any], section: str) -> str:
    return "".join(f"![{escape(p.title)}](plots/{p.name}.png)\n\n" for p in plots if p.section == section)


def _test_words(model: Any) -> str:
    return "Wilcoxon signed-rank" if model.test == "wilcoxon" else "paired t-test"
