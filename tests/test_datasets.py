"""The built-in datasets (plugins/datasets), called directly through their plugin hook."""

from __future__ import annotations

import inspect
import math
import struct
import subprocess
import sys

import numpy as np
import pytest

from lossbench import Dataset, DatasetSpec
from lossbench.errors import DataError, ParameterError
from lossbench_builtins import datasets as plugin

from idx_files import write_idx

NAMES = {"mnist1d", "digits", "smnist", "ucr", "copy", "temporal_order", "text"}


@pytest.fixture(scope="module")
def specs() -> dict[str, DatasetSpec]:
    found: list[DatasetSpec] = []
    plugin.register_datasets(found.append)
    return {spec.name: spec for spec in found}


def load(spec: DatasetSpec, **overrides) -> Dataset:
    """Load as the engine does: the spec checks and completes the parameters, the loader gets all of them."""
    return spec.load(**spec.resolve(overrides))


def check_well_formed(data: Dataset, per_step: bool) -> None:
    assert data.problems() == []
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == np.float32 and split.x.ndim == 3
        assert split.y.dtype == np.int64
        assert split.y.ndim == (2 if per_step else 1)
        if split.lengths is not None:
            assert split.lengths.dtype == np.int64
        assert np.isfinite(split.x).all()
    assert data.per_step == per_step
    if data.class_names is not None:
        assert len(data.class_names) == data.num_classes
    assert data.info.get("source")


def assert_same(a: Dataset, b: Dataset) -> None:
    for name in ("train", "val", "test"):
        sa, sb = getattr(a, name), getattr(b, name)
        np.testing.assert_array_equal(sa.x, sb.x)
        np.testing.assert_array_equal(sa.y, sb.y)
        assert (sa.lengths is None) == (sb.lengths is None)
        if sa.lengths is not None:
            np.testing.assert_array_equal(sa.lengths, sb.lengths)
    assert a.num_classes == b.num_classes and a.class_names == b.class_names


def shared_rows(a: np.ndarray, b: np.ndarray) -> int:
    """How many rows of ``a`` (flattened per sequence) also occur in ``b``."""
    rows = {r.tobytes() for r in b.reshape(len(b), -1)}
    return sum(r.tobytes() in rows for r in a.reshape(len(a), -1))


# --- the catalogue ---------------------------------------------------------------------------------


def test_all_datasets_registered_with_consistent_specs(specs):
    assert set(specs) == NAMES
    for spec in specs.values():
        assert isinstance(spec, DatasetSpec)
        assert spec.targets <= {"binary", "multiclass"} and spec.targets
        assert set(spec.space) <= set(spec.defaults)
        # the loader behind the spec takes exactly the parameters the spec declares, none with a default
        parameters = inspect.signature(spec.load).parameters
        assert set(parameters) == set(spec.defaults), spec.name
        assert all(p.default is inspect.Parameter.empty for p in parameters.values()), spec.name
    assert {n for n, s in specs.items() if s.per_step} == {"copy", "text"}
    assert specs["ucr"].targets == {"binary", "multiclass"}


