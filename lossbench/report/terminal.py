"""The terminal report: the outline's sections (``outline``) as Rich tables, findings and sparklines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report.outline import Block, Bullets, Paragraph, TableBlock, outline

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

    from lossbench.report.builder import SweepReport

_TEXT_COLUMNS = ("arm", "comparison", "component", "baseline", "factor", "levels", "claim", "this run", "verdict")
_SPARKLINES = ("val acc", "flow init", "flow end", "grad norm")  # drawn from the left, like a plot
_STYLES = {"warning": "yellow", "title": "bold", "answer": "bold"}
_NAME_COLUMNS = ("arm", "baseline", "comparison")  # split onto lines at ":" and "+", never cut inside a word


def render_terminal(report: SweepReport, console: Console | None = None, plots: Path | None = None) -> None:
    """The brief report; ``plots``: the folder the plots were written to, named beside the answer."""
    from rich.console import Console

    console = console or Console()
    for section in outline(report):
        if section.level == 1:
            title = section.title + (" (PARTIAL: some arms unfinished)" if report.partial else "")
            console.print(_plain(title, style="bold yellow" if report.partial else "bold"))
        for block in section.brief:
            for shown in _block(block):
                console.print(shown)
        if section.title == "Answer" and plots is not None:
            console.print(_plain(f"Plots (the decision plot: decisions.png; learning curves per cell): {plots}"))


def _block(block: Block) -> list[RenderableType]:
    if isinstance(block, Paragraph):
        return [_plain(block.template.format(*block.values), style=_STYLES.get(block.kind, ""))]
    if isinstance(block, Bullets):
        return [_plain(f"- {sentence}") for sentence in block.items]
    if isinstance(block, TableBlock):
        return [_table(block.title, block.headers, block.rows)]
    return []  # plots: none in a terminal


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=_plain(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    names = [i for i, h in enumerate(headers) if h in _NAME_COLUMNS]
    for i, header in enumerate(headers):
        text = header in _TEXT_COLUMNS
        # Numbers never wrap or shorten (a cut number is a wrong number); names break at their separators onto
        # more lines, as wide as their longest part, and never inside a word.
        left = text or header in _SPARKLINES
        widest = max((len(part) for row in rows for part in name_lines(row[i])), default=0) if i in names else 0
        table.add_column(header, justify="left" if left else "right", no_wrap=not text or i in names,
                         overflow="fold", min_width=widest or (12 if text else None))
    for row in rows:
        table.add_row(*[_plain("\n".join(name_lines(cell)) if i in names else cell) for i, cell in enumerate(row)])
    return table


NAME_WIDTH = 16  # a longer name is put on more lines, broken after its parts ("orthogonal_init" is 15)


def name_lines(text: str) -> list[str]:
    """Names on lines of at most ``NAME_WIDTH`` where they can break: after ":" or "+" or a space; a part
    longer than that stays whole on its own line."""
    import re

    lines: list[str] = []
    for given in text.split("\n"):
        lines.append("")
        for part in (p for p in re.split(r"(?<=[:+ ])", given) if p):
            if lines[-1] and len(lines[-1].rstrip()) + len(part.rstrip()) > NAME_WIDTH:
                lines.append("")
            lines[-1] += part
    return [line.rstrip() for line in lines]


def _plain(text: str, style: str = "") -> Text:
    from rich.text import Text

    from lossbench.text import printable

    return Text(printable(text), style=style)  # never Rich markup or a control character: names come from plugins
