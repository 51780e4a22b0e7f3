"""What growing a finished sweep costs: a small sweep, finished, continued with ``--epochs 4x`` (its final runs
still improving continue from their checkpoints; the tuning phase keeps the cap it was tuned at), against the same
larger sweep started from nothing. Prints Markdown for the README (issue 28's target: a ratio of at most 0.8).

    python benchmarks/continue_speed.py [--repeats 2]

Each side runs in a fresh Python process, timed whole (start-up and imports included), one worker and one torch
thread, alternating which goes first; the small sweep each continuation grows is trained before it, untimed. The
reference run (benchmarks/hand_loop.py, whole process, one torch thread) is timed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
SMALL = {"dataset": "digits", "losses": ["ce", "focal"], "cells": ["gru"], "hidden": 16, "trials": 3, "seeds": 3,
         "epochs": 3, "patience": 0}
FACTOR = 4


def side(which: str, out: str, name: str) -> None:
    """One side in this process: ``small`` trains the small sweep, ``grow`` continues it with 4x the epochs,
    ``fresh`` trains the larger sweep from nothing."""
    from lossbench import sweep

    epochs = SMALL["epochs"] * (1 if which == "small" else FACTOR)
    outcome = sweep.run({**SMALL, "name": name, "epochs": epochs}, out=out, workers=1, threads=1)
    assert not outcome.partial and not outcome.crashes, outcome
    data = outcome.load()
    trained = sum(len(t.run.epochs) - (t.run.continued_from or 0) for arm in data.arms
                  for t in [*arm.tuning, *arm.final, *arm.superseded] if t.run is not None)
    json.dump({"epochs_trained": trained}, sys.stdout)


def wall(command: list[str]) -> tuple[float, dict]:
    """Seconds the command took, with one torch thread, and what it printed (JSON)."""
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    seconds = time.perf_counter() - started
    return seconds, json.loads(done.stdout.strip().splitlines()[-1] or "{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--side", choices=["small", "grow", "fresh"])  # internal: one side, in this process
    parser.add_argument("--out")
    parser.add_argument("--name")
    args = parser.parse_args()
    if args.side:
        side(args.side, args.out, args.name)
        return
    references = [wall([sys.executable, str(HERE / "hand_loop.py")])[0]]
    times: dict[str, list[float]] = {"grow": [], "fresh": []}
    trained: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.repeats):
            out = str(Path(folder) / f"results{r}")
            trained["small"] = wall([sys.executable, __file__, "--side", "small", "--out", out,
                                     "--name", "grown"])[1]["epochs_trained"]  # untimed
            for which in (("grow", "fresh") if r % 2 == 0 else ("fresh", "grow")):
                seconds, said = wall([sys.executable, __file__, "--side", which, "--out", out,
                                      "--name", "grown" if which == "grow" else "fresh"])
                times[which].append(seconds)
                trained[which] = said["epochs_trained"]
    references.append(wall([sys.executable, str(HERE / "hand_loop.py")])[0])
    reference = statistics.median(references)
    grow, fresh = statistics.median(times["grow"]), statistics.median(times["fresh"])
    print(f"| side | seconds (median of {args.repeats}) | epochs this start trained |")
    print("|---|---|---|")
    print(f"| grow: a finished {SMALL['epochs']}-epoch sweep continued to {SMALL['epochs'] * FACTOR} epochs "
          f"(it had trained {trained['small']}) | {grow:.1f} | {trained['grow'] - trained['small']} |")
    print(f"| fresh: the {SMALL['epochs'] * FACTOR}-epoch sweep from nothing | {fresh:.1f} | {trained['fresh']} |")
    print(f"\nratio grow / fresh: {grow / fresh:.2f} (target <= 0.8); reference run (hand_loop.py, one thread): "
          f"{reference:.1f} s (before {references[0]:.1f} s, after {references[1]:.1f} s); all times: "
          f"{json.dumps({k: [round(v, 1) for v in vs] for k, vs in times.items()})}")


if __name__ == "__main__":
    main()
