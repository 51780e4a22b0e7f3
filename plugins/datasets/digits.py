"""scikit-learn's bundled 8x8 handwritten digits (1797 images, offline) read as sequences.

``mode="rows"``: 8 steps of 8 pixels; ``mode="pixels"``: 64 steps of 1 pixel. Pixels are scaled from 0..16
to [0, 1]. ``permute`` reorders the steps by one fixed permutation (seeded by ``permutation_seed``), the
digits analogue of permuted MNIST. Splits: stratified 60/20/20 train/val/test, chosen by ``split_seed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lossbench import Dataset, stratified_split
from lossbench_builtins.datasets._common import take

TEST_FRACTION = 0.2
VAL_FRACTION_OF_REST = 0.25  # 0.25 of the remaining 80 % = 20 % of all


def digits() -> tuple[np.ndarray, np.ndarray]:
    """(images [1797, 8, 8] of 0..16, labels): scikit-learn's bundled file read as ``load_digits`` reads it,
    without importing scikit-learn (about 2 s, paid by every process that loads digits: each sweep worker too)."""
    import gzip
    from importlib.util import find_spec

    spec = find_spec("sklearn")  # finds the package without running it
    bundled = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if bundled is None or not bundled.is_file():  # a scikit-learn that keeps it elsewhere: ask it
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return bunch.images, bunch.target
    with gzip.open(bundled, "rt") as text:
        table = np.loadtxt(text, delimiter=",")
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(int)


def load(*, mode: str, permute: bool, permutation_seed: int, split_seed: int) -> Dataset:
    pixels, labels = digits()
    images = np.asarray(pixels, np.float32) / 16.0  # [N, 8, 8]
    y = np.asarray(labels, np.int64)
    x = images if mode == "rows" else images.reshape(len(images), -1, 1)
    order = np.random.default_rng(permutation_seed).permutation(x.shape[1]) if permute else None
    if order is not None:
        x = x[:, order]
    rest, test_idx = stratified_split(y, TEST_FRACTION, [split_seed, 0])
    train_rel, val_rel = stratified_split(y[rest], VAL_FRACTION_OF_REST, [split_seed, 1])
    train_idx, val_idx = rest[train_rel], rest[val_rel]
    info = {
        "source": "sklearn.datasets.load_digits (UCI optical digits, 8x8, bundled with scikit-learn)",
        "mode": mode,
        "seq_len": int(x.shape[1]),
        "num_features": int(x.shape[2]),
        "permuted": bool(permute),
        "split": "stratified 60/20/20 train/val/test",
        "split_seed": split_seed,
    }
    if order is not None:
        info["permutation_seed"] = permutation_seed
    return Dataset(
        train=take(x, y, train_idx),
        val=take(x, y, val_idx),
        test=take(x, y, test_idx),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        info=info,
    )
