"""A run's dataset, loaded and checked, without torch: a sweep's starting process loads it (to check it and
fingerprint it) and trains nothing, so it never pays torch's import for it."""

from __future__ import annotations

from lossbench.api.data import Dataset
from lossbench.engine.config import ResolvedRun
from lossbench.errors import DataError


def load_dataset(run: ResolvedRun) -> Dataset:
    """The run's dataset, loaded and checked; whatever its ``load`` raises names the dataset and its plugin."""
    name = run.dataset.name
    label = run.labels.get(name, f"dataset {name}")
    with run.blame(name, "load"):
        data = run.dataset.load(**run.params[name])
    if not isinstance(data, Dataset):
        raise DataError(f"{label}: load returned {type(data).__name__}; expected a lossbench.Dataset")
    problems = data.problems()
    if problems:
        raise DataError(f"{label} is malformed: " + "; ".join(problems))
    if data.per_step != run.dataset.per_step:
        raise DataError(f"{label} declares per_step={run.dataset.per_step} but returned "
                        f"{'per-step' if data.per_step else 'per-sequence'} targets")
    return data
