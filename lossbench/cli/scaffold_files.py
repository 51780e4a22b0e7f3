"""The files ``lossbench new-plugin`` writes, as ``string.Template`` texts ($dist: the project's name, $pkg: its
package, $p: the components' prefix, $P: the same in capitals, $api: lossbench.API_VERSION, $kinds: the kinds).

Every component is written in the built-ins' one registration style (a spec constant, ``SPECS``, a short
hook), works as generated (``lossbench check`` passes it) and is meant to be edited."""

from __future__ import annotations

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "lossbench plugins: $kinds"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["lossbench"]

[project.optional-dependencies]
test = ["pytest"]

# lossbench finds plugins through this entry-point group: one entry per registration module.
[project.entry-points.lossbench]
$entry_points

[tool.setuptools]
packages = ["$pkg"]
"""

INIT = '''\
"""$dist: lossbench plugins ($kinds). lossbench loads the modules named in pyproject.toml's entry points."""

__version__ = "0.1.0"
'''

LOSSES = '''\
"""Losses: registration only. lossbench imports this module with every command, so torch is imported inside
the builder, when a run needs the loss."""

from lossbench import Float, LossSpec, hookimpl

LOSSBENCH_API = "$api"  # the version of lossbench's plugin API this module is written for


def build_${p}_ce(*, temperature):
    import torch.nn.functional as F

    def loss(logits, target):  # logits float[N, C], target long[N] -> a scalar, the mean over N
        return F.cross_entropy(logits / temperature, target)

    return loss


${P}_CE = LossSpec(
    name="${p}_ce",
    summary="Cross-entropy of temperature-scaled logits (a starting point: edit me)",
    space={"temperature": Float(0.5, 2.0, log=True)},
    defaults={"temperature": 1.0},
    build=build_${p}_ce,
    targets=frozenset({"binary", "multiclass"}),
)

SPECS = (${P}_CE,)


@hookimpl
def register_losses(register):
    for spec in SPECS:
        register(spec)
'''

CELLS = '''\
"""Cells: registration only; the torch module lives in cell_modules, imported when a model is built."""

from lossbench import Categorical, CellSpec, hookimpl

LOSSBENCH_API = "$api"  # the version of lossbench's plugin API this module is written for


def build_${p}_rnn(input_size, hidden_size, *, activation):
    from $pkg import cell_modules

    return cell_modules.ElmanLayer(input_size, hidden_size, activation)


${P}_RNN = CellSpec(
    name="${p}_rnn",
    summary="An Elman RNN written as a loop over steps (a starting point: edit me)",
    constraints={"activation": Categorical(["tanh", "relu"])},
    defaults={"activation": "tanh"},
    build=build_${p}_rnn,
    gates=("h",),
    recurrent_weight="matrix",  # weight_hh_l0 is [hidden, hidden]: orthogonal_init may act on it
    init_styles={"identity"},  # identity_init may set it to scale * I (with activation=relu)
)

SPECS = (${P}_RNN,)


@hookimpl
def register_cells(register):
    for spec in SPECS:
        register(spec)
'''

CELL_MODULES = '''\
"""The torch module behind the cell (imported only when a model is built)."""

import torch
from torch import nn


class ElmanLayer(nn.RNN):
    """h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh): float[B, T, F] -> float[B, T, hidden].

    Causal (step t sees steps <= t only), so padding after a sequence never changes its valid outputs. torch's
    nn.RNN gives the parameters (named weight_hh_l0 ..., so that initialisation remedies find them) and their
    initialisation; the loop over steps is ours, to edit."""

    def __init__(self, input_size, hidden_size, activation):
        super().__init__(input_size, hidden_size, nonlinearity=activation, batch_first=True)

    def forward(self, x):
        activation = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        projected = x @ self.weight_ih_l0.T + self.bias_ih_l0 + self.bias_hh_l0  # every step at once
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            h = activation(projected[:, t] + h @ self.weight_hh_l0.T)
            outputs.append(h)
        return torch.stack(outputs, dim=1)
'''

DATASETS = '''\
"""Datasets: registration only; the data is made in sines.py, imported when a run loads it."""

from lossbench import DatasetSpec, Float, Int, hookimpl

LOSSBENCH_API = "$api"  # the version of lossbench's plugin API this module is written for


def load_${p}_sines(*, n, max_steps, val_fraction, seed):
    from $pkg import sines

    return sines.load(n=n, max_steps=max_steps, val_fraction=val_fraction, seed=seed)


