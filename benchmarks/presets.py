"""Every preset at its documented budget: wall time and what it found. Prints a Markdown table for benchmarks/README.md.

    python benchmarks/presets.py [NAME ...] [--out DIR]

Each preset runs as a user would run it (`lossbench run --preset NAME`, default options: workers auto, one torch
thread each), one after another on an otherwise idle machine; its report stays under DIR (default: a temporary
folder) for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from lossbench.sweep import PRESETS


def run(name: str, out: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run(["lossbench", "run", "--preset", name, "--out", str(out), "--quiet"], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - started
    document = json.loads((out / name / "results.json").read_text()) if (out / name / "results.json").exists() else {}
    return {"name": name, "seconds": seconds, "exit": done.returncode, "stderr": done.stderr.strip()[-300:],
            "claims": document.get("claims", []), "leaderboard": document.get("leaderboard", []),
            "findings": document.get("findings", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(PRESETS))
    parser.add_argument("--out")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="lossbench-presets-"))
    rows = []
    print(f"machine: {os.cpu_count()} cores; reports under {out}\n", flush=True)
    for name in args.names:
        row = run(name, out)
        rows.append(row)
        verdicts = "; ".join(f"{c['id']}: {c['verdict']}" for c in row["claims"]) or "(no claim)"
        best = ", ".join(f"{r['arm']} {r['test_accuracy']['mean']:.3f}" for r in row["leaderboard"]
                         if (r.get("test_accuracy") or {}).get("mean") is not None)
        print(f"| {name} | {row['seconds'] / 60:.1f} min (exit {row['exit']}) | {verdicts} | {best} |", flush=True)
    (out / "presets.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
