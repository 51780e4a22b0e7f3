"""How the commands' help reads: typer prints a flag's type (``--quiet <bool>``, as if it took a value) and a
required argument in braces (``{name}``); here a flag shows no type, a required argument is its metavar (``NAME``),
an optional one ``[NAME]``. Help is wrapped at the terminal's width (Rich follows ``COLUMNS`` where it is set)."""

from __future__ import annotations

from typing import Any


def plain_help() -> None:
    """Adjust typer's help once, before the app runs (a typer without these hooks is left as it is)."""
    from typer import core

    option, argument = core.TyperOption, core.TyperArgument
    if hasattr(option, "display_type_rich") and not getattr(option, "_lossbench", False):
        typed = option.display_type_rich

        def display_type_rich(self: Any, ctx: Any) -> str | None:
            return None if self.is_flag else typed(self, ctx)  # a flag takes no value: no type to show

        option.display_type_rich, option._lossbench = display_type_rich, True
    if hasattr(argument, "_usage_display_name") and not getattr(argument, "_lossbench", False):
        def usage_name(self: Any) -> str:
            name = self.display_name_raw
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name, argument._lossbench = usage_name, True
