"""The Typer application. Heavy modules (torch, optuna) are imported inside the commands that need them."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

import lossbench
from lossbench.cli import check_cmd, inventory, report_cmd, run_cmd, scaffold, train_cmd
from lossbench.cli.context import session
from lossbench.cli.help import plain_help
from lossbench.cli.output import fail, reserve_stdout_for_json, warn
from lossbench.errors import VOICE, LossbenchError

plain_help()
app = typer.Typer(
    name="lossbench",
    help="Compare cross-entropy variants, recurrent cells and gradient-stability remedies on an equal tuning budget.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"lossbench {lossbench.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    plugins_dir: Annotated[list[str] | None, typer.Option(
        "--plugins-dir", metavar="DIR",
        help="Load every *.py in DIR as a plugin (repeatable; also LOSSBENCH_PLUGINS_DIR).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    session.plugins_dirs = list(plugins_dir or [])


app.command("plugins")(inventory.plugins_command)
app.command("list")(inventory.list_command)
app.command("train")(train_cmd.train_command)
app.command("run")(run_cmd.run_command)
app.command("report")(report_cmd.report_command)
app.command("check")(check_cmd.check_command)
app.command("new-plugin")(scaffold.new_plugin_command)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """A Python warning (a plugin's, a library's) as one ``warning:`` line, not a source excerpt."""
    warn(str(message))


def run() -> None:
    VOICE.set("cli")  # messages name flags and "the same command", not a function's arguments
    warnings.showwarning = _show_warning
    if "--json" in sys.argv[1:]:  # plugins, list, train, run, check: plugin code may print; only JSON goes to stdout
        reserve_stdout_for_json()
    try:
        app()
    except LossbenchError as error:
        fail(str(error))
        sys.exit(error.exit_code)
