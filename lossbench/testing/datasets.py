"""check_dataset: what a DatasetSpec must do (well formed, as declared, deterministic, the right dtypes, finite,
padded after its lengths, trainable through the engine's model with those lengths)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossbench.api.data import Dataset
from lossbench.api.specs import DatasetSpec
from lossbench.testing.report import Note, Report, begin, fail
from lossbench.testing.threads import in_one_thread

SPLITS = ("train", "val", "test")


@in_one_thread
def check_dataset(spec: DatasetSpec, params: Mapping[str, Any] | None = None) -> Report:
    """Check one dataset, loaded twice with ``params`` over its defaults (pass small sizes for a quick check)."""
    checks, resolved = begin(spec, DatasetSpec, "load", "load(**params) returning a lossbench.Dataset", params)
    if resolved is None:
        return checks.report
    ok, data = checks.run("load", _load, spec, resolved)
    if not ok:
        return checks.report
    if not checks.run("well formed", _well_formed, data)[0]:
        return checks.report
    checks.run("matches spec", _matches_spec, spec, data)
    checks.run("splits do not overlap", _disjoint, data)
    checks.run("dtypes", _dtypes, data)
    finite = checks.run("finite", _finite, data)[0]
    if any(_ragged(getattr(data, name)) for name in SPLITS):
        checks.run("unequal lengths: padding after each length", _padding, data)
    if finite:
        checks.run("a training step through the model", _training_step, data)
    checks.run("deterministic", _deterministic, spec, resolved, data)
    return checks.report


def _load(spec: DatasetSpec, params: dict[str, Any]) -> Dataset:
    data = spec.load(**params)
    if not isinstance(data, Dataset):
        fail(f"load(**params) returned {type(data).__name__}; expected a lossbench.Dataset")
    return data


def _well_formed(data: Dataset) -> None:
    problems = data.problems()
    if problems:
        fail(f"load() returned a malformed dataset: {'; '.join(problems)}; expected Dataset.problems() to be empty")


def _matches_spec(spec: DatasetSpec, data: Dataset) -> None:
    if data.per_step != spec.per_step:
        got = "per-step [N, T]" if data.per_step else "per-sequence [N]"
        fail(f"spec says per_step={spec.per_step} but load() returned {got} targets; expected them to agree")
    if data.target_kind not in spec.targets:
        fail(f"load() returned {data.target_kind} targets (num_classes={data.num_classes}) but the spec declares "
             f"targets {sorted(spec.targets)}; expected the returned kind among the declared ones")
    if data.class_names is not None and len(data.class_names) != data.num_classes:
        fail(f"class_names has {len(data.class_names)} names for {data.num_classes} classes; expected one per class")


def _row_hashes(split: Any) -> list[bytes]:
    """One digest per sequence: its valid steps' values (padding left out) and its length."""
    import hashlib

    import numpy as np

    lengths = split.lengths if split.lengths is not None else np.full(len(split), split.x.shape[1])
    return [hashlib.blake2b(np.ascontiguousarray(split.x[i, :int(n)]).tobytes() + int(n).to_bytes(8, "little"),
                            digest_size=16).digest() for i, n in enumerate(lengths)]


def _disjoint(data: Dataset) -> None:
    """No sequence may be in two splits: a validation or test score on sequences trained on measures memory.

    A task over a small input space (short sequences of bits) repeats sequences by chance, within the training
    split as across splits: an overlap up to three times the training split's own rate of repeats is chance (a
    passes), above it a leak (a test split that is the training file, a validation set cut from it)."""
    hashes = {name: _row_hashes(getattr(data, name)) for name in SPLITS}
    train = hashes["train"]
    repeats = 1 - len(set(train)) / len(train) if train else 0.0
    overlaps, leaks = [], False
    for later, earlier in (("val", "train"), ("test", "train"), ("test", "val")):
        seen = set(hashes[earlier])
        shared = sum(h in seen for h in hashes[later])
        if shared:
            overlaps.append(f"{shared} of the {len(hashes[later])} {later} sequences are also in {earlier}")
            leaks = leaks or shared / len(hashes[later]) > 3 * repeats
    if leaks:
        fail(f"splits overlap: {'; '.join(overlaps)} (exact copies of the inputs"
             + (f", more than chance: train repeats {repeats:.0%} of its own sequences" if repeats else "")
             + "); expected train, val and test to share no sequence (split after removing duplicates, never reuse "
               "a file for two splits)")


def _dtypes(data: Dataset) -> None:
    import numpy as np

    for name in ("train", "val", "test"):
        split = getattr(data, name)
        for field, array, expected in (("x", split.x, np.float32), ("y", split.y, np.int64),
                                       ("lengths", split.lengths, np.int64)):
            if array is None:
                continue
            if not isinstance(array, np.ndarray):
                fail(f"{name}.{field} is a {type(array).__name__}; expected a numpy array")
            if array.dtype != expected:
                fail(f"{name}.{field} has dtype {array.dtype}; expected {np.dtype(expected).name}")


