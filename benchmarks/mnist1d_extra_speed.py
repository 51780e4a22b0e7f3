"""What mnist1d's extra held-out signals cost: ``extra_val=4000, extra_test=20000`` made once, then read from the
cache, against the reference run (benchmarks/hand_loop.py: 10 epochs of a GRU of 128, one torch thread).

Each round, in processes of their own and in alternating order: the reference run; a process with an empty
cache that loads the standard dataset (make_dataset) and then the one with the extra signals (the generator's
loop for the standard split's statistics and for the 24000 signals); a process that loads the latter again from
the cache files. Prints one JSON line per round and a table.

    python benchmarks/mnist1d_extra_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from halving_speed import reference

EXTRA = {"extra_val": 4000, "extra_test": 20000}
CHILD = f"""
import json, time
from lossbench.registry import load_registry
spec = load_registry().get("datasets", "mnist1d")
started = time.perf_counter()
spec.load(**spec.resolve({{}}))
standard = time.perf_counter()
data = spec.load(**spec.resolve({EXTRA!r}))
assert (len(data.val), len(data.test)) == (4400, 21000)
print(json.dumps({{"standard": standard - started, "extra": time.perf_counter() - standard}}))
"""


def loading(cache: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LOSSBENCH_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def one_round(reference_first: bool) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        found = {}
        for step in (["reference", "made"] if reference_first else ["made", "reference"]):
            found[step] = reference() if step == "reference" else loading(cache)
        found["cached"] = loading(cache)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = []
    for index in range(args.rounds):
        rounds.append(one_round(index % 2 == 0))
        print(json.dumps(rounds[-1]), flush=True)
    median = statistics.median
    ref = median(r["reference"]["wall_seconds"] for r in rounds)
    made = median(r["made"]["extra"] for r in rounds)
    standard = median(r["made"]["standard"] for r in rounds)
    cached = median(r["cached"]["extra"] for r in rounds)
    print(f"\nreference run (10 epochs, one thread): {ref:.2f} s (median of {len(rounds)}; load average now "
          + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + ")")
    print("| mnist1d load | s (median) | x the reference run |\n|---|---|---|")
    for name, value in (("standard split, made (make_dataset)", standard),
                        ("+ extra_val 4000, extra_test 20000, made once", made),
                        ("+ the same extra signals, from the cache", cached)):
        print(f"| {name} | {value:.2f} | {value / ref:.2f} |")


if __name__ == "__main__":
    main()
