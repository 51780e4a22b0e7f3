"""``report.html``: one self-contained file: inline CSS, plots as data: URIs, no script, no external URL."""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING

from lossbench.report.outline import Block, Bullets, Group, Paragraph, TableBlock, outline
from lossbench.text import printable

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport
    from lossbench.report.plots import Plot

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; max-width: 40em; overflow-wrap: break-word; word-break: normal; }
td.name { text-align: left; overflow-wrap: normal; word-break: keep-all; }
.wide { overflow-x: auto; } .answer { font-size: 15px; background: #eef5ff; border-left: 4px solid #4a7bd0;
  padding: .6em 1em; }
details { margin: .4em 0; } summary { cursor: pointer; } summary strong { margin-right: .4em; }
.partial { background: #fff3cd; border: 1px solid #e0c36c; padding: .6em 1em; }
.findings li { margin: .25em 0; } figure { margin: 1em 0; } figcaption { color: #555; font-size: 13px; }
img { max-width: 100%; height: auto; } .note { color: #555; }
"""
_NAME_COLUMNS = {"arm", "other", "baseline", "component"}  # names: broken only at ":" and "+" (<wbr>), never mid-word
_TEXT_COLUMNS = { "best hyperparameters", "summary", "why", "value", "baseline", "component", "status", "plugin",
                 "converged", "note", "rule", "claim", "published", "this run", "verdict", "test"}


def render_html(report: SweepReport, plots: list[Plot]) -> str:
    body = []
    for section in outline(report):
        body.append(f"<h{section.level}>{escape(section.title)}</h{section.level}>")
        for block in section.blocks:
            body += _block(block, plots)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\">"
            f"<title>lossbench report: {escape(report.name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _block(block: Block, plots: list[Plot]) -> list[str]:
    if isinstance(block, Paragraph):
        text = block.template.format(*(escape(v) for v in block.values))
        if block.kind == "warning":
            return [f'<p class="partial"><strong>{block.lead}</strong>: {text}</p>']
        if block.kind == "answer":
            return [f'<p class="answer">{text}</p>']
        return [f'<p class="note">{text}</p>' if block.kind == "note" else f"<p>{text}</p>"]
    if isinstance(block, Bullets):
        return ['<ul class="findings">', *[f"<li>{escape(s)}</li>" for s in block.items], "</ul>"]
    if isinstance(block, Group):
        first, *rest = block.items
        items = "".join(f"<li>{escape(s)}</li>" for s in rest)
        return [f'<details><summary><strong>{escape(block.title)}</strong>{escape(first)}</summary>'
                + (f'<ul class="findings">{items}</ul>' if items else "") + "</details>"]
    if isinstance(block, TableBlock):
        return [table(block.headers, block.rows)]
    return [_figures(plots, block.section)]


def escape(text: object) -> str:
    """Plain text in HTML: control characters dropped, markup made inert."""
    return html.escape(printable(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return '<p class="note">none</p>'
    names = {i for i, h in enumerate(headers) if h in _NAME_COLUMNS}
    text = {i for i, h in enumerate(headers) if h in _TEXT_COLUMNS or i == 0} - names
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)

    def cell(i: int, value: str) -> str:
        if i in names:
            return f'<td class="name">{name(value)}</td>'
        return f'<td class="text">{escape(value)}</td>' if i in text else f"<td>{escape(value)}</td>"

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table></div>'


def name(text: object) -> str:
    """An arm or component name, escaped, that may break after ":" or "+" and nowhere inside a word."""
    return escape(text).replace(":", ":<wbr>").replace("+", "+<wbr>")


def _figures(plots: list[Plot], section: str) -> str:
    return "".join(f'<figure><img alt="{escape(p.title)}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.png).decode("ascii")}"><figcaption>{escape(p.title)}</figcaption></figure>\n'
                   for p in plots if p.section == section)
