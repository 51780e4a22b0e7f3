"""Would larger held-out sets decide the quickstart's GRU pairs equivalent? (items 1-2 of the held-out study)

Trains arms of the default quickstart at a screen point each (``KEY@INDEX``: halving_arms.py's screen points) on
the standard mnist1d split (3600 training, 400 validation signals, seed 42), seeds 1000.., every epoch up to
--epochs with no patience stop, one torch thread, and after each epoch evaluates the model on
  - the standard 400 validation signals (the engine's ``val_accuracy``) and 1000 test signals,
  - --val-samples (4000) extra validation signals, generator seed --val-seed (1),
  - --test-samples (20000) extra test signals, generator seed --test-seed (2),
the extra ones from mnist1d's own generator on the standard scale (heldout_data.py), stored as correct counts per
chunk of 1000, so that the tables (heldout_tables.py) can select each run's best epoch with any validation set
(400, 2000, 4000 or 4400) and test it on any test set (the standard 1000; 1000, 2000, 5000 or 20000 extra).

    cd benchmarks
    python heldout.py --out gru.json                     # the four GRU arms, 7 seeds, 60 epochs
    python heldout.py --arm ce:gru:none@2 --arm ce:gru:clip_norm+orthogonal_init@2 --out a.json  # or in shares,
    python heldout.py --arm focal:gru:none@2 --arm focal:gru:clip_norm+orthogonal_init@2 --out b.json  # then
    python heldout_tables.py --join gru.json a.json b.json                                       # joins them
    python heldout.py --rnn --out rnn.json               # the tanh RNN pair at lr 7.9e-4, 5 seeds, 40 epochs
    python heldout_tables.py data/heldout/gru.json data/heldout/rnn.json   # the tables again, no training

The extra evaluation (25000 signals) takes about as long as the epoch's training: 0.25-0.6 s each per GRU epoch
on one thread. The 28 GRU runs took 18 minutes in two processes (load average 3-5 on 2 cores), the 10 RNN runs 4.
A run finished is saved at once; started again with the same --out, the script skips the runs it holds.
benchmarks/data/heldout/ holds the measured counts (gru.json, rnn.json; 2026-12-06).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from halving_arms import SPEC, Runner, config_for, quickstart_arms, save
from heldout_data import check_replica, extra_signals

GRU_ARMS = ("ce:gru:none@2", "ce:gru:clip_norm+orthogonal_init@2", "focal:gru:none@2",
            "focal:gru:clip_norm+orthogonal_init@2")  # lr 1.26e-2 for all four
RNN_ARMS = ("ce:rnn:none@1", "ce:rnn:clip_norm+orthogonal_init@1")  # lr 7.9e-4 for both
CHUNK = 1000


@torch.inference_mode()
def correct_counts(model: Any, x: torch.Tensor, y: torch.Tensor) -> list[int]:
    """Correctly classified signals of each chunk of CHUNK (the model's eval mode; the engine's next epoch puts
    it back in training mode)."""
    model.eval()
    return [int((model(x[i:i + CHUNK]).argmax(1) == y[i:i + CHUNK]).sum()) for i in range(0, len(x), CHUNK)]


def train_run(runner: Runner, arm: Any, params: dict, seed: int, epochs: int, held: dict) -> dict:
    run = runner.prepare(config_for(arm, params, seed, epochs))
    model, test = run.trainer.model, run.trainer.test_set
    record = {"seed": seed, "val400": [], "test1000": [], "val_extra": [], "test_extra": [], "extra_seconds": []}

    def on_epoch(epoch: Any) -> None:
        started = time.perf_counter()
        record["val400"].append(epoch.val_accuracy)
        record["test1000"].append(sum(correct_counts(model, test.x, test.y)))
        record["val_extra"].append(correct_counts(model, *held["val"]))
        record["test_extra"].append(correct_counts(model, *held["test"]))
        record["extra_seconds"].append(round(time.perf_counter() - started, 4))

    result = run.fit(on_epoch)
    record["status"] = result.status
    record["seconds"] = [round(e.seconds, 4) for e in result.epochs]  # training and the 400 validation signals
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arm", action="append", metavar="KEY@INDEX", help="default: the four GRU arms")
    parser.add_argument("--rnn", action="store_true", help="the tanh RNN pair (5 seeds, 40 epochs by default)")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--val-seed", type=int, default=1)
    parser.add_argument("--val-samples", type=int, default=4000)
    parser.add_argument("--test-seed", type=int, default=2)
    parser.add_argument("--test-samples", type=int, default=20000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    names = args.arm or list(RNN_ARMS if args.rnn else GRU_ARMS)
    seeds = args.seeds or (5 if args.rnn else 7)
    epochs = args.epochs or (40 if args.rnn else 60)
    if args.val_samples % CHUNK or args.test_samples % CHUNK:
        parser.error(f"--val-samples and --test-samples are counted in chunks of {CHUNK}")

    runner = Runner()
    check_replica()
    held = {}
    for name, seed, samples in (("val", args.val_seed, args.val_samples), ("test", args.test_seed, args.test_samples)):
        started = time.perf_counter()
        x, y = extra_signals(seed, samples)
        held[name] = (torch.as_tensor(x), torch.as_tensor(y))
        sys.stderr.write(f"{samples} extra {name} signals (seed {seed}): {time.perf_counter() - started:.1f} s, "
                         f"classes {np.bincount(y).tolist()}\n")
    out = Path(args.out)
    document = json.loads(out.read_text()) if out.exists() else {
        "epochs": epochs, "chunk": CHUNK, "val400": 400, "test1000": 1000,
        "val_extra": {"seed": args.val_seed, "samples": args.val_samples},
        "test_extra": {"seed": args.test_seed, "samples": args.test_samples}, "arms": []}
    screen = {arm.key: (arm, points) for arm, points in quickstart_arms(runner.registry)}
    for name in names:
        key, _, index = name.partition("@")
        arm, points = screen[key]
        params = points[int(index)]
        entry = next((a for a in document["arms"] if a["arm"] == name), None)
        if entry is None:
            entry = {"arm": name, "loss": arm.loss, "cell": arm.cell, "remedies": list(arm.remedies),
                     "params": params, "runs": []}
            document["arms"].append(entry)
        for seed in SPEC.final_seeds[:seeds]:
            if any(r["seed"] == seed for r in entry["runs"]):
                continue
            started = time.perf_counter()
            entry["runs"].append(train_run(runner, arm, params, seed, epochs, held))
            r = entry["runs"][-1]
            sys.stderr.write(f"{name} seed {seed}: {r['status']}, val {r['val400'][-1]:.3f} test "
                             f"{r['test1000'][-1] / 1000:.3f} extra {sum(r['test_extra'][-1]) / args.test_samples:.4f}"
                             f" ({time.perf_counter() - started:.0f} s)\n")
            save(str(out), document)


if __name__ == "__main__":
    main()
