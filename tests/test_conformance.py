"""The conformance kit (lossbench.testing): built-in plugins pass; deliberately broken ones fail the right check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lossbench.testing import ConformanceError, assert_conforms, check_plugin

SMALL = {"n_train": 48, "n_val": 16, "n_test": 16}
DATASETS = {"copy": {"T": 5, **SMALL}, "temporal_order": {"T": 12, **SMALL}}


@pytest.mark.parametrize("module", ["lossbench_builtins.losses", "lossbench_builtins.cells",
                                    "lossbench_builtins.remedies"])
def test_builtin_plugins_conform(module):
    report = assert_conforms(module)
    assert len(report) > 10 and report.passed


def test_builtin_datasets_that_need_no_files_conform():
    report = assert_conforms("lossbench_builtins.datasets", DATASETS, only=["digits", "copy", "temporal_order"])
    checked = {r.component for r in report if r.component.startswith("dataset ")}
    assert checked == {"dataset digits", "dataset copy", "dataset temporal_order"}
    assert any("mnist1d not checked" in r.message for r in report.notes)


def test_importing_the_kit_does_not_import_torch():
    code = "import sys, lossbench.testing; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _plugin(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def _only_failure(report, component, check_prefix):
    """The report's failures are all of ``component`` and the first is the check named ``check_prefix...``."""
    failures = report.failures
    assert failures, report.summary()
    assert {f.component for f in failures} == {component}, report.summary()
    assert failures[0].check.startswith(check_prefix), report.summary()
    assert "\n" not in failures[0].message
    return failures[0].message


LOSS_TEMPLATE = """
from lossbench import LossSpec, hookimpl

def build():
    import torch
    def loss(logits, target):
        {body}
    return loss

@hookimpl
def register_losses(register):
    register(LossSpec(name="{name}", summary="broken on purpose", build=build))
"""


def test_naive_log_softmax_loss_fails_stability(tmp_path):
    body = "return -torch.log(torch.softmax(logits, -1)).gather(1, target[:, None]).mean()"
    report = check_plugin(_plugin(tmp_path, "naive", LOSS_TEMPLATE.format(name="naive_ce", body=body)))
    message = _only_failure(report, "loss naive_ce", "stable at +-1e4")
    assert message.startswith("loss naive_ce: value at logits +-1e4 is inf; compute from log_softmax")
    assert all(f.check.startswith("stable at +-1e4") for f in report.failures)


def test_summing_loss_fails_mean_reduction(tmp_path):
    body = "return torch.nn.functional.cross_entropy(logits, target, reduction='sum')"
    report = check_plugin(_plugin(tmp_path, "summed", LOSS_TEMPLATE.format(name="summed_ce", body=body)))
    message = _only_failure(report, "loss summed_ce", "mean over N")
    assert "repeated twice is 2 times the loss of the batch" in message and "mean over N, not a sum" in message


def test_loss_plugin_importing_torch_at_module_level_fails(tmp_path):
    body = "return torch.nn.functional.cross_entropy(logits, target)"
    source = "import torch\n" + LOSS_TEMPLATE.format(name="eager_ce", body=body)
    report = check_plugin(_plugin(tmp_path, "eager", source))
    assert [f.check for f in report.failures] == ["no torch at import", "no torch at import"], report.summary()
    assert "loads torch; import it inside build/load instead" in report.failures[0].message


def test_bidirectional_cell_fails_causality(tmp_path):
    path = _plugin(tmp_path, "bidi", """
        from lossbench import CellSpec, hookimpl

        def build(input_size, hidden_size):
            import torch

            class Bidirectional(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.gru = torch.nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True)
                    self.proj = torch.nn.Linear(2 * hidden_size, hidden_size)

                def forward(self, x):
                    return self.proj(self.gru(x)[0])

            return Bidirectional()

        @hookimpl
        def register_cells(register):
            register(CellSpec(name="bigru", summary="sees the future", build=build, gates=("r", "z", "n")))
    """)
    report = check_plugin(path)
    message = _only_failure(report, "cell bigru", "causal")
    assert message.startswith("cell bigru: not causal: changing the input at step 1 changed the output at step 0")


def test_cell_with_wrong_hidden_size_fails_shape(tmp_path):
    path = _plugin(tmp_path, "wide", """
        from lossbench import CellSpec, hookimpl

        def build(input_size, hidden_size):
            import torch

            class Wide(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.rnn = torch.nn.RNN(input_size, hidden_size + 1, batch_first=True)

                def forward(self, x):
                    return self.rnn(x)[0]

            return Wide()

        @hookimpl
        def register_cells(register):
            register(CellSpec(name="wide", summary="one unit too many", build=build))
    """)
    report = check_plugin(path)
    message = _only_failure(report, "cell wide", "output shape")
    assert message == ("cell wide: output shape for input [1, 1, 3] is [1, 1, 6]; expected [B, T, hidden] = [1, 1, 5]")
    assert [f.check for f in report.failures] == ["output shape"]  # one message, not one per later check


