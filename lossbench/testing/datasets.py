"""check_dataset: what a DatasetSpec must do (well formed, as declared, deterministic, the right dtypes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossbench.api.data import Dataset
from lossbench.api.specs import DatasetSpec
from lossbench.testing.report import Checks, Report, fail


def check_dataset(spec: DatasetSpec, params: Mapping[str, Any] | None = None) -> Report:
    """Check one dataset, loaded twice with ``params`` over its defaults (pass small sizes for a quick check)."""
    checks = Checks(f"dataset {getattr(spec, 'name', spec)}")
    if not checks.run("spec", _check_spec, spec)[0]:
        return checks.report
    ok, resolved = checks.run("defaults", spec.resolve, params)
    if not ok:
        return checks.report
    ok, data = checks.run("load", _load, spec, resolved)
    if not ok:
        return checks.report
    checks.run("well formed", _well_formed, data)
    checks.run("matches spec", _matches_spec, spec, data)
    checks.run("dtypes", _dtypes, data)
    checks.run("deterministic", _deterministic, spec, resolved, data)
    return checks.report


def _check_spec(spec: Any) -> None:
    if not isinstance(spec, DatasetSpec):
        fail(f"is a {type(spec).__name__}; expected a lossbench.DatasetSpec")
    if not callable(spec.load):
        fail("load is not callable; expected load(**params) returning a lossbench.Dataset")


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
                left is not None and right is not None and left.shape == right.shape and np.array_equal(left, right))
            if not same:
                fail(f"two loads with the same parameters differ in {name}.{field}; expected the same data "
                     f"(seed every random choice)")
