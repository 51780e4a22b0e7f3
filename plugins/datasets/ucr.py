"""A UCR/UEA archive classification problem from its ``.ts`` files.

Reads ``<path>/<name>_TRAIN.ts`` and ``<path>/<name>_TEST.ts`` (or the same inside ``<path>/<name>/``).
The format (sktime's): header lines ``@problemName``, ``@timeStamps``, ``@missing``, ``@univariate``,
``@equalLength``, ``@seriesLength``, ``@classLabel true <labels...>``, then ``@data``; keywords are
case-insensitive, ``#`` starts a comment line. Each data line is one case: dimensions separated by ``:``,
values by ``,``, the class label last.

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

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lossbench import DataError, Dataset, ParameterError
from lossbench_builtins.datasets._common import holdout, take


@dataclass
class TsFile:
    path: Path
    header: dict[str, str]
    class_labels: list[str]
    cases: list[np.ndarray]  # each float64 [dims, steps], NaN where missing
    labels: list[str]
    lines: list[int]  # the line number of each case


def _flag(path: Path, lineno: int, key: str, args: list[str]) -> bool:
    if not args or args[0].lower() not in ("true", "false"):
        raise DataError(f"{path}:{lineno}: @{key} must be followed by true or false")
    return args[0].lower() == "true"


def parse_ts(path: Path) -> TsFile:
    """Parse one ``.ts`` file; every malformed line raises a DataError naming the file and line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    header: dict[str, str] = {}
    class_labels: list[str] | None = None
    cases: list[np.ndarray] = []
    labels: list[str] = []
    lines: list[int] = []
    in_data = False
    n_dims = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise DataError(f"{path}:{lineno}: expected a header line (@...) or @data, got {line[:40]!r}")
            if not line[1:].split():
                raise DataError(f"{path}:{lineno}: '@' with no keyword (expected e.g. @problemName or @data)")
            key, *args = line[1:].split()
            key = key.lower()
            if key == "data":
                in_data = True
            elif key == "classlabel":
                if not _flag(path, lineno, "classLabel", args):
                    raise DataError(f"{path}:{lineno}: @classLabel false: unlabelled problems are not supported")
                class_labels = args[1:]
                if not class_labels or len(set(class_labels)) != len(class_labels):
                    raise DataError(f"{path}:{lineno}: @classLabel true must list distinct class labels")
            elif key == "targetlabel" and _flag(path, lineno, "targetLabel", args):
                raise DataError(f"{path}:{lineno}: @targetLabel true is a regression problem; only classification works")
            elif key == "timestamps" and _flag(path, lineno, "timeStamps", args):
                raise DataError(f"{path}:{lineno}: @timeStamps true data is not supported")
            else:
                header[key] = " ".join(args)
            continue
        if class_labels is None:
            raise DataError(f"{path}:{lineno}: data before any @classLabel line")
        *fields, label = line.split(":")
        label = label.strip()
        if not fields:
            raise DataError(f"{path}:{lineno}: a data line needs values and a class label separated by ':'")
        if label not in class_labels:
            raise DataError(f"{path}:{lineno}: class label {label!r} is not among @classLabel {' '.join(class_labels)}")
        if len(fields) > 1 and header.get("univariate", "").lower() == "true":
            raise DataError(f"{path}:{lineno}: {len(fields)} dimensions in a file declared @univariate true")
        if n_dims is None:
            n_dims = len(fields)
        elif len(fields) != n_dims:
            raise DataError(f"{path}:{lineno}: {len(fields)} dimensions, earlier lines have {n_dims}")
        dims = []
        for d, field in enumerate(fields, 1):
            values = [v.strip() for v in field.split(",")]
            try:
                dims.append(np.array(["nan" if v == "?" else v for v in values], dtype=np.float64))
            except ValueError:
                bad = next(v for v in values if v != "?" and not _is_number(v))
                raise DataError(f"{path}:{lineno}: dimension {d}: {bad!r} is not a number") from None
        steps = max(len(v) for v in dims)
        case = np.full((n_dims, steps), np.nan)
        for d, values in enumerate(dims):
            case[d, : len(values)] = values
        cases.append(case)
        labels.append(label)
        lines.append(lineno)
    if class_labels is None:
        raise DataError(f"{path}: no @classLabel line in the header")
    if not cases:
        raise DataError(f"{path}: no data" + ("" if in_data else " (no @data line)"))
    return TsFile(path, header, class_labels, cases, labels, lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
    train, test = parse_ts(train_path), parse_ts(test_path)
    index = {label: i for i, label in enumerate(train.class_labels)}
    for label, lineno in zip(test.labels, test.lines):
        if label not in index:
            raise DataError(f"{test_path}:{lineno}: class label {label!r} is not among {train_path.name}'s "
                            f"@classLabel {' '.join(train.class_labels)}")
    dims = train.cases[0].shape[0]
    if test.cases[0].shape[0] != dims:
        raise DataError(f"{test_path} has {test.cases[0].shape[0]} dimensions, {train_path} has {dims}")
    if len(train.class_labels) < 2:
        raise DataError(f"{train_path}: @classLabel lists a single class; classification needs 2 or more")
    if len(train.cases) < 2:
        raise DataError(f"{train_path} holds {len(train.cases)} case; a validation split needs at least 2")

    all_cases = train.cases + test.cases
    lengths = np.array([c.shape[1] for c in all_cases], np.int64)
    steps = int(lengths.max())
    x = np.zeros((len(all_cases), steps, dims), np.float64)
    valid = np.arange(steps)[None, :] < lengths[:, None]  # [N, T]
    for i, case in enumerate(all_cases):
        x[i, : case.shape[1]] = case.T
    y = np.array([index[label] for label in train.labels + test.labels], np.int64)
    n_train = len(train.cases)

    train_idx, val_idx = holdout(y[:n_train], val_fraction, split_seed)
    observed = x[train_idx][valid[train_idx]]  # [steps observed, dims]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a feature with no observed value: handled below
        mean, std = np.nanmean(observed, axis=0), np.nanstd(observed, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    missing = int(np.isnan(x[valid]).sum())
    x = (x - mean) / std
    x[~np.isfinite(x)] = 0.0
    x[~valid] = 0.0
    ragged = bool((lengths < steps).any())
    per_split = lengths if ragged else None
    test_idx = np.arange(n_train, len(all_cases))
    return Dataset(
        train=take(x, y, train_idx, per_split),
        val=take(x, y, val_idx, per_split),
        test=take(x, y, test_idx, per_split),
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
