"""Issue 30 item 6: provenance a reviewer can rerun: each plugin distribution's own requirements with the versions
installed, every dataset parameter (those given at their default too), and the dataset's shape."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from lossbench import Dataset, Split
from lossbench.registry import load_registry
from lossbench.registry.discovery import requirements
from lossbench.report import fmt
from lossbench.sweep.provenance import data_shape, plugin_requirements
from lossbench.sweep.spec import SweepSpec


def test_a_distribution_s_requirements_come_with_the_versions_installed_and_without_its_extras():
    found = requirements("lossbench")
    assert found["torch"] == importlib.metadata.version("torch")
    assert found["mnist1d"] == importlib.metadata.version("mnist1d")
    assert "pytest" not in found and "selenium" not in found  # the test extra's
    assert requirements("no-such-distribution-here") == {}


def test_the_sweep_records_the_requirements_of_each_plugin_distribution_it_uses():
    registry = load_registry()
    found = plugin_requirements(SweepSpec(dataset="digits", cells=("gru",)), registry)
    assert list(found) == ["lossbench"]  # the built-ins' distribution, once
    assert found["lossbench"]["version"] == importlib.metadata.version("lossbench")
    assert found["lossbench"]["requires"]["optuna"] == importlib.metadata.version("optuna")
    text = fmt.requirements(found)
    assert text.startswith(f"lossbench {importlib.metadata.version('lossbench')}: ") and "matplotlib " in text


def _split(lengths):
    lengths = np.array(lengths)
    x = np.zeros((len(lengths), 9, 3), dtype=np.float32)
    return Split(x, np.arange(len(lengths)) % 2, lengths)


def test_the_shape_says_channels_the_length_range_and_the_splits():
    data = Dataset(_split([4, 9, 7]), _split([5, 6]), _split([8]), num_classes=2)
    shape = data_shape(data)
    assert shape == {"channels": 3, "steps": 9, "min_length": 4, "max_length": 9, "train": 3, "val": 2, "test": 1,
                     "classes": 2, "per_step": False}
    assert fmt.data_shape(shape) == ("3 channels, 4 to 9 steps (padded to 9), 3 / 2 / 1 sequences (train / val / "
                                     "test), 2 classes")
    equal = Dataset(*(Split(np.zeros((2, 40, 1), np.float32), np.array([0, 1])) for _ in range(3)), num_classes=10)
    assert fmt.data_shape(data_shape(equal)).startswith("1 channel, 40 steps, 2 / 2 / 2 sequences")


@pytest.mark.slow
def test_the_report_shows_every_dataset_parameter_the_shape_and_the_requirements(tmp_path):
    from lossbench import sweep
    from lossbench.report import write

    outcome = sweep.run({"name": "prov", "dataset": "digits", "dataset_params": {"split_seed": 0, "mode": "rows"},
                         "losses": ["ce"], "hidden": 8, "trials": 1, "epochs": 1, "seeds": 1, "patience": 0},
                        out=tmp_path / "results", workers=1)
    assert outcome.spec.dataset_params == {}  # given at their defaults: the same sweep as leaving them out
    stored = outcome.load().provenance
    assert stored["dataset"]["params"] == {"mode": "rows", "permute": False, "permutation_seed": 0, "split_seed": 0}
    assert stored["dataset"]["shape"]["channels"] == 8 and stored["dataset"]["shape"]["min_length"] == 8
    markdown = write(outcome.storage, ["md"])["md"].read_text().replace("\\_", "_")  # unescaped
    assert "| dataset | digits (mode=rows, permute=false, permutation_seed=0, split_seed=0) |" in markdown
    assert "| dataset: shape | 8 channels, 8 steps, 1078 / 360 / 359 sequences (train / val / test), 10 classes |" \
        in markdown
    assert f"| plugin requirements | lossbench {importlib.metadata.version('lossbench')}: " in markdown
    assert '"dataset_params": {"mode": "rows", "permutation_seed": 0, "permute": false, "split_seed": 0}' in markdown
