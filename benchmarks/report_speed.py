"""How long a full report takes for a large stored sweep: 24 arms x (20 tuning trials + 10 final seeds).

The sweep is made synthetically in real Optuna storage (a journal file, as ``lossbench run`` writes it), with
user attrs shaped like a real run's (``lossbench/results/schema.py``, ``RunResult.to_json()``): 10 epochs,
40 time steps, 400 gradient norms per run, flow profiles at initialisation and at the end. Nothing trains.

    python benchmarks/report_speed.py [--repeat 3]

Prints a Markdown table (median of the repeats).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

LOSSES = ("ce", "focal", "bce", "label_smoothing")
CELLS = ("rnn", "gru", "lstm")
REMEDY_SETS = ((), ("clip_norm", "orthogonal_init"))
TRIALS, SEEDS, EPOCHS, STEPS_PER_EPOCH, SEQ_LEN = 20, 10, 10, 40, 40
NAME = "bench"


def run_result(rng: np.random.Generator, lr: float, seed: int, skill: float, flow: bool) -> dict:
    curve = np.clip(skill * (1 - np.exp(-np.arange(1, EPOCHS + 1) / 3)) + rng.normal(0, 0.01, EPOCHS), 0, 1)
    norms = np.abs(rng.lognormal(0, 0.5, EPOCHS * STEPS_PER_EPOCH))
    decay = 10.0 ** -rng.uniform(1, 20)
    profile = list(np.geomspace(decay, 1.0, SEQ_LEN))
    epochs = [{"epoch": e + 1, "train_loss": float(2.3 * (1 - c)), "val_accuracy": float(c),
               "val_nll": float(2.3 * (1 - c)), "seconds": 0.6} for e, c in enumerate(curve)]
    return {"schema": "lossbench.run/1", "config": {"lr": lr, "seed": seed, "epochs": EPOCHS}, "params": {},
            "status": "completed", "diverged_at": None, "epochs": epochs,
            "test": {"accuracy": float(curve[-1]), "nll": float(2.3 * (1 - curve[-1])), "ece": 0.03},
            "grad_norms": [float(n) for n in norms], "clipped_steps": int((norms > 1.5).sum()),
            "flow": {"profiles": {"0": profile, str(EPOCHS): profile},
                     "vanishing_ratio": {"0": decay, str(EPOCHS): decay * 10}} if flow else {},
            "seconds_per_epoch": 0.6, "wall_seconds": 6.0, "peak_memory_mb": 300.0,
            "environment": {"torch": "2.13.0+cpu", "python": "3.11", "device": "x86_64", "threads": 2},
            "dataset_info": {"seq_len": SEQ_LEN}, "steps": len(norms), "clip_rate": float((norms > 1.5).mean())}


def make_sweep(journal: str) -> int:
    """Write the sweep into ``journal``; the number of trials stored."""
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.storages.journal import JournalFileBackend

    from lossbench.results.schema import FINAL, TUNE, arm_key, spec_study, study_name

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(JournalFileBackend(journal))
    spec = {"name": NAME, "dataset": "mnist1d", "dataset_params": {}, "losses": list(LOSSES), "cells": list(CELLS),
            "remedy_sets": [list(s) for s in REMEDY_SETS], "fixed": {}, "space": {}, "trials": TRIALS,
            "epochs": EPOCHS, "seeds": SEEDS, "hidden": [64], "batch_size": 100, "optimizer": "adam",
            "sampler": "tpe", "pruner": "median", "objective": "val_accuracy", "sampler_seed": 0}
    spec_holder = optuna.create_study(study_name=spec_study(NAME), storage=storage)
    spec_holder.set_user_attr("spec", spec)
    spec_holder.set_user_attr("provenance", {"lossbench": "bench", "torch": "2.13.0+cpu", "optuna": optuna.__version__,
                                             "storage": journal, "sampler_seed": 0})
    rng = np.random.default_rng(0)
    stored = 0
    for loss in LOSSES:
        for cell in CELLS:
            for remedies in REMEDY_SETS:
                key = arm_key(loss, cell, remedies)
                skill = rng.uniform(0.2, 0.97)
                distributions = {"lr": FloatDistribution(1e-4, 1e-1, log=True),
                                 "x.width": FloatDistribution(0.0, 1.0)}
                tune = optuna.create_study(study_name=study_name(NAME, key, TUNE), storage=storage, direction="maximize")
                trials = []
                for number in range(TRIALS):
                    lr = float(10 ** rng.uniform(-4, -1))
                    diverged = lr > 0.05 and cell == "rnn"
                    result = run_result(rng, lr, number, skill * (1 - abs(np.log10(lr) + 2.5) / 3), flow=False)
                    status = "diverged" if diverged else "completed"
                    result["status"] = status
                    trials.append(optuna.trial.create_trial(
                        params={"lr": lr, "x.width": float(rng.uniform())}, distributions=distributions,
                        value=0.0 if diverged else result["epochs"][-1]["val_accuracy"],
                        user_attrs={"arm": key, "phase": TUNE, "seed": number, "status": status, "result": result,
                                    "timing": {"train_seconds": 6.0}}))
                tune.add_trials(trials)
                best = max(trials, key=lambda t: t.value)
                final = optuna.create_study(study_name=study_name(NAME, key, FINAL), storage=storage,
                                            direction="maximize")
                finals = []
                for i in range(SEEDS):
                    seed = 1000 + i
                    result = run_result(rng, best.params["lr"], seed, skill, flow=True)
                    finals.append(optuna.trial.create_trial(
                        value=result["epochs"][-1]["val_accuracy"],
                        user_attrs={"arm": key, "phase": FINAL, "seed": seed, "status": "completed",
                                    "result": result, "params": dict(best.params), "best_trial": best.number}))
                final.add_trials(finals)
                stored += len(trials) + len(finals)
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from rich.console import Console

    from lossbench.report import read_sweep as load_report_sweep
    from lossbench.report import write
    from lossbench.results import read_sweep

    with tempfile.TemporaryDirectory() as folder:
        journal = str(Path(folder) / "sweep.journal")
        started = time.perf_counter()
        stored = make_sweep(journal)
        made = time.perf_counter() - started
        loads, builds = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            read_sweep(NAME, journal)
            loads.append(time.perf_counter() - started)
            started = time.perf_counter()
            paths = write(load_report_sweep(NAME, storage=journal), ["all"], folder=Path(folder) / "out",
                          console=Console(file=io.StringIO()))
            builds.append(time.perf_counter() - started)
        size = Path(journal).stat().st_size / 1e6
        html = paths["html"].stat().st_size / 1e6
        plots = len(list((Path(folder) / "out" / "plots").glob("*.png")))
    arms = len(LOSSES) * len(CELLS) * len(REMEDY_SETS)
    print(f"| report of a stored sweep ({os.cpu_count()} CPUs) | value |")
    print("|---|---|")
    print(f"| arms x (tuning trials + final seeds) | {arms} x ({TRIALS} + {SEEDS}) = {stored} trials |")
    print(f"| journal size | {size:.1f} MB (written in {made:.1f} s) |")
    print(f"| read the sweep back (`read_sweep`) | {statistics.median(loads):.2f} s |")
    what = f"terminal, md, html ({html:.1f} MB, {plots} plots), results.json, trials.csv, importances"
    print(f"| full report, first build in the process (imports included): {what} | {builds[0]:.2f} s |")
    print(f"| full report, median of {args.repeat} | {statistics.median(builds):.2f} s |")


if __name__ == "__main__":
    main()
