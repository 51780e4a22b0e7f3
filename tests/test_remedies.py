"""The built-in remedies, each tested on a real SequenceModel built from the built-in cells."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import pytest
import torch

from lossbench import CellSpec, ModelInfo, Remedy
from lossbench.engine.model import SequenceModel
from lossbench.errors import IncompatibleError
from lossbench_builtins import cells as cell_plugin
from lossbench_builtins import remedies as remedy_plugin


def _collect(hook):
    specs = []
    hook(specs.append)
    return {spec.name: spec for spec in specs}


CELLS = _collect(cell_plugin.register_cells)
REMEDIES = _collect(remedy_plugin.register_remedies)
CELL_VARIANTS = [("rnn", {"activation": "tanh"}), ("rnn", {"activation": "relu"}),
                 ("rnn", {"activation": "leaky_relu"}), ("gru", {}), ("lstm", {})]


def make_model(cell="gru", cell_params=None, hidden=(6, 5), features=3, classes=4, per_step=False, seed=0):
    torch.manual_seed(seed)
    spec = CELLS[cell]
    params = spec.resolve(cell_params)
    model = SequenceModel(cell, spec.build, params, features, hidden, classes, per_step)
    return model, ModelInfo(cell=cell, cell_params=params, hidden_sizes=tuple(hidden), num_features=features,
                            num_classes=classes, seq_len=20, gates=spec.gates, gate_roles=dict(spec.gate_roles))


def apply(name, model, info, **params):
    remedy = REMEDIES[name].build(**REMEDIES[name].resolve(params))
    remedy.on_model(model, info)
    return remedy


def backward(model, seed=1, scale=1.0):
    torch.manual_seed(seed)
    x = torch.randn(8, 7, 3) * scale
    y = torch.randint(0, 4, (8,))
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])))


def grads(model):
    return [p.grad.clone() for p in model.parameters()]


# ------------------------------------------------------------------------------------------------ specs


def test_all_built_in_remedies_are_registered():
    assert set(REMEDIES) == {"clip_norm", "clip_value", "orthogonal_init", "identity_init", "chrono_init",
                             "layer_norm", "batch_norm", "dropout", "weight_decay", "l1"}


@pytest.mark.parametrize("name", sorted(REMEDIES))
def test_defaults_validate_and_build_a_remedy(name):
    spec = REMEDIES[name]
    assert spec.summary and "\n" not in spec.summary
    assert set(spec.space) <= set(spec.defaults)
    params = spec.resolve()
    assert params == spec.resolve(dict(spec.defaults))
    for key, param in [*spec.space.items(), *spec.constraints.items()]:
        param.validate(f"{name}.{key}", spec.defaults[key])
    assert isinstance(spec.build(**params), Remedy)


def test_identity_check_has_a_docstring_for_lossbench_list():
    assert REMEDIES["identity_init"].check.__doc__.strip()


@pytest.mark.parametrize("remedy, cell, params", [
    ("identity_init", "gru", {}),
    ("identity_init", "lstm", {}),
    ("identity_init", "rnn", {"activation": "tanh"}),
    ("chrono_init", "rnn", {"activation": "tanh"}),
    ("chrono_init", "rnn", {"activation": "relu"}),
])
def test_incompatible_combinations_give_a_reason(remedy, cell, params):
    reason = REMEDIES[remedy].incompatibility(CELLS[cell], CELLS[cell].resolve(params))
    assert isinstance(reason, str) and remedy in reason


def test_identity_with_tanh_says_how_to_fix_it():
    reason = REMEDIES["identity_init"].incompatibility(CELLS["rnn"], CELLS["rnn"].resolve({"activation": "tanh"}))
    assert "rnn.activation=relu" in reason


@pytest.mark.parametrize("remedy, cell, params", [
    ("identity_init", "rnn", {"activation": "relu"}),
    ("identity_init", "rnn", {"activation": "leaky_relu"}),
    ("chrono_init", "gru", {}),
    ("chrono_init", "lstm", {}),
    *[(name, cell, params) for name in ("clip_norm", "clip_value", "orthogonal_init", "layer_norm", "batch_norm",
                                        "dropout", "weight_decay", "l1") for cell, params in CELL_VARIANTS],
])
def test_compatible_combinations(remedy, cell, params):
    assert REMEDIES[remedy].incompatibility(CELLS[cell], CELLS[cell].resolve(params)) is None


def test_plugin_module_does_not_import_torch():
    code = ("import sys, lossbench_builtins.remedies as r; specs = []; r.register_remedies(specs.append); "
            "assert specs; assert 'torch' not in sys.modules, 'torch imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------------ clipping


def test_clip_norm_bounds_the_norm_and_reports_clipping():
    model, info = make_model()
    remedy = apply("clip_norm", model, info, max_norm=0.1)
    norm = backward(model)
    assert norm > 0.1
    assert remedy.after_backward(model, norm) is True
    clipped = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert clipped <= 0.1 * (1 + 1e-4)

    remedy = apply("clip_norm", model, info, max_norm=10.0)
    norm = backward(model)
    assert norm < 10.0
    before = grads(model)
    assert remedy.after_backward(model, norm) is False
    assert all(torch.equal(a, b) for a, b in zip(before, grads(model)))


@pytest.mark.parametrize("max_norm", [0.1, 0.2])
def test_clip_norm_with_the_engines_norm_equals_torch_clip_grad_norm(max_norm):
    """The remedy scales by the norm the engine measured (torch.nn.utils.get_total_norm, as in the loop) and
    passes in; the gradients come out as torch.nn.utils.clip_grad_norm_ leaves them."""
    model, info = make_model("lstm")
    reference, _ = make_model("lstm")
    remedy = apply("clip_norm", model, info, max_norm=max_norm)
    backward(model)
    backward(reference)
    assert all(torch.equal(a, b) for a, b in zip(grads(model), grads(reference)))
    norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
    assert norm > max_norm
    assert remedy.after_backward(model, norm) is True
    torch_norm = torch.nn.utils.clip_grad_norm_(reference.parameters(), max_norm)
    assert torch_norm.item() == norm  # the same measured norm on both sides
    for ours, torchs in zip(grads(model), grads(reference)):
        torch.testing.assert_close(ours, torchs, rtol=1e-6, atol=1e-9)
    clipped = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
    assert clipped == pytest.approx(max_norm, rel=1e-4)


def test_clip_norm_scales_by_the_norm_it_is_given():
    """grad_norm is taken as given, not measured again: a norm twice the true one halves the clipped result."""
    model, info = make_model()
    remedy = apply("clip_norm", model, info, max_norm=0.1)
    true_norm = backward(model)
    before = grads(model)
    assert remedy.after_backward(model, 2 * true_norm) is True
    for old, new in zip(before, grads(model)):
        torch.testing.assert_close(new, old * (0.1 / (2 * true_norm + 1e-6)))


def test_clip_value_bounds_entries_and_reports_clipping():
    model, info = make_model()
    norm = backward(model)
    largest = max(float(g.abs().max()) for g in grads(model))
    remedy = apply("clip_value", model, info, value=largest / 2)
    assert remedy.after_backward(model, norm) is True
    assert max(float(g.abs().max()) for g in grads(model)) <= largest / 2

    remedy = apply("clip_value", model, info, value=min(largest * 2, 10.0))
    backward(model)
    before = grads(model)
    assert remedy.after_backward(model, norm) is False
    assert all(torch.equal(a, b) for a, b in zip(before, grads(model)))


# ------------------------------------------------------------------------------------------------ initialisations


@pytest.mark.parametrize("cell, params", CELL_VARIANTS)
@pytest.mark.parametrize("gain", [0.5, 1.0, 1.7])
def test_orthogonal_init_makes_each_gate_block_orthogonal(cell, params, gain):
    model, info = make_model(cell, params)
    apply("orthogonal_init", model, info, gain=gain)
    gates = len(CELLS[cell].gates)
    checked = 0
    for name, weight in model.named_parameters():
        if name.rpartition(".")[2].startswith("weight_hh"):
            hidden = weight.shape[1]
            assert weight.shape[0] == gates * hidden
            for block in weight.detach().double().split(hidden):
                torch.testing.assert_close(block @ block.T, gain ** 2 * torch.eye(hidden, dtype=torch.float64),
                                           atol=1e-5, rtol=0)
                checked += 1
    assert checked == gates * len(info.hidden_sizes)
    backward(model)  # the fused kernels still run on the changed weights


def test_orthogonal_init_refuses_a_cell_without_recurrent_weights():
    class Causal(torch.nn.Module):  # a per-step linear map: causal, but no weight_hh
        def __init__(self, input_size, hidden_size):
            super().__init__()
            self.proj = torch.nn.Linear(input_size, hidden_size)

        def forward(self, x):
            return self.proj(x)

    model = SequenceModel("conv", Causal, {}, 3, (4,), 2, False)
    info = ModelInfo("conv", {}, (4,), 3, 2, 10)
    with pytest.raises(IncompatibleError, match="weight_hh"):
        REMEDIES["orthogonal_init"].build(gain=1.0).on_model(model, info)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_identity_init(activation, scale):
    model, info = make_model("rnn", {"activation": activation})
    apply("identity_init", model, info, scale=scale)
    found = 0
    for name, p in model.named_parameters():
        last = name.rpartition(".")[2]
        if last.startswith("weight_hh"):
            assert torch.equal(p.detach(), scale * torch.eye(p.shape[0]))
            found += 1
        if last.startswith(("bias_ih", "bias_hh")):
            assert torch.count_nonzero(p) == 0
    assert found == 2
    backward(model)


@pytest.mark.parametrize("t_max", [0, 5, 100])
def test_chrono_init_lstm(t_max):
    model, info = make_model("lstm", hidden=(64, 32))
    apply("chrono_init", model, info, t_max=t_max)
    effective = t_max or info.seq_len
    for layer, hidden in zip(model.layers, info.hidden_sizes):
        b = (layer.bias_ih_l0 + layer.bias_hh_l0).detach()
        i, f = b[:hidden], b[hidden:2 * hidden]
        assert torch.all(f >= 0) and torch.all(f <= math.log(effective - 1) + 1e-6)
        assert f.max() > 0.5 * math.log(effective - 1)  # spread over the range, not all at the bottom
        torch.testing.assert_close(i, -f)
        assert torch.count_nonzero(layer.bias_hh_l0[:2 * hidden]) == 0


def test_chrono_init_gru_sets_the_update_gate():
    model, info = make_model("gru", hidden=(64,))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    apply("chrono_init", model, info, t_max=50)
    layer, hidden = model.layers[0], 64
    z = (layer.bias_ih_l0 + layer.bias_hh_l0).detach()[hidden:2 * hidden]
    assert torch.all(z >= 0) and torch.all(z <= math.log(49) + 1e-6)
    assert torch.count_nonzero(layer.bias_hh_l0[hidden:2 * hidden]) == 0
    # r and n biases keep their initialisation
    for name in ("layers.0.bias_ih_l0", "layers.0.bias_hh_l0"):
        now = dict(model.named_parameters())[name].detach()
        assert torch.equal(now[:hidden], before[name][:hidden])
        assert torch.equal(now[2 * hidden:], before[name][2 * hidden:])


def test_chrono_init_short_sequences_are_clamped():
    model, info = make_model("lstm", hidden=(16,))
    info = dataclasses.replace(info, seq_len=1)
    apply("chrono_init", model, info)
    f = (model.layers[0].bias_ih_l0 + model.layers[0].bias_hh_l0).detach()[16:32]
    assert torch.all(torch.isfinite(f)) and torch.all(f >= 0) and torch.all(f <= math.log(2) + 1e-6)


def _input_gradient_ratio(cell, remedy=None, steps=100, hidden=64, features=8, seed=0):
    """||dL/dx_0|| / ||dL/dx_{T-1}|| at initialisation, float64, loss on the last step only."""
    model, _ = make_model(cell, hidden=(hidden,), features=features, classes=10, seed=seed)
    model = model.double()
    if remedy is not None:
        info = ModelInfo(cell, CELLS[cell].resolve(), (hidden,), features, 10, steps, CELLS[cell].gates,
                         gate_roles=dict(CELLS[cell].gate_roles))
        apply(remedy, model, info, t_max=steps)
    torch.manual_seed(seed + 1)
    x = torch.randn(16, steps, features, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 10, (16,))
    torch.nn.functional.cross_entropy(model(x), y).backward()
    per_step = x.grad.norm(dim=(0, 2))
    return float(per_step[0] / per_step[-1])


def test_chrono_init_lets_gradients_flow_through_100_steps():
    chrono = _input_gradient_ratio("lstm", "chrono_init")
    tanh = _input_gradient_ratio("rnn")
    message = f"||dL/dx_0|| / ||dL/dx_99||: lstm+chrono_init {chrono:.3g}, default tanh rnn {tanh:.3g}"
    assert chrono > 1e-4, message
    assert chrono > 1e10 * tanh, message


# ------------------------------------------------------------------------------------------------ transforms


def test_layer_norm_normalises_every_position():
    model, info = make_model("gru", hidden=(6, 5))
    apply("layer_norm", model, info)
    assert all(len(chain) == 1 for chain in model.transforms)
    x = torch.randn(4, 9, 3) * 5 + 2
    h = model.features(x, None).detach()
    torch.testing.assert_close(h.mean(-1), torch.zeros(4, 9), atol=1e-5, rtol=0)
    torch.testing.assert_close(h.var(-1, unbiased=False), torch.ones(4, 9), atol=2e-2, rtol=0)
    # exactly (h - mean) / sqrt(var + eps) of the top layer's raw output (eps keeps the variance a hair below 1)
    raw = model.layers[1](model.transforms[0][0](model.layers[0](x), None)).detach()
    mean, var = raw.mean(-1, keepdim=True), raw.var(-1, unbiased=False, keepdim=True)
    torch.testing.assert_close(h, (raw - mean) / torch.sqrt(var + 1e-5))


def _padded_batch(seed):
    torch.manual_seed(seed)
    x = torch.randn(5, 8, 3)
    lengths = torch.tensor([8, 3, 5, 1, 6])
    return x, lengths


def test_batch_norm_ignores_padded_steps():
    x, lengths = _padded_batch(0)
    valid = torch.arange(8)[None, :] < lengths[:, None]
    noisy = x.clone()
    noisy[~valid] = torch.randn(int((~valid).sum()), 3) * 100 + 50
    outputs, states = [], []
    for inputs in (x, noisy):  # two identical models, one batch each: clean and noisy padding
        model, info = make_model("lstm", hidden=(6, 5), per_step=True)
        apply("batch_norm", model, info)
        model.train()
        outputs.append(model(inputs, lengths))
        states.append(model.state_dict())
    torch.testing.assert_close(outputs[0][valid], outputs[1][valid])
    assert not torch.allclose(outputs[0][~valid], outputs[1][~valid])  # the noise did reach the padded steps
    running = [key for key in states[0] if "running" in key]
    assert len(running) == 4
    for key in running:  # the running statistics come from valid steps only too
        torch.testing.assert_close(states[0][key], states[1][key])


def test_batch_norm_normalises_valid_positions_and_uses_running_stats_in_eval():
    model, info = make_model("gru", hidden=(6,), per_step=True)
    apply("batch_norm", model, info)
    norm = model.transforms[0][0]
    x, lengths = _padded_batch(1)
    valid = torch.arange(8)[None, :] < lengths[:, None]
    h = torch.randn(5, 8, 6) * 3 + 1
    out = norm(h, valid)
    torch.testing.assert_close(out[valid].mean(0), torch.zeros(6), atol=1e-5, rtol=0)
    torch.testing.assert_close(out[valid].var(0, unbiased=False), torch.ones(6), atol=1e-3, rtol=0)
    # mask None: all positions
    out_all = norm(h, None).reshape(-1, 6)
    torch.testing.assert_close(out_all.mean(0), torch.zeros(6), atol=1e-5, rtol=0)
    # eval: running statistics, no update, independent of the batch
    model.eval()
    running = norm.running_mean.clone()
    single = norm(h[:1], valid[:1])
    torch.testing.assert_close(single, norm(h, valid)[:1])
    assert torch.equal(running, norm.running_mean)
    assert not torch.allclose(norm.running_mean, torch.zeros(6))


def test_dropout_active_in_train_identity_in_eval():
    model, info = make_model("gru", hidden=(32, 32))
    apply("dropout", model, info, p=0.5)
    dropout = model.transforms[0][0]
    h = torch.ones(4, 10, 32)
    model.train()
    out = dropout(h, None)
    zeros = float((out == 0).float().mean())
    assert 0.3 < zeros < 0.7
    assert torch.all((out == 0) | (out == 2.0))
    model.eval()
    assert torch.equal(dropout(h, None), h)
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(model(x), model(x))


def test_transforms_follow_the_model_dtype():
    model, info = make_model("lstm", hidden=(6,))
    model = model.double()
    for name in ("layer_norm", "batch_norm", "dropout"):
        apply(name, model, info)
    x, lengths = _padded_batch(2)
    assert model(x.double(), lengths).dtype == torch.float64


# ------------------------------------------------------------------------------------------------ regularisers


def test_weight_decay_lands_in_the_optimizer_options():
    remedy = REMEDIES["weight_decay"].build(weight_decay=3e-4)
    options = {"lr": 0.01}
    out = remedy.optimizer_options(options)
    assert out == {"lr": 0.01, "weight_decay": 3e-4}
    model, _ = make_model()
    torch.optim.Adam(model.parameters(), **out)  # a real optimiser accepts them


def test_weight_decay_default():
    spec = REMEDIES["weight_decay"]
    assert spec.build(**spec.resolve()).optimizer_options({"lr": 1.0})["weight_decay"] == 1e-4


def test_l1_penalty_equals_the_hand_computed_sum():
    model, info = make_model("lstm", hidden=(6, 5))
    remedy = apply("l1", model, info, strength=1e-4)
    expected = 0.0
    for name, p in model.named_parameters():
        if "weight" in name:
            expected += float(p.detach().abs().sum())
    penalty = remedy.penalty(model)
    assert penalty.requires_grad
    assert math.isclose(float(penalty.detach()), 1e-4 * expected, rel_tol=1e-5)
    penalty.backward()
    assert model.layers[0].bias_ih_l0.grad is None  # biases are not penalised


def test_remedies_without_a_penalty_return_none_and_do_not_clip():
    model, info = make_model()
    norm = backward(model)
    for name in ("orthogonal_init", "layer_norm", "dropout", "weight_decay"):
        remedy = REMEDIES[name].build(**REMEDIES[name].resolve())
        assert remedy.penalty(model) is None
        assert remedy.after_backward(model, norm) is False


INDRNN = '''
from lossbench import CellSpec, hookimpl

LOSSBENCH_API = "1.0"


def build(input_size, hidden_size):
    import torch

    class IndRNN(torch.nn.Module):
        """h_t = relu(W x_t + u * h_{t-1} + b): the recurrent weight u is a vector."""

        def __init__(self):
            super().__init__()
            self.weight_ih_l0 = torch.nn.Parameter(torch.randn(hidden_size, input_size) / input_size ** 0.5)
            self.weight_hh_l0 = torch.nn.Parameter(torch.rand(hidden_size))
            self.bias_ih_l0 = torch.nn.Parameter(torch.zeros(hidden_size))

        def forward(self, x):
            h, out = x.new_zeros(x.shape[0], hidden_size), []
            for t in range(x.shape[1]):
                h = torch.relu(x[:, t] @ self.weight_ih_l0.T + self.weight_hh_l0 * h + self.bias_ih_l0)
                out.append(h)
            return torch.stack(out, dim=1)

    return IndRNN()


@hookimpl
def register_cells(register):
    register(CellSpec(name="indrnn", summary="IndRNN (Li et al. 2018)", build=build,
                      recurrent_weight="vector", init_styles={"identity"}))
'''


def _indrnn_plugin(tmp_path, source=INDRNN):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "indrnn.py").write_text(source)
    return tmp_path


def test_a_vector_recurrent_weight_refuses_orthogonal_init_and_takes_identity_init(tmp_path):
    from lossbench.registry import load_registry

    cell = load_registry([str(_indrnn_plugin(tmp_path))]).get("cells", "indrnn")
    reason = REMEDIES["orthogonal_init"].incompatibility(cell, cell.resolve())
    assert "needs a recurrent weight matrix; cell indrnn declares a vector recurrent weight" in reason
    assert REMEDIES["identity_init"].incompatibility(cell, cell.resolve()) is None
    undeclared = dataclass_replace(cell, init_styles=frozenset())
    assert "init_styles={'identity'}" in REMEDIES["identity_init"].incompatibility(undeclared, cell.resolve())
    assert "init_styles={'chrono'}" in REMEDIES["chrono_init"].incompatibility(cell, cell.resolve())


def dataclass_replace(spec, **changes):
    import dataclasses

    return dataclasses.replace(spec, **changes)


@pytest.mark.slow
def test_a_plugin_cell_swept_with_a_remedy_it_cannot_take_is_refused_before_training(tmp_path, cli):
    plugins = _indrnn_plugin(tmp_path / "plugins")
    done = cli("--plugins-dir", str(plugins), "run", "--dataset", "digits", "--cell", "indrnn", "--loss", "ce",
               "--remedies", "orthogonal_init", "--trials", "1", "--epochs", "1", "--seeds", "1",
               "--out", str(tmp_path / "results"))
    assert done.returncode == 2, done.stderr
    assert "orthogonal_init" in done.stderr and "vector recurrent weight" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "results").glob("*/*.journal*"))  # nothing trained, nothing stored


@pytest.mark.slow
def test_the_same_cell_declaring_identity_init_trains_with_it(tmp_path, cli):
    import json

    plugins = _indrnn_plugin(tmp_path / "plugins")
    done = cli("--plugins-dir", str(plugins), "train", "--dataset", "digits", "--cell", "indrnn", "--loss", "ce",
               "--remedy", "identity_init", "--epochs", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["config"]["remedies"] == ["identity_init"]


def test_identity_init_sets_a_vector_recurrent_weight_to_its_scale(tmp_path):
    from lossbench.registry import load_registry

    cell = load_registry([str(_indrnn_plugin(tmp_path))]).get("cells", "indrnn")
    model = SequenceModel(cell.name, cell.build, {}, 3, (6,), 2, per_step=False)
    info = ModelInfo("indrnn", {}, (6,), 3, 2, 5, tuple(cell.gates))
    REMEDIES["identity_init"].build(scale=0.9).on_model(model, info)
    weight = dict(model.named_parameters())["layers.0.weight_hh_l0"]
    assert torch.equal(weight.detach(), torch.full((6,), 0.9))


def test_chrono_init_follows_the_gates_a_plugin_cell_declares():
    class Forgetful(torch.nn.LSTM):  # gates in another order than torch's: the forget gate comes first
        def forward(self, x):
            return super().forward(x)[0]

    model = SequenceModel("mine", lambda i, h: Forgetful(i, h, batch_first=True), {}, 3, (4,), 2, per_step=False)
    info = ModelInfo("mine", {}, (4,), 3, 2, 20, ("f", "i", "g", "o"), gate_roles={"f": "keep", "i": "write"})
    REMEDIES["chrono_init"].build(t_max=20).on_model(model, info)
    bias = dict(model.named_parameters())["layers.0.bias_ih_l0"].detach()
    forget, inputs = bias[:4], bias[4:8]
    assert bool((forget >= 0).all()) and bool((forget <= math.log(19) + 1e-6).all())
    assert torch.allclose(inputs, -forget)


class _MinGRU(torch.nn.Module):
    """minGRU as its paper writes it (Feng et al. 2024): h_t = (1 - z_t) h_{t-1} + z_t h~_t, z the write gate."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.weight_ih_l0 = torch.nn.Parameter(torch.randn(2 * hidden_size, input_size) * 0.5)
        self.bias_ih_l0 = torch.nn.Parameter(torch.zeros(2 * hidden_size))  # gates z, h

    def forward(self, x):
        gate, candidate = (x @ self.weight_ih_l0.T + self.bias_ih_l0).chunk(2, dim=-1)
        z, h, outputs = torch.sigmoid(gate), x.new_zeros(x.shape[0], gate.shape[-1]), []
        for t in range(x.shape[1]):
            h = (1 - z[:, t]) * h + z[:, t] * candidate[:, t]
            outputs.append(h)
        return torch.stack(outputs, dim=1)


