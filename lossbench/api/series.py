"""Data helpers for dataset plugins (the built-ins use them too): padding variable-length series into ``x`` and
``lengths``, a stratified validation split, and per-channel standardisation with training statistics.

Imports numpy, so ``lossbench`` hands these out lazily: import them inside ``load``, or at the top of the
module that ``load`` imports.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossbench.api.data import Split
from lossbench.errors import DataError


def pad_sequences(series: Sequence[Any], steps: int | None = None, value: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, lengths)`` from variable-length series: ``x`` float32 [N, T, F] with each series at the start of its
    row and ``value`` after it, ``lengths`` int64 [N] (the valid steps). A series is [T_i] (one feature) or
    [T_i, F]; T is ``steps``, or the longest series. NaN (a missing value) is kept: :func:`standardize` sets it
    to the training mean."""
    arrays = [np.asarray(s, dtype=np.float64) for s in series]
    if not arrays:
        raise DataError("pad_sequences: no series given")
    arrays = [a[:, None] if a.ndim == 1 else a for a in arrays]
    features = arrays[0].shape[1] if arrays[0].ndim == 2 else None
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[1] != features:
            raise DataError(f"pad_sequences: series {i} has shape {a.shape}; expected [steps] or [steps, {features}] "
                            f"like series 0")
        if len(a) == 0:
            raise DataError(f"pad_sequences: series {i} is empty; every series needs at least one step")
    lengths = np.array([len(a) for a in arrays], np.int64)
    longest = int(lengths.max())
    steps = longest if steps is None else steps
    if longest > steps:
        raise DataError(f"pad_sequences: series {int(lengths.argmax())} has {longest} steps, more than steps={steps}")
    x = np.full((len(arrays), steps, features), value, np.float32)
    for i, a in enumerate(arrays):
        x[i, : len(a)] = a
    return x, lengths


def stratified_split(y: Any, fraction: float, seed: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``y`` as ``(kept, held_out)``, about ``fraction`` of the items held out (a validation split).

    Stratified: each class gives its share (largest remainders decide the rounding) and keeps at least one
    member on the kept side while that is possible. At least one item is held out and one kept (needs
    ``len(y) >= 2``). Both index arrays are sorted, so the original order survives inside each part; the same
    ``seed`` gives the same split.
    """
    y = np.asarray(y)
    n = len(y)
    if n < 2:
        raise DataError(f"stratified_split: cannot split {n} item(s) in two")
    if not 0 < fraction < 1:
        raise ValueError(f"stratified_split: fraction must lie in (0, 1), got {fraction}")
    target = min(n - 1, max(1, int(fraction * n + 0.5)))
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    ideal = fraction * counts
    take = np.minimum(np.floor(ideal).astype(np.int64), counts - 1)
    for cap in (counts - 1, counts):  # the second pass only when classes are too small to keep one each
        while take.sum() < target:
            open_classes = np.flatnonzero(take < cap)
            if not len(open_classes):
                break
            take[open_classes[np.argmax((ideal - take)[open_classes])]] += 1  # the largest remainder next
    rng = np.random.default_rng(seed)
    held = [rng.permutation(np.flatnonzero(inverse.reshape(-1) == c))[: take[c]] for c in range(len(classes))]
    held_idx = np.sort(np.concatenate(held))
    mask = np.ones(n, bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx


def standardize(train: Split, *others: Split) -> tuple[Split, ...]:
    """Every split z-scored per channel (feature) with the mean and standard deviation of ``train`` over its
    valid steps (``lengths``), NaN ignored; then missing values (NaN) are 0, the training mean, and padding is 0.
    A channel constant in training is only centred. Returns the splits in the order given, float32."""
    observed = train.x[_valid(train)].astype(np.float64)  # [valid steps, F]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel with no observed value: handled below
        mean, std = np.nanmean(observed, axis=0), np.nanstd(observed, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    scaled = []
    for split in (train, *others):
        x = (split.x.astype(np.float64) - mean) / std
        x[~np.isfinite(x)] = 0.0
        x[~_valid(split)] = 0.0
        scaled.append(Split(x.astype(np.float32), split.y, split.lengths))
    return tuple(scaled)


def _valid(split: Split) -> np.ndarray:
    """bool [N, T]: True on the valid steps of each sequence."""
    n, steps = split.x.shape[:2]
    if split.lengths is None:
        return np.ones((n, steps), bool)
    return np.arange(steps)[None, :] < np.asarray(split.lengths)[:, None]
