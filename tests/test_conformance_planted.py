"""Bugs a plugin author really makes, planted on purpose: the conformance kit catches each one with one line that
names the component and says what was expected (issue 21's list)."""

from __future__ import annotations

import dataclasses
import re
import textwrap

import numpy as np
import pytest
import torch

from lossbench import CellSpec, Dataset, DatasetSpec, LossSpec, Split
from lossbench.testing import check_cell, check_dataset, check_loss, check_plugin


def caught(report, component, check):
    """The first failure is ``check`` of ``component``, one line naming it and saying what was expected."""
    failures = report.failures
    assert failures, report.summary()
    first = failures[0]
    assert first.check.startswith(check), report.summary()
    assert first.message.startswith(f"{component}: ") and "\n" not in first.message
    assert "expected" in first.message, first.message
    assert "Error:" not in first.message, first.message  # the kit's own words, never a raw exception
    return first.message


# ------------------------------------------------------------------------------------------------- datasets


def _split(rng, n):
    return Split(rng.normal(size=(n, 5, 2)).astype(np.float32), rng.integers(0, 3, size=n).astype(np.int64))


def _dataset(leak):
    def load():
        rng = np.random.default_rng(0)
        train, val, test = _split(rng, 40), _split(rng, 12), _split(rng, 12)
        val, test = leak(train, val, test)
        return Dataset(train, val, test, num_classes=3)

    return DatasetSpec(name="leaky", summary="splits that share sequences", load=load)


def _rows(split, rows):
    return Split(split.x[rows].copy(), split.y[rows].copy())


@pytest.mark.parametrize("leak, expected", [
    (lambda train, val, test: (val, train), "40 of the 40 test sequences are also in train"),  # the same file
    (lambda train, val, test: (_rows(train, slice(0, 12)), test), "12 of the 12 val sequences are also in train"),
    (lambda train, val, test: (val, Split(np.concatenate([train.x[:6], test.x[6:]]),
                                          np.concatenate([train.y[:6], test.y[6:]]))),
     "6 of the 12 test sequences are also in train"),
], ids=["test is the training file", "val a subset of train", "half of test from train"])
def test_overlapping_splits_are_caught_with_counts(leak, expected):
    message = caught(check_dataset(_dataset(leak)), "dataset leaky", "splits do not overlap")
    assert expected in message


# ------------------------------------------------------------------------------------------------- cells


class _StepWise(torch.nn.Module):
    """Each output from its own step only; with ``fake_state`` the recurrent weight is used every step on a
    state that is reset each step (a state computed and dropped)."""

    def __init__(self, input_size, hidden_size, fake_state):
        super().__init__()
        self.weight_ih_l0 = torch.nn.Parameter(torch.randn(hidden_size, input_size) * 0.5)
        self.weight_hh_l0 = torch.nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.5)
        self.fake_state = fake_state

    def forward(self, x):
        outputs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih_l0.T)
            if self.fake_state:
                h = torch.tanh(x[:, t] @ self.weight_ih_l0.T + h @ self.weight_hh_l0.T)
            else:
                h = h + 0.0 * self.weight_hh_l0.sum()
            outputs.append(h)
        return torch.stack(outputs, dim=1)


@pytest.mark.parametrize("fake_state", [False, True], ids=["no recurrence", "recurrent weight, no state"])
def test_a_cell_without_a_recurrence_is_caught(fake_state):
    spec = CellSpec(name="flat", summary="no memory", build=lambda i, h: _StepWise(i, h, fake_state))
    message = caught(check_cell(spec), "cell flat", "depends on earlier steps")
    assert "does not change when the inputs at steps 0.." in message


def _gru(input_size, hidden_size):
    class Layer(torch.nn.GRU):
        def forward(self, x):
            return super().forward(x)[0]

    return Layer(input_size, hidden_size, batch_first=True)


def test_a_cell_builder_reseeding_torch_is_caught():
    def build(input_size, hidden_size):
        torch.manual_seed(1234)
        return _gru(input_size, hidden_size)

    spec = CellSpec(name="reseeds", summary="same weights every seed", build=build, gates=("r", "z", "n"))
    message = caught(check_cell(spec), "cell reseeds", "seeds")
    assert message.startswith("cell reseeds: build reseeds torch's global random generator")


