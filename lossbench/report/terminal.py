"""The terminal report: the outline's sections (``outline``) as Rich tables, findings and sparklines, as wide as
the terminal (Rich follows ``COLUMNS`` where it is set): arm names stay on one line wherever the table still fits,
and break at their separators only where it would not."""

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
            for shown in _block(block, console):
                console.print(shown)
        if section.title == "Answer" and plots is not None:
            console.print(_plain(f"Plots (the decision plot: decisions.png; learning curves per cell): {plots}"))


def _block(block: Block, console: Console) -> list[RenderableType]:
    if isinstance(block, Paragraph):
        return [_plain(block.template.format(*block.values), style=_STYLES.get(block.kind, ""))]
    if isinstance(block, Bullets):
        return [_plain(f"- {sentence}") for sentence in block.items]
    if isinstance(block, TableBlock):
        return [_table(block.title, block.headers, block.rows, console)]
    return []  # plots: none in a terminal


def _table(title: str, headers: list[str], rows: list[list[str]], console: Console) -> Table:
    """The table with its names on as few lines as the terminal's width allows: whole where the table's narrowest
    layout still fits, else broken after their parts at ever narrower widths, down to ``NAME_WIDTH``."""
    names = [i for i, h in enumerate(headers) if h in _NAME_COLUMNS]
    longest = max((len(line) for row in rows for i in names for line in row[i].split("\n")), default=0)
    widths = [w for w in dict.fromkeys((longest, 48, 36, 28, 22)) if NAME_WIDTH < w <= longest]
    width = next((w for w in widths if _narrowest(headers, rows, names, w) <= console.width), NAME_WIDTH)
    return _laid_out(title, headers, rows, names, width)


def _narrowest(headers: list[str], rows: list[list[str]], names: list[int], width: int) -> int:
    """The table's narrowest layout with names broken at ``width``: numbers and sparklines whole (never cut), text
    columns down to their longest word (at least 12), names to their longest line."""
    total = 0
    for i, header in enumerate(headers):
        cells = [row[i] for row in rows]
        if i in names:
            total += max([len(header)] + [len(part) for cell in cells for part in name_lines(cell, width)])
        elif header in _TEXT_COLUMNS:
            total += max([12] + [len(word) for text in [header, *cells] for word in text.split()])
        else:
            total += max([len(header)] + [len(line) for cell in cells for line in cell.split("\n")])
    return total + 3 * (len(headers) - 1) + 2  # each gap: padding and a blank rule; an edge on each side


def _laid_out(title: str, headers: list[str], rows: list[list[str]], names: list[int], width: int) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=_plain(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, header in enumerate(headers):
        text = header in _TEXT_COLUMNS
        # Numbers never wrap or shorten (a cut number is a wrong number); names break at their separators onto
        # more lines, as wide as their longest part, and never inside a word.
        left = text or header in _SPARKLINES
        widest = max((len(part) for row in rows for part in name_lines(row[i], width)), default=0) if i in names else 0
        table.add_column(header, justify="left" if left else "right", no_wrap=not text or i in names,
                         overflow="fold", min_width=widest or (12 if text else None))
    for row in rows:
        table.add_row(*[_plain("\n".join(name_lines(cell, width)) if i in names else cell)
                        for i, cell in enumerate(row)])
    return table


NAME_WIDTH = 16  # a longer name is put on more lines, broken after its parts ("orthogonal_init" is 15)


def name_lines(text: str, width: int = NAME_WIDTH) -> list[str]:
    """Names on lines of at most ``width`` where they can break: after ":" or "+" or a space; a part longer than
    that stays whole on its own line."""
    import re

    lines: list[str] = []
    for given in text.split("\n"):
        lines.append("")
        for part in (p for p in re.split(r"(?<=[:+ ])", given) if p):
            if lines[-1] and len(lines[-1].rstrip()) + len(part.rstrip()) > width:
                lines.append("")
            lines[-1] += part
    return [line.rstrip() for line in lines]


def _plain(text: str, style: str = "") -> Text:
    from rich.text import Text

    from lossbench.text import printable

    return Text(printable(text), style=style)  # never Rich markup or a control character: names come from plugins
