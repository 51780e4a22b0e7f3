import sys


def main() -> None:
    """The ``lossbench`` command; it ends when its work is done, even where plugin code left a thread or a child
    process running (``lossbench.registry.leftovers``)."""
    from lossbench.cli.app import run
    from lossbench.registry.leftovers import end_process

    code: object = 0
    try:
        run()
    except SystemExit as done:  # how Typer ends every command
        code = done.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"): printed, exit 1
        print(code, file=sys.stderr)
        code = 1
    end_process(code or 0)
