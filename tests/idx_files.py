"""MNIST's IDX file format, written by hand so that tests need no download (sequential MNIST reads these)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray, magic: int, gz: bool = False) -> None:
    """``array`` as uint8 under an IDX header (magic number, then one big-endian size per dimension)."""
    raw = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
