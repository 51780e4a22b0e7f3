"""The training engine end to end: real datasets, cells, losses and remedies, tiny sizes, no mocks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import lossbench
from lossbench import Dataset, Split
from lossbench.engine import RunConfig, RunResult, train
from lossbench.engine.model import SequenceModel, step_mask
from lossbench.errors import LossbenchError
from lossbench.registry import load_registry

REGISTRY = load_registry()
CELL_VARIANTS = [("rnn", {"activation": "tanh"}), ("rnn", {"activation": "relu"}),
                 ("rnn", {"activation": "leaky_relu"}), ("gru", {}), ("lstm", {})]
# temporal order, small: 3 training steps of 40 per epoch, T=12
ORDER_T = 12
SMALL_ORDER = {"T": ORDER_T, "n_train": 120, "n_val": 40, "n_test": 40}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def small_run(**fields) -> RunConfig:
    """A tiny run on temporal order; ``fields`` override (``params`` are merged)."""
    params = {"temporal_order": dict(SMALL_ORDER), **fields.pop("params", {})}
    base = dict(dataset="temporal_order", cell="gru", loss="ce", epochs=1, batch_size=40, hidden=(8,), lr=1e-2)
    return RunConfig(**{**base, **fields}, params=params)


def check_completed(result: RunResult, *, epochs: int, steps_per_epoch: int, seq_len: int,
                    full_length: bool = True) -> None:
    """What every completed run must carry: finite metrics in range, epochs, per-step grad norms, profiles."""
    assert result.status == "completed", result.diverged_at
    assert result.diverged_at is None
    test = result.test
    assert set(test) == {"accuracy", "nll", "ece", "confidence", "examples", "classes"}
    assert all(math.isfinite(v) for v in test.values()), test
    assert 0.0 <= test["accuracy"] <= 1.0 and test["nll"] >= 0.0 and 0.0 <= test["ece"] <= 1.0
    assert 0.0 < test["confidence"] <= 1.0
    assert [e.epoch for e in result.epochs] == list(range(1, epochs + 1))
    for record in result.epochs:
        assert math.isfinite(record.train_loss) and math.isfinite(record.val_nll) and record.val_nll >= 0
        assert 0.0 <= record.val_accuracy <= 1.0 and record.seconds > 0
    assert result.steps == len(result.grad_norms) == epochs * steps_per_epoch
    assert all(math.isfinite(n) and n >= 0 for n in result.grad_norms)
    assert any(n > 0 for n in result.grad_norms)
    profiles = result.flow["profiles"]
    assert set(profiles) == {"0", str(epochs)} == set(result.flow["vanishing_ratio"])
    assert result.flow["alignment"] == "last_valid_step"
    for profile in profiles.values():
        assert len(profile) == seq_len if full_length else len(profile) <= seq_len
        assert all(math.isfinite(v) and v >= 0 for v in profile)
        assert profile[-1] > 0  # every sequence's last valid step reaches the loss
    json.dumps(result.to_json(), allow_nan=False)  # strict JSON: no NaN or inf anywhere
    assert result.seconds_per_epoch > 0 and result.wall_seconds > 0 and result.environment["torch"]


def metrics(result: RunResult) -> dict:
    """The measured numbers of a run, without timings and machine facts."""
    data = result.to_json()
    for record in data["epochs"]:
        record.pop("seconds")
    keep = ("status", "diverged_at", "epochs", "test", "grad_norms", "clipped_steps", "flow", "params", "config")
    return {key: data[key] for key in keep}


# ------------------------------------------------------------------------------------------- components


@pytest.mark.parametrize("cell,cell_params", CELL_VARIANTS, ids=[f"{c}-{p.get('activation', '')}".strip("-")
                                                                 for c, p in CELL_VARIANTS])
def test_every_cell_trains(cell, cell_params):
    config = small_run(cell=cell, params={cell: cell_params} if cell_params else {}, epochs=2)
    result = train(config)
    check_completed(result, epochs=2, steps_per_epoch=3, seq_len=ORDER_T)
    assert result.config["cell"] == cell and result.params[cell] == REGISTRY.get("cells", cell).resolve(cell_params)


def test_top_level_train_takes_keywords_and_lists():
    result = lossbench.train(dataset="temporal_order", cell="lstm", loss="ce", epochs=1, batch_size=40,
                             hidden=[6, 5], params={"temporal_order": SMALL_ORDER})
    check_completed(result, epochs=1, steps_per_epoch=3, seq_len=ORDER_T)
    assert result.config["hidden"] == [6, 5] and result.config["remedies"] == []
    # the test set's size and classes, stored with the run: accuracy moves in steps of 1 / examples
    assert result.test["examples"] == SMALL_ORDER["n_test"] and result.test["classes"] >= 2
    assert round(result.test["accuracy"] * result.test["examples"]) == pytest.approx(
        result.test["accuracy"] * result.test["examples"])


LOSSES = REGISTRY.names("losses")


def test_the_builtin_losses_are_all_registered():
    assert {"ce", "bce", "focal", "label_smoothing", "poly1", "gce", "sce", "taylor_ce", "bitempered",
            "brier"} <= set(LOSSES)


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_multiclass(loss):
    result = train(small_run(loss=loss))
    check_completed(result, epochs=1, steps_per_epoch=3, seq_len=ORDER_T)
    assert result.config["loss"] == loss
    assert result.params[loss] == dict(REGISTRY.get("losses", loss).defaults)


@pytest.fixture(scope="module")
def binary_ucr(tmp_path_factory):
    """A two-class univariate UCR problem of 20 training and 8 test cases, 9 steps each."""
    folder = tmp_path_factory.mktemp("ucr-binary")
    header = "@problemName Pair\n@timeStamps false\n@univariate true\n@equalLength true\n@classLabel true up down\n@data\n"
    rng = np.random.default_rng(0)

    def rows(n):
        out = []
        for i in range(n):
            label = "up" if i % 2 else "down"
            values = np.linspace(0, 1, 9) * (1 if label == "up" else -1) + rng.normal(0, 0.3, 9)
            out.append(",".join(f"{v:.4f}" for v in values) + ":" + label)
        return "\n".join(out) + "\n"

    (folder / "Pair_TRAIN.ts").write_text(header + rows(20))
    (folder / "Pair_TEST.ts").write_text(header + rows(8))
    return folder


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_binary(loss, binary_ucr):
    result = train(RunConfig(dataset="ucr", cell="gru", loss=loss, epochs=1, batch_size=8, hidden=(4,),
                             params={"ucr": {"path": str(binary_ucr), "name": "Pair"}}))
    check_completed(result, epochs=1, steps_per_epoch=2, seq_len=9)  # 16 training cases, 4 validation


REMEDY_CELLS = {"identity_init": [("rnn", {"activation": "relu"})], "chrono_init": [("gru", {}), ("lstm", {})]}
REMEDY_CASES = [(remedy, cell, params) for remedy in REGISTRY.names("remedies")
                for cell, params in REMEDY_CELLS.get(remedy, [("rnn", {"activation": "tanh"})])]


def test_the_builtin_remedies_are_all_registered():
    names = {case[0] for case in REMEDY_CASES}
    assert {"clip_norm", "clip_value", "orthogonal_init", "identity_init", "chrono_init", "layer_norm",
            "batch_norm", "dropout", "weight_decay", "l1"} <= names


@pytest.mark.parametrize("remedy,cell,cell_params", REMEDY_CASES,
                         ids=[f"{r}-{c}" for r, c, _ in REMEDY_CASES])
def test_every_remedy_trains(remedy, cell, cell_params):
    config = small_run(cell=cell, remedies=(remedy,), hidden=(6, 5), params={cell: cell_params} if cell_params else {})
    result = train(config)
    check_completed(result, epochs=1, steps_per_epoch=3, seq_len=ORDER_T)
    assert result.config["remedies"] == [remedy]
    assert result.params[remedy] == dict(REGISTRY.get("remedies", remedy).defaults)
    assert 0 <= result.clipped_steps <= result.steps
    if remedy not in ("clip_norm", "clip_value"):
        assert result.clipped_steps == 0  # only a clipping remedy ever counts a step


def test_remedy_on_an_incompatible_cell_is_refused_before_training():
    with pytest.raises(LossbenchError, match="identity_init applies to cells that opt in.*cell gru"):
        train(small_run(cell="gru", remedies=("identity_init",)))
    with pytest.raises(LossbenchError, match="activation=tanh"):
        train(small_run(cell="rnn", remedies=("identity_init",)))
    with pytest.raises(LossbenchError, match="chrono_init"):
        train(small_run(cell="rnn", remedies=("chrono_init",)))


# ------------------------------------------------------------------------------------------- datasets


RAGGED_HEADER = ("@problemName Ragged\n@timeStamps false\n@missing false\n@univariate false\n@dimensions 2\n"
                 "@equalLength false\n@classLabel true a b c\n@data\n")


@pytest.fixture
def ragged_ucr(tmp_path):
    """A multivariate UCR problem with unequal lengths (3 to 7 steps) and three classes."""
    rng = np.random.default_rng(2)

    def rows(n):
        out = []
        for i in range(n):
            length = 3 + i % 5
            dims = [",".join(f"{v:.3f}" for v in rng.normal(i % 3, 1.0, length)) for _ in range(2)]
            out.append(":".join(dims) + ":" + "abc"[i % 3])
        return "\n".join(out) + "\n"

    (tmp_path / "Ragged_TRAIN.ts").write_text(RAGGED_HEADER + rows(15))
    (tmp_path / "Ragged_TEST.ts").write_text(RAGGED_HEADER + rows(6))
    return tmp_path


def text_file(tmp_path):
    file = tmp_path / "corpus.txt"
    file.write_text("".join(f"{i}: the quick brown fox jumps over the lazy dog.\n" for i in range(20)), encoding="utf-8")
    return file


def test_dataset_digits():
    result = train(RunConfig(dataset="digits", cell="gru", epochs=1, hidden=(8,), batch_size=200))
    check_completed(result, epochs=1, steps_per_epoch=6, seq_len=8)  # 1078 training images


def test_dataset_mnist1d(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSBENCH_CACHE_DIR", str(tmp_path))
    result = train(RunConfig(dataset="mnist1d", cell="gru", epochs=1, hidden=(8,), batch_size=400))
    check_completed(result, epochs=1, steps_per_epoch=9, seq_len=40)  # 3600 training signals


def test_dataset_smnist(idx_folder):
    folder, _ = idx_folder(30, 10)  # 27 train, 3 validation, 10 test
    for mode, seq_len in (("rows", 28), ("pixels", 784)):
        result = train(RunConfig(dataset="smnist", cell="gru", epochs=1, hidden=(4,), batch_size=16,
                                 params={"smnist": {"path": str(folder), "mode": mode}},
                                 flow_batch=4))
        check_completed(result, epochs=1, steps_per_epoch=2, seq_len=seq_len)


def test_dataset_ucr_with_unequal_lengths(ragged_ucr):
    params = {"path": str(ragged_ucr), "name": "Ragged"}
    result = train(RunConfig(dataset="ucr", cell="lstm", epochs=2, hidden=(6,), batch_size=4, params={"ucr": params}))
    # 12 training cases, 3 validation (the probe batch); the longest case has 7 steps
    check_completed(result, epochs=2, steps_per_epoch=3, seq_len=7, full_length=False)
    assert result.dataset_info["equal_length"] is False
    # padding never enters a profile: aligned at each sequence's last valid step, as long as the longest probed
    ucr = REGISTRY.get("datasets", "ucr")
    longest = int(ucr.load(**ucr.resolve(params)).val.lengths.max())
    for profile in result.flow["profiles"].values():
        assert len(profile) == longest and all(v > 0 for v in profile)


def test_dataset_copy_carries_its_baseline():
    T = 5
    result = train(RunConfig(dataset="copy", cell="gru", epochs=1, hidden=(8,), batch_size=32,
                             params={"copy": {"T": T, "n_train": 64, "n_val": 16, "n_test": 16}}))
    check_completed(result, epochs=1, steps_per_epoch=2, seq_len=T + 20)
    baseline = result.dataset_info["memoryless_baseline_nll"]
    assert math.isclose(baseline, 10 * math.log(8) / (T + 20))
    assert "memoryless_baseline_nll" in RunResult.from_json(json.loads(json.dumps(result.to_json()))).dataset_info


def test_dataset_temporal_order():
    result = train(small_run(epochs=1))
    check_completed(result, epochs=1, steps_per_epoch=3, seq_len=ORDER_T)
    assert result.dataset_info["T"] == ORDER_T


def test_dataset_text(tmp_path):
    file = text_file(tmp_path)
    result = train(RunConfig(dataset="text", cell="lstm", epochs=1, hidden=(8,), batch_size=16,
                             params={"text": {"path": str(file), "seq_len": 16}}))
    text = file.read_text(encoding="utf-8")
    train_windows = (int(0.8 * len(text)) - 1) // 16  # the first 80 % of the characters, one held for the target
    check_completed(result, epochs=1, steps_per_epoch=math.ceil(train_windows / 16), seq_len=16)
    assert result.dataset_info["vocab_size"] == len(set(text))


def test_every_builtin_dataset_has_an_engine_test():
    tested = {"digits", "mnist1d", "smnist", "ucr", "copy", "temporal_order", "text"}
    assert set(REGISTRY.names("datasets")) <= tested


# ------------------------------------------------------------------------------------------- gradient flow


def test_gradient_flow_vanishes_for_tanh_rnn_not_for_chrono_lstm():
    params = {"temporal_order": {"T": 100, "n_train": 40, "n_val": 64, "n_test": 20}}
    common = dict(dataset="temporal_order", epochs=1, batch_size=40, hidden=(32,), params=params)
    tanh = train(RunConfig(cell="rnn", **common))
    chrono = train(RunConfig(cell="lstm", remedies=("chrono_init",), **common))
    ratios = {}
    for name, result in (("tanh", tanh), ("chrono", chrono)):
        profile = result.flow["profiles"]["0"]
        assert len(profile) == 100
        assert all(math.isfinite(v) and v >= 0 for v in profile), name
        ratio = result.flow["vanishing_ratio"]["0"]
        assert ratio is not None and math.isfinite(ratio)
        assert ratio == pytest.approx(profile[0] / profile[-1])
        ratios[name] = ratio
        json.dumps(result.flow, allow_nan=False)
    assert 0 < ratios["tanh"] < 1e-6  # orders of magnitude lost over 100 steps (about 1e-29 here)
    assert ratios["chrono"] > 1e-4  # chrono's long memory keeps the first step in reach
    assert ratios["chrono"] / ratios["tanh"] > 1e10
    # the profile falls steadily for the tanh RNN: the middle lies between the two ends
    profile = tanh.flow["profiles"]["0"]
    assert profile[0] < profile[50] < profile[-1]


def test_flow_every_records_intermediate_profiles_and_can_be_off():
    result = train(small_run(epochs=3, flow_every=1))
    assert set(result.flow["profiles"]) == {"0", "1", "2", "3"}
    assert result.flow["profiles"]["0"] != result.flow["profiles"]["3"]  # training moved the network
    off = train(small_run(epochs=1, flow_profile=False))
    assert off.status == "completed" and off.flow == {}


# ------------------------------------------------------------------------------------------- padding


def _model(cell, cell_params, per_step, remedy=None, seed=0):
    torch.manual_seed(seed)
    spec = REGISTRY.get("cells", cell)
    params = spec.resolve(cell_params)
    model = SequenceModel(cell, spec.build, params, 3, (6, 5), 4, per_step)
    if remedy is not None:
        from lossbench import ModelInfo

        remedy_spec = REGISTRY.get("remedies", remedy)
        info = ModelInfo(cell, params, (6, 5), 3, 4, 7, spec.gates, gate_roles=dict(spec.gate_roles))
        remedy_spec.build(**remedy_spec.resolve()).on_model(model, info)
    return model


def _loss_and_grads(model, x, y, lengths, per_step):
    model.zero_grad()
    logits = model(x, lengths)
    if per_step:
        mask = step_mask(lengths, x.shape[1])
        out, loss = logits[mask], torch.nn.functional.cross_entropy(logits[mask], y[mask])
    else:
        out, loss = logits, torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    return out.detach(), loss.detach(), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("per_step", [False, True], ids=["per-sequence", "per-step"])
@pytest.mark.parametrize("cell,cell_params,remedy", [(c, p, None) for c, p in CELL_VARIANTS]
                         + [("gru", {}, "batch_norm"), ("lstm", {}, "layer_norm")],
                         ids=[f"{c}-{p.get('activation', '')}".strip("-") for c, p in CELL_VARIANTS]
                         + ["gru-batch_norm", "lstm-layer_norm"])
def test_padding_changes_neither_outputs_nor_loss(cell, cell_params, remedy, per_step):
    gen = torch.Generator().manual_seed(5)
    lengths = torch.tensor([7, 3, 5, 1, 7, 2])
    x = torch.randn(6, 7, 3, generator=gen)
    y = torch.randint(0, 4, (6, 7) if per_step else (6,), generator=gen)
    pad = ~step_mask(lengths, 7)
    garbage = x.clone()
    garbage[pad] = 1e3 * torch.randn(int(pad.sum()), 3, generator=gen)
    y_garbage = y.clone()
    if per_step:
        y_garbage[pad] = (y[pad] + 1) % 4
    model = _model(cell, cell_params, per_step, remedy)
    model.train()  # batch norm uses the batch statistics: they must come from valid steps only
    out, loss, grads = _loss_and_grads(model, x, y, lengths, per_step)
    out2, loss2, grads2 = _loss_and_grads(model, garbage, y_garbage, lengths, per_step)
    torch.testing.assert_close(out2, out)
    torch.testing.assert_close(loss2, loss)
    for g, g2 in zip(grads, grads2):
        torch.testing.assert_close(g2, g)
    # the garbage does matter where the lengths are not used: the comparisons above can fail
    if per_step:
        full = torch.full_like(lengths, 7)
        _, unmasked_loss, _ = _loss_and_grads(model, garbage, y_garbage, full, per_step)
        assert not torch.allclose(unmasked_loss, loss, atol=1e-3)
    else:
        assert not torch.allclose(model(garbage), out, atol=1e-3)


def _ragged(per_step: bool, garbage: float | None, seed: int = 0) -> Dataset:
    """Sequences of 2 to 9 steps padded to 9; ``garbage`` fills the padding (inputs and per-step labels)."""
    rng = np.random.default_rng(seed)

    def split(n):
        lengths = rng.integers(2, 10, n)
        lengths[0] = 9
        x = rng.normal(size=(n, 9, 2)).astype(np.float32)
        y = rng.integers(0, 3, (n, 9) if per_step else n)
        pad = np.arange(9)[None, :] >= lengths[:, None]
        x[pad] = 0.0 if garbage is None else garbage * np.random.default_rng(n).normal(size=(int(pad.sum()), 2))
        if per_step and garbage is not None:
            y[pad] = (y[pad] + 1) % 3
        return Split(x=x, y=y.astype(np.int64), lengths=lengths.astype(np.int64))

    return Dataset(split(48), split(16), split(16), num_classes=3, info={"source": "test"})


@pytest.mark.parametrize("per_step", [False, True], ids=["per-sequence", "per-step"])
def test_padding_never_changes_a_run(per_step):
    """Through the engine: the same data with other padding trains to exactly the same numbers."""
    dataset = "copy" if per_step else "digits"  # a registered name whose target layout matches; data replaces it
    config = RunConfig(dataset=dataset, cell="gru", remedies=("batch_norm",), epochs=2, batch_size=16, hidden=(5,))
    clean = train(config, data=_ragged(per_step, None))
    noisy = train(config, data=_ragged(per_step, 1e3))
    check_completed(clean, epochs=2, steps_per_epoch=3, seq_len=9)
    assert metrics(noisy) == metrics(clean)
    other = train(config, data=_ragged(per_step, None, seed=1))  # different valid values: different numbers
    assert metrics(other)["grad_norms"] != metrics(clean)["grad_norms"]


# ------------------------------------------------------------------------------------------- divergence

TRAP_PLUGIN = '''
from lossbench import Categorical, Int, LossSpec, hookimpl


def build(mode="loss", at=3):
    import torch
    from torch.nn import functional as F

    calls = {"n": 0}

    def loss(logits, target):
        base = F.cross_entropy(logits, target)
        if logits.dtype != torch.float32:  # the float64 gradient-flow probe: leave it alone
            return base
        calls["n"] += 1
        if calls["n"] < at:
            return base
        if mode == "loss":
            return base * float("inf")
        return base + (logits - logits.detach()).pow(2).sum().sqrt()  # finite value, NaN gradient

    return loss


@hookimpl
def register_losses(register):
    register(LossSpec(name="trap", summary="cross-entropy until training step `at`, then inf (or a NaN gradient)",
                      defaults={"mode": "loss", "at": 3},
                      constraints={"mode": Categorical(["loss", "grad"]), "at": Int(1, 1000)}, build=build))
'''


@pytest.fixture
def trap_registry(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "trap_loss.py").write_text(TRAP_PLUGIN)
    registry = load_registry([str(folder)])
    assert not registry.failures(), [p.error for p in registry.failures()]
    return registry


def test_a_loss_turning_inf_ends_the_run_as_diverged(trap_registry):
    epochs_seen, steps_seen = [], []
    result = train(small_run(loss="trap", epochs=3), registry=trap_registry, on_epoch=epochs_seen.append,
                   on_step=lambda *args: steps_seen.append(args))
    assert result.status == "diverged"
    assert result.diverged_at["epoch"] == 1 and result.diverged_at["step"] == 3
    assert "inf" in result.diverged_at["reason"]
    assert result.epochs == [] and epochs_seen == [] and result.test is None
    assert steps_seen == [(1, 1, 3), (1, 2, 3)]
    assert len(result.grad_norms) == 2 and all(math.isfinite(n) for n in result.grad_norms)
    assert set(result.flow["profiles"]) == {"0"}  # measured at the start, not after the divergence
    json.dumps(result.to_json(), allow_nan=False)


def test_a_nan_gradient_in_a_later_epoch_ends_the_run_as_diverged(trap_registry):
    config = small_run(loss="trap", epochs=3, params={"trap": {"mode": "grad", "at": 5}})
    result = train(config, registry=trap_registry)
    assert result.status == "diverged"
    assert result.diverged_at == {"epoch": 2, "step": 2, "reason": "gradient norm is nan"}
    assert len(result.epochs) == 1 and len(result.grad_norms) == 4 and result.test is None
    assert RunResult.from_json(json.loads(json.dumps(result.to_json(), allow_nan=False))) == result


def test_a_huge_learning_rate_diverges_without_an_exception():
    result = train(RunConfig(dataset="digits", cell="rnn", params={"rnn": {"activation": "relu"}}, optimizer="sgd",
                             lr=1e3, epochs=2, hidden=(8,), batch_size=100))
    assert result.status == "diverged"
    assert result.diverged_at["epoch"] == 1 and 1 <= result.diverged_at["step"] <= 11
    assert result.diverged_at["reason"].split(" is ")[-1] in ("nan", "inf", "-inf")
    assert result.test is None and len(result.grad_norms) == result.diverged_at["step"] - 1


def test_an_exception_from_on_epoch_propagates():
    class Prune(Exception):
        pass

    def on_epoch(record):
        raise Prune(record.epoch)

    with pytest.raises(Prune):
        train(small_run(epochs=2), on_epoch=on_epoch)


# ------------------------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers_other_seed_other_numbers():
    config = small_run(epochs=2, remedies=("dropout",), seed=3)  # dropout: its masks must be seeded too
    first, second = train(config), train(config)
    assert metrics(first) == metrics(second)
    assert first.to_json()["grad_norms"] == second.to_json()["grad_norms"]
    other = train(small_run(epochs=2, remedies=("dropout",), seed=4))
    assert other.grad_norms != first.grad_norms
    assert [e.train_loss for e in other.epochs] != [e.train_loss for e in first.epochs]


# ------------------------------------------------------------------------------------------- clipping


def test_clip_rate_counts_the_clipped_steps():
    # a tanh RNN on digits has gradient norms of about 0.2 to 0.3 at this size: max_norm 0.1 clips every step
    digits = dict(dataset="digits", cell="rnn", epochs=1, hidden=(8,), batch_size=100)
    clipped = train(RunConfig(remedies=("clip_norm",), params={"clip_norm": {"max_norm": 0.1}}, **digits))
    assert clipped.status == "completed"
    assert clipped.clipped_steps == sum(n > 0.1 for n in clipped.grad_norms)
    assert clipped.clip_rate == 1.0 and clipped.to_json()["clip_rate"] == 1.0
    loose = train(RunConfig(remedies=("clip_norm",), params={"clip_norm": {"max_norm": 10.0}}, **digits))
    assert loose.clipped_steps == sum(n > 10.0 for n in loose.grad_norms) == 0
    values = train(RunConfig(remedies=("clip_value",), params={"clip_value": {"value": 0.01}}, **digits))
    assert 0 < values.clip_rate <= 1.0
    for remedies in ((), ("weight_decay", "l1")):
        plain = train(RunConfig(remedies=remedies, **digits))
        assert plain.clipped_steps == 0 and plain.clip_rate == 0.0 and plain.steps == 11
        assert plain.to_json()["clip_rate"] == 0.0


# ------------------------------------------------------------------------------------------- serialisation


def test_run_result_round_trips_through_json():
    result = train(small_run(remedies=("clip_norm",), epochs=2, flow_every=1))
    data = result.to_json()
    assert data["schema"] == "lossbench.run/1" and data["steps"] == result.steps == 6
    text = json.dumps(data, allow_nan=False)
    back = RunResult.from_json(json.loads(text))
    assert back == result
    assert back.to_json() == data
    assert RunResult.from_json(result.to_json()) == result
    assert RunConfig.from_json(result.config) == small_run(remedies=("clip_norm",), epochs=2, flow_every=1)


def test_bad_configurations_are_refused_before_loading():
    with pytest.raises(LossbenchError, match="did you mean gru"):
        train(small_run(cell="gruu"))
    with pytest.raises(LossbenchError, match="hidden"):
        train(small_run(hidden=(0,)))
    with pytest.raises(LossbenchError, match=r"focal.gamma=99 is out of range \[0, 5\]"):
        train(small_run(loss="focal", params={"focal": {"gamma": 99}}))