def test_importing_the_plugin_stays_light():
    code = (
        "import sys, lossbench_builtins.datasets as d; found = []; d.register_datasets(found.append); "
        "assert len(found) == 7; "
        "print(','.join(m for m in ('torch', 'numpy', 'sklearn', 'mnist1d', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_plugin_modules_never_import_torch():
    from pathlib import Path

    for file in Path(plugin.__file__).parent.glob("*.py"):
        text = file.read_text()
        assert "import torch" not in text and "from torch" not in text, file.name


def test_parameters_are_checked(specs):
    with pytest.raises(ParameterError, match="mode"):
        load(specs["digits"], mode="columns")
    with pytest.raises(ParameterError):
        load(specs["copy"], T=0)
    with pytest.raises(ParameterError):
        load(specs["copy"], n_train=0)
    with pytest.raises(ParameterError, match="nonsense"):
        load(specs["copy"], nonsense=1)
    # numpy refuses a negative seed: it must be a ParameterError (exit code 2), not a ValueError traceback
    for name, key in [("mnist1d", "seed"), ("digits", "split_seed"), ("digits", "permutation_seed"),
                      ("smnist", "permutation_seed"), ("ucr", "split_seed"), ("copy", "seed"),
                      ("temporal_order", "seed")]:
        with pytest.raises(ParameterError, match=key):
            load(specs[name], **{key: -1})
    for name in ("smnist", "ucr", "text"):
        with pytest.raises(ParameterError, match="path"):
            load(specs[name])


# --- mnist1d ---------------------------------------------------------------------------------------


@pytest.fixture
def mnist1d_cache(tmp_path_factory, monkeypatch):
    from lossbench_builtins.datasets import mnist1d_local

    folder = tmp_path_factory.getbasetemp() / "lossbench-cache"
    monkeypatch.setenv("LOSSBENCH_CACHE_DIR", str(folder))
    mnist1d_local._MEMORY.clear()
    yield folder
    mnist1d_local._MEMORY.clear()


def test_mnist1d_generates_caches_and_reloads(specs, mnist1d_cache, monkeypatch):
    from lossbench_builtins.datasets import mnist1d_local

    state = np.random.get_state()[1].copy()
    data = load(specs["mnist1d"])
    assert np.array_equal(np.random.get_state()[1], state), "generating must not move the global numpy RNG"
    check_well_formed(data, per_step=False)
    assert (len(data.train), len(data.val), len(data.test)) == (3600, 400, 1000)
    assert data.train.x.shape[1:] == (40, 1) and data.num_classes == 10
    assert data.train.lengths is None
    assert sorted(set(data.train.y.tolist())) == list(range(10))
    assert np.bincount(data.val.y, minlength=10).min() >= 30  # stratified: about 40 a class
    assert shared_rows(data.val.x, data.train.x) == 0 and shared_rows(data.test.x, data.train.x) == 0
    files = sorted(p.name for p in mnist1d_cache.iterdir())
    assert files == [f"{mnist1d_local.cache_key(42)}.npz"], files  # no temporary file left behind

    # the same process: from memory; a fresh process: from the file, without generating again
    assert_same(data, load(specs["mnist1d"]))
    mnist1d_local._MEMORY.clear()
    monkeypatch.setattr(mnist1d_local, "_generate", lambda seed: pytest.fail("regenerated despite the cache"))
    again = load(specs["mnist1d"])
    assert_same(data, again)
    assert len(load(specs["mnist1d"], val_fraction=0.25).val) == 1000


def test_mnist1d_replaces_a_damaged_cache_file(specs, mnist1d_cache):
    from lossbench_builtins.datasets import mnist1d_local

    reference = load(specs["mnist1d"])
    mnist1d_local._MEMORY.clear()
    path = mnist1d_cache / f"{mnist1d_local.cache_key(42)}.npz"
    path.write_bytes(b"not an npz file")
    assert_same(reference, load(specs["mnist1d"]))
    with np.load(path) as npz:
        assert npz["x"].shape == (4000, 40)


# --- digits ----------------------------------------------------------------------------------------


def test_digits_rows_partition_the_bundled_images(specs):
    from sklearn.datasets import load_digits

    data = load(specs["digits"])
    check_well_formed(data, per_step=False)
    assert data.train.x.shape[1:] == (8, 8)
    assert (len(data.train), len(data.val), len(data.test)) == (1078, 360, 359)
    assert 0.0 <= min(s.x.min() for s in (data.train, data.val, data.test))
    assert max(s.x.max() for s in (data.train, data.val, data.test)) == 1.0
    # train + val + test is exactly the bundled set, each image once
    ours = np.concatenate([np.concatenate([s.x.reshape(len(s), -1), s.y[:, None]], 1)
                           for s in (data.train, data.val, data.test)])
    bunch = load_digits()
    theirs = np.concatenate([bunch.data / 16.0, bunch.target[:, None]], 1).astype(np.float32)
    np.testing.assert_array_equal(np.unique(ours, axis=0), np.unique(theirs, axis=0))
    assert len(ours) == len(theirs)
    assert np.abs(np.bincount(data.test.y) - 36).max() <= 2  # stratified
    assert_same(data, load(specs["digits"]))
    other = load(specs["digits"], split_seed=1)
    assert not np.array_equal(other.test.y, data.test.y)


def test_digits_are_read_from_the_bundled_file_exactly_as_load_digits_gives_them_without_importing_sklearn():
    """The same arrays in the same order (the split and a sweep's data fingerprint depend on it); every process
    that loads digits (each sweep worker) is spared scikit-learn's import."""
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from lossbench_builtins.datasets.digits import digits

    images, labels = digits()
    bunch = load_digits()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
    assert images.dtype == bunch.images.dtype and labels.dtype == bunch.target.dtype
    code = ("import sys; from lossbench_builtins.datasets.digits import digits; digits(); "
            "print('sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_digits_pixels_and_permutation(specs):
    plain = load(specs["digits"], mode="pixels")
    check_well_formed(plain, per_step=False)
    assert plain.train.x.shape[1:] == (64, 1)
    np.testing.assert_array_equal(plain.train.x.reshape(-1, 8, 8), load(specs["digits"]).train.x)
    permuted = load(specs["digits"], mode="pixels", permute=True)
    assert not np.array_equal(plain.train.x, permuted.train.x)
    np.testing.assert_array_equal(plain.train.y, permuted.train.y)
    # one fixed permutation of the steps for every image: each permuted column is some original column
    every = lambda d: np.concatenate([d.train.x, d.val.x, d.test.x])[:, :, 0]
    p, q = every(permuted), every(plain)
    order = [next(k for k in range(64) if np.array_equal(p[:, j], q[:, k])) for j in range(64)]
    assert order != list(range(64))
    np.testing.assert_array_equal(p, q[:, order])
    assert_same(permuted, load(specs["digits"], mode="pixels", permute=True))
    assert not np.array_equal(load(specs["digits"], mode="pixels", permute=True, permutation_seed=1).train.x,
                              permuted.train.x)


# --- smnist ----------------------------------------------------------------------------------------


def test_smnist_reads_idx_files(specs, idx_folder):
    folder, (images, labels, test_images, test_labels) = idx_folder()
    data = load(specs["smnist"], path=str(folder))
    check_well_formed(data, per_step=False)
    assert (len(data.train), len(data.val), len(data.test)) == (11, 1, 5)  # last 10 % of train: validation
    np.testing.assert_allclose(data.train.x, images[:11] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data.val.x, images[11:] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data.test.x, test_images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.train.y, labels[:11])
    np.testing.assert_array_equal(data.test.y, test_labels)
    assert data.num_classes == 10
    assert_same(data, load(specs["smnist"], path=str(folder)))
    assert len(load(specs["smnist"], path=str(folder), limit=3).train) == 3

    pixels = load(specs["smnist"], path=str(folder), mode="pixels")
    assert pixels.train.x.shape == (11, 784, 1)
    permuted = load(specs["smnist"], path=str(folder), mode="pixels", permute=True)
    check_well_formed(permuted, per_step=False)
    p, q = permuted.train.x[:, :, 0], pixels.train.x[:, :, 0]
    lookup = {q[:, k].tobytes(): k for k in range(784)}
    order = [lookup[p[:, j].tobytes()] for j in range(784)]
    assert sorted(order) == list(range(784)) and order != list(range(784))
    np.testing.assert_array_equal(permuted.test.x, pixels.test.x[:, order])  # the same order for test


def test_smnist_missing_files_named(specs, tmp_path, idx_folder):
    expected = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    for folder in (tmp_path / "nowhere", tmp_path / "empty"):
        if folder.name == "empty":
            folder.mkdir()
        with pytest.raises(DataError) as err:
            load(specs["smnist"], path=str(folder))
        assert str(folder) in str(err.value) and all(name in str(err.value) for name in expected)
    folder, _ = idx_folder()
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing: t10k-labels-idx1-ubyte$") as err:
        load(specs["smnist"], path=str(folder))
    assert all(name in str(err.value) for name in expected)


def test_smnist_corrupt_files_named(specs, idx_folder):
    folder, (images, labels, _, _) = idx_folder()
    train_labels = folder / "train-labels-idx1-ubyte"
    write_idx(train_labels, labels, 2051)  # an image magic number on a label file
    with pytest.raises(DataError, match="magic") as err:
        load(specs["smnist"], path=str(folder))
    assert str(train_labels) in str(err.value)

    write_idx(train_labels, labels[:10], 2049)  # 10 labels for 12 images
    with pytest.raises(DataError, match="12 images.*10 labels") as err:
        load(specs["smnist"], path=str(folder))
    assert str(train_labels) in str(err.value)

    write_idx(train_labels, labels, 2049)
    train_images = folder / "train-images-idx3-ubyte"
    train_images.write_bytes(train_images.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated") as err:
        load(specs["smnist"], path=str(folder))
    assert str(train_images) in str(err.value)

    gz = folder / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:30])
    write_idx(train_images, images, 2051)
    with pytest.raises(DataError) as err:
        load(specs["smnist"], path=str(folder))
    assert str(gz) in str(err.value)


def test_smnist_header_whose_dimensions_overflow_int64(specs, idx_folder):
    """Issue 12 case 16: (4294967295, 65535, 65535) multiplies past 2**63; the size in the message is exact."""
    folder, _ = idx_folder()
    train_images = folder / "train-images-idx3-ubyte"
    train_images.write_bytes(struct.pack(">I3I", 2051, 4294967295, 65535, 65535) + bytes(100))
    with pytest.raises(DataError) as err:
        load(specs["smnist"], path=str(folder))
    message = str(err.value)
    assert message.startswith(f"{train_images}: truncated: 100 bytes of data"), message
    assert message.endswith(f"need {4294967295 * 65535 * 65535}"), message


def test_smnist_full_size_keeps_the_last_5000_for_validation(specs, tmp_path):
    rng = np.random.default_rng(2)
    images, labels = rng.integers(0, 256, (50_000, 2, 2)), rng.integers(0, 10, 50_000)
    write_idx(tmp_path / "train-images-idx3-ubyte", images, 2051)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels, 2049)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:3], 2051)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:3], 2049)
    data = load(specs["smnist"], path=str(tmp_path), limit=1000)
    assert (len(data.train), len(data.val), len(data.test)) == (1000, 5000, 3)
    np.testing.assert_array_equal(data.val.y, labels[-5000:])
    np.testing.assert_array_equal(data.train.y, labels[:1000])


