"""Does the default `lossbench run` decide, and at what cost? Prints Markdown for benchmarks/README.md (issues 18 and 28).

    python benchmarks/deciding.py [--out DIR] [--spec FILE.toml] [--converged] [-- EXTRA RUN OPTIONS]

1. The reference run (benchmarks/hand_loop.py: a plain 10-epoch GRU, whole process, one torch thread), the
   sweep as a user runs it (`lossbench run`, default options, report included; with --spec, `lossbench run
   FILE.toml`, e.g. examples/italy_power.toml), then the reference run again: the sweep's time over the median
   reference (the quickstart's target: at most 15x), and how many comparisons its results.json decided.
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

from lossbench.decisions import DECIDED
from table import wall

HERE = Path(__file__).parent


def sweep_name(spec: str | None, extra: list[str]) -> str:
    """The folder under --out the sweep writes: a ``--name`` among the extra options, else the spec's ``name``
    (default: the file's stem), or quickstart."""
    if "--name" in extra[:-1]:
        return extra[extra.index("--name") + 1]
    if spec is None:
        return "quickstart"
    from lossbench.sweep.inputs import load_toml

    return load_toml(spec)["name"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out")
    parser.add_argument("--spec", help="a sweep spec (TOML) to run instead of the quickstart")
    parser.add_argument("--converged", action="store_true")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="lossbench-deciding-"))
    name = sweep_name(args.spec, args.extra)
    command = ["lossbench", "run", *([args.spec] if args.spec else []), "--out", str(out), "--quiet", *args.extra]
    references = [wall([sys.executable, str(HERE / "hand_loop.py")])]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    references.append(wall([sys.executable, str(HERE / "hand_loop.py")]))
    reference = statistics.median(references)
    results = out / name / "results.json"
    if not results.is_file():
        sys.exit(f"{' '.join(command)} exited {done.returncode} without {results}:\n{done.stderr[-2000:]}")
    document = json.loads(results.read_text())
    decisions = document["decisions"]
    decided = [d for d in decisions if d["kind"] in DECIDED]
    quickstart = args.spec is None
    shown = "`lossbench run` (the quickstart" if quickstart else f"`lossbench run {args.spec}` ({name}"
    print(f"| measurement | value | target |\n|---|---|---|")
    print(f"| reference run (hand-written 10-epoch GRU, whole process, one torch thread; runs "
          f"{', '.join(f'{r:.1f}' for r in references)}) | {reference:.1f} s | |")
    print(f"| {shown}, defaults, report included; exit {done.returncode}) | {seconds:.0f} s | |")
    ratio = seconds / reference
    print(f"| {'quickstart' if quickstart else name} / reference | {ratio:.1f}x | "
          f"<= 15x {'met' if ratio <= 15 else 'NOT met'} |")
    target = f">= 3 {'met' if len(decided) >= 3 else 'NOT met'}" if quickstart else ""
    print(f"| comparisons decided | {len(decided)} of {len(decisions)} | {target} |")
    race = document.get("race") or {}
    print(f"| seeds per arm (the race) | {race.get('arms') or race.get('seeds')} | |\n")
    for d in decisions:
        interval = d["interval"] and f"[{d['interval'][0]:+.3f}, {d['interval'][1]:+.3f}]"
        print(f"- {d['kind']}: {d['arm']} vs {d['other']} ({d['factor']}) {d['difference']:+.3f} {interval}, "
              f"{d['seeds']} seeds: {d['why']}")
    if args.converged:
        print(flush=True)
        subprocess.run([sys.executable, str(HERE / "converged_check.py"), str(results)], check=True)


if __name__ == "__main__":
    main()
