"""Start-up time of the CLI (issue: foundation). Targets: `lossbench --help` within 0.3 s and
`lossbench plugins` within 0.8 s, median of several runs. The two commands alternate.
    python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {"lossbench --help": ["--help"], "lossbench plugins": ["plugins"]}
TARGETS = {"lossbench --help": 0.3, "lossbench plugins": 0.8}


def main(runs: int = 15) -> None:
    executable = shutil.which("lossbench")
    if executable is None:
        sys.exit("lossbench is not on PATH: pip install -e . first")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs + 1):  # the first round warms the file cache and is dropped
        for name, args in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run([executable, *args], check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    print("| command | median (s) | min (s) | target (s) |")
    print("|---|---|---|---|")
    for name, samples in times.items():
        samples = samples[1:]
        print(f"| `{name}` | {statistics.median(samples):.3f} | {min(samples):.3f} | {TARGETS[name]} |")
    print(f"\n{runs} runs each, alternating.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
