"""``report.md``: tables, findings and links to the PNG plots. Every stored string is escaped."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from lossbench.report.outline import Block, Bullets, Group, Paragraph, TableBlock, outline
from lossbench.text import printable

if TYPE_CHECKING:
    from lossbench.report.builder import SweepReport
    from lossbench.report.plots import Plot

_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")


def escape(text: object) -> str:
    """Plain text in Markdown: HTML made inert, Markdown syntax (tables included) backslash-escaped, one line."""
    return _SPECIAL.sub(r"\\\1", html.escape(printable(text, newlines=False), quote=False))


def table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_markdown(report: SweepReport, plots: list[Plot]) -> str:
    out = []
    for section in outline(report):
        out.append(f"{'#' * section.level} {escape(section.title)}\n")
        for block in section.blocks:
            out.append(_block(block, plots))
    return "\n".join(out)


def _block(block: Block, plots: list[Plot]) -> str:
    if isinstance(block, Paragraph):
        text = block.template.format(*(escape(v) for v in block.values))
        return (f"> **{block.lead}**: {text}" if block.kind == "warning" else text) + "\n"
    if isinstance(block, Bullets):
        return "\n".join(f"- {escape(s)}" for s in block.items) + "\n"
    if isinstance(block, Group):
        return f"### {escape(block.title)}\n\n" + "\n".join(f"- {escape(s)}" for s in block.items) + "\n"
    if isinstance(block, TableBlock):
        return table(block.headers, block.rows)
    return "".join(f"![{escape(p.title)}](plots/{p.name}.png)\n\n" for p in plots if p.section == block.section)
