"""Long-memory tasks generated from a seed: copy memory and temporal order.

Each split draws from its own stream of ``np.random.SeedSequence(seed)``, so the validation and test sets
stay the same when ``n_train`` changes.
"""

from __future__ import annotations

import math

import numpy as np

from lossbench import Dataset, Split
from lossbench_builtins.datasets._common import one_hot, seed_streams

COPY_LENGTH = 10  # symbols to remember
COPY_ALPHABET = 8  # symbols 1..8; 0 is the blank, 9 the delimiter
BLANK, DELIMITER = 0, 9


def copy_split(rng: np.random.Generator, n: int, T: int) -> Split:
    """``n`` copy-memory sequences of length T+20: ten symbols, T-1 blanks, the delimiter, ten blanks.
    The target is blank for the first T+10 steps, then the ten symbols."""
    symbols = rng.integers(1, COPY_ALPHABET + 1, size=(n, COPY_LENGTH))
    length = T + 2 * COPY_LENGTH
    ids = np.full((n, length), BLANK, np.int64)
    ids[:, :COPY_LENGTH] = symbols
    ids[:, T + COPY_LENGTH - 1] = DELIMITER
    y = np.full((n, length), BLANK, np.int64)
    y[:, T + COPY_LENGTH :] = symbols
    return Split(x=one_hot(ids, DELIMITER + 1), y=y)


def load_copy(*, T: int, n_train: int, n_val: int, n_test: int, seed: int) -> Dataset:
    streams = seed_streams(seed, 3)
    splits = [copy_split(rng, n, T) for rng, n in zip(streams, (n_train, n_val, n_test))]
    return Dataset(
        *splits,
        num_classes=COPY_ALPHABET + 1,
        class_names=("blank",) + tuple(str(s) for s in range(1, COPY_ALPHABET + 1)),
        info={
            "source": "copy memory task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016), generated",
            "T": T,
            "seq_len": T + 2 * COPY_LENGTH,
            "num_features": DELIMITER + 1,
            "input_symbols": "0 blank, 1-8 symbols, 9 delimiter (one-hot)",
            "seed": seed,
            # blanks predicted exactly, then a uniform guess over 8 symbols for the last 10 steps
            "memoryless_baseline_nll": COPY_LENGTH * math.log(COPY_ALPHABET) / (T + 2 * COPY_LENGTH),
        },
    )


ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "B", "E")
ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def order_windows(T: int, markers: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    """The half-open ranges [lo, hi) of the two relevant positions: about [0.1T, 0.2T) and [0.5T, 0.6T),
    kept off the marker positions and never empty."""
    lo1 = max(int(0.1 * T), 1 if markers else 0)
    hi1 = max(int(0.2 * T), lo1 + 1)
    lo2 = max(int(0.5 * T), hi1)
    hi2 = max(int(0.6 * T), lo2 + 1)
    return (lo1, hi1), (lo2, hi2)


def order_split(rng: np.random.Generator, n: int, T: int, markers: bool) -> Split:
    ids = rng.integers(0, 4, size=(n, T))  # distractors a, b, c, d
    if markers:
        ids[:, 0], ids[:, -1] = 6, 7  # B ... E
    (lo1, hi1), (lo2, hi2) = order_windows(T, markers)
    rows = np.arange(n)
    first, second = rng.integers(0, 2, size=n), rng.integers(0, 2, size=n)  # 0: X, 1: Y
    ids[rows, rng.integers(lo1, hi1, size=n)] = 4 + first
    ids[rows, rng.integers(lo2, hi2, size=n)] = 4 + second
    features = len(ORDER_SYMBOLS) if markers else 6
    return Split(x=one_hot(ids, features), y=(2 * first + second).astype(np.int64))


def load_temporal_order(*, T: int, markers: bool, n_train: int, n_val: int, n_test: int, seed: int) -> Dataset:
    streams = seed_streams(seed, 3)
    splits = [order_split(rng, n, T, markers) for rng, n in zip(streams, (n_train, n_val, n_test))]
    (lo1, hi1), (lo2, hi2) = order_windows(T, markers)
    return Dataset(
        *splits,
        num_classes=len(ORDER_CLASSES),
        class_names=ORDER_CLASSES,
        info={
            "source": "temporal order task (Hochreiter & Schmidhuber 1997; Pascanu et al. 2013), generated",
            "T": T,
            "seq_len": T,
            "num_features": len(ORDER_SYMBOLS) if markers else 6,
            "input_symbols": " ".join(ORDER_SYMBOLS if markers else ORDER_SYMBOLS[:6]) + " (one-hot)",
            "first_position": f"[{lo1}, {hi1})",
            "second_position": f"[{lo2}, {hi2})",
            "seed": seed,
            "chance_nll": math.log(len(ORDER_CLASSES)),
        },
    )
