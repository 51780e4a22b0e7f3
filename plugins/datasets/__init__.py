"""Built-in datasets: registration only.

This module must import quickly (it loads with every ``lossbench`` command), so it holds the specs and small
``load`` functions only. Each ``load`` receives every parameter (the engine passes ``spec.resolve(...)``, so the
defaults live in the spec only) and imports the module beside it that does the work, with numpy and friends,
when it is called:

- ``mnist1d_local``: MNIST-1D generated locally and cached (the default dataset).
- ``digits``: scikit-learn's bundled 8x8 digits read row by row or pixel by pixel.
- ``smnist``: sequential / permuted MNIST from the IDX files in a folder the user names.
- ``ucr``: a UCR/UEA archive problem from its ``.ts`` files.
- ``synthetic``: the copy-memory and temporal-order tasks.
- ``text``: next-character prediction on a UTF-8 text file.
"""

from __future__ import annotations

from lossbench import Categorical, DatasetSpec, Float, Int, hookimpl

LOSSBENCH_API = "1.1"  # the version of lossbench's plugin API this module is written for

BOTH = frozenset({"binary", "multiclass"})
MULTICLASS = frozenset({"multiclass"})
SIZE = Int(1, 10_000_000, log=True)
FRACTION = Float(0.01, 0.5)
MODE = Categorical(["rows", "pixels"])
SEED = Int(0, 2**32 - 1)  # numpy refuses a negative seed (and mnist1d one above 2**32 - 1)
EXTRA = Int(0, 1_000_000)  # generated signals: about 0.2 ms each, 160 bytes each in the cache


def load_mnist1d(*, seed, val_fraction, extra_val, extra_test):
    from lossbench_builtins.datasets import mnist1d_local

    return mnist1d_local.load(seed=seed, val_fraction=val_fraction, extra_val=extra_val, extra_test=extra_test)


def load_digits(*, mode, permute, permutation_seed, split_seed):
    from lossbench_builtins.datasets import digits

    return digits.load(mode=mode, permute=permute, permutation_seed=permutation_seed, split_seed=split_seed)


def load_smnist(*, path, mode, permute, permutation_seed, limit):
    from lossbench_builtins.datasets import smnist

    return smnist.load(path=path, mode=mode, permute=permute, permutation_seed=permutation_seed, limit=limit)


def load_ucr(*, path, name, package, val_fraction, split_seed):
    from lossbench_builtins.datasets import ucr

    return ucr.load(path=path, name=name, package=package, val_fraction=val_fraction, split_seed=split_seed)


def load_copy(*, T, n_train, n_val, n_test, seed):
    from lossbench_builtins.datasets import synthetic

    return synthetic.load_copy(T=T, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed)


def load_temporal_order(*, T, markers, n_train, n_val, n_test, seed):
    from lossbench_builtins.datasets import synthetic

    return synthetic.load_temporal_order(T=T, markers=markers, n_train=n_train, n_val=n_val, n_test=n_test,
                                         seed=seed)


def load_text(*, path, seq_len):
    from lossbench_builtins.datasets import text

    return text.load(path=path, seq_len=seq_len)


MNIST1D = DatasetSpec(
    name="mnist1d",
    summary="MNIST-1D (Greydanus 2020): 40-step 1-D digit signals, 10 classes, generated locally",
    # extra_val / extra_test: that many more signals (a multiple of 10) from the generator, other seeds
    constraints={"val_fraction": FRACTION, "seed": SEED, "extra_val": EXTRA, "extra_test": EXTRA},
    defaults={"seed": 42, "val_fraction": 0.1, "extra_val": 0, "extra_test": 0},
    load=load_mnist1d,
    targets=MULTICLASS,
)
DIGITS = DatasetSpec(
    name="digits",
    summary="scikit-learn's 8x8 digits as sequences of rows (8x8) or pixels (64x1), 10 classes",
    constraints={"mode": MODE, "permutation_seed": SEED, "split_seed": SEED},
    defaults={"mode": "rows", "permute": False, "permutation_seed": 0, "split_seed": 0},
    load=load_digits,
    targets=MULTICLASS,
)
SMNIST = DatasetSpec(
    name="smnist",
    summary="sequential / permuted MNIST from the IDX files in a folder (rows: 28x28, pixels: 784x1)",
    constraints={"mode": MODE, "limit": Int(0, 10_000_000), "permutation_seed": SEED},
    defaults={"path": "", "mode": "rows", "permute": False, "permutation_seed": 0, "limit": 0},
    load=load_smnist,
    targets=MULTICLASS,
)
UCR = DatasetSpec(
    name="ucr",
    summary="a UCR/UEA time-series classification problem read from its .ts files",
    constraints={"val_fraction": FRACTION, "split_seed": SEED},
    # package: an installed Python package shipping the files (sktime); path is then a folder inside it
    defaults={"path": "", "name": "", "package": "", "val_fraction": 0.2, "split_seed": 0},
    load=load_ucr,
    targets=BOTH,
)
COPY = DatasetSpec(
    name="copy",
    summary="copy memory: recall 10 symbols after T blanks (per-step targets, length T+20)",
    constraints={"T": Int(1, 2000, log=True), "n_train": SIZE, "n_val": SIZE, "n_test": SIZE, "seed": SEED},
    defaults={"T": 50, "n_train": 10000, "n_val": 1000, "n_test": 1000, "seed": 0},
    load=load_copy,
    targets=MULTICLASS,
    per_step=True,
)
TEMPORAL_ORDER = DatasetSpec(
    name="temporal_order",
    summary="temporal order: classify the order of two X/Y symbols hidden among distractors (4 classes)",
    constraints={"T": Int(10, 2000, log=True), "n_train": SIZE, "n_val": SIZE, "n_test": SIZE, "seed": SEED},
    defaults={"T": 100, "markers": True, "n_train": 10000, "n_val": 1000, "n_test": 1000, "seed": 0},
    load=load_temporal_order,
    targets=MULTICLASS,
)
TEXT = DatasetSpec(
    name="text",
    summary="next-character prediction on a local UTF-8 text file (per-step targets)",
    constraints={"seq_len": Int(1, 10_000, log=True)},
    defaults={"path": "", "seq_len": 64},
    load=load_text,
    targets=BOTH,
    per_step=True,
)

SPECS = (MNIST1D, DIGITS, SMNIST, UCR, COPY, TEMPORAL_ORDER, TEXT)


@hookimpl
def register_datasets(register):
    for spec in SPECS:
        register(spec)
