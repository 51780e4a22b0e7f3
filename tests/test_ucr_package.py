"""The built-in ``ucr`` dataset reading a problem that an installed Python package ships (``ucr.package``):
sktime's ItalyPowerDemand, and a package made here that must not be imported to be found."""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from lossbench import Dataset, DatasetSpec
from lossbench.errors import DataError, ParameterError
from lossbench_builtins import datasets as plugin

TOY = """@problemName Toy
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 5
@classLabel true a b
@data
"""


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    found: list[DatasetSpec] = []
    plugin.register_datasets(found.append)
    return next(s for s in found if s.name == "ucr")


def load(spec: DatasetSpec, **overrides) -> Dataset:
    return spec.load(**spec.resolve(overrides))


def labels_in(path) -> list[str]:
    """The class label of each case of a .ts file: the text after the last ':' of each line after @data."""
    lines = path.read_text().split("@data", 1)[1].split()
    return [line.rsplit(":", 1)[1] for line in lines]


@pytest.fixture
def shipping_package(tmp_path, monkeypatch):
    """A package on sys.path shipping Toy in datasets/data/Toy/, whose import raises: finding it must not import it."""
    root = tmp_path / "shipsts"
    folder = root / "datasets" / "data" / "Toy"
    folder.mkdir(parents=True)
    (root / "__init__.py").write_text("raise RuntimeError('imported: the ucr dataset must only locate the package')\n")
    rng = np.random.default_rng(0)
    for part, n in (("TRAIN", 10), ("TEST", 6)):
        rows = [",".join(f"{v:.3f}" for v in rng.normal(size=5)) + (":a" if i % 2 else ":b") for i in range(n)]
        (folder / f"Toy_{part}.ts").write_text(TOY + "\n".join(rows) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return root


def test_a_problem_shipped_by_a_package_is_read_without_importing_it(spec, shipping_package):
    data = load(spec, package="shipsts", name="Toy")
    assert "shipsts" not in sys.modules
    assert (len(data.train) + len(data.val), len(data.test)) == (10, 6)
    assert data.class_names == ("a", "b")
    assert data.test.y.tolist() == [("a", "b").index(label) for label in labels_in(
        shipping_package / "datasets" / "data" / "Toy" / "Toy_TEST.ts")]
    assert "shipped by shipsts" in data.info["source"]
    # path: a folder inside the package; the same files named by their folder give the same data
    same = load(spec, package="shipsts", path="datasets/data/Toy", name="Toy")
    by_folder = load(spec, path=str(shipping_package / "datasets" / "data"), name="Toy")
    for a, b in ((data, same), (data, by_folder)):
        for split in ("train", "val", "test"):
            np.testing.assert_array_equal(getattr(a, split).x, getattr(b, split).x)


def test_what_a_package_cannot_give_is_one_clear_message(spec, shipping_package):
    with pytest.raises(DataError, match=r"ucr.package 'lossbench_no_such_package' is not an installed Python "
                                        r"package: pip install lossbench_no_such_package"):
        load(spec, package="lossbench_no_such_package", name="ItalyPowerDemand")
    with pytest.raises(DataError, match="ucr.package 'math' is not an installed Python package"):
        load(spec, package="math", name="X")  # a module, not a package: no folder to read
    with pytest.raises(ParameterError, match=r"ucr.path '/tmp' is absolute: with ucr.package set"):
        load(spec, package="shipsts", path="/tmp", name="Toy")
    with pytest.raises(ParameterError, match=r"ucr.name is not set: .*problems found there: Toy$"):
        load(spec, package="shipsts")
    with pytest.raises(DataError, match=r"no Nope_TRAIN.ts / Nope_TEST.ts .*problems found there: Toy$"):
        load(spec, package="shipsts", name="Nope")
    with pytest.raises(ParameterError, match="ucr.path is not set: .* or ucr.package"):
        load(spec)
    assert "shipsts" not in sys.modules


def test_sktime_ships_italy_power_demand(spec):
    if importlib.util.find_spec("sktime") is None:
        pytest.skip("sktime is not installed (pip install 'lossbench[ucr]' or '.[test]'): "
                    "its bundled ItalyPowerDemand is not read")
    data = load(spec, package="sktime", name="ItalyPowerDemand")
    folder = Path(importlib.util.find_spec("sktime").submodule_search_locations[0]) / "datasets" / "data"
    test_file = folder / "ItalyPowerDemand" / "ItalyPowerDemand_TEST.ts"
    labels = labels_in(test_file)
    assert len(data.test) == len(labels) and len(labels) >= 1000  # large enough for seeds to matter
    assert data.class_names == ("1", "2") and data.num_classes == 2
    assert data.test.y.tolist() == [data.class_names.index(label) for label in labels]
    assert data.train.x.shape[1:] == (24, 1) and data.train.lengths is None
    assert len(data.train) + len(data.val) == len(labels_in(test_file.with_name("ItalyPowerDemand_TRAIN.ts")))
    assert data.problems() == []
    assert f"shipped by sktime {metadata.version('sktime')}" in data.info["source"]
    assert data.info["problem"] == "ItalyPowerDemand"
