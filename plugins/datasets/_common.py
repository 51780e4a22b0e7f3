"""Helpers the dataset loaders share. Imports numpy, so only a loader imports this module, when it runs."""

from __future__ import annotations

import numpy as np

from lossbench import Split


def seed_streams(seed: int, count: int) -> list[np.random.Generator]:
    """``count`` independent generators from one seed: changing one split's size never changes another split."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(count)]


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
