"""Helpers the dataset loaders share. Imports numpy, so only a loader imports this module, when it runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lossbench import Split


def seed_streams(seed: int, count: int) -> list[np.random.Generator]:
    """``count`` independent generators from one seed: changing one split's size never changes another split."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(count)]


def holdout(y: np.ndarray, fraction: float, seed: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Split indices of ``y`` into (kept, held out) with about ``fraction`` of the items held out.

    Stratified: each class gives its share (largest remainders decide the rounding), and keeps at least one
    member on the kept side while that is possible. At least one item is held out and one kept (needs
    ``len(y) >= 2``). Both index arrays are sorted, so the original order survives inside each part.
    """
    y = np.asarray(y)
    n = len(y)
    if n < 2:
        raise ValueError(f"cannot split {n} item(s) in two")
    target = min(n - 1, max(1, int(fraction * n + 0.5)))
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    ideal = fraction * counts
    take = np.minimum(np.floor(ideal).astype(np.int64), counts - 1)
    order = np.argsort(-(ideal - take), kind="stable")  # largest remainders first
    for cap in (counts - 1, counts):  # the second pass only when classes are too small to keep one each
        while take.sum() < target:
            open_classes = [c for c in order if take[c] < cap[c]]
            if not open_classes:
                break
            for c in open_classes[: target - int(take.sum())]:
                take[c] += 1
    rng = np.random.default_rng(seed)
    held = []
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        held.append(rng.permutation(members)[: take[c]])
    held_idx = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    mask = np.ones(n, bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx


def one_hot(ids: np.ndarray, size: int) -> np.ndarray:
    """float32 one-hot vectors for integer ids of any shape: ``[..., size]``."""
    out = np.zeros(ids.shape + (size,), dtype=np.float32)
    np.put_along_axis(out, ids[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def take(x: np.ndarray, y: np.ndarray, idx: np.ndarray, lengths: np.ndarray | None = None) -> Split:
    """The rows ``idx`` as a :class:`Split` with the dtypes the API asks for."""
    return Split(
        x=np.ascontiguousarray(x[idx], dtype=np.float32),
        y=np.ascontiguousarray(y[idx], dtype=np.int64),
        lengths=None if lengths is None else np.ascontiguousarray(lengths[idx], dtype=np.int64),
    )
