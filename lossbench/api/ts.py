"""``read_ts``: one ``.ts`` file of the UCR/UEA time-series archive (sktime's format), for dataset plugins.

The format: header lines ``@problemName``, ``@timeStamps``, ``@missing``, ``@univariate``, ``@equalLength``,
``@seriesLength``, ``@classLabel true <labels...>``, then ``@data``; keywords are case-insensitive, ``#``
starts a comment line. Each data line is one case: dimensions separated by ``:``, values by ``,`` (``?`` is
a missing value), the class label last. Not supported (a DataError says so): ``@timeStamps true`` data,
regression files (``@targetLabel true``) and unlabelled files (``@classLabel false``).

Imports numpy: ``lossbench`` hands it out lazily.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lossbench.errors import DataError


@dataclass
class TsFile:
    """A parsed ``.ts`` file. ``series[i]`` is case i as float64 [steps, dimensions] (NaN where a value is
    missing, and where one dimension is shorter than the case's longest), ``labels[i]`` its class label as
    written, ``lines[i]`` its line in the file; ``class_labels`` lists the labels in ``@classLabel`` order;
    ``header`` holds the other header lines (keys lower-cased)."""

    path: Path
    header: dict[str, str]
    class_labels: list[str]
    series: list[np.ndarray]
    labels: list[str]
    lines: list[int]


def read_ts(path: str | os.PathLike) -> TsFile:
    """Parse one ``.ts`` file; a missing file or a malformed line raises a DataError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    header: dict[str, str] = {}
    class_labels: list[str] | None = None
    series: list[np.ndarray] = []
    labels: list[str] = []
    lines: list[int] = []
    in_data = False
    n_dims = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        if not in_data:
            in_data, class_labels = _header_line(where, line, header, class_labels)
            continue
        if class_labels is None:
            raise DataError(f"{where}: data before any @classLabel line")
        *fields, label = line.split(":")
        label = label.strip()
        if not fields:
            raise DataError(f"{where}: a data line needs values and a class label separated by ':'")
        if label not in class_labels:
            raise DataError(f"{where}: class label {label!r} is not among @classLabel {' '.join(class_labels)}")
        if len(fields) > 1 and header.get("univariate", "").lower() == "true":
            raise DataError(f"{where}: {len(fields)} dimensions in a file declared @univariate true")
        if n_dims is None:
            n_dims = len(fields)
        elif len(fields) != n_dims:
            raise DataError(f"{where}: {len(fields)} dimensions, earlier lines have {n_dims}")
        series.append(_case(where, fields))
        labels.append(label)
        lines.append(lineno)
    if class_labels is None:
        raise DataError(f"{path}: no @classLabel line in the header")
    if not series:
        raise DataError(f"{path}: no data" + ("" if in_data else " (no @data line)"))
    return TsFile(path, header, class_labels, series, labels, lines)


def _header_line(where: str, line: str, header: dict[str, str], class_labels: list[str] | None
                 ) -> tuple[bool, list[str] | None]:
    """Read one header line into ``header``; (whether it was ``@data``, the class labels so far)."""
    if not line.startswith("@"):
        raise DataError(f"{where}: expected a header line (@...) or @data, got {line[:40]!r}")
    if not line[1:].split():
        raise DataError(f"{where}: '@' with no keyword (expected e.g. @problemName or @data)")
    key, *args = line[1:].split()
    key = key.lower()
    if key == "data":
        return True, class_labels
    if key == "classlabel":
        if not _flag(where, "classLabel", args):
            raise DataError(f"{where}: @classLabel false: unlabelled problems are not supported")
        class_labels = args[1:]
        if not class_labels or len(set(class_labels)) != len(class_labels):
            raise DataError(f"{where}: @classLabel true must list distinct class labels")
    elif key == "targetlabel" and _flag(where, "targetLabel", args):
        raise DataError(f"{where}: @targetLabel true is a regression problem; only classification works")
    elif key == "timestamps" and _flag(where, "timeStamps", args):
        raise DataError(f"{where}: @timeStamps true data is not supported")
    else:
        header[key] = " ".join(args)
    return False, class_labels


def _flag(where: str, key: str, args: list[str]) -> bool:
    if not args or args[0].lower() not in ("true", "false"):
        raise DataError(f"{where}: @{key} must be followed by true or false")
    return args[0].lower() == "true"


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _case(where: str, fields: list[str]) -> np.ndarray:
    """One data line's dimensions as float64 [steps, dims], NaN where missing or shorter than the longest."""
    dims = []
    for d, field in enumerate(fields, 1):
        values = [v.strip() for v in field.split(",")]
        try:
            dims.append(np.array(["nan" if v == "?" else v for v in values], dtype=np.float64))
        except ValueError:
            bad = next(v for v in values if v != "?" and not _is_number(v))
            raise DataError(f"{where}: dimension {d}: {bad!r} is not a number") from None
        if (np.abs(dims[-1]) > FLOAT32_MAX).any():  # inf too; float32 would make it inf and the channel's std nan
            bad = next(v for v in values if v != "?" and abs(float(v)) > FLOAT32_MAX)
            raise DataError(f"{where}: dimension {d}: {bad!r} is not a finite float32 value (at most "
                            f"{FLOAT32_MAX:.3g} in size; training is in float32); use ? for a missing value")
    case = np.full((max(len(v) for v in dims), len(dims)), np.nan)
    for d, values in enumerate(dims):
        case[: len(values), d] = values
    return case


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
