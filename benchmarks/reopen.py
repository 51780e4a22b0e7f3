"""What reopening a finished sweep costs: ``lossbench.load_sweep`` and its answer, leaderboard and trials as
DataFrames, against calling ``lossbench.sweep.run`` again on the finished sweep (the way to its outcome before
``load_sweep``). Prints Markdown for benchmarks/README.md.

    python benchmarks/reopen.py [--repeats 3]

Each side runs in a fresh Python process, timed whole (start-up and imports included, as a notebook's first
cell pays them), alternating which goes first, medians. Two stored sweeps: docs/python.md's sweep (digits,
ce and focal on gru, hidden 16, 2 trials + 2 seeds, 1 epoch: trained once here), and the 24-arm sweep of
benchmarks/report_speed.py (720 trials, made synthetically: ``load_sweep`` only, since it never trained). The
reference run (benchmarks/hand_loop.py, whole process, one torch thread) is timed before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from table import wall

HERE = Path(__file__).parent
DEMO = {"name": "api-demo", "dataset": "digits", "losses": ["ce", "focal"], "cells": ["gru"], "hidden": 16,
        "trials": 2, "epochs": 1, "seeds": 2}


def reopen(name: str, out: str) -> None:
    import lossbench

    sweep = lossbench.load_sweep(name, out=out)
    assert sweep.answer
    sweep.leaderboard_dataframe()
    sweep.trials_dataframe()


def run_again(out: str) -> None:
    from lossbench import sweep

    outcome = sweep.run(DEMO, out=out, workers=1, threads=1)
    assert not outcome.partial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--side", choices=["reopen", "run_again"])  # internal: one side, in this process
    parser.add_argument("--name", default=DEMO["name"])
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.side:
        reopen(args.name, args.out) if args.side == "reopen" else run_again(args.out)
        return
    sys.path.insert(0, str(HERE))
    import report_speed

    references = [wall([sys.executable, str(HERE / "hand_loop.py")])]
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "results")
        trained = wall([sys.executable, __file__, "--side", "run_again", "--out", out])  # the first run trains it
        big = Path(out) / report_speed.NAME / "sweep.journal"
        big.parent.mkdir(parents=True)
        report_speed.make_sweep(str(big))
        times: dict[str, list[float]] = {"reopen": [], "run_again": [], "reopen_big": []}
        for r in range(args.repeats):
            for side in (("reopen", "run_again") if r % 2 == 0 else ("run_again", "reopen")):
                times[side].append(wall([sys.executable, __file__, "--side", side, "--out", out]))
            times["reopen_big"].append(wall([sys.executable, __file__, "--side", "reopen", "--name",
                                             report_speed.NAME, "--out", out]))
    references.append(wall([sys.executable, str(HERE / "hand_loop.py")]))
    reference = statistics.median(references)
    again, opened, big = (statistics.median(times[k]) for k in ("run_again", "reopen", "reopen_big"))
    print(f"reference run (benchmarks/hand_loop.py, whole process): {reference:.1f} s "
          f"(runs {', '.join(f'{r:.1f}' for r in references)}); medians of {args.repeats}, alternating; the demo "
          f"sweep trained in {trained:.1f} s\n")
    print("| finished sweep | `sweep.run` again | `load_sweep` + answer + DataFrames | ratio | / reference run |")
    print("|---|---|---|---|---|")
    print(f"| README demo (2 arms, 8 trials) | {again:.2f} s | {opened:.2f} s | {opened / again:.2f}x | "
          f"{opened / reference:.2f}x |")
    print(f"| report_speed's (24 arms, 720 trials) | - | {big:.2f} s | - | {big / reference:.2f}x |")


if __name__ == "__main__":
    main()
