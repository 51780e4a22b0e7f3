"""Extra MNIST-1D signals for the held-out benchmarks (heldout.py, heldout_speed.py): more validation and test
examples from mnist1d's own generator, with another seed, on the scale of the standard split.

``mnist1d.data.make_dataset`` draws ``num_samples`` signals (each class in turn, ``transform`` of its template),
shuffles them, then centres and scales them by the mean and standard deviation of the set it just drew. A set drawn
with another seed and size would so be scaled by its own statistics, not those of the standard 5000 (seed 42) the
models train on (they differ by about 0.004 sd in the mean and 0.3% in the scale: small, but not nothing). So the
generator's loop is run here as make_dataset runs it (its ``set_seed``, ``get_templates``, ``transform``, the
same shuffle), stopped before the scaling, and the signals are scaled by the standard set's statistics.
``check_replica`` shows the loop reproduces make_dataset's standard arrays exactly. Nothing is downloaded.
The loop is the mnist1d dataset's own (``mnist1d_extra``, behind its ``extra_val`` and ``extra_test``); this
study names its extra seeds (1 and 2) where the dataset derives them from the generator seed.
"""

from __future__ import annotations

import random
import time

import numpy as np

from lossbench_builtins.datasets import mnist1d_extra

STANDARD_SEED = 42  # the mnist1d plugin's default generator seed: 4000 training signals (3600 + 400), 1000 test


def standard_stats() -> tuple[float, float]:
    """The mean and standard deviation make_dataset scales the standard split by."""
    return mnist1d_extra.standard_stats(STANDARD_SEED)


def extra_signals(seed: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` fresh signals for ``seed`` (not the standard seed) as float32 [N, 40, 1] and int64 labels,
    scaled like the standard split."""
    if seed == STANDARD_SEED:
        raise ValueError("the extra signals need a seed other than the standard split's")
    mean, std = standard_stats()
    x, y = mnist1d_extra.raw_signals(seed, samples)
    return ((x - mean) / std).astype(np.float32)[..., None], y.astype(np.int64)


def check_replica() -> float:
    """Largest difference between make_dataset's standard arrays and the loop's, scaled by its own statistics
    (0.0: the same signals in the same order); raises if they differ."""
    from mnist1d.data import get_dataset_args, make_dataset

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x, y = mnist1d_extra.scaled_standard(STANDARD_SEED)
    gap = float(np.abs(x - np.concatenate([data["x"], data["x_test"]])).max())
    if gap > 1e-6 or not np.array_equal(y, np.concatenate([data["y"], data["y_test"]])):
        raise RuntimeError(f"the generator loop no longer reproduces make_dataset (gap {gap})")
    return gap


def timed_extra(seed: int, samples: int) -> tuple[np.ndarray, np.ndarray, float]:
    """``extra_signals`` and the wall seconds it took (the standard statistics computed beforehand)."""
    standard_stats()
    started = time.perf_counter()
    x, y = extra_signals(seed, samples)
    return x, y, time.perf_counter() - started