# --- ucr -------------------------------------------------------------------------------------------

UNIVARIATE = """# a comment line
@problemName Toy
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 6
@classLabel true dog cat
@data
"""

MULTIVARIATE = """@PROBLEMNAME Ragged
@TimeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classlabel TRUE low mid high
@DATA
"""


def ucr_rows(rng, n, labels, lengths):
    rows = []
    for i in range(n):
        length = lengths[i % len(lengths)]
        dims = [",".join(f"{v:.4f}" for v in rng.normal(size=length)) for _ in range(2)]
        rows.append(":".join(dims) + f":{labels[i % len(labels)]}")
    return rows


@pytest.fixture
def ucr_folder(tmp_path):
    rng = np.random.default_rng(1)
    uni = lambda n: [",".join(f"{v:.4f}" for v in rng.normal(3.0, 2.0, 6)) + (":dog" if i % 2 else ":cat")
                     for i in range(n)]
    (tmp_path / "Toy_TRAIN.ts").write_text(UNIVARIATE + "\n".join(uni(10)) + "\n")
    (tmp_path / "Toy_TEST.ts").write_text(UNIVARIATE + "\n".join(uni(4)) + "\n")
    nested = tmp_path / "Ragged"
    nested.mkdir()
    train = ucr_rows(rng, 9, ["low", "mid", "high"], [3, 5, 4])
    train[0] = "1.0,?,3.0:4.0,5.0,6.0:low"  # a missing value
    (nested / "Ragged_TRAIN.ts").write_text(MULTIVARIATE + "\n".join(train) + "\n")
    (nested / "Ragged_TEST.ts").write_text(MULTIVARIATE + "\n".join(ucr_rows(rng, 3, ["high", "low"], [2, 5])) + "\n")
    return tmp_path


