"""Record the progress readings a real sweep reports (``lossbench.sweep.run``'s ``on_progress``, about once a
second), for tests/test_cli_reads.py to replay through the live display's time-left estimate.

    python benchmarks/record_progress.py tests/progress_readings.json

The sweep: digits, ce and focal on rnn and gru (4 arms), hidden 64, 6 tuning trials + 3 seeds, up to 20 epochs
with the default patience, 2 workers of one thread. Each reading keeps what the estimate reads (elapsed seconds,
epochs left, measured seconds per epoch, workers) and what the old estimate read (the fraction of runs done); the
file also holds when training ended (the last reading's elapsed seconds)."""

from __future__ import annotations

import json
import sys
import tempfile

SPEC = {"name": "recorded", "dataset": "digits", "losses": ["ce", "focal"], "cells": ["rnn", "gru"], "hidden": 64,
        "trials": 6, "epochs": 20, "seeds": 3}


def main(path: str) -> None:
    from lossbench import sweep

    readings = []

    def keep(p) -> None:  # noqa: ANN001
        readings.append({"elapsed": round(p.elapsed, 3), "epochs_left": round(p.epochs_left, 3),
                         "epoch_seconds": None if p.epoch_seconds is None else round(p.epoch_seconds, 5),
                         "workers": p.workers, "fraction": round(p.fraction, 5),
                         "runs_done": p.trials_done + p.finals_done, "runs": p.trials_total + p.finals_total})

    with tempfile.TemporaryDirectory() as folder:
        sweep.run(SPEC, out=folder, workers=2, threads=1, on_progress=keep)
    with open(path, "w") as out:
        json.dump({"spec": SPEC, "workers": 2, "ended": readings[-1]["elapsed"], "readings": readings}, out, indent=0)
    print(f"{len(readings)} readings over {readings[-1]['elapsed']:.0f} s -> {path}")


if __name__ == "__main__":
    main(sys.argv[1])
