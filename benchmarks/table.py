"""What the table-printing benchmarks share: their options (--repeats, --skip), their Markdown table, a timed command."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time


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


def wall(command: list[str]) -> float:
    """Seconds the command took, whole process, with one torch thread (the reference run too)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    return time.perf_counter() - started
