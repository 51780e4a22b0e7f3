"""Does the default `lossbench run` decide, and at what cost? Prints Markdown for benchmarks/README.md (issue 18).

    python benchmarks/deciding.py [--out DIR] [--converged] [-- EXTRA RUN OPTIONS]

1. The reference run (benchmarks/hand_loop.py: a plain 10-epoch GRU, whole process), the quickstart as a user
   runs it (`lossbench run`, default options, report included), then the reference run again: the quickstart's
   time over the median reference (target: at most 15x), and how many comparisons its results.json decided.
2. With --converged: benchmarks/converged_check.py on that results.json (every decided comparison against the
   same arms trained to convergence by a hand-written loop; target: none contradicted).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out")
    parser.add_argument("--converged", action="store_true")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="lossbench-deciding-"))
    references = [wall([sys.executable, str(HERE / "hand_loop.py")])]
    started = time.perf_counter()
    done = subprocess.run(["lossbench", "run", "--out", str(out), "--quiet", *args.extra], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - started
    references.append(wall([sys.executable, str(HERE / "hand_loop.py")]))
    reference = statistics.median(references)
    results = out / "quickstart" / "results.json"
    document = json.loads(results.read_text())
    decisions = document["decisions"]
    decided = [d for d in decisions if d["kind"] != "open"]
    print(f"| measurement | value | target |\n|---|---|---|")
    print(f"| reference run (hand-written 10-epoch GRU, whole process; runs {', '.join(f'{r:.1f}' for r in references)}) "
          f"| {reference:.1f} s | |")
    print(f"| `lossbench run` (the quickstart, defaults, report included; exit {done.returncode}) | {seconds:.0f} s | |")
    print(f"| quickstart / reference | {seconds / reference:.1f}x | <= 15x {'met' if seconds / reference <= 15 else 'NOT met'} |")
    print(f"| comparisons decided | {len(decided)} of {len(decisions)} | >= 3 {'met' if len(decided) >= 3 else 'NOT met'} |")
    race = document.get("race") or {}
    print(f"| seeds per arm (the race) | {race.get('arms') or race.get('seeds')} | |\n")
    for d in decisions:
        interval = d["interval"] and f"[{d['interval'][0]:+.3f}, {d['interval'][1]:+.3f}]"
        print(f"- {d['kind']}: {d['arm']} vs {d['other']} ({d['factor']}) {d['difference']:+.3f} {interval}, "
              f"{d['seeds']} seeds: {d['why']}")
    if args.converged:
        print()
        subprocess.run([sys.executable, str(HERE / "converged_check.py"), str(results)], check=True)


if __name__ == "__main__":
    main()