def test_a_forward_pass_reseeding_torch_is_caught():
    def build(input_size, hidden_size):
        layer = _gru(input_size, hidden_size)
        forward = layer.forward

        def reseeding(x):
            torch.manual_seed(0)
            return forward(x)

        layer.forward = reseeding
        return layer

    spec = CellSpec(name="reseeds", summary="same draws every seed", build=build, gates=("r", "z", "n"))
    message = caught(check_cell(spec), "cell reseeds", "seeds")
    assert message.startswith("cell reseeds: forward reseeds torch's global random generator")


def test_a_cell_builder_setting_float64_is_caught_and_undone():
    def build(input_size, hidden_size):
        torch.set_default_dtype(torch.float64)
        return _gru(input_size, hidden_size)

    spec = CellSpec(name="doubles", summary="float64 for everyone", build=build, gates=("r", "z", "n"))
    message = caught(check_cell(spec), "cell doubles", "build")
    assert "changed torch's the default dtype from float32 to float64" not in message
    assert "changed torch's default dtype from float32 to float64" in message
    assert torch.get_default_dtype() == torch.float32  # put back: the next component is checked as usual


@pytest.mark.parametrize("shape, hint", [("bh", "only the last step?"), ("tbh", "the time dimension first?")])
def test_a_wrong_output_layout_is_one_message(shape, hint):
    def build(input_size, hidden_size):
        layer = _gru(input_size, hidden_size)

        class Wrong(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = layer

            def forward(self, x):
                out = self.layer(x)
                return out[:, -1] if shape == "bh" else out.transpose(0, 1)

        return Wrong()

    report = check_cell(CellSpec(name="wrong", summary="wrong layout", build=build, gates=("r", "z", "n")))
    message = caught(report, "cell wrong", "output shape")
    assert hint in message
    assert [f.check for f in report.failures] == ["output shape"], report.summary()  # not causal? no IndexError


# ------------------------------------------------------------------------------------------------- losses


@pytest.mark.slow
def test_a_brier_loss_on_raw_logits_is_caught():
    def build():
        def brier(logits, target):
            onehot = torch.nn.functional.one_hot(target, logits.shape[1]).to(logits.dtype)
            return ((logits - onehot) ** 2).sum(dim=1).mean()  # the logits taken for probabilities

        return brier

    message = caught(check_loss(LossSpec(name="raw_brier", summary="Brier on logits", build=build)),
                     "loss raw_brier", "decreasing in true logit")
    assert "from 1 to 2 it goes from" in message


def test_a_double_softmax_is_caught():
    def build():
        return lambda logits, target: torch.nn.functional.cross_entropy(torch.softmax(logits, dim=1), target)

    message = caught(check_loss(LossSpec(name="twice", summary="softmax twice", build=build)),
                     "loss twice", "softmax applied once")
    assert "softmax is applied twice" in message


def test_a_loss_going_nan_on_bigger_batches_reads_well():
    def build():
        def loss(logits, target):
            value = torch.nn.functional.cross_entropy(logits, target)
            return value if len(target) <= 16 else value * float("nan")

        return loss

    report = check_loss(LossSpec(name="nanny", summary="nan past 16 rows", build=build))
    failure = next(f for f in report.failures if f.check.startswith("mean over N"))
    assert "nanx" not in failure.message and "finite" in failure.message and "expected" in failure.message


# ------------------------------------------------------------------------------------------------- plugins


def test_float64_at_import_is_blamed_on_the_plugin_not_on_what_runs_next(tmp_path):
    path = tmp_path / "doubled.py"
    path.write_text(textwrap.dedent("""
        import torch
        torch.set_default_dtype(torch.float64)
        from lossbench import hookimpl
        @hookimpl
        def register_losses(register):
            pass
    """))
    report = check_plugin(path)
    first = report.failures[0]
    assert first.check == "import" and first.message.startswith(f"plugin {path}: import changed torch's default dtype")
    assert torch.get_default_dtype() == torch.float32
    assert check_loss(__import__("lossbench_builtins.losses", fromlist=["CE"]).CE).passed


# ------------------------------------------------------------------------------------------------- issue 30


class _TwoWays(torch.nn.GRU):
    """torch's bidirectional GRU; ``packed`` runs the backward direction from each sequence's last valid step,
    ``backward_first`` puts the backward direction's outputs first."""

    def __init__(self, input_size, hidden_size, bidirectional, packed=True, backward_first=False):
        super().__init__(input_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.packed, self.backward_first = packed, backward_first

    def forward(self, x, lengths=None):
        if self.bidirectional and self.packed and lengths is not None:
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out = torch.nn.utils.rnn.pad_packed_sequence(super().forward(packed)[0], batch_first=True,
                                                         total_length=x.shape[1])[0]
        else:
            out = super().forward(x)[0]
        if self.bidirectional and self.backward_first:
            out = torch.cat([out[..., out.shape[-1] // 2:], out[..., :out.shape[-1] // 2]], dim=-1)
        return out


def _two_ways(**planted):
    return CellSpec(name="bigru", summary="both ways", defaults={"bidirectional": False}, gates=("r", "z", "n"),
                    build=lambda i, h, bidirectional: _TwoWays(i, h, bidirectional, **planted),
                    bidirectional=True, inputs={"lengths"})


def test_a_cell_run_both_ways_as_declared_passes():
    report = check_cell(_two_ways())
    assert report.passed and "both directions" in [r.check for r in report], report.summary()


def test_a_backward_direction_that_reads_the_padding_first_is_caught():
    message = caught(check_cell(_two_ways(packed=False)), "cell bigru", "both directions")
    assert "changing the padding after a sequence's length (3 of 6 steps) changed its output" in message
    assert "lengths - 1" in message


def test_a_cell_putting_the_backward_direction_first_is_caught():
    message = caught(check_cell(_two_ways(backward_first=True)), "cell bigru", "both directions")
    assert "the forward half (outputs 0..hidden-1) changed at step 0 when the input at step 1 changed" in message


def test_a_cell_asking_for_a_state_it_ignores_is_caught():
    class Stateless(torch.nn.GRU):
        def forward(self, x, state):
            return super().forward(x)[0]  # starts from zeros whatever it is given

    spec = CellSpec(name="stateless", summary="ignores its state", gates=("r", "z", "n"), inputs={"state"},
                    build=lambda i, h: Stateless(i, h, batch_first=True))
    message = caught(check_cell(spec), "cell stateless", "initial state used")
    assert "declares inputs 'state', but its output at step 0 is the same" in message


def test_a_cell_starting_from_its_state_passes():
    class Stateful(torch.nn.GRU):
        def forward(self, x, state):
            return super().forward(x, state)[0]

    spec = CellSpec(name="stateful", summary="starts from its state", gates=("r", "z", "n"), inputs={"state"},
                    build=lambda i, h: Stateful(i, h, batch_first=True))
    report = check_cell(spec)
    assert report.passed and "initial state used" in [r.check for r in report], report.summary()


class _MinGRU(torch.nn.Module):
    """minGRU (Feng et al. 2024): h_t = (1 - z_t) h_{t-1} + z_t g(h~_t), as a parallel scan over the steps; in
    linear space (``log_space=False``) h_t = A_t * cumsum(b_s / A_s), A_t the product of (1 - z), exact on paper."""

    def __init__(self, input_size, hidden_size, log_space):
        super().__init__()
        self.weight_ih_l0 = torch.nn.Parameter(torch.randn(2 * hidden_size, input_size) * 0.5)
        self.bias_ih_l0 = torch.nn.Parameter(torch.zeros(2 * hidden_size))
        self.log_space = log_space

    def forward(self, x):
        gate, candidate = (x @ self.weight_ih_l0.T + self.bias_ih_l0).chunk(2, dim=-1)
        positive = torch.where(candidate >= 0, candidate + 0.5, torch.sigmoid(candidate))  # g(h~) > 0
        if not self.log_space:
            z = torch.sigmoid(gate)
            a = torch.cumprod(1 - z, dim=1)
            return a * torch.cumsum(z * positive / a, dim=1)
        log_a = torch.cumsum(-torch.nn.functional.softplus(gate), dim=1)  # log prod (1 - z)
        log_b = -torch.nn.functional.softplus(-gate) + torch.log(positive)  # log (z g(h~))
        return torch.exp(log_a + torch.logcumsumexp(log_b - log_a, dim=1))


def _min_gru(log_space):
    return CellSpec(name="mingru", summary="minGRU as a scan", gates=("z", "h"), recurrent_weight=None,
                    build=lambda i, h: _MinGRU(i, h, log_space))


def test_a_min_gru_scanning_in_linear_space_is_caught_on_a_long_sequence():
    report = check_cell(_min_gru(log_space=False))
    message = caught(report, "cell mingru", "long sequence (1024 steps)")
    found = re.search(r"on a sequence of 1024 steps the output is (NaN|infinite) from step (\d+) on", message)
    assert found and 7 < int(found.group(2)) < 400, message  # check's 7 steps pass; a run at T = 400 would not
    assert "compute it in log space" in message
    assert [f.check for f in report.failures] == ["long sequence (1024 steps)"], report.summary()  # 7 steps pass


def test_the_same_min_gru_scanning_in_log_space_passes():
    report = check_cell(_min_gru(log_space=True))
    assert report.passed and "long sequence (1024 steps)" in [r.check for r in report], report.summary()


def test_a_state_that_grows_without_bound_is_a_note_not_a_failure():
    class Doubling(torch.nn.RNN):  # a ReLU RNN whose recurrent weight doubles the state: it overflows, correctly
        def forward(self, x):
            with torch.no_grad():
                self.weight_hh_l0.copy_(2 * torch.eye(self.hidden_size))
            return super().forward(x)[0]

    spec = CellSpec(name="doubling", summary="grows", build=lambda i, h: Doubling(i, h, nonlinearity="relu",
                                                                                  batch_first=True))
    report = check_cell(spec)
    [note] = [r for r in report.notes if r.check == "long sequence (1024 steps)"]
    assert "the state grows without bound" in note.message and "a run that long would diverge" in note.message


class _Carried(torch.nn.GRU):
    """A GRU whose state runs on from one sequence of the batch into the next (the batch flattened into one long
    sequence): as the issue's author met it, blamed on look-ahead before."""

    def forward(self, x):
        batch, steps, features = x.shape
        return super().forward(x.reshape(1, batch * steps, features))[0].reshape(batch, steps, -1)


class _Remembering(torch.nn.GRU):
    """A GRU that starts each call from the state the previous call ended in."""

    def forward(self, x):
        state = getattr(self, "kept", None)
        out, last = super().forward(x, None if state is None or state.shape[1] != x.shape[0] else state)
        self.kept = last.detach()
        return out


@pytest.mark.slow
def test_a_cell_carrying_state_across_the_batch_is_named_as_such():
    spec = CellSpec(name="carried", summary="one long sequence", gates=("r", "z", "n"),
                    build=lambda i, h: _Carried(i, h, batch_first=True))
    report = check_cell(spec)
    message = caught(report, "cell carried", "batch independence")
    assert message.startswith("cell carried: not batch-independent: changing sequence 0 of a batch of 4 changed the "
                              "output of sequence 1 (from step 0)")
    assert not report.failed(check="causal") and "look-ahead" not in report.summary()


def test_a_cell_keeping_state_between_calls_is_caught():
    spec = CellSpec(name="remembers", summary="stateful", gates=("r", "z", "n"),
                    build=lambda i, h: _Remembering(i, h, batch_first=True))
    message = caught(check_cell(spec), "cell remembers", "batch independence")
    assert message.startswith("cell remembers: the same batch run twice gave different outputs (from step 0, in eval "
                              "mode); expected no state kept from one call to the next")


def test_check_remedy_on_a_pair_the_declarations_refuse_says_refused_not_failed():
    from lossbench.testing import check_remedy
    from lossbench_builtins.remedies import CHRONO_INIT, ORTHOGONAL_INIT

    # gates z, h, opted in to chrono but no gate_roles, no recurrent weight
    mingru = dataclasses.replace(_min_gru(log_space=True), init_styles=frozenset({"chrono"}))
    for remedy, why in ((CHRONO_INIT, "declares no gate_roles"), (ORTHOGONAL_INIT, "declares no recurrent weight")):
        report = check_remedy(remedy, mingru)
        assert report.passed and [r.check for r in report.notes] == ["compatible cell"], report.summary()
        assert report.notes[0].message.startswith(f"remedy {remedy.name}: note: refused: remedy {remedy.name}")
        assert why in report.notes[0].message
    declared = dataclasses.replace(mingru, gate_roles={"z": "write"})
    report = check_remedy(CHRONO_INIT, declared)
    assert report.passed and not report.notes and "penalty and after_backward (mingru)" in [r.check for r in report]


def test_check_of_a_cell_tries_each_remedy_it_accepts():
    from lossbench.registry import load_registry
    from lossbench.testing.installed import check_installed

    registry = load_registry()
    outcomes = check_installed(registry, ["gru"])
    tried = {o.name: o for o in outcomes if o.on == "gru"}
    assert set(tried) == set(registry.names("remedies"))
    assert tried["identity_init"].status == "skipped" and tried["identity_init"].skipped.startswith("refused: ")
    passed = {name for name, o in tried.items() if o.status == "passed"}
    assert passed == set(registry.names("remedies")) - {"identity_init"}
    assert all(any(r.check.endswith("(gru)") for r in tried[name].report) for name in passed)  # on gru itself
