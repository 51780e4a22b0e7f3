"""``report.html``: one self-contained file: inline CSS, plots as data: URIs, no script, no external URL."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from lossbench.report import fmt, tables

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; max-width: 40em; word-break: break-word; }
.partial { background: #fff3cd; border: 1px solid #e0c36c; padding: .6em 1em; }
.findings li { margin: .25em 0; } figure { margin: 1em 0; } figcaption { color: #555; font-size: 13px; }
img { max-width: 100%; height: auto; } .note { color: #555; }
"""
_TEXT_COLUMNS = {"arm", "best hyperparameters", "summary", "why", "value", "baseline", "component", "status", "plugin",
                 "converged", "note", "rule", "claim", "published", "this run", "verdict", "test"}


def render_html(model: Any, plots: list[Any]) -> str:
    body = [f"<h1>lossbench report: {escape(model.name)}</h1>"]
    if model.partial:
        body.append(f'<p class="partial"><strong>Partial report</strong>: {len(model.unfinished)} of '
                    f"{len(model.arms)} arms have not finished; numbers may change as the sweep goes on.</p>")
    improving = [a.key for a in model.arms if a.improving]
    if improving:
        body.append(f'<p class="partial"><strong>Still improving</strong>: {escape(", ".join(improving))} '
                    f"{'was' if len(improving) == 1 else 'were'} still improving at the last epoch; the ranking is not "
                    "a conclusion (see the leaderboard's converged column).</p>")
    body.append(f'<p class="note">Generated {escape(model.generated)} from {escape(model.storage)}. Arms are tuned on '
                f"{escape(str(model.spec.get('objective', 'val_accuracy')))} with {escape(str(model.spec.get('trials')))} "
                f"trials each, then each best configuration is rerun on {escape(fmt.plural(model.seeds, 'fresh seed'))}; "
                "the leaderboard shows those final-phase runs on the test split.</p>")
    if model.claims:
        body += ["<h2>Published claims against this run</h2>", table(*tables.claims(model))]
    body += ["<h2>Findings</h2>", '<ul class="findings">',
             *[f"<li>{escape(s)}</li>" for s in model.findings], "</ul>"]
    body += ["<h2>Leaderboard</h2>", table(*tables.leaderboard(model)), _figures(plots, "leaderboard")]
    body += ["<h2>Significance</h2>",
             f"<p>Baseline: {escape(model.baseline)}. Test: "
             f"{'Wilcoxon signed-rank' if model.test == 'wilcoxon' else 'paired t-test'}, two-sided, over the seeds "
             "both arms share; factor levels (loss against the baseline's, remedy set against the baseline's, cell "
             "against cell) over matched arms x shared seeds; Holm-corrected over all comparisons.</p>"]
    if model.seeds < 2:
        body.append(f"<p>{escape(fmt.NO_TEST)}: with fewer than 2 seeds no interval or test is possible.</p>")
    body.append(table(*tables.comparisons(model)))
    body += ["<h2>Robustness: learning rate, seeds, tuning</h2>", table(*tables.robustness(model))]
    body.append("<h2>Factorial view</h2>")
    for g in model.factorial.grids:
        body += [f"<h3>Cell {escape(g.cell)}: mean test accuracy, loss x remedy set</h3>", table(*tables.grid(g))]
    body += ["<h3>Main effects</h3>", table(*tables.effects(model)), _figures(plots, "factorial")]
    body += ["<h2>Gradients</h2>", f'<p class="note">{escape(tables.flow_note(model))}</p>',
             table(*tables.gradients(model)), _figures(plots, "gradients")]
    body += ["<h2>Learning curves, sensitivity and importances</h2>", _figures(plots, "curves"),
             "<h3>Optuna parameter importances</h3>", f'<p class="note">{escape(tables.IMPORTANCE_NOTE)}</p>',
             table(*tables.importances(model))]
    body += ["<h2>Refused combinations, errors, unfinished arms</h2>", table(*tables.problems(model))]
    if model.components:
        body += ["<h2>Components</h2>", table(*tables.components(model))]
    body += ["<h2>Method and thresholds</h2>", table(*tables.rules(model))]
    body += ["<h2>Provenance</h2>", table(*tables.provenance(model))]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\">"
            f"<title>lossbench report: {escape(model.name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return '<p class="note">none</p>'
    text = [i for i, h in enumerate(headers) if h in _TEXT_COLUMNS or i == 0]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="text">{escape(c)}</td>' if i in text else f"<td>{escape(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _figures(plots: list[Any], section: str) -> str:
    return "".join(f'<figure><img alt="{escape(p.title)}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.png).decode("ascii")}"><figcaption>{escape(p.title)}</figcaption></figure>\n'
                   for p in plots if p.section == section)