def test_ucr_univariate(specs, ucr_folder):
    data = load(specs["ucr"], path=str(ucr_folder), name="Toy")
    check_well_formed(data, per_step=False)
    assert data.class_names == ("dog", "cat") and data.num_classes == 2  # in @classLabel order
    assert data.target_kind == "binary"
    assert (len(data.train), len(data.val), len(data.test)) == (8, 2, 4)
    assert data.train.x.shape[1:] == (6, 1) and data.train.lengths is None
    assert sorted(data.val.y.tolist()) == [0, 1]  # stratified
    flat = data.train.x.reshape(-1)
    assert abs(flat.mean()) < 1e-5 and abs(flat.std() - 1) < 1e-4  # normalised with train statistics
    assert shared_rows(data.val.x, data.train.x) == 0
    # labels: the file's lines alternate cat (even) and dog (odd)
    raw = (ucr_folder / "Toy_TEST.ts").read_text().split("@data\n")[1].split()
    assert data.test.y.tolist() == [1 if r.endswith("cat") else 0 for r in raw]
    assert_same(data, load(specs["ucr"], path=str(ucr_folder), name="Toy"))


def test_ucr_multivariate_unequal_length(specs, ucr_folder):
    data = load(specs["ucr"], path=str(ucr_folder), name="Ragged", val_fraction=0.34)
    check_well_formed(data, per_step=False)
    assert data.class_names == ("low", "mid", "high")
    assert data.train.x.shape[1:] == (5, 2)
    assert (len(data.train), len(data.val), len(data.test)) == (6, 3, 3)
    assert sorted(data.val.y.tolist()) == [0, 1, 2]
    assert data.test.lengths.tolist() == [2, 5, 2] and data.test.y.tolist() == [2, 0, 2]
    for split in (data.train, data.val, data.test):
        for x, n in zip(split.x, split.lengths):
            assert not x[n:].any()  # padding is zero
    assert data.info["missing_values"] == 1
    # the case with the missing value: ? -> 0 after normalisation, the rest of it normalised
    hits = [(s, i) for s in (data.train, data.val) for i in range(len(s)) if s.lengths[i] == 3 and s.x[i, 1, 0] == 0]
    assert len(hits) == 1
    split, i = hits[0]
    steps = np.diff(split.x[i, :3, 1])  # 4, 5, 6: equal steps after an affine map
    assert steps[0] > 0 and math.isclose(steps[0], steps[1], rel_tol=1e-5)
    valid = np.concatenate([x[:n] for x, n in zip(data.train.x, data.train.lengths)])
    assert np.abs(valid.mean(0)).max() < 1e-5  # the missing value sits at the mean, 0
    assert np.abs(valid.std(0) - 1).max() < 0.2


