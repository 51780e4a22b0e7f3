"""Sweep speed: workers, pruning, orchestration overhead. Prints a Markdown table.

    python benchmarks/sweep_speed.py [--repeats 1] [--skip workers,pruning,overhead]

1. Workers: the quickstart sweep (`lossbench run`: 8 arms on mnist1d, report included) with
   ``--workers 1`` and ``--workers 2``, alternating sides; target: 2 workers <= 0.75x the wall time of 1.
2. Pruning: one arm (ce/gru on mnist1d, hidden 32, 6 epochs), 20 trials, random sampler seeded alike,
   median pruner against none; compute = epochs trained in tuning; target >= 30% less, best val accuracy equal
   within noise.
3. Orchestration: a sweep of 1-epoch trials (mnist1d, hidden 32) run in-process on the journal; overhead = 1 - (time inside
   ``train``) / (wall time of the worker loop), the dataset loaded beforehand; target < 5%.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from table import options, print_table

WORKERS_ARGS = ["--preset", "quickstart", "--quiet"]  # the main job: 8 arms on mnist1d
PRUNING_ARGS = ["--dataset", "mnist1d", "--loss", "ce", "--cell", "gru", "--remedies", "none", "--trials", "20",
                "--epochs", "6", "--seeds", "1", "--set", "hidden=32", "--sampler", "random", "--quiet"]


def lossbench_run(args: list[str], out: Path, name: str) -> float:
    started = time.perf_counter()
    subprocess.run(["lossbench", "run", "--name", name, "--out", str(out), *args], check=True)
    return time.perf_counter() - started


def load(out: Path, name: str):
    from lossbench.results import read_sweep

    return read_sweep(name, str(out / name / "sweep.journal"))


def bench_workers(repeats: int, root: Path) -> list[tuple[str, str, str]]:
    times: dict[int, list[float]] = {1: [], 2: []}
    for r in range(repeats):
        for workers in ((1, 2) if r % 2 == 0 else (2, 1)):  # alternate which side runs first
            out = root / f"w{workers}-{r}"
            times[workers].append(lossbench_run([*WORKERS_ARGS, "--workers", str(workers)], out, "bench"))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return [("workers: wall time, 1 worker", f"{one:.1f} s", ""),
            ("workers: wall time, 2 workers", f"{two:.1f} s", ""),
            ("workers: 2 workers / 1 worker", f"{two / one:.2f}x", "<= 0.75x " + ("met" if two / one <= 0.75 else "NOT met"))]


def bench_pruning(repeats: int, root: Path) -> list[tuple[str, str, str]]:
    epochs: dict[str, list[int]] = {"median": [], "none": []}
    compute: dict[str, list[float]] = {"median": [], "none": []}
    walls: dict[str, list[float]] = {"median": [], "none": []}
    best: dict[str, list[float]] = {"median": [], "none": []}
    for r in range(repeats):
        for pruner in (("median", "none") if r % 2 == 0 else ("none", "median")):
            out = root / f"p-{pruner}-{r}"
            walls[pruner].append(lossbench_run([*PRUNING_ARGS, "--pruner", pruner, "--sampler-seed", str(r)], out, "bench"))
            arm = load(out, "bench").arms[0]
            tuned = [t for t in arm.tuning if t.state in ("COMPLETE", "PRUNED")]
            epochs[pruner].append(sum(len((t.result or {}).get("epochs", [])) for t in tuned))
            compute[pruner].append(sum(t.user_attrs["timing"]["train_seconds"] for t in tuned))
            best[pruner].append(max(t.value for t in tuned if t.value is not None))
    saved = 1 - sum(epochs["median"]) / sum(epochs["none"])
    wall_saved = 1 - sum(walls["median"]) / sum(walls["none"])
    seconds_saved = 1 - sum(compute["median"]) / sum(compute["none"])
    gap = statistics.fmean(best["median"]) - statistics.fmean(best["none"])
    return [("pruning: epochs trained, median / none", f"{sum(epochs['median'])} / {sum(epochs['none'])}", ""),
            ("pruning: compute saved (epochs)", f"{saved:.0%}", ">= 30% " + ("met" if saved >= 0.3 else "NOT met")),
            ("pruning: tuning time in train() saved", f"{seconds_saved:.0%}", ""),
            ("pruning: wall time saved (start-up and final phase included)", f"{wall_saved:.0%}", ""),
            ("pruning: best val accuracy, median / none",
             f"{statistics.fmean(best['median']):.4f} / {statistics.fmean(best['none']):.4f} (diff {gap:+.4f})",
             "equal within noise")]


def bench_overhead(root: Path) -> list[tuple[str, str, str]]:
    from lossbench.registry import load_registry
    from lossbench.results import Storage
    from lossbench.sweep import SweepSpec
    from lossbench.sweep.execution import Execution
    from lossbench.sweep.runner import ensure_spec
    from lossbench.sweep.trial import run_config
    from lossbench.sweep.worker import Worker

    import torch

    # The quickstart's configuration with 1-epoch trials.
    spec = SweepSpec(name="overhead", dataset="mnist1d", losses=("ce", "focal"), cells=("rnn", "gru"), remedy_sets=((),),
                     trials=6, epochs=1, seeds=2, hidden=(32,), pruner="none")
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # torch's one-time lazy imports are not orchestration
    registry = load_registry()
    storage = Storage(name=spec.name, out=str(root)).open()
    ensure_spec(storage, spec, {})
    worker = Worker(spec, storage, registry, Execution(workers=1, threads=1))
    worker._dataset(run_config(spec, spec.arms[0], {}, 0, False))  # data loading is not orchestration
    started = time.perf_counter()
    worker.run()
    wall = time.perf_counter() - started
    from lossbench.results import read_sweep

    data = read_sweep(spec.name, storage)
    inside = sum(t.user_attrs["timing"]["train_seconds"] for a in data.arms for t in [*a.tuning, *a.final]
                 if "timing" in t.user_attrs)
    overhead = 1 - inside / wall
    runs = sum(len(a.tuning) + len(a.final) for a in data.arms)
    return [("orchestration: runs, wall time, time in train()", f"{runs}, {wall:.1f} s, {inside:.1f} s", ""),
            ("orchestration: overhead", f"{overhead:.1%}", "< 5% " + ("met" if overhead < 0.05 else "NOT met"))]


def main() -> None:
    repeats, skip = options(__doc__, repeats=1)
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "overhead" not in skip:
            rows += bench_overhead(root / "o")
        if "workers" not in skip:
            rows += bench_workers(repeats, root)
        if "pruning" not in skip:
            rows += bench_pruning(repeats, root)
    print_table(rows)


if __name__ == "__main__":
    main()
