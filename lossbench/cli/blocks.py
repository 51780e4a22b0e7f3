"""Text blocks that read at any terminal width: a title line, a wrapped paragraph, labelled fields.

A table with one column per field wraps every cell into a narrow column at 80 characters; a block per item
keeps each value on full-width lines. Lines are wrapped here, between words only (a number or a name is never
cut), and printed as they are.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

INDENT = 2
MIN_WIDTH = 40


@dataclass
class Block:
    """One item: a title (with a dimmer note after it), a paragraph, then ``label  value`` fields, one value a
    line (a long value continues under itself)."""

    title: str
    note: str = ""
    paragraph: str = ""
    fields: list[tuple[str, Sequence[str]]] = field(default_factory=list)
    style: str | None = None

    def render(self, width: int) -> Text:
        text = Text(self.title, style=self.style or "bold")
        if self.note:
            text.append("  " + self.note, style=self.style or "dim")
        text.append("\n")
        inner = width - INDENT
        if self.paragraph:
            for line in wrap(self.paragraph, inner):
                text.append(" " * INDENT + line + "\n", style=self.style)
        label_width = max((len(label) for label, _ in self.fields), default=0) + 2
        for label, values in self.fields:
            lead = " " * INDENT + label.ljust(label_width)
            for value in values or ["-"]:
                for line in wrap(value, inner - label_width):
                    text.append(lead, style=self.style or "dim")
                    text.append(line + "\n", style=self.style)
                    lead = " " * len(lead)
        return text


def wrap(value: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces only; a word longer than a line (a path) is
    folded."""
    return textwrap.wrap(value, max(width, 10), break_on_hyphens=False) or [""]


def print_blocks(console: Console, heading: str | None, blocks: list[Block]) -> None:
    width = max(console.width, MIN_WIDTH)
    if heading:
        console.print(Text(heading, style="bold underline"))
        console.print()
    for block in blocks:
        console.print(block.render(width), end="", soft_wrap=True)
        console.print()
