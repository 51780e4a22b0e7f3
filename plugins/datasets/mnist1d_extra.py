"""Extra MNIST-1D signals for larger validation and test sets, from mnist1d's own generator.

``mnist1d.data.make_dataset`` draws ``num_samples`` signals (each class in turn, ``transform`` of its template),
shuffles them, then centres and scales them by the mean and standard deviation of the set it just drew. A set
drawn with another seed and size would so be scaled by its own statistics, not by those of the standard split the
models train on. So ``raw_signals`` runs the generator's loop as make_dataset runs it (its ``set_seed``,
``get_templates``, ``transform``, the same shuffle), stopped before the scaling, and ``extra_signals`` scales them
by the standard split's statistics. ``scaled_standard`` reproduces make_dataset's standard arrays bit for bit (a
test keeps it so). Each kind of extra set has its own generator seed, derived from (and never equal to) the
standard one. Nothing is downloaded.
"""

from __future__ import annotations

import random

import numpy as np

STANDARD_SAMPLES = 5000  # make_dataset's default: 4000 training signals, 1000 test
CLASSES = 10
_PURPOSES = {"val": 1, "test": 2}
_STATS: dict[int, tuple[float, float]] = {}


def raw_signals(seed: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` signals (float64 [N, 40], a multiple of 10) and labels as ``make_dataset`` draws them for
    ``seed``, before its centring and scaling; the global numpy and random states are left as they were."""
    from mnist1d.data import get_dataset_args, get_templates, transform
    from mnist1d.utils import set_seed

    args = get_dataset_args()
    args.seed, args.num_samples = seed, samples
    templates = get_templates()
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        set_seed(args.seed)
        xs, ys = [], []
        for label in range(len(templates["y"])):
            for _ in range(args.num_samples // len(templates["y"])):
                x, _ = transform(templates["x"][label], templates["t"], args)
                xs.append(x)
                ys.append(templates["y"][label])
        order = np.random.permutation(len(ys))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return np.stack(xs)[order], np.stack(ys)[order]


def standard_stats(seed: int) -> tuple[float, float]:
    """The mean and standard deviation make_dataset scales the standard split of ``seed`` by."""
    if seed not in _STATS:
        x, _ = raw_signals(seed, STANDARD_SAMPLES)
        _STATS[seed] = float(x.mean()), float(x.std())
    return _STATS[seed]


def scaled_standard(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The standard 5000 signals (float32) and labels as make_dataset returns them, train then test rows."""
    x, y = raw_signals(seed, STANDARD_SAMPLES)
    return ((x - x.mean()) / x.std()).astype(np.float32), y.astype(np.int64)


def derived_seed(seed: int, purpose: str) -> int:
    """The generator seed of the extra ``purpose`` ("val" or "test") signals: a 32-bit hash of (seed, purpose),
    never the standard seed nor the other purpose's seed."""
    taken = {seed}
    for name, tag in _PURPOSES.items():
        counter = 0
        while (found := int(np.random.SeedSequence([seed, tag, counter]).generate_state(1)[0])) in taken:
            counter += 1
        if name == purpose:
            return found
        taken.add(found)
    raise ValueError(f"no extra signals for {purpose!r}: one of {', '.join(_PURPOSES)}")


def extra_signals(seed: int, purpose: str, count: int) -> dict[str, np.ndarray]:
    """``count`` fresh signals (a multiple of 10: count / 10 of each class) for ``purpose``, float32 [N, 40] and
    int64 labels, scaled like the standard split of ``seed``."""
    mean, std = standard_stats(seed)
    x, y = raw_signals(derived_seed(seed, purpose), count)
    return {"x": ((x - mean) / std).astype(np.float32), "y": y.astype(np.int64)}