${P}_SINES = DatasetSpec(
    name="${p}_sines",
    summary="Noisy sine waves of unequal lengths: is the frequency low or high? (a starting point: edit me)",
    constraints={"n": Int(20, 1_000_000, log=True), "max_steps": Int(4, 10_000, log=True),
                 "val_fraction": Float(0.05, 0.5), "seed": Int(0, 2**32 - 1)},
    defaults={"n": 600, "max_steps": 30, "val_fraction": 0.2, "seed": 0},
    load=load_${p}_sines,
    targets=frozenset({"binary"}),
)

SPECS = (${P}_SINES,)


@hookimpl
def register_datasets(register):
    for spec in SPECS:
        register(spec)
'''

SINES = '''\
"""The data behind the dataset: generated from a seed, padded, split and standardised with lossbench's helpers."""

import numpy as np

from lossbench import Dataset, Split, pad_sequences, standardize, stratified_split


def load(*, n, max_steps, val_fraction, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(max_steps // 2, max_steps + 1, size=n)  # unequal lengths
    y = rng.integers(0, 2, size=n)  # 0: low frequency, 1: high
    series = [3.0 + np.sin((0.3 + 0.5 * y[i]) * np.arange(lengths[i]) + rng.uniform(0, 2 * np.pi))
              + rng.normal(0, 0.3, lengths[i]) for i in range(n)]
    x, lengths = pad_sequences(series)  # x float32 [N, T, 1], padded with 0 after each length
    n_test = n // 5
    kept, held = stratified_split(y[: n - n_test], val_fraction, seed)  # validation from the training part
    rows = (kept, held, np.arange(n - n_test, n))
    train, val, test = standardize(*(Split(x[r], y[r], lengths[r]) for r in rows))  # training statistics
    return Dataset(train, val, test, num_classes=2, class_names=("low", "high"), info={
        "source": f"generated sine waves (seed {seed})", "seq_len": int(x.shape[1]), "num_features": 1,
        "split": f"{len(kept)} train / {len(held)} val (stratified) / {n_test} test",
    })
'''

REMEDIES = '''\
"""Remedies: registration, and the Remedy itself (it needs no torch import: it only scales existing tensors)."""

from lossbench import Float, Remedy, RemedySpec, hookimpl

LOSSBENCH_API = "$api"  # the version of lossbench's plugin API this module is written for


class ScaleLargeGradients(Remedy):
    """Scales the gradients down to ``max_norm`` when their total norm is larger (clipping by the norm)."""

    def __init__(self, max_norm):
        self.max_norm = max_norm

    def after_backward(self, model, grad_norm):  # grad_norm: the total norm before any remedy acted
        if grad_norm <= self.max_norm:
            return False
        for parameter in model.parameters():
            if parameter.grad is not None:
                parameter.grad.mul_(self.max_norm / grad_norm)
        return True  # it changed the gradients: counted as a clipped step


def build_${p}_clip(*, max_norm):
    return ScaleLargeGradients(max_norm)


${P}_CLIP = RemedySpec(
    name="${p}_clip",
    summary="Scale the gradients down to max_norm when their total norm is larger (a starting point: edit me)",
    space={"max_norm": Float(0.1, 10.0, log=True)},
    defaults={"max_norm": 1.0},
    build=build_${p}_clip,
)

SPECS = (${P}_CLIP,)


@hookimpl
def register_remedies(register):
    for spec in SPECS:
        register(spec)
'''

TEST = '''\
"""The conformance kit on every module of the plugin: pytest shows each failed check in one line."""

import pytest

from lossbench.testing import assert_conforms

MODULES = $modules
# Parameters per component for its checks, by the component's name; a list checks it once per set.
PARAMS = $params


@pytest.mark.parametrize("module", MODULES)
def test_conforms(module):
    assert_conforms(module, PARAMS)
'''

README = """\
# $dist

lossbench plugins ($kinds), generated by `lossbench new-plugin`: each component works as
it is and is meant to be edited. The guide to every hook, field and helper: lossbench's `docs/plugins.md`.

| module | registers |
|---|---|
$table

```bash
pip install -e '.[test]'        # into the environment that has lossbench
python -m pytest -q             # the conformance kit on every module (tests/)
lossbench plugins               # lists $dist:<module>
lossbench check $dist               # every plugin the package installs
$train
```
"""
