"""Built-in datasets: the catalogue of their specs.

This module must import quickly (it loads with every ``lossbench`` command), so it holds only the specs.
Each loader lives in a module beside it that imports numpy and friends at the top; that module is imported
when a dataset is loaded, never before:

- ``mnist1d_local``: MNIST-1D generated locally and cached (the default dataset).
- ``digits``: scikit-learn's bundled 8x8 digits read row by row or pixel by pixel.
- ``smnist``: sequential / permuted MNIST from the IDX files in a folder the user names.
- ``ucr``: a UCR/UEA archive problem from its ``.ts`` files.
- ``synthetic``: the copy-memory and temporal-order tasks.
- ``text``: next-character prediction on a UTF-8 text file.

Every ``load`` checks and completes its parameters against the spec first (``spec.resolve``), so calling
``spec.load()`` with no arguments gives the defaults.
"""

from __future__ import annotations

import importlib
from functools import partial

from lossbench import Categorical, Dataset, DatasetSpec, Float, Int, hookimpl

_BOTH = frozenset({"binary", "multiclass"})
_MULTI = frozenset({"multiclass"})
_SIZE = Int(1, 10_000_000, log=True)
_FRACTION = Float(0.01, 0.5)
_MODE = Categorical(["rows", "pixels"])
_SEED = Int(0, 2**32 - 1)  # numpy refuses a negative seed (and mnist1d one above 2**32 - 1)


def _load(dataset: str, /, **params) -> Dataset:
    # positional-only: a dataset may well have a parameter called "name" (ucr does)
    spec = _SPECS[dataset]
    module_name, function = _LOADERS[dataset]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, function)(**spec.resolve(params))


def _spec(loader: tuple[str, str], **fields) -> DatasetSpec:
    _LOADERS[fields["name"]] = loader
    return DatasetSpec(load=partial(_load, fields["name"]), **fields)


_LOADERS: dict[str, tuple[str, str]] = {}
_SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            ("mnist1d_local", "load"),
            name="mnist1d",
            summary="MNIST-1D (Greydanus 2020): 40-step 1-D digit signals, 10 classes, generated locally",
            constraints={"val_fraction": _FRACTION, "seed": _SEED},
            defaults={"seed": 42, "val_fraction": 0.1},
            targets=_MULTI,
        ),
        _spec(
            ("digits", "load"),
            name="digits",
            summary="scikit-learn's 8x8 digits as sequences of rows (8x8) or pixels (64x1), 10 classes",
            defaults={"mode": "rows", "permute": False, "permutation_seed": 0, "split_seed": 0},
            constraints={"mode": _MODE, "permutation_seed": _SEED, "split_seed": _SEED},
            targets=_MULTI,
        ),
        _spec(
            ("smnist", "load"),
            name="smnist",
            summary="sequential / permuted MNIST from the IDX files in a folder (rows: 28x28, pixels: 784x1)",
            defaults={"path": "", "mode": "rows", "permute": False, "permutation_seed": 0, "limit": 0},
            constraints={"mode": _MODE, "limit": Int(0, 10_000_000), "permutation_seed": _SEED},
            targets=_MULTI,
        ),
        _spec(
            ("ucr", "load"),
            name="ucr",
            summary="a UCR/UEA time-series classification problem read from its .ts files",
            defaults={"path": "", "name": "", "val_fraction": 0.2, "split_seed": 0},
            constraints={"val_fraction": _FRACTION, "split_seed": _SEED},
            targets=_BOTH,
        ),
        _spec(
            ("synthetic", "load_copy"),
            name="copy",
            summary="copy memory: recall 10 symbols after T blanks (per-step targets, length T+20)",
            defaults={"T": 50, "n_train": 10000, "n_val": 1000, "n_test": 1000, "seed": 0},
            constraints={"T": Int(1, 2000, log=True), "n_train": _SIZE, "n_val": _SIZE, "n_test": _SIZE, "seed": _SEED},
            targets=_MULTI,
            per_step=True,
        ),
        _spec(
            ("synthetic", "load_temporal_order"),
            name="temporal_order",
            summary="temporal order: classify the order of two X/Y symbols hidden among distractors (4 classes)",
            defaults={"T": 100, "markers": True, "n_train": 10000, "n_val": 1000, "n_test": 1000, "seed": 0},
            constraints={"T": Int(10, 2000, log=True), "n_train": _SIZE, "n_val": _SIZE, "n_test": _SIZE, "seed": _SEED},
            targets=_MULTI,
        ),
        _spec(
            ("text", "load"),
            name="text",
            summary="next-character prediction on a local UTF-8 text file (per-step targets)",
            defaults={"path": "", "seq_len": 64},
            constraints={"seq_len": Int(1, 10_000, log=True)},
            targets=_BOTH,
            per_step=True,
        ),
    )
}


@hookimpl
def register_datasets(register):
    for spec in _SPECS.values():
        register(spec)