def test_ucr_errors_name_file_and_line(specs, ucr_folder):
    with pytest.raises(DataError, match="Nope_TRAIN.ts"):
        load(specs["ucr"], path=str(ucr_folder), name="Nope")
    with pytest.raises(ParameterError, match="Ragged, Toy"):
        load(specs["ucr"], path=str(ucr_folder))
    (ucr_folder / "Toy_TEST.ts").unlink()
    with pytest.raises(DataError, match="Toy_TEST.ts"):
        load(specs["ucr"], path=str(ucr_folder), name="Toy")

    bad = ucr_folder / "Bad_TRAIN.ts"
    (ucr_folder / "Bad_TEST.ts").write_text(UNIVARIATE + "1,2,3,4,5,6:dog\n")
    header_lines = UNIVARIATE.count("\n")
    for line, message in [("1,2,x,4,5,6:dog", "'x' is not a number"),
                          ("1,2,3,4,5,6:cow", "'cow' is not among"),
                          ("1,2,3:4,5,6:dog", "2 dimensions in a file declared @univariate true")]:
        bad.write_text(UNIVARIATE + "1,2,3,4,5,6:cat\n" + line + "\n")
        with pytest.raises(DataError, match=message) as err:
            load(specs["ucr"], path=str(ucr_folder), name="Bad")
        assert f"{bad}:{header_lines + 2}" in str(err.value)
    bad.write_text(UNIVARIATE.replace("@classLabel true dog cat", "@classLabel false") + "1,2:3\n")
    with pytest.raises(DataError, match="classLabel false"):
        load(specs["ucr"], path=str(ucr_folder), name="Bad")
    bad.write_text("@\n" + UNIVARIATE)
    with pytest.raises(DataError, match="'@' with no keyword") as err:
        load(specs["ucr"], path=str(ucr_folder), name="Bad")
    assert f"{bad}:1" in str(err.value)


# --- copy and temporal order -------------------------------------------------------------------------


def test_copy_targets_are_the_input_symbols(specs):
    T = 7
    data = load(specs["copy"], T=T, n_train=64, n_val=16, n_test=16, seed=3)
    check_well_formed(data, per_step=True)
    assert data.train.x.shape == (64, T + 20, 10) and data.train.y.shape == (64, T + 20)
    assert data.num_classes == 9
    for split in (data.train, data.val, data.test):
        assert (split.x.sum(-1) == 1).all()  # one-hot
        ids = split.x.argmax(-1)
        assert ((ids[:, :10] >= 1) & (ids[:, :10] <= 8)).all()
        assert (ids[:, 10 : T + 9] == 0).all() and (ids[:, T + 9] == 9).all() and (ids[:, T + 10 :] == 0).all()
        assert (split.y[:, : T + 10] == 0).all()
        np.testing.assert_array_equal(split.y[:, T + 10 :], ids[:, :10])
    # the memoryless predictor: certain blanks, then uniform over the 8 symbols
    probs = np.zeros((T + 20, 9))
    probs[: T + 10, 0] = 1.0
    probs[T + 10 :, 1:] = 1 / 8
    y = data.test.y
    nll = -np.log(probs[np.arange(T + 20)[None, :], y]).mean()
    assert math.isclose(data.info["memoryless_baseline_nll"], nll, rel_tol=1e-9)
    assert math.isclose(data.info["memoryless_baseline_nll"], 10 * math.log(8) / (T + 20))
    assert_same(data, load(specs["copy"], T=T, n_train=64, n_val=16, n_test=16, seed=3))
    assert not np.array_equal(load(specs["copy"], T=T, n_train=64, seed=4).train.y, data.train.y)
    bigger = load(specs["copy"], T=T, n_train=128, n_val=16, n_test=16, seed=3)
    np.testing.assert_array_equal(bigger.test.y, data.test.y)  # the test set does not move with n_train
    assert shared_rows(data.test.y, data.train.y) <= 1  # 8^10 possibilities: independent draws


