"""A UCR/UEA archive classification problem from its ``.ts`` files.

Reads ``<path>/<name>_TRAIN.ts`` and ``<path>/<name>_TEST.ts`` (or the same inside ``<path>/<name>/``). With
``package`` set, ``path`` is a folder inside that installed Python package (default ``datasets/data``, where
sktime and aeon keep the problems their wheels ship), so a problem a package ships needs no download:
``package = "sktime", name = "ItalyPowerDemand"``. The package is found with ``importlib.util.find_spec``, which
locates it without importing it (importing sktime takes about a second).
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
                    + " and ".join(str(p) for pair in candidates for p in pair) + ")" + _listed(folder))


def _listed(folder: Path) -> str:
    """"; problems found there: ..." naming the problems in ``folder``, or nothing when it holds none."""
    if not folder.is_dir():
        return ""
    found = sorted({p.name[: -len("_TRAIN.ts")] for p in [*folder.glob("*_TRAIN.ts"), *folder.glob("*/*_TRAIN.ts")]})
    return "; problems found there: " + ", ".join(found[:20]) + (" ..." if len(found) > 20 else "") if found else ""


PACKAGE_FOLDER = "datasets/data"  # where sktime and aeon keep the .ts files their wheels ship


def _package_folder(package: str, path: str) -> tuple[Path, str]:
    """The folder ``path`` (default PACKAGE_FOLDER) inside the installed ``package``, and the package's words."""
    from importlib import metadata, util

    try:
        found = util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise DataError(f"ucr.package {package!r} is not an installed Python package: pip install {package} "
                        f"(sktime ships ItalyPowerDemand, GunPoint and others: pip install 'lossbench[ucr]')")
    if Path(path).is_absolute():
        raise ParameterError(f"ucr.path {path!r} is absolute: with ucr.package set, path is a folder inside the "
                             f"package (default {PACKAGE_FOLDER}); unset ucr.package to read any folder")
    try:
        words = f"{package} {metadata.version(package)}"
    except (metadata.PackageNotFoundError, ValueError):
        words = package
    return Path(next(iter(found.submodule_search_locations))) / (path or PACKAGE_FOLDER), words


def load(*, path: str, name: str, package: str, val_fraction: float, split_seed: int) -> Dataset:
    if not path and not package:
        raise ParameterError("ucr.path is not set: name the folder holding <name>_TRAIN.ts and <name>_TEST.ts, "
                             "or ucr.package, an installed package that ships them (sktime)")
    folder, shipped = _package_folder(package, path) if package else (Path(path).expanduser(), "")
    if not name:
        raise ParameterError(f"ucr.name is not set: name a problem in {folder}{_listed(folder)}")
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
            "source": f"UCR/UEA .ts files {train_path} and {test_path}"
                      + (f", shipped by {shipped}" if shipped else ""),
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
