"""Next-character prediction on a local UTF-8 text file.

A leading byte-order mark is dropped and line ends (``\r\n``, ``\r``) read as ``\n``. The vocabulary is the
file's distinct characters in code-point order (``class_names``); the input is one-hot
over it, so keep to files with a modest alphabet. The characters are split contiguously 80/10/10 into
train/val/test; each part is cut into non-overlapping windows of ``seq_len`` characters whose per-step target
is the next character. Inputs and targets stay inside their part: the last few characters of a part that do
not fill a window are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lossbench import DataError, Dataset, ParameterError, Split
from lossbench_builtins.datasets._common import one_hot

FRACTIONS = (0.8, 0.1, 0.1)


def bounds(n: int) -> tuple[int, int]:
    """Where the validation and the test characters start in a text of ``n`` characters."""
    return int(FRACTIONS[0] * n), int((FRACTIONS[0] + FRACTIONS[1]) * n)


def min_chars(seq_len: int) -> int:
    """The shortest text whose three parts each hold one window (``seq_len`` + 1 characters)."""
    n = 3 * (seq_len + 1)
    while True:
        b1, b2 = bounds(n)
        if min(b1, b2 - b1, n - b2) >= seq_len + 1:
            return n
        n += 1


def windows(ids: np.ndarray, seq_len: int, vocab: int) -> Split:
    count = (len(ids) - 1) // seq_len
    x = ids[: count * seq_len].reshape(count, seq_len)
    y = ids[1 : count * seq_len + 1].reshape(count, seq_len)
    return Split(x=one_hot(x, vocab), y=np.ascontiguousarray(y, np.int64))


def load(*, path: str, seq_len: int) -> Dataset:
    if not path:
        raise ParameterError("text.path is not set: name a UTF-8 text file")
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"text: {file} does not exist" if not file.exists() else f"text: {file} is not a file")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{file}: not UTF-8 text (byte {err.start}: {err.reason})") from None
    # a byte-order mark is no character of the text, and a line ends the same whichever system wrote it
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise DataError(f"{file} is empty")
    n = len(text)
    need = min_chars(seq_len)
    if n < need:
        raise DataError(
            f"{file} has {n} characters; seq_len={seq_len} needs {seq_len + 1} in each of the 80/10/10 "
            f"train/val/test parts, so at least {need} in the file: use a smaller seq_len or a longer text"
        )
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    vocab, ids = np.unique(codes, return_inverse=True)
    ids = ids.reshape(-1).astype(np.int64)
    if len(vocab) < 2:
        raise DataError(f"{file} uses a single distinct character; next-character prediction needs 2 or more")
    b1, b2 = bounds(n)
    parts = (ids[:b1], ids[b1:b2], ids[b2:])
    counts = np.bincount(parts[0], minlength=len(vocab))
    freq = counts[counts > 0] / counts.sum()
    return Dataset(
        *(windows(part, seq_len, len(vocab)) for part in parts),
        num_classes=len(vocab),
        class_names=tuple(chr(c) for c in vocab),
        info={
            "source": f"text file {file}",
            "seq_len": seq_len,
            "vocab_size": len(vocab),
            "num_features": len(vocab),
            "characters": {"train": len(parts[0]), "val": len(parts[1]), "test": len(parts[2])},
            # the loss of predicting each character by its training frequency, ignoring all context
            "unigram_nll": float(-(freq * np.log(freq)).sum()),
        },
    )
