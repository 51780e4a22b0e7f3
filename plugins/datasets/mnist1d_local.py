"""MNIST-1D (Greydanus 2020), generated on this machine and cached.

``mnist1d.data.make_dataset(get_dataset_args())`` builds the data in about 0.7 s, plus a matplotlib import
(``mnist1d.utils`` imports pyplot). So the arrays are cached twice: in memory per process, and as an ``.npz``
file in ``$LOSSBENCH_CACHE_DIR`` (default ``~/.cache/lossbench``). The file is keyed by what decides the
arrays: the generator seed and the mnist1d version (which fixes the generator's other arguments). It is
written to a temporary file and renamed into place, so processes that race only ever read whole files.
``mnist1d.data.get_dataset`` is never used: it downloads.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

from lossbench import DataError, Dataset, stratified_split
from lossbench_builtins.datasets._common import take

CACHE_FORMAT = 1
VAL_SPLIT_SEED = 0  # fixed: the validation split never moves with the generator seed or the run's seed
_KEYS = ("x", "y", "x_test", "y_test")
_MEMORY: dict[str, dict[str, np.ndarray]] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("LOSSBENCH_CACHE_DIR") or Path.home() / ".cache" / "lossbench").expanduser()


def _version() -> str:
    try:
        return metadata.version("mnist1d")
    except metadata.PackageNotFoundError:
        raise DataError("dataset mnist1d needs the mnist1d package: pip install mnist1d") from None


def cache_key(seed: int) -> str:
    return f"mnist1d-{_version()}-seed{seed}-v{CACHE_FORMAT}"


def _generate(seed: int) -> dict[str, np.ndarray]:
    import random

    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    # make_dataset seeds the global numpy and random generators; leave them as the caller had them
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {
        "x": np.asarray(data["x"], np.float32),
        "y": np.asarray(data["y"], np.int64),
        "x_test": np.asarray(data["x_test"], np.float32),
        "y_test": np.asarray(data["y_test"], np.int64),
    }


def _well_formed(arrays: dict[str, np.ndarray]) -> bool:
    x, y, xt, yt = (arrays.get(k) for k in _KEYS)
    if any(a is None for a in (x, y, xt, yt)):
        return False
    return (
        x.ndim == 2 and xt.ndim == 2 and y.shape == (len(x),) and yt.shape == (len(xt),)
        and x.shape[1] == xt.shape[1] and len(x) >= 2 and len(xt) >= 1
    )


def _read(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in _KEYS if k in npz.files}
    except Exception:  # missing or damaged: regenerate (and overwrite)
        return None
    return arrays if _well_formed(arrays) else None


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    except OSError as err:
        warnings.warn(f"mnist1d: cannot write the cache in {path.parent} ({err}); generating each time", stacklevel=3)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except OSError as err:  # a full disk, say: the data is made, only the cache is lost
        Path(tmp).unlink(missing_ok=True)
        warnings.warn(f"mnist1d: cannot write the cache file {path} ({err})", stacklevel=3)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def arrays(seed: int) -> dict[str, np.ndarray]:
    """The generator's train and test arrays for ``seed``, from memory, the cache file, or freshly made."""
    key = cache_key(seed)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.npz"
    found = _read(path)
    if found is None:
        found = _generate(seed)
        _write(path, found)
    for array in found.values():
        array.setflags(write=False)
    _MEMORY[key] = found
    return found


def load(*, seed: int, val_fraction: float) -> Dataset:
    data = arrays(seed)
    x, y = data["x"][..., None], data["y"]
    x_test, y_test = data["x_test"][..., None], data["y_test"]
    train_idx, val_idx = stratified_split(y, val_fraction, VAL_SPLIT_SEED)
    return Dataset(
        train=take(x, y, train_idx),
        val=take(x, y, val_idx),
        test=take(x_test, y_test, np.arange(len(y_test))),
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        info={
            "source": "MNIST-1D (Greydanus 2020), made locally with mnist1d.data.make_dataset",
            "mnist1d_version": _version(),
            "generator_seed": seed,
            "seq_len": int(x.shape[1]),
            "num_features": 1,
            "val_fraction": val_fraction,
            "val_split": f"stratified, {len(val_idx)} of the {len(y)} generated training signals (fixed seed)",
        },
    )
