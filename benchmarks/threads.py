"""Threads and workers on the machine people have (issue: fast and sound on a 2-core machine). Prints Markdown.

    python benchmarks/threads.py [--repeats 2] [--skip quickstart,train]

1. The quickstart (`lossbench run`, report included) with the old defaults (one worker, two torch threads:
   `--workers 1 --threads 2`) and the new ones (no options: `--workers auto`, one thread per worker),
   alternating sides, medians. Targets: new <= 0.6x old, and new <= 27x a plain 10-epoch GRU reference run
   (the hand-written loop of benchmarks/hand_loop.py, whole process, measured in the same run).
2. `lossbench train` (mnist1d, gru 128, 5 epochs) with 1 and 2 torch threads, on an idle machine and with a
   competing process (a busy loop on one core), alternating, medians.
Each figure is a ratio of sides measured alternately in one run; the machine's speed is the reference run's time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import options, print_table

HERE = Path(__file__).parent
TRAIN = ["lossbench", "train", "--dataset", "mnist1d", "--cell", "gru", "--hidden", "128", "--lr", "0.01",
         "--epochs", "5", "--no-flow-profile", "--json"]


def wall(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, **(env or {})}, cwd=cwd)
    return time.perf_counter() - started


def reference() -> float:
    """The plain 10-epoch GRU run (hand-written loop), whole process, torch's default threads."""
    return wall([sys.executable, str(HERE / "hand_loop.py")])


def bench_quickstart(repeats: int, root: Path) -> list[tuple[str, str, str]]:
    sides = {"old defaults (--workers 1 --threads 2)": ["--workers", "1", "--threads", "2"], "new defaults": []}
    times: dict[str, list[float]] = {side: [] for side in sides}
    references = [reference()]
    for r in range(repeats):
        for side in (list(sides) if r % 2 == 0 else list(reversed(sides))):
            out = root / f"q{r}-{len(times[side])}-{'old' if sides[side] else 'new'}"
            times[side].append(wall(["lossbench", "run", "--name", "bench", "--out", str(out), "--quiet",
                                     *sides[side]]))
        references.append(reference())
    old, new = (statistics.median(times[side]) for side in sides)
    ref = statistics.median(references)
    return [(f"quickstart, {side}", f"{statistics.median(t):.1f} s (runs: {', '.join(f'{x:.0f}' for x in t)})", "")
            for side, t in times.items()] + [
        ("quickstart, new / old defaults", f"{new / old:.2f}x", "<= 0.6x " + ("met" if new / old <= 0.6 else "NOT met")),
        ("reference run (hand-written 10-epoch GRU loop, whole process)", f"{ref:.1f} s", ""),
        ("quickstart with the new defaults / reference run", f"{new / ref:.1f}x",
         "<= 27x " + ("met" if new / ref <= 27 else "NOT met"))]


def bench_train(repeats: int) -> list[tuple[str, str, str]]:
    rows = []
    for load in ("idle", "one busy core"):
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load != "idle" else None
        try:
            times: dict[int, list[float]] = {1: [], 2: []}
            for r in range(repeats):
                for threads in ((1, 2) if r % 2 == 0 else (2, 1)):
                    times[threads].append(wall([*TRAIN, "--threads", str(threads)]))
        finally:
            if busy:
                busy.kill()
        one, two = statistics.median(times[1]), statistics.median(times[2])
        rows += [(f"train 5 epochs, {load}: 1 thread / 2 threads", f"{one:.1f} s / {two:.1f} s", ""),
                 (f"train 5 epochs, {load}: 2 threads / 1 thread", f"{two / one:.2f}x", "")]
    return rows


def main() -> None:
    repeats, skip = options(__doc__, repeats=2)
    rows: list[tuple[str, str, str]] = []
    wall(TRAIN[:2] + ["--dataset", "mnist1d", "--epochs", "1", "--hidden", "8"])  # warm the dataset cache
    with tempfile.TemporaryDirectory() as tmp:
        if "quickstart" not in skip:
            rows += bench_quickstart(repeats, Path(tmp))
        if "train" not in skip:
            rows += bench_train(repeats)
    print_table(rows, f"machine: {os.cpu_count()} cores\n\n")


if __name__ == "__main__":
    main()
