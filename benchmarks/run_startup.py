"""What a `lossbench run` costs beyond its training: a finished tiny sweep resumed (`lossbench run NAME`: nothing to
train, the report written), and a fresh tiny sweep (digits, one arm, hidden 8, 2 epochs, 2 trials + 2 seeds).
Prints Markdown for benchmarks/README.md.

    python benchmarks/run_startup.py [--repeats 5] [--against OLD_CHECKOUT]

Each command is timed whole, as a test or a user pays it. With ``--against``, the same commands run alternately
with an older checkout's ``lossbench`` put first on PYTHONPATH (``git archive REV | tar -x -C DIR``: its worker
processes inherit it), so both sides see the same load; medians, and the ratio of the medians. The reference run
(benchmarks/hand_loop.py, one torch thread) is timed before and after, and the load average is printed: on a
shared machine the absolute times move with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import wall

HERE = Path(__file__).parent
TINY = ["--dataset", "digits", "--loss", "ce", "--cell", "gru", "--remedies", "none", "--set", "hidden=8",
        "--epochs", "2", "--trials", "2", "--seeds", "2", "--quiet"]


def timed(args: list[str], cwd: Path, checkout: str | None) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if checkout:
        env["PYTHONPATH"] = checkout
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lossbench", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"lossbench {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", help="an older checkout's root, to alternate with this one")
    parser.add_argument("--this", help="this side's checkout root (default: the installed lossbench)")
    args = parser.parse_args()
    sides = {"this": args.this and str(Path(args.this).resolve()), **({"against": str(Path(args.against).resolve())} if args.against else {})}
    reference = [wall([sys.executable, str(HERE / "hand_loop.py")])]
    load = [os.getloadavg()[0]]
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for side, checkout in sides.items():  # each side's finished sweep, trained by its own code
            (root / side).mkdir()
            timed(["run", "--name", "done", *TINY], root / side, checkout)
        for round_ in range(args.repeats):
            order = list(sides.items()) if round_ % 2 == 0 else list(reversed(sides.items()))
            for side, checkout in order:
                times.setdefault(("resume", side), []).append(timed(["run", "done"], root / side, checkout))
                fresh = ["run", "--name", f"fresh{round_}", *TINY]
                times.setdefault(("fresh", side), []).append(timed(fresh, root / side, checkout))
                shutil.rmtree(root / side / "results" / f"fresh{round_}")
    reference.append(wall([sys.executable, str(HERE / "hand_loop.py")]))
    load.append(os.getloadavg()[0])
    print("| command | side | median (s) | min (s) | max (s) |\n|---|---|---|---|---|")
    for (what, side), samples in times.items():
        command = "`lossbench run done` (finished)" if what == "resume" else "`lossbench run ...` (fresh tiny sweep)"
        print(f"| {command} | {side} | {statistics.median(samples):.2f} | {min(samples):.2f} | {max(samples):.2f} |")
    if args.against:
        for what in ("resume", "fresh"):
            ratio = statistics.median(times[what, "this"]) / statistics.median(times[what, "against"])
            print(f"\n{what}: this / against = {ratio:.2f}x (medians)")
    print(f"\n{args.repeats} rounds, sides alternated; reference run (hand_loop.py, one torch thread) "
          f"{reference[0]:.1f} s before, {reference[1]:.1f} s after; load average {load[0]:.1f} before, "
          f"{load[1]:.1f} after.")


if __name__ == "__main__":
    main()
