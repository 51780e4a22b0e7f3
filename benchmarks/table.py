"""What the table-printing benchmarks share: their options (--repeats, --skip) and their Markdown table."""

from __future__ import annotations

import argparse
import json


def options(doc: str, repeats: int) -> tuple[int, set[str]]:
    """(repeats, the parts to skip) from the command line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    return args.repeats, set(filter(None, args.skip.split(",")))


def print_table(rows: list[tuple[str, str, str]], header: str = "") -> None:
    """The rows as a Markdown table, then as one JSON line."""
    print(f"{header}| measurement | value | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(json.dumps({"rows": rows}))
