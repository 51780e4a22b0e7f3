"""A UCR/UEA archive classification problem from its ``.ts`` files.

Reads ``<path>/<name>_TRAIN.ts`` and ``<path>/<name>_TEST.ts`` (or the same inside ``<path>/<name>/``).
The format (sktime's): header lines ``@problemName``, ``@timeStamps``, ``@missing``, ``@univariate``,
``@equalLength``, ``@seriesLength``, ``@classLabel true <labels...>``, then ``@data``; keywords are
case-insensitive, ``#`` starts a comment line. Each data line is one case: dimensions separated by ``:``,
values by ``,``, the class label last.

The file is read by lossbench's public ``read_ts``, padded by ``pad_sequences``, split by
``stratified_split`` and standardised by ``standardize``: the helpers a third-party dataset uses too.

What the loader makes of it:

- labels are mapped to 0..C-1 in the order ``@classLabel`` lists them (``class_names``);
- unequal lengths are padded at the end with zeros and ``lengths`` gives the valid steps (a dimension shorter
  than its case's longest is padded too, and counts as missing);
- validation is carved from the training file (``val_fraction``, stratified, ``split_seed``);
- each feature (dimension) is z-normalised with the mean and standard deviation of the training split over
  its valid steps; missing values (``?`` or NaN) are then set to 0, the training mean.

Not supported (a DataError says so): ``@timeStamps true`` data, regression files (``@targetLabel``) and
unlabelled files (``@classLabel false``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lossbench import (DataError, Dataset, ParameterError, Split, pad_sequences, read_ts, standardize,
                       stratified_split)


def _files(folder: Path, name: str) -> tuple[Path, Path]:
    candidates = [(folder / f"{name}_TRAIN.ts", folder / f"{name}_TEST.ts"),
                  (folder / name / f"{name}_TRAIN.ts", folder / name / f"{name}_TEST.ts")]
    for train, test in candidates:
        if train.is_file() or test.is_file():
            for file in (train, test):
                if not file.is_file():
                    raise DataError(f"ucr: {file} is missing (beside {train.name if file is test else test.name})")
            return train, test
    raise DataError(f"ucr: no {name}_TRAIN.ts / {name}_TEST.ts in {folder} (looked for "
                    + " and ".join(str(p) for pair in candidates for p in pair) + ")")


def _problems_in(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    names = {p.name[: -len("_TRAIN.ts")] for p in [*folder.glob("*_TRAIN.ts"), *folder.glob("*/*_TRAIN.ts")]}
    return sorted(names)


def load(*, path: str, name: str, val_fraction: float, split_seed: int) -> Dataset:
    if not path:
        raise ParameterError("ucr.path is not set: name the folder holding <name>_TRAIN.ts and <name>_TEST.ts")
    folder = Path(path).expanduser()
    if not name:
        found = _problems_in(folder)
        listed = ""
        if found:
            listed = "; problems found there: " + ", ".join(found[:20]) + (" ..." if len(found) > 20 else "")
        raise ParameterError(f"ucr.name is not set: name a problem in {folder}{listed}")
    train_path, test_path = _files(folder, name)
    train, test = read_ts(train_path), read_ts(test_path)
    index = {label: i for i, label in enumerate(train.class_labels)}
    for label, lineno in zip(test.labels, test.lines):
        if label not in index:
            raise DataError(f"{test_path}:{lineno}: class label {label!r} is not among {train_path.name}'s "
                            f"@classLabel {' '.join(train.class_labels)}")
    dims = train.series[0].shape[1]
    if test.series[0].shape[1] != dims:
        raise DataError(f"{test_path} has {test.series[0].shape[1]} dimensions, {train_path} has {dims}")
    if len(train.class_labels) < 2:
        raise DataError(f"{train_path}: @classLabel lists a single class; classification needs 2 or more")
    present = [label for label in train.class_labels if label in set(train.labels)]
    if len(present) < 2:
        raise DataError(f"{train_path}: @classLabel lists {len(train.class_labels)} classes "
                        f"({' '.join(train.class_labels)}) but its data holds {len(present)} "
                        f"({' '.join(present)}); classification needs 2 or more in the training data")
    if len(present) < len(train.class_labels):
        import warnings

        absent = [label for label in train.class_labels if label not in present]
        warnings.warn(f"ucr: {train_path.name} has no case of class {', '.join(absent)} listed by its @classLabel: "
                      f"the model can never learn to predict it", stacklevel=2)
    if len(train.series) < 2:
        raise DataError(f"{train_path} holds {len(train.series)} case; a validation split needs at least 2")

    x, lengths = pad_sequences(train.series + test.series)  # one length T for every split
    y = np.array([index[label] for label in train.labels + test.labels], np.int64)
    n_train, steps = len(train.series), x.shape[1]
    missing = int(sum(np.isnan(s).sum() for s in train.series + test.series))
    ragged = bool((lengths < steps).any())
    train_idx, val_idx = stratified_split(y[:n_train], val_fraction, split_seed)
    splits = [Split(x[rows], y[rows], lengths[rows] if ragged else None)
              for rows in (train_idx, val_idx, np.arange(n_train, len(y)))]
    return Dataset(
        *standardize(*splits),
        num_classes=len(train.class_labels),
        class_names=tuple(train.class_labels),
        info={
            "source": f"UCR/UEA .ts files {train_path} and {test_path}",
            "problem": train.header.get("problemname", name),
            "seq_len": steps,
            "num_features": dims,
            "equal_length": not ragged,
            "missing_values": missing,
            "val_split": f"stratified {len(val_idx)} of the {n_train} training cases (split_seed {split_seed})",
            "normalisation": "per feature z-score with training-split statistics over valid steps; "
                             "missing values then 0 (the training mean); padding 0",
        },
    )