def _min_gru(**declared):
    return CellSpec(name="mingru", summary="minGRU", build=lambda i, h: _MinGRU(i, h), gates=("z", "h"),
                    recurrent_weight=None, init_styles={"chrono"}, **declared)


def test_chrono_init_reads_what_a_cells_gates_mean():
    """A write gate gets the opposite of a keep gate's bias: minGRU's z near 0 keeps a long memory, as chrono
    means; read as torch's keep gate it would have been near 1, a memory of one step."""
    spec = _min_gru(gate_roles={"z": "write"})
    assert REMEDIES["chrono_init"].incompatibility(spec, {}) is None
    torch.manual_seed(0)
    model = SequenceModel("mingru", spec.build, {}, 3, (64,), 2, per_step=False)
    info = ModelInfo("mingru", {}, (64,), 3, 2, 100, spec.gates, gate_roles=dict(spec.gate_roles))
    apply("chrono_init", model, info, t_max=100)
    z = model.layers[0].bias_ih_l0.detach()[:64]
    assert bool((z <= 0).all()) and bool((z >= -math.log(99) - 1e-6).all()) and float(z.min()) < -0.5 * math.log(99)
    keep = 1 - torch.sigmoid(z)  # the share of the old state kept each step
    assert float(keep.mean()) > 0.8
    assert torch.count_nonzero(model.layers[0].bias_ih_l0.detach()[64:]) == 0  # h~ keeps its bias


def test_chrono_init_refuses_a_cell_whose_gates_mean_nothing_declared():
    reason = REMEDIES["chrono_init"].incompatibility(_min_gru(), {})
    assert reason.startswith("remedy chrono_init sets the bias of a gate by what it means; cell mingru declares no "
                             "gate_roles: declare gate_roles={'z': 'keep'}")
    assert "{'z': 'write'} when it multiplies the new (minGRU's z)" in reason
    with pytest.raises(ValueError, match="gate_roles"):
        _min_gru(gate_roles={"z": "forget"})
    with pytest.raises(ValueError, match="gate_roles"):
        _min_gru(gate_roles={"f": "keep"})  # no gate f
