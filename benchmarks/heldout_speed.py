"""What larger held-out sets cost (item 3 of the held-out study), against the reference run
(benchmarks/hand_loop.py: 10 epochs of a GRU of 128, one torch thread), run before and after.

- Generating extra mnist1d signals, once per process (heldout_data.extra_signals: the generator's loop and the
  scaling; the standard split's statistics computed beforehand), for 2000, 4000 and 20000 signals; and
  make_dataset's standard 5000 for comparison.
- Each epoch's validation: the quickstart's GRU arm (ce:gru:none, lr 1.26e-2) and tanh RNN arm (ce:rnn:none,
  lr 7.9e-4) trained --epochs epochs (3) with the standard 400 validation signals, 400 + 2000 and 400 + 4000
  extra ones, in --rounds rounds (3), the order reversed every other round; the engine's seconds per epoch
  (training and validation) and the seconds of one evaluation of the validation set alone.
- Testing once per run: one evaluation of the standard 1000 test signals and of 20000 extra ones.

    python benchmarks/heldout_speed.py [--rounds 3] [--epochs 3] [--out speed.json]   # about 3 minutes
    python benchmarks/heldout_speed.py --from benchmarks/data/heldout/speed.json         # the tables again

benchmarks/data/heldout/speed.json: --rounds 3 --epochs 5, 2026-12-06.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

import numpy as np

from halving_arms import SPEC, Runner, config_for, quickstart_arms
from halving_speed import reference
from heldout_data import standard_stats, timed_extra

from lossbench.api.data import Split
from lossbench.engine import prepare

ARMS = (("ce:gru:none", 2), ("ce:rnn:none", 1))
VAL_EXTRA = (0, 2000, 4000)


def generation(rounds: int) -> dict[str, list[float]]:
    from mnist1d.data import get_dataset_args, make_dataset

    standard_stats()
    out: dict[str, list[float]] = {"make_dataset 5000 (standard)": []}
    out.update({f"extra {n}": [] for n in (2000, 4000, 20000)})
    for _ in range(rounds):
        started = time.perf_counter()
        make_dataset(get_dataset_args())
        out["make_dataset 5000 (standard)"].append(time.perf_counter() - started)
        for n in (2000, 4000, 20000):
            out[f"extra {n}"].append(timed_extra(7, n)[2])
    return out


def with_val(data, x: np.ndarray, y: np.ndarray, extra: int):
    """``data`` with the first ``extra`` of the extra signals added to its validation split."""
    return dataclasses.replace(data, val=Split(np.concatenate([data.val.x, x[:extra]]),
                                               np.concatenate([data.val.y, y[:extra]])))


def measure(rounds: int, epochs: int) -> dict:
    before = reference()
    gen = generation(rounds)
    runner = Runner()
    screen = {arm.key: (arm, points) for arm, points in quickstart_arms(runner.registry)}
    x, y, _ = timed_extra(1, max(VAL_EXTRA))
    xt, yt, _ = timed_extra(2, 20000)
    epoch = {f"{k} {v}": [] for k, _ in ARMS for v in VAL_EXTRA}
    val_eval = {f"{k} {v}": [] for k, _ in ARMS for v in VAL_EXTRA}
    test_eval = {f"{k} {n}": [] for k, _ in ARMS for n in (1000, 20000)}
    for round_ in range(rounds):
        for key, index in ARMS:
            arm, points = screen[key]
            config = config_for(arm, points[index], SPEC.final_seeds[0], epochs)
            standard = runner.prepare(config)  # loads the standard split once
            base = standard.data
            for extra in VAL_EXTRA if round_ % 2 == 0 else VAL_EXTRA[::-1]:
                run = prepare(config, runner.registry, with_val(base, x, y, extra))
                result = run.fit()
                epoch[f"{key} {extra}"] += [e.seconds for e in result.epochs]
                trainer = run.trainer
                started = time.perf_counter()
                trainer._evaluate(trainer.val_set)
                val_eval[f"{key} {extra}"].append(time.perf_counter() - started)
            trainer = prepare(config, runner.registry, dataclasses.replace(base, test=Split(xt, yt))).trainer
            for n, split in ((1000, standard.trainer.test_set), (20000, trainer.test_set)):
                started = time.perf_counter()
                trainer._evaluate(split)
                test_eval[f"{key} {n}"].append(time.perf_counter() - started)
    return {"before": before, "after": reference(), "generation": gen, "epoch": epoch, "val_eval": val_eval,
            "test_eval": test_eval}


def tables(data: dict) -> None:
    median = statistics.median
    ref_epoch = median([data["before"]["wall_seconds"], data["after"]["wall_seconds"]]) / 10
    print("| reference run (hand_loop.py, 10 epochs, one thread) | training s | whole process s | load average "
          "(1, 5, 15 min) |\n|---|---|---|---|")
    for name in ("before", "after"):
        r = data[name]
        print(f"| {name} | {r['wall_seconds']:.2f} | {r['process_seconds']:.2f} | "
              + ", ".join(f"{v:.1f}" for v in r["load"]) + " |")
    print("\n| extra signals, made once | wall s (median) | in reference epochs |\n|---|---|---|")
    for name, values in data["generation"].items():
        print(f"| {name} | {median(values):.2f} | {median(values) / ref_epoch:.1f} |")
    print("\n| arm | validation signals | s per epoch (median, training + validation) | x the 400's | validation "
          "alone s | in reference epochs per epoch |\n|---|---|---|---|---|---|")
    for key, _ in ARMS:
        base = median(data["epoch"][f"{key} 0"])
        for extra in VAL_EXTRA:
            w = median(data["epoch"][f"{key} {extra}"])
            print(f"| {key} | {400 + extra} | {w:.3f} | {w / base:.2f} | "
                  f"{median(data['val_eval'][f'{key} {extra}']):.3f} | {w / ref_epoch:.2f} |")
    print("\n| arm | test signals (once per run) | s (median) |\n|---|---|---|")
    for name, values in data["test_eval"].items():
        key, n = name.split()
        print(f"| {key} | {n} | {median(values):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", help="save the measurements (JSON)")
    parser.add_argument("--from", dest="source", help="the tables again from saved measurements")
    args = parser.parse_args()
    data = json.loads(open(args.source).read()) if args.source else measure(args.rounds, args.epochs)
    if args.out:
        open(args.out, "w").write(json.dumps(data))
    tables(data)


if __name__ == "__main__":
    main()
