"""Seconds per epoch of each default-quickstart arm at its tuned configuration, one torch thread, in units of the
reference run (benchmarks/hand_loop.py: 10 epochs of a GRU of 128, one torch thread), run before and after.

The arms are trained --epochs epochs each (3) in --rounds rounds (3), the arm order reversed every other round
so that a change in the machine's load falls on every arm alike; each epoch's wall seconds (the engine's:
training and validation) and the CPU seconds of each fit are recorded. The load average before and after says
how busy the machine was: wall over CPU time above 1 is time spent waiting for a core.

    python benchmarks/halving_speed.py --tuned RESULTS.json [--rounds 3] [--epochs 3]   # about 1 CPU minute
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from halving_arms import SPEC, Runner, config_for, tuned_params

HERE = Path(__file__).parent


def reference() -> dict:
    """benchmarks/hand_loop.py in a process of its own with one torch thread: its training seconds and the whole
    process's wall seconds (imports and data included)."""
    started = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(HERE / "hand_loop.py")], env=env, capture_output=True, text=True,
                          check=True)  # torch takes its thread count from OMP_NUM_THREADS
    return {**json.loads(done.stdout), "process_seconds": time.perf_counter() - started,
            "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    params = tuned_params(args.tuned)
    before = reference()
    runner = Runner()
    wall: dict[str, list[float]] = {arm.key: [] for arm in SPEC.arms}
    cpu: dict[str, list[float]] = {arm.key: [] for arm in SPEC.arms}
    for round_ in range(args.rounds):
        for arm in SPEC.arms if round_ % 2 == 0 else SPEC.arms[::-1]:
            run = runner.prepare(config_for(arm, params[arm.key], SPEC.final_seeds[0], args.epochs))
            started = time.process_time()
            result = run.fit()
            cpu[arm.key].append((time.process_time() - started) / len(result.epochs))
            wall[arm.key] += [e.seconds for e in result.epochs]
    after = reference()
    ref_epoch = statistics.median([before["wall_seconds"], after["wall_seconds"]]) / 10
    print("| reference run (hand_loop.py, 10 epochs, one thread) | training s | whole process s | load average "
          "(1, 5, 15 min) |\n|---|---|---|---|")
    for name, r in (("before", before), ("after", after)):
        print(f"| {name} | {r['wall_seconds']:.2f} | {r['process_seconds']:.2f} | "
              + ", ".join(f"{v:.1f}" for v in r["load"]) + " |")
    print("\n| arm | tuned lr | wall s per epoch (median) | CPU s per epoch | epochs per reference run |\n"
          "|---|---|---|---|---|")
    for arm in SPEC.arms:
        w = statistics.median(wall[arm.key])
        print(f"| {arm.key} | {params[arm.key]['lr']:.2g} | {w:.3f} | {statistics.median(cpu[arm.key]):.3f} | "
              f"{10 * ref_epoch / w:.1f} |")
    print(json.dumps({"before": before, "after": after, "wall": wall, "cpu": cpu}))


if __name__ == "__main__":
    main()
