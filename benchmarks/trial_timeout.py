"""What a per-trial time limit costs: the same sweep with and without ``--trial-timeout``. Prints a Markdown table.

    python benchmarks/trial_timeout.py [--repeats 3] [--workers 1] [--epochs 3]

With a limit, every worker runs as a child process watched by the command (a hung trial is ended by killing its
worker), so worker 0 no longer runs in the command's own process: one more process start (Python, torch, the
plugins), a second load of the dataset, and a watcher reading storage every half second. The sweep: 2 arms on
digits (ce and focal on rnn, hidden 32, 6 trials + 2 seeds each, 3 epochs unless told), no limit reached;
alternating sides, median wall time of the whole command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ARGS = ["--dataset", "digits", "--loss", "ce", "--loss", "focal", "--cell", "rnn", "--remedies", "none",
        "--set", "hidden=32", "--trials", "6", "--seeds", "2", "--quiet"]


def wall_time(out: Path, workers: int, epochs: int, limit: bool) -> float:
    started = time.perf_counter()
    subprocess.run(["lossbench", "run", "--name", "bench", "--out", str(out), "--workers", str(workers), *ARGS,
                    "--epochs", str(epochs), *(["--trial-timeout", "600"] if limit else [])], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.repeats):
            for limit in ((False, True) if r % 2 == 0 else (True, False)):  # alternate which side runs first
                times[limit].append(wall_time(Path(folder) / f"{int(limit)}-{r}", args.workers, args.epochs, limit))
    plain, limited = statistics.median(times[False]), statistics.median(times[True])
    print(f"| sweep ({args.workers} worker(s), {args.epochs} epochs, median of {args.repeats}) | wall time |")
    print("|---|---|")
    print(f"| no limit | {plain:.1f} s |")
    print(f"| `--trial-timeout 600` (never reached) | {limited:.1f} s ({limited / plain:.2f}x, "
          f"{limited - plain:+.1f} s) |")


if __name__ == "__main__":
    main()