def test_dataset_with_labels_out_of_range_fails(tmp_path):
    path = _plugin(tmp_path, "badlabels", """
        from lossbench import Dataset, DatasetSpec, Split, hookimpl

        def load(n=20):
            import numpy as np
            rng = np.random.default_rng(0)
            def split():
                x = rng.normal(size=(n, 4, 2)).astype(np.float32)
                y = rng.integers(0, 3, size=n).astype(np.int64)
                y[0] = 3  # one label too many for num_classes=3
                return Split(x, y)
            return Dataset(split(), split(), split(), num_classes=3)

        @hookimpl
        def register_datasets(register):
            register(DatasetSpec(name="bad_labels", summary="labels 0..3 with 3 classes", load=load, defaults={"n": 20}))
    """)
    report = check_plugin(path)
    message = _only_failure(report, "dataset bad_labels", "well formed")
    assert message.startswith("dataset bad_labels: load() returned a malformed dataset: train.y has labels outside 0..2")


def test_remedy_with_nan_penalty_fails(tmp_path):
    path = _plugin(tmp_path, "nanpen", """
        from lossbench import Remedy, RemedySpec, hookimpl

        class NaNPenalty(Remedy):
            def penalty(self, model):
                return sum(p.sum() for p in model.parameters()) * float("nan")

        @hookimpl
        def register_remedies(register):
            register(RemedySpec(name="nan_penalty", summary="adds NaN", build=NaNPenalty))
    """)
    report = check_plugin(path)
    message = _only_failure(report, "remedy nan_penalty", "penalty and after_backward")
    assert message == "remedy nan_penalty: penalty is nan; expected None or a finite scalar"
    with pytest.raises(AssertionError, match=r"1 of \d+ conformance checks failed:\n  - remedy nan_penalty: penalty is nan"):
        assert_conforms(path)


def test_hook_without_hookimpl_and_unimportable_plugin_fail(tmp_path):
    path = _plugin(tmp_path, "undecorated", """
        from lossbench import LossSpec

        def register_losses(register):
            pass
    """)
    report = check_plugin(path)
    assert [f.check for f in report.failures] == ["register_losses"]
    assert "not decorated with @lossbench.hookimpl" in report.failures[0].message
    broken = _plugin(tmp_path, "broken", "raise RuntimeError('boom')\n")
    with pytest.raises(ConformanceError, match="import raised RuntimeError: boom"):
        assert_conforms(broken)


@pytest.mark.slow
def test_the_guides_smallest_plugin_and_its_test_work_as_written(tmp_path, cli):
    """The plugin guide's `my_losses.py` and `tests/test_my_plugin.py`, copied verbatim, load and pass."""
    guide = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    blocks = [b.split("```", 1)[0] for b in guide.split("```python\n")[1:]]
    plugin = next(b for b in blocks if b.startswith("# my_losses.py"))
    test = next(b for b in blocks if b.startswith("# tests/test_my_plugin.py"))
    (tmp_path / "my_losses.py").write_text(plugin)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_my_plugin.py").write_text(test)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout
    listed = cli("--plugins-dir", ".", "list", "losses", "--json", cwd=tmp_path)
    assert listed.returncode == 0 and '"scaled_ce"' in listed.stdout, listed.stderr


