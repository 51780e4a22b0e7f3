"""``report.html``: one self-contained file: inline CSS, plots as data: URIs, no script, no external URL."""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING

from lossbench.report.outline import Block, Bullets, Paragraph, TableBlock, outline
from lossbench.text import printable

if TYPE_CHECKING:
    from lossbench.report.model import ReportModel
    from lossbench.report.plots import Plot

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


def render_html(model: ReportModel, plots: list[Plot]) -> str:
    body = []
    for section in outline(model):
        body.append(f"<h{section.level}>{escape(section.title)}</h{section.level}>")
        for block in section.blocks:
            body += _block(block, plots)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\">"
            f"<title>lossbench report: {escape(model.name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _block(block: Block, plots: list[Plot]) -> list[str]:
    if isinstance(block, Paragraph):
        text = block.template.format(*(escape(v) for v in block.values))
        if block.kind == "warning":
            return [f'<p class="partial"><strong>{block.lead}</strong>: {text}</p>']
        return [f'<p class="note">{text}</p>' if block.kind == "note" else f"<p>{text}</p>"]
    if isinstance(block, Bullets):
        return ['<ul class="findings">', *[f"<li>{escape(s)}</li>" for s in block.items], "</ul>"]
    if isinstance(block, TableBlock):
        return [table(block.headers, block.rows)]
    return [_figures(plots, block.section)]


def escape(text: object) -> str:
    """Plain text in HTML: control characters dropped, markup made inert."""
    return html.escape(printable(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return '<p class="note">none</p>'
    text = [i for i, h in enumerate(headers) if h in _TEXT_COLUMNS or i == 0]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="text">{escape(c)}</td>' if i in text else f"<td>{escape(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _figures(plots: list[Plot], section: str) -> str:
    return "".join(f'<figure><img alt="{escape(p.title)}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.png).decode("ascii")}"><figcaption>{escape(p.title)}</figcaption></figure>\n'
                   for p in plots if p.section == section)
