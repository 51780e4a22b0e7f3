"""Gradient flow on sequences of unequal length (aligned at each sequence's last valid step) and the calibration
metrics of a run (ECE and the mean confidence that gives its direction). Real models, real autograd."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from lossbench.engine.flow import aligned_norms, flow_profile, vanishing_ratio
from lossbench.engine.metrics import evaluate_logits
from lossbench.engine.model import SequenceModel
from lossbench.registry import load_registry

REGISTRY = load_registry()


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tanh_rnn(per_step: bool = False) -> SequenceModel:
    torch.manual_seed(0)
    rnn = REGISTRY.get("cells", "rnn")
    return SequenceModel("rnn", rnn.build, rnn.resolve({"activation": "tanh"}), 2, (6,), 3, per_step)


def per_sequence_gradients(model, x, y, lengths) -> list[list[float]]:
    """||dL/dx_t||^2 for each sequence's valid steps, by hand: one backward pass, then a loop over sequences."""
    probe = model.double()
    x = x.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(probe(x, lengths), y), x)
    return [[float(grad[i, t].pow(2).sum()) for t in range(int(lengths[i]))] for i in range(x.shape[0])]


def test_unequal_lengths_are_aligned_at_the_last_valid_step_and_padding_never_counts():
    model = tanh_rnn()
    lengths = torch.tensor([7, 3, 5, 2])
    x = torch.randn(4, 9, 2)  # two steps of padding after the longest sequence too
    y = torch.tensor([0, 1, 2, 1])
    profile = flow_profile(model, F.cross_entropy, x, y, lengths, per_step=False)
    assert len(profile) == 7  # the longest probed sequence: steps beyond it are padding for every sequence
    assert all(v > 0 and math.isfinite(v) for v in profile)  # no position drops to the floor

    # by hand: sequence i's step t lands at position t + (7 - L_i); a position's sum is scaled to the batch
    squares = per_sequence_gradients(tanh_rnn(), x, y, lengths)
    for position in range(7):
        reached = [s[position - (7 - len(s))] for s in squares if position >= 7 - len(s)]
        assert profile[position] == pytest.approx(math.sqrt(sum(reached) * 4 / len(reached)), rel=1e-9)
    # the last position is every sequence's last valid step, the first is the first step of the longest
    assert profile[-1] == pytest.approx(math.sqrt(sum(s[-1] for s in squares)), rel=1e-9)
    assert profile[0] == pytest.approx(math.sqrt(4 * squares[0][0]), rel=1e-9)
    assert vanishing_ratio(profile) == pytest.approx(profile[0] / profile[-1])

    # garbage in the padding changes nothing
    noisy = x.clone()
    for i, length in enumerate(lengths):
        noisy[i, length:] = 1e3
    assert flow_profile(model, F.cross_entropy, noisy, y, lengths, per_step=False) == pytest.approx(profile, rel=1e-12)


def test_padding_would_have_dragged_the_old_left_aligned_profile_to_zero():
    """The failure this alignment fixes: summed by absolute step, steps only padding reaches are exactly 0."""
    model = tanh_rnn()
    lengths = torch.tensor([7, 3, 5, 2])
    x, y = torch.randn(4, 9, 2), torch.tensor([0, 1, 2, 1])
    probe = tanh_rnn().double()
    xd = x.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(probe(xd, lengths), y), xd)
    left_aligned = grad.pow(2).sum(dim=(0, 2)).sqrt().tolist()
    assert left_aligned[7:] == [0.0, 0.0]  # what the plots used to drop to
    assert 0.0 not in flow_profile(model, F.cross_entropy, x, y, lengths, per_step=False)


def test_equal_lengths_give_the_plain_norm_over_the_batch():
    model = tanh_rnn()
    x, y = torch.randn(5, 6, 2), torch.tensor([0, 1, 2, 0, 1])
    profile = flow_profile(model, F.cross_entropy, x, y, None, per_step=False)
    with_lengths = flow_profile(model, F.cross_entropy, x, y, torch.full((5,), 6), per_step=False)
    probe = tanh_rnn().double()
    xd = x.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(probe(xd), y), xd)
    assert profile == pytest.approx(grad.pow(2).sum(dim=(0, 2)).sqrt().tolist(), rel=1e-12)
    assert with_lengths == pytest.approx(profile, rel=1e-12)


def test_per_step_targets_with_unequal_lengths_are_aligned_too():
    model = tanh_rnn(per_step=True)
    lengths = torch.tensor([4, 2, 3])
    x = torch.randn(3, 5, 2)
    y = torch.randint(0, 3, (3, 5))
    profile = flow_profile(model, F.cross_entropy, x, y, lengths, per_step=True)
    assert len(profile) == 4 and all(v > 0 for v in profile)


def test_aligned_norms_by_hand():
    squared = torch.tensor([[1.0, 4.0, 9.0], [16.0, 0.0, 0.0]], dtype=torch.float64)  # lengths 3 and 1
    # positions: seq 0 at 0, 1, 2; seq 1 (one step) lands at 2. Position 2: (9 + 16) * 2 / 2; others * 2 / 1
    assert aligned_norms(squared, torch.tensor([3, 1])) == pytest.approx([math.sqrt(2), math.sqrt(8), 5.0])
    assert vanishing_ratio([0.0, 1.0]) == 0.0 and vanishing_ratio([1.0, 0.0]) is None and vanishing_ratio([]) is None


def test_confidence_gives_the_direction_of_miscalibration():
    target = torch.tensor([0, 1, 2, 0])
    sure = torch.tensor([[9.0, 0, 0], [0, 9.0, 0], [9.0, 0, 0], [9.0, 0, 0]])  # 3 of 4 right, all at ~1.0
    over = evaluate_logits(sure, target, with_ece=True)
    p = math.exp(9) / (math.exp(9) + 2)
    assert over["accuracy"] == 0.75 and over["confidence"] == pytest.approx(p)
    assert over["confidence"] > over["accuracy"]  # over-confident
    assert over["ece"] == pytest.approx(abs(0.75 - p))  # one bin holds every prediction
    timid = torch.tensor([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]])  # all right, at about 0.45
    under = evaluate_logits(timid, target, with_ece=True)
    assert under["accuracy"] == 1.0 and under["confidence"] < under["accuracy"]
    assert "confidence" not in evaluate_logits(sure, target)  # validation metrics stay accuracy and NLL
