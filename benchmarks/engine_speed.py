"""Engine speed, memory and accuracy against a hand-written PyTorch loop (issue: training engine).

Reference: mnist1d, gru, hidden 128, 1 layer, Adam lr 0.01, batch 100, 10 epochs, ce, seed 0.
Each side runs in its own process (so peak memory is its own), alternating, ROUNDS times; medians.
Every side runs with the same number of torch threads (OMP_NUM_THREADS=THREADS, default 1: lossbench's own
default): the thread count changes both the speed and the float results, so unequal counts compare nothing.
    python benchmarks/engine_speed.py [ROUNDS] [THREADS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
TRAIN = ["lossbench", "train", "--dataset", "mnist1d", "--cell", "gru", "--loss", "ce", "--hidden", "128",
         "--lr", "0.01", "--batch-size", "100", "--epochs", "10", "--seed", "0", "--json"]
SIDES = {
    "hand loop": [sys.executable, str(HERE / "hand_loop.py")],
    "lossbench, no flow profile": [*TRAIN, "--no-flow-profile"],
    "lossbench, flow profile": TRAIN,
}


def measure(command: list[str], threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    data = json.loads(out)
    accuracy = data["test"]["accuracy"] if "test" in data else data["test_accuracy"]
    return {"seconds": data["wall_seconds"], "memory": data["peak_memory_mb"], "accuracy": accuracy}


def main(rounds: int = 5, threads: int = 1) -> None:
    measure(SIDES["hand loop"], threads)  # warm the dataset cache and the file system
    samples: dict[str, list[dict]] = {side: [] for side in SIDES}
    for _ in range(rounds):
        for side, command in SIDES.items():
            samples[side].append(measure(command, threads))
    hand = {k: statistics.median(s[k] for s in samples["hand loop"]) for k in ("seconds", "memory")}
    print(f"| side | training wall time (s) | ratio | peak memory (MiB) | ratio | test accuracy |")
    print(f"|---|---|---|---|---|---|")
    for side, runs in samples.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        memory = statistics.median(r["memory"] for r in runs)
        accuracy = statistics.median(r["accuracy"] for r in runs)
        print(f"| {side} | {seconds:.2f} | {seconds / hand['seconds']:.3f}x | {memory:.0f} | "
              f"{memory / hand['memory']:.2f}x | {accuracy:.3f} |")
    print(f"\n{threads} torch thread(s) on every side; {rounds} rounds, alternating, median of each; "
          "training time excludes start-up and data loading (the same for both sides).")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
