"""What running a one-worker sweep's trials in a child process costs, against running them in the command's own
process (what `--workers 1` did before a trial's SIGKILL could no longer take the command with it). Prints
Markdown for benchmarks/README.md.

    python benchmarks/worker_process.py [--repeats 3]

Each side runs in a fresh Python process (timed whole: start-up, imports, the data, the sweep; no report),
alternating which goes first, medians: ``in process`` runs the same steps as ``lossbench.sweep.run`` with the one
worker in this process; ``child`` is ``lossbench.sweep.run(workers=1)``, whose worker is a child process (Python,
torch and the plugins started again, the dataset loaded again and fingerprinted). The reference run
(benchmarks/hand_loop.py, whole process, one torch thread) is timed before and after. Two sweeps: digits (data loaded in
milliseconds) and mnist1d (about 0.65 s to make its data), 2 arms, one thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from table import wall

HERE = Path(__file__).parent
SWEEPS = {
    "digits (ce, focal on rnn, hidden 32, 6 trials + 2 seeds, 3 epochs)":
        {"dataset": "digits", "losses": ["ce", "focal"], "cells": ["rnn"], "hidden": 32, "trials": 6, "seeds": 2,
         "epochs": 3},
    "mnist1d (ce, focal on gru, hidden 32, 2 trials + 2 seeds, 3 epochs)":
        {"dataset": "mnist1d", "losses": ["ce", "focal"], "cells": ["gru"], "hidden": 32, "trials": 2, "seeds": 2,
         "epochs": 3},
}


def in_process(fields: dict, out: str) -> None:
    """The sweep with its one worker in this process: ``lossbench.sweep.run``'s steps, without the child."""
    import torch

    from lossbench.registry import load_registry
    from lossbench.results import Storage
    from lossbench.sweep import build_spec
    from lossbench.sweep.execution import plan
    from lossbench.sweep.probe import probe_data
    from lossbench.sweep.provenance import INPUTS, inputs_identity, provenance
    from lossbench.sweep.runner import ensure_spec
    from lossbench.sweep.validate import check
    from lossbench.sweep.worker import Worker

    registry = load_registry()
    spec = check(build_spec(fields, {}), registry)
    data = probe_data(spec, registry)
    store = Storage(name=spec.name, out=out)
    execution = plan(spec, 1, 1, "cpu", None)
    record = {**provenance(spec, registry, store.describe(), execution, data.info),
              INPUTS: inputs_identity(spec, registry, data)}
    optuna_storage = store.open()
    ensure_spec(optuna_storage, spec, record)
    torch.set_num_threads(execution.threads)
    Worker(spec, optuna_storage, registry, execution, 0, data=data).run()


def child(fields: dict, out: str) -> None:
    from lossbench import sweep

    sweep.run(fields, out=out, workers=1, threads=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--side", choices=["in_process", "child"])  # internal: one side, in this process
    parser.add_argument("--sweep", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.side:
        fields = {"name": "bench", **list(SWEEPS.values())[args.sweep]}
        (in_process if args.side == "in_process" else child)(fields, args.out)
        return
    references = [wall([sys.executable, str(HERE / "hand_loop.py")])]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for index, label in enumerate(SWEEPS):
            times: dict[str, list[float]] = {"in_process": [], "child": []}
            for r in range(args.repeats):
                for side in (("in_process", "child") if r % 2 == 0 else ("child", "in_process")):
                    out = str(Path(folder) / f"{index}-{side}-{r}")
                    times[side].append(wall([sys.executable, __file__, "--side", side, "--sweep", str(index),
                                             "--out", out]))
            rows.append((label, statistics.median(times["in_process"]), statistics.median(times["child"])))
    references.append(wall([sys.executable, str(HERE / "hand_loop.py")]))
    reference = statistics.median(references)
    print(f"reference run (benchmarks/hand_loop.py, whole process): {reference:.1f} s "
          f"(runs {', '.join(f'{r:.1f}' for r in references)}); medians of {args.repeats}, alternating\n")
    print("| sweep, 1 worker | in process | child process | cost per sweep | ratio | cost / reference run |")
    print("|---|---|---|---|---|---|")
    for label, here, there in rows:
        print(f"| {label} | {here:.1f} s | {there:.1f} s | {there - here:+.1f} s | {there / here:.2f}x | "
              f"{(there - here) / reference:+.2f}x |")


if __name__ == "__main__":
    main()
