"""What a dataset plugin returns: three splits of padded sequences as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Split:
    """``x``: float32 [N, T, F]; ``y``: int64 [N] (a label per sequence) or [N, T] (a label per step);
    ``lengths``: int64 [N], the valid steps of each sequence, or ``None`` when all sequences fill T.

    A shorter sequence starts at step 0 and is padded after its length (``pad_sequences`` does it; pad with a
    finite value, 0 by convention). The model never reads padding: a per-sequence label is predicted from step
    ``lengths - 1`` and per-step losses skip the padded steps, and cells are causal. Every split of a dataset
    has the same T and F."""

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass
class Dataset:
    """Train, validation and test splits with ``num_classes`` classes numbered 0..num_classes-1.
    ``class_names`` names them in that order. ``info`` carries facts about the data (source, sizes, how it was
    split and normalised, a task's memoryless baseline loss) that ``train --json`` and a sweep's report show.
    The engine uses the data as given: normalising it (with training-split statistics) is the dataset's job."""

    train: Split
    val: Split
    test: Split
    num_classes: int
    class_names: tuple[str, ...] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def per_step(self) -> bool:
        """Whether every step has a label (``y`` [N, T]); must match the spec's ``per_step``."""
        return self.train.y.ndim == 2

    @property
    def target_kind(self) -> str:
        """``binary`` with exactly 2 classes, else ``multiclass``: what a loss's ``targets`` must include."""
        return "binary" if self.num_classes == 2 else "multiclass"

    @property
    def seq_len(self) -> int:
        return int(self.train.x.shape[1])

    @property
    def num_features(self) -> int:
        return int(self.train.x.shape[2])

    def problems(self) -> list[str]:
        """Shape and label problems, in words; empty when the dataset is well formed."""
        found = []
        if self.num_classes < 2:
            found.append(f"num_classes must be at least 2, got {self.num_classes}")
        for name in ("train", "val", "test"):
            split: Split = getattr(self, name)
            n = len(split)
            if split.x.ndim != 3:
                found.append(f"{name}.x must be [N, T, F], got shape {tuple(split.x.shape)}")
                continue
            if n == 0:
                found.append(f"{name} is empty")
                continue
            if split.x.shape[1:] != self.train.x.shape[1:] and name != "train":
                found.append(f"{name}.x has steps x features {tuple(split.x.shape[1:])}, train has {tuple(self.train.x.shape[1:])}")
            if split.y.shape[0] != n or split.y.ndim not in (1, 2):
                found.append(f"{name}.y must be [N] or [N, T] with N={n}, got shape {tuple(split.y.shape)}")
            elif split.y.ndim == 2 and split.y.shape[1] != split.x.shape[1]:
                found.append(f"{name}.y per-step labels cover {split.y.shape[1]} steps, x has {split.x.shape[1]}")
            elif n and (split.y.min() < 0 or split.y.max() >= self.num_classes):
                found.append(f"{name}.y has labels outside 0..{self.num_classes - 1}")
            if split.lengths is not None:
                if split.lengths.shape != (n,):
                    found.append(f"{name}.lengths must be [N], got shape {tuple(split.lengths.shape)}")
                elif n and (split.lengths.min() < 1 or split.lengths.max() > split.x.shape[1]):
                    found.append(f"{name}.lengths must lie in 1..{split.x.shape[1]}")
        return found