def _deterministic(spec: DatasetSpec, params: dict[str, Any], first: Dataset) -> None:
    import numpy as np

    second = _load(spec, params)
    if second.num_classes != first.num_classes:
        fail(f"two loads with the same parameters give {first.num_classes} and {second.num_classes} classes; "
             f"expected the same dataset (seed every random choice)")
    for name in ("train", "val", "test"):
        a, b = getattr(first, name), getattr(second, name)
        for field in ("x", "y", "lengths"):
            left, right = getattr(a, field), getattr(b, field)
            same = (left is None and right is None) or (
                left is not None and right is not None and left.shape == right.shape and np.array_equal(left, right, equal_nan=True))
            if not same:
                fail(f"two loads with the same parameters differ in {name}.{field}; expected the same data "
                     f"(seed every random choice)")


def _ragged(split: Any) -> bool:
    return split.lengths is not None and len(split.lengths) > 0 and int(split.lengths.min()) < split.x.shape[1]


def _valid(split: Any) -> Any:
    import numpy as np

    lengths = split.lengths if split.lengths is not None else np.full(len(split), split.x.shape[1])
    return np.arange(split.x.shape[1])[None, :] < np.asarray(lengths)[:, None]


def _finite(data: Dataset) -> None:
    import numpy as np

    for name in SPLITS:
        split = getattr(data, name)
        bad = ~np.isfinite(split.x)
        if bad.any():
            i, t, _ = (int(v) for v in np.argwhere(bad)[0])
            where = "padding" if not _valid(split)[i, t] else "a valid step"
            fail(f"{name}.x has {int(bad.sum())} non-finite value(s), the first at sequence {i}, step {t} ({where}); "
                 f"expected finite values everywhere, padding included: one NaN poisons every gradient (set "
                 f"missing values and padding to 0: lossbench.standardize does)")


def _padding(data: Dataset) -> None:
    import numpy as np

    longest = 0
    for name in SPLITS:
        split = getattr(data, name)
        valid = _valid(split)
        longest = max(longest, int(valid.sum(axis=1).max()))
        padded = split.x[~valid]  # [padded steps, F]
        differs = (split.x != padded[0]) & ~(np.isnan(split.x) & np.isnan(padded[0])) if padded.size else None
        if padded.size and differs[~valid].any():  # NaN padding is the finite check's to report
            i, t = (int(v) for v in np.argwhere(~valid & differs.any(axis=2))[0])
            fail(f"{name}.x changes after the lengths (sequence {i}, length {int(split.lengths[i])}, holds other "
                 f"values at step {t}); expected one padding value after every sequence's length (are some "
                 f"lengths too short?): each sequence starts at step 0, its label is read at step lengths - 1")
    steps = data.train.x.shape[1]
    if longest < steps:
        raise Note(f"no sequence fills the {steps} steps (the longest has {longest}): pad to the longest")


def _training_step(data: Dataset) -> None:
    """One forward and backward pass of a small GRU model on training sequences, shortest and longest included,
    reading each at its length as the engine does: the loss and every gradient must be finite."""
    import numpy as np
    import torch

    from lossbench.engine.model import SequenceModel, step_mask
    from lossbench.testing.reference_cells import GRU

    split = data.train
    lengths = split.lengths if split.lengths is not None else np.full(len(split), split.x.shape[1])
    rows = np.unique(np.concatenate([np.argsort(lengths, kind="stable")[[0, -1]], np.arange(min(len(split), 32))]))
    x = torch.as_tensor(split.x[rows], dtype=torch.float32)
    y = torch.as_tensor(split.y[rows], dtype=torch.long)
    lens = torch.as_tensor(lengths[rows], dtype=torch.long)
    torch.manual_seed(0)
    model = SequenceModel(GRU.name, GRU.build, {}, data.num_features, (8,), data.num_classes, data.per_step)
    logits = model(x, lens)
    if data.per_step:
        mask = step_mask(lens, x.shape[1])
        logits, y = logits[mask], y[mask]
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    if not bool(torch.isfinite(loss)):
        fail(f"cross-entropy of a small GRU on {len(rows)} training sequences is {loss.item()}; expected finite "
             f"(are the inputs far from unit scale? standardise them with training statistics)")
    bad = [n for n, p in model.named_parameters() if p.grad is not None and not bool(torch.isfinite(p.grad).all())]
    if bad:
        fail(f"gradients of a small GRU on training sequences are not finite ({', '.join(bad)}); expected finite "
             f"(are the inputs far from unit scale?)")