def test_temporal_order_labels_match_positions(specs):
    for T, markers in ((20, True), (100, True), (30, False)):
        data = load(specs["temporal_order"], T=T, markers=markers, n_train=200, n_val=20, n_test=20, seed=1)
        check_well_formed(data, per_step=False)
        assert data.class_names == ("XX", "XY", "YX", "YY")
        assert data.train.x.shape == (200, T, 8 if markers else 6)
        ids = data.train.x.argmax(-1)
        assert (data.train.x.sum(-1) == 1).all()
        if markers:
            assert (ids[:, 0] == 6).all() and (ids[:, -1] == 7).all()
        for row, label in zip(ids, data.train.y):
            where = np.flatnonzero((row == 4) | (row == 5))
            assert len(where) == 2
            t1, t2 = where
            assert int(0.1 * T) <= t1 < int(0.2 * T) and int(0.5 * T) <= t2 < int(0.6 * T)
            assert label == 2 * (row[t1] == 5) + (row[t2] == 5)
        assert set(data.train.y.tolist()) == {0, 1, 2, 3}
        assert_same(data, load(specs["temporal_order"], T=T, markers=markers, n_train=200, n_val=20, n_test=20, seed=1))


# --- text ------------------------------------------------------------------------------------------


def test_text_targets_are_the_next_character(specs, tmp_path):
    text = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(12)) + "é"
    file = tmp_path / "corpus.txt"
    file.write_text(text, encoding="utf-8")
    L = 16
    data = load(specs["text"], path=str(file), seq_len=L)
    check_well_formed(data, per_step=True)
    assert data.class_names == tuple(sorted(set(text)))
    assert data.num_features == data.num_classes == len(set(text))
    n = len(text)
    starts = {"train": 0, "val": int(0.8 * n), "test": int(0.9 * n)}
    ends = {"train": int(0.8 * n), "val": int(0.9 * n), "test": n}
    for name in ("train", "val", "test"):
        split = getattr(data, name)
        assert split.x.shape[1:] == (L, len(set(text))) and split.y.shape[1:] == (L,)
        assert len(split) == (ends[name] - starts[name] - 1) // L
        decoded = "".join(data.class_names[i] for i in split.x.argmax(-1).reshape(-1))
        targets = "".join(data.class_names[i] for i in split.y.reshape(-1))
        begin = starts[name]
        assert decoded == text[begin : begin + len(decoded)]
        assert targets == text[begin + 1 : begin + 1 + len(targets)]  # shifted by one
        assert begin + 1 + len(targets) <= ends[name]  # never reads into the next part
    assert_same(data, load(specs["text"], path=str(file), seq_len=L))


def test_text_errors(specs, tmp_path):
    from lossbench_builtins.datasets.text import min_chars

    missing = tmp_path / "absent.txt"
    with pytest.raises(DataError, match="absent.txt"):
        load(specs["text"], path=str(missing))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.txt is empty"):
        load(specs["text"], path=str(empty))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"abc\xff\xfe")
    with pytest.raises(DataError, match="binary.txt: not UTF-8"):
        load(specs["text"], path=str(binary))
    need = min_chars(8)
    short = tmp_path / "short.txt"
    short.write_text(("ab" * need)[: need - 1])
    with pytest.raises(DataError, match=f"at least {need}"):
        load(specs["text"], path=str(short), seq_len=8)
    short.write_text(("ab" * need)[:need])
    data = load(specs["text"], path=str(short), seq_len=8)
    assert min(len(data.train), len(data.val), len(data.test)) == 1
