"""MNIST-1D (Greydanus 2020), generated on this machine and cached.

``mnist1d.data.make_dataset(get_dataset_args())`` builds the data in about 0.7 s, plus a matplotlib import
(``mnist1d.utils`` imports pyplot). So the arrays are cached twice: in memory per process, and as an ``.npz``
file in ``$LOSSBENCH_CACHE_DIR`` (default ``~/.cache/lossbench``). The file is keyed by what decides the
arrays: the generator seed and the mnist1d version (which fixes the generator's other arguments). It is
written to a temporary file and renamed into place, so processes that race only ever read whole files.
``mnist1d.data.get_dataset`` is never used: it downloads.

``extra_val`` and ``extra_test`` add that many signals to the validation and test sets, from the generator's own
loop with seeds derived from the generator seed, on the standard split's scale (``mnist1d_extra``); each extra
set is cached the same way, in a file of its own keyed by the seed, what it is for and its count.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from lossbench import DataError, Dataset, ParameterError, Split, stratified_split
from lossbench_builtins.datasets import mnist1d_extra
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


def cache_key(seed: int, extra: str = "", count: int = 0) -> str:
    """The cache file's name without ``.npz``: the standard arrays, or ``count`` extra ``extra`` signals."""
    kind = f"-extra-{extra}{count}" if extra else ""
    return f"mnist1d-{_version()}-seed{seed}{kind}-v{CACHE_FORMAT}"


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


def _well_formed_extra(arrays: dict[str, np.ndarray], count: int) -> bool:
    x, y = arrays.get("x"), arrays.get("y")
    return x is not None and y is not None and x.shape == (count, 40) and y.shape == (count,)


def _well_formed(arrays: dict[str, np.ndarray]) -> bool:
    x, y, xt, yt = (arrays.get(k) for k in _KEYS)
    if any(a is None for a in (x, y, xt, yt)):
        return False
    return (
        x.ndim == 2 and xt.ndim == 2 and y.shape == (len(x),) and yt.shape == (len(xt),)
        and x.shape[1] == xt.shape[1] and len(x) >= 2 and len(xt) >= 1
    )


def _read(path: Path, well_formed: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception:  # missing or damaged: regenerate (and overwrite)
        return None
    return arrays if well_formed(arrays) else None


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


def _cached(key: str, make: Callable[[], dict[str, np.ndarray]],
            well_formed: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray]:
    """The arrays cached under ``key``, from memory, the cache file, or ``make()`` (then written)."""
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.npz"
    found = _read(path, well_formed)
    if found is None:
        found = make()
        _write(path, found)
    for array in found.values():
        array.setflags(write=False)
    _MEMORY[key] = found
    return found


def arrays(seed: int) -> dict[str, np.ndarray]:
    """The generator's train and test arrays for ``seed``, from memory, the cache file, or freshly made."""
    return _cached(cache_key(seed), lambda: _generate(seed), _well_formed)


def extra_arrays(seed: int, purpose: str, count: int) -> dict[str, np.ndarray]:
    """``count`` extra signals for ``purpose`` ("val" or "test"), cached like the standard arrays."""
    return _cached(cache_key(seed, purpose, count), lambda: mnist1d_extra.extra_signals(seed, purpose, count),
                   lambda found: _well_formed_extra(found, count))


def _with_extra(split: Split, seed: int, purpose: str, count: int) -> tuple[Split, str]:
    """``split`` followed by ``count`` extra signals, and the words that say what was added."""
    if not count:
        return split, ""
    extra = extra_arrays(seed, purpose, count)
    x = np.concatenate([split.x, extra["x"][..., None]])
    return Split(x, np.concatenate([split.y, extra["y"]])), (
        f", then {count} extra signals ({count // 10} a class, generator seed "
        f"{mnist1d_extra.derived_seed(seed, purpose)}, scaled by the standard split's mean and deviation)")


def load(*, seed: int, val_fraction: float, extra_val: int, extra_test: int) -> Dataset:
    for name, count in (("extra_val", extra_val), ("extra_test", extra_test)):
        if count % mnist1d_extra.CLASSES:
            raise ParameterError(f"mnist1d.{name} must be a multiple of 10 (the same number of signals of each "
                                 f"class); got {count}")
    data = arrays(seed)
    x, y = data["x"][..., None], data["y"]
    x_test, y_test = data["x_test"][..., None], data["y_test"]
    train_idx, val_idx = stratified_split(y, val_fraction, VAL_SPLIT_SEED)
    val, val_extra = _with_extra(take(x, y, val_idx), seed, "val", extra_val)
    test, test_extra = _with_extra(take(x_test, y_test, np.arange(len(y_test))), seed, "test", extra_test)
    return Dataset(
        train=take(x, y, train_idx),
        val=val,
        test=test,
        num_classes=10,
        class_names=tuple(str(d) for d in range(10)),
        info={
            "source": "MNIST-1D (Greydanus 2020), made locally with mnist1d.data.make_dataset",
            "mnist1d_version": _version(),
            "generator_seed": seed,
            "seq_len": int(x.shape[1]),
            "num_features": 1,
            "val_fraction": val_fraction,
            "val_split": f"stratified, {len(val_idx)} of the {len(y)} generated training signals (fixed seed)"
                         + val_extra,
            "test_split": f"the generator's {len(y_test)} test signals" + test_extra,
        },
    )
