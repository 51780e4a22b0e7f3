"""The terminal report: the outline's sections (``outline``) as Rich tables, findings and sparklines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lossbench.report.outline import Block, Bullets, Paragraph, TableBlock, outline

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text

    from lossbench.report.model import ReportModel

_TEXT_COLUMNS = ("arm", "baseline", "factor", "levels", "claim", "this run", "verdict")
_SPARKLINES = ("val acc", "flow init", "flow end", "grad norm")  # drawn from the left, like a plot
_STYLES = {"warning": "yellow", "title": "bold"}


def render_terminal(model: ReportModel, console: Console | None = None) -> None:
    from rich.console import Console

    console = console or Console()
    for section in outline(model):
        if section.level == 1:
            title = section.title + (" (PARTIAL: some arms unfinished)" if model.partial else "")
            console.print(_plain(title, style="bold yellow" if model.partial else "bold"))
        for block in section.brief:
            for shown in _block(block):
                console.print(shown)


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
    for header in headers:
        text = header in _TEXT_COLUMNS
        # Numbers never wrap or shorten (a cut number is a wrong number); names fold onto more lines instead.
        left = text or header in _SPARKLINES
        table.add_column(header, justify="left" if left else "right", no_wrap=not text, overflow="fold",
                         min_width=12 if text else None)
    for row in rows:
        table.add_row(*[_plain(cell) for cell in row])
    return table


def _plain(text: str, style: str = "") -> Text:
    from rich.text import Text

    from lossbench.text import printable

    return Text(printable(text), style=style)  # never Rich markup or a control character: names come from plugins
