"""docs/plugins.md, the plugin guide: it names every hook, spec field and public helper, and every example in it
works as written (each plugin module passes the conformance kit; the .ts folder dataset, under 40 lines, loads a
generated folder of unequal lengths and trains)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lossbench
import lossbench.testing
from lossbench import CellSpec, Dataset, DatasetSpec, LossSpec, ModelInfo, Remedy, RemedySpec, Split
from lossbench.api import hookspecs
from lossbench.testing import assert_conforms

from ts_files import write_ts_problem

ROOT = Path(__file__).parent.parent
GUIDE = (ROOT / "docs" / "plugins.md").read_text()
# each ```python block that starts with "# <file>.py": the file it shows
EXAMPLES = {block.split("\n", 1)[0][2:].split(":")[0]: block
            for block in (b.split("```", 1)[0] for b in GUIDE.split("```python\n")[1:]) if block.startswith("# ")}
PARAMS = {"parity": {"n_train": 80}}


def named(name: str) -> bool:
    """``name`` appears in the guide as code: `name`, `name(...`, `@name`, `name=` or `.name`."""
    return re.search(rf"(`|\.|@){re.escape(name)}(`|\(|=)|\b{re.escape(name)}=", GUIDE) is not None


def test_the_readme_links_the_guide():
    assert "(docs/plugins.md)" in (ROOT / "README.md").read_text()


def test_the_guide_names_every_hookspec():
    hooks = [name for name in dir(hookspecs) if name.startswith("register_")]
    assert len(hooks) == 4 and [h for h in hooks if not named(h)] == []


@pytest.mark.parametrize("owner", [LossSpec, CellSpec, DatasetSpec, RemedySpec, Dataset, Split, ModelInfo],
                         ids=lambda c: c.__name__)
def test_the_guide_names_every_field(owner):
    fields = [f.name for f in dataclasses.fields(owner)]
    assert fields and [f for f in fields if not named(f)] == []


def test_the_guide_names_every_remedy_point_and_public_name():
    points = [name for name, value in vars(Remedy).items() if callable(value) and not name.startswith("_")]
    assert len(points) == 4 and [p for p in points if not named(p)] == []
    public = [n for n in [*lossbench.__all__, *lossbench.testing.__all__, "API_VERSION", "LOSSBENCH_API"]
              if not n.startswith("__")]
    assert [n for n in public if not named(n)] == []
    assert named("__version__") and "Dataset.target_kind" in GUIDE and "Dataset.problems()" in GUIDE


def test_the_examples_cover_every_kind_and_a_test():
    assert {"nce.py", "leaky_rnn.py", "indrnn.py", "birnn.py", "parity.py", "soft_orthogonality.py", "ts_folder.py",
            "tests/test_parity.py"} <= set(EXAMPLES)


@pytest.mark.parametrize("file", ["nce.py", "leaky_rnn.py", "indrnn.py", "birnn.py", "parity.py",
                                  "soft_orthogonality.py"])
def test_each_example_plugin_conforms_as_written(tmp_path, file):
    path = tmp_path / file
    path.write_text(EXAMPLES[file])
    report = assert_conforms(path, PARAMS)
    assert report.notes == [] and len(report) > 5, report.summary()


def test_the_ts_folder_dataset_is_under_40_lines_and_reads_unequal_lengths(tmp_path):
    source = EXAMPLES["ts_folder.py"]
    assert len(source.splitlines()) < 40
    (tmp_path / "ts_folder.py").write_text(source)
    folder = write_ts_problem(tmp_path / "data", "Wobble", dims=3, classes=("calm", "wild", "odd"), lengths=(3, 17))
    report = assert_conforms(tmp_path / "ts_folder.py", {"ts_folder": {"path": str(folder), "name": "Wobble"}})
    assert "unequal lengths: padding after each length" in {r.check for r in report}

    from lossbench.registry import load_registry

    registry = load_registry([str(tmp_path)])
    data = registry.get("datasets", "ts_folder").load(**registry.get("datasets", "ts_folder").resolve(
        {"path": str(folder), "name": "Wobble"}))
    assert data.class_names == ("calm", "wild", "odd") and data.num_features == 3
    assert len(set(np.concatenate([s.lengths for s in (data.train, data.val, data.test)]))) > 3  # unequal
    assert len(data.test) == 10 and len(data.train) + len(data.val) == 24
    result = lossbench.train(dataset="ts_folder", cell="gru", loss="ce", epochs=1, hidden=(8,), flow_profile=False,
                             params={"ts_folder": {"path": str(folder), "name": "Wobble"}}, registry=registry)
    assert result.status == "completed" and result.dataset_info == {"source": f"{folder}/Wobble"}


@pytest.mark.slow
def test_the_guides_test_file_passes_with_pytest(tmp_path):
    (tmp_path / "parity.py").write_text(EXAMPLES["parity.py"])
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_parity.py").write_text(EXAMPLES["tests/test_parity.py"])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-3000:]


def test_the_guides_indrnn_refuses_orthogonal_init_and_takes_identity_init(tmp_path):
    from lossbench.registry import load_registry

    (tmp_path / "indrnn.py").write_text(EXAMPLES["indrnn.py"])
    registry = load_registry([str(tmp_path)])
    cell = registry.get("cells", "indrnn")
    assert "vector recurrent weight" in registry.get("remedies", "orthogonal_init").incompatibility(cell, {})
    assert registry.get("remedies", "identity_init").incompatibility(cell, {}) is None
    report = lossbench.testing.check_remedy(registry.get("remedies", "identity_init"), cell)
    assert report.passed, report.summary()