def test_the_kit_imports_no_built_in_plugin():
    """Layering (DESIGN.md): lossbench.testing -> api, engine only. No module of lossbench imports the built-ins
    (they are found through their entry points like any plugin), and check_remedy runs on the kit's own cells."""
    package = Path(__file__).parent.parent / "lossbench"
    importing = [str(f.relative_to(package)) for f in package.rglob("*.py")
                 if "import lossbench_builtins" in f.read_text() or "from lossbench_builtins" in f.read_text()]
    assert importing == []
    code = textwrap.dedent("""
        import sys
        from lossbench import Remedy, RemedySpec
        from lossbench.testing import check_remedy

        class Halve(Remedy):
            def after_backward(self, model, grad_norm):
                for p in model.parameters():
                    p.grad.mul_(0.5)
                return True

        def needs_relu(cell_name, cell_params):
            '''rnn.activation is relu'''
            return None if cell_params["activation"] == "relu" else "needs relu"

        spec = RemedySpec(name="halve", summary="halves the gradients of a relu rnn", build=Halve,
                          cells=("rnn",), check=needs_relu)
        report = check_remedy(spec)
        assert report.passed, report.summary()
        print(sorted({r.check for r in report}))
        print(sorted(m for m in sys.modules if m.startswith("lossbench_builtins")))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    checks, builtins = done.stdout.strip().splitlines()
    assert "on_model (rnn)" in checks and "penalty and after_backward (rnn)" in checks
    assert builtins == "[]"


def test_check_remedy_says_when_no_cell_of_the_kit_fits():
    from lossbench import Remedy, RemedySpec
    from lossbench.testing import check_remedy

    spec = RemedySpec(name="only_mine", summary="for a cell nobody has", build=Remedy, cells=("my_cell",))
    report = check_remedy(spec)
    assert [f.check for f in report.failures] == ["compatible cell"]
    assert "accepts none of the kit's cells" in report.failures[0].message
    assert "pass cell_spec=" in report.failures[0].message


def test_the_kits_own_cells_pass_check_cell_without_notes():
    from lossbench.testing import check_cell
    from lossbench.testing.reference_cells import CANDIDATES

    for cell, params in CANDIDATES:
        report = check_cell(cell, params)
        assert report.passed and not report.notes, report.summary()


RAGGED = """
from lossbench import Categorical, Dataset, DatasetSpec, Int, Split, hookimpl, pad_sequences

LOSSBENCH_API = "1.0"


def load_ragged(*, n, flaw):
    import numpy as np

    rng = np.random.default_rng(n)
    series = [rng.normal(size=(int(rng.integers(2, 9)), 2)) for _ in range(n)]
    x, lengths = pad_sequences(series, value=float("nan") if flaw == "nan_padding" else 0.0)
    if flaw == "short_lengths":
        lengths = np.maximum(lengths - 1, 1)  # the last valid step counted as padding
    y = rng.integers(0, 3, n)
    split = lambda rows: Split(x[rows], y[rows], lengths[rows])
    return Dataset(split(slice(0, n - 20)), split(slice(n - 20, n - 10)), split(slice(n - 10, n)), num_classes=3)


RAGGED = DatasetSpec(name="ragged", summary="series of 2 to 8 steps",
                     constraints={"n": Int(30, 1000), "flaw": Categorical(["none", "nan_padding", "short_lengths"])},
                     defaults={"n": 60, "flaw": "none"}, load=load_ragged)


@hookimpl
def register_datasets(register):
    register(RAGGED)
"""


def test_several_parameter_sets_check_a_component_once_each(tmp_path):
    path = _plugin(tmp_path, "ragged", RAGGED)
    report = assert_conforms(path, {"ragged": [{"n": 40}, {"n": 80}]})
    components = {r.component for r in report}
    assert {"dataset ragged [n=40]", "dataset ragged [n=80]"} <= components and "dataset ragged" not in components
    checks = {r.check for r in report if r.component == "dataset ragged [n=40]"}
    assert {"unequal lengths: padding after each length", "a training step through the model", "finite"} <= checks
    assert not any(r.component.startswith("plugin") and not r.passed for r in report)


def test_a_failure_in_one_parameter_set_names_that_set(tmp_path):
    path = _plugin(tmp_path, "ragged", RAGGED)
    report = check_plugin(path, {"ragged": [{"flaw": "none"}, {"flaw": "nan_padding"}, {"flaw": "short_lengths"}]})
    failures = {(f.component, f.check): f.message for f in report.failures}
    assert set(failures) == {("dataset ragged [flaw=nan_padding]", "finite"),
                             ("dataset ragged [flaw=short_lengths]", "unequal lengths: padding after each length")}
    nan = failures["dataset ragged [flaw=nan_padding]", "finite"]
    assert nan.startswith("dataset ragged [flaw=nan_padding]: train.x has ") and "(padding)" in nan
    short = failures["dataset ragged [flaw=short_lengths]", "unequal lengths: padding after each length"]
    assert "changes after the lengths" in short and "are some lengths too short?" in short


def test_the_api_version_a_plugin_declares_is_checked(tmp_path):
    fine = check_plugin(_plugin(tmp_path, "fine", RAGGED))
    assert [r.passed for r in fine if r.check == "API version"] == [True]
    future = check_plugin(_plugin(tmp_path, "future", RAGGED.replace('LOSSBENCH_API = "1.0"', 'LOSSBENCH_API = "2.0"')))
    [failure] = [r for r in future.failures if r.check == "API version"]
    assert "written for lossbench API 2.0; this lossbench provides API 1.1" in failure.message
    silent = check_plugin(_plugin(tmp_path, "silent", RAGGED.replace('LOSSBENCH_API = "1.0"', "")))
    [note] = [r for r in silent.notes if r.check == "API version"]
    assert "declares no LOSSBENCH_API; add LOSSBENCH_API = '1.1'" in note.message
