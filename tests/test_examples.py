"""The example sweep specs under examples/ are valid as shipped: each one read, built and checked the way
`lossbench run FILE.toml` does, with no problem and no arm refused (nothing trains)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lossbench.registry import load_registry
from lossbench.sweep.inputs import build_spec, load_toml
from lossbench.sweep.validate import validate

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_the_examples_are_found():
    assert {p.name for p in EXAMPLES} >= {"sweep.toml", "italy_power.toml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_an_example_spec_validates_with_every_arm_runnable(path, registry):
    spec = build_spec(load_toml(path), {})
    problems, refused = validate(spec, registry)
    assert problems == [] and refused == {}
    assert len(spec.arms) == len(spec.losses) * len(spec.cells) * len(spec.remedy_sets) >= 4


def test_the_italy_power_example_reads_the_problem_sktime_ships(registry):
    if importlib.util.find_spec("sktime") is None:
        pytest.skip("sktime is not installed (pip install 'lossbench[ucr]' or '.[test]')")
    spec = build_spec(load_toml(Path(__file__).parent.parent / "examples" / "italy_power.toml"), {})
    dataset = registry.get("datasets", spec.dataset)
    data = dataset.load(**dataset.resolve(spec.dataset_params))
    assert data.info["problem"] == "ItalyPowerDemand" and data.num_classes == 2
    assert data.train.x.shape[1:] == (24, 1) and len(data.test) >= 1000
    assert spec.batch_size < len(data.train)  # more than one step an epoch
