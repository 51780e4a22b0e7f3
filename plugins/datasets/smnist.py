"""Sequential and permuted MNIST from the four standard IDX files in a folder the user names.

Files (each may also end in ``.gz``): train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte. Any IDX set of the same layout works (Fashion-MNIST too);
image sizes are read from the files. ``mode="rows"``: one step per image row (28 steps of 28 pixels);
``mode="pixels"``: one pixel per step (784 steps of 1). Pixels are scaled to [0, 1].

Validation: the last 5000 training images when the training file holds 50 000 or more (the usual MNIST
convention), else its last 10 % (at least one image). ``limit`` > 0 then keeps only the first ``limit`` of
the remaining training images; validation and test stay whole.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from lossbench import DataError, Dataset, ParameterError
from lossbench_builtins.datasets._common import take

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FULL_VAL = 5000


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The unsigned-byte array stored in an IDX file, checked against its header."""
    kind = "image" if magic == IMAGES_MAGIC else "label"
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot read it ({err})") from None
    if len(raw) < 4:
        raise DataError(f"{path}: truncated: {len(raw)} bytes, shorter than the 4-byte IDX magic number")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        hint = ""
        if raw[:2] == b"\x1f\x8b":
            hint = "; it looks gzip-compressed: give it a .gz suffix"
        elif found in (IMAGES_MAGIC, LABELS_MAGIC):
            hint = f"; that is the magic number of an IDX {'image' if found == IMAGES_MAGIC else 'label'} file"
        raise DataError(f"{path}: bad magic number {found}, expected {magic} (an IDX {kind} file){hint}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated: {len(raw)} bytes, the header of {ndim} dimensions needs {header}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    need = math.prod(dims)  # a Python int: a header's dimensions may multiply past 2**63
    have = len(raw) - header
    if have != need:
        what = "truncated" if have < need else "too long"
        raise DataError(f"{path}: {what}: {have} bytes of data, the header's dimensions {dims} need {need}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    if len(images) == 0:
        raise DataError(f"{images_path} holds no images")
    return images, labels


def load(*, path: str, mode: str, permute: bool, permutation_seed: int, limit: int) -> Dataset:
    expected = ", ".join(FILES.values())
    if not path:
        raise ParameterError(f"smnist.path is not set: name the folder holding {expected} (each may end in .gz)")
    folder = Path(path).expanduser()
    found = {key: _find(folder, stem) for key, stem in FILES.items()} if folder.is_dir() else dict.fromkeys(FILES)
    missing = [FILES[key] for key, file in found.items() if file is None]
    if missing:
        where = f"folder {folder}" if folder.is_dir() else f"folder {folder} (which does not exist)"
        raise DataError(
            f"smnist needs {expected} (each may end in .gz) in {where}; missing: {', '.join(missing)}"
        )
    train_x, train_y = _pair(found["train_images"], found["train_labels"])
    test_x, test_y = _pair(found["test_images"], found["test_labels"])
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DataError(
            f"{found['train_images']} holds images of {train_x.shape[1:]} pixels, "
            f"{found['test_images']} of {test_x.shape[1:]}"
        )
    n = len(train_x)
    if n < 2:
        raise DataError(f"{found['train_images']} holds {n} image; a validation split needs at least 2")

    def sequences(images: np.ndarray) -> np.ndarray:
        x = images.astype(np.float32) / 255.0
        return x if mode == "rows" else x.reshape(len(x), -1, 1)

    x, x_test = sequences(train_x), sequences(test_x)
    order = np.random.default_rng(permutation_seed).permutation(x.shape[1]) if permute else None
    if order is not None:
        x, x_test = x[:, order], x_test[:, order]
    y, y_test = train_y.astype(np.int64), test_y.astype(np.int64)
    n_val = FULL_VAL if n >= 10 * FULL_VAL else max(1, n // 10)
    train_idx, val_idx = np.arange(n - n_val), np.arange(n - n_val, n)
    if limit > 0:
        train_idx = train_idx[:limit]
    num_classes = max(10, int(max(y.max(), y_test.max())) + 1)
    info = {
        "source": f"IDX files in {folder}",
        "mode": mode,
        "seq_len": int(x.shape[1]),
        "num_features": int(x.shape[2]),
        "permuted": bool(permute),
        "val_split": f"the last {n_val} of the {n} training images",
    }
    if order is not None:
        info["permutation_seed"] = permutation_seed
    if limit > 0:
        info["limit"] = limit
    return Dataset(
        train=take(x, y, train_idx),
        val=take(x, y, val_idx),
        test=take(x_test, y_test, np.arange(len(y_test))),
        num_classes=num_classes,
        class_names=tuple(str(c) for c in range(num_classes)),
        info=info,
    )
