"""Torch modules behind the built-in cells (imported only when a cell is built)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class _OutputSequence:
    """A fused layer's ``forward(x, lengths)``: its output sequence only. Run both ways on sequences of unequal
    length, the batch is packed, so that the backward direction starts at each sequence's last valid step and
    never reads padding (the outputs at padded steps are then 0)."""

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if self.bidirectional and lengths is not None:  # type: ignore[attr-defined]
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out = super().forward(packed)[0]  # type: ignore[misc]
            return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]
        return super().forward(x)[0]  # type: ignore[misc]


class RNNLayer(_OutputSequence, nn.RNN):
    """One fused ``nn.RNN`` layer that returns only its output sequence."""


class GRULayer(_OutputSequence, nn.GRU):
    pass


class LSTMLayer(_OutputSequence, nn.LSTM):
    pass


def reversed_within(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """x [B, T, F] with each sequence's valid steps in reverse order, padding left where it is (its own inverse)."""
    if lengths is None:
        return x.flip(1)
    t = torch.arange(x.shape[1], device=x.device)[None, :]
    last = lengths.to(x.device)[:, None] - 1
    index = torch.where(t <= last, last - t, t)
    return x.gather(1, index[..., None].expand(-1, -1, x.shape[2]))


class LeakyReLURNNLayer(nn.Module):
    """h_t = leaky_relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh): torch has no fused kernel for it, so a loop.

    Parameters carry torch's names (``weight_hh_l0`` ...) and initialisation, so remedies treat it like ``nn.RNN``.

    With ``bidirectional``, a second set of parameters (``*_reverse``, as torch names them) runs over each
    sequence reversed within its valid steps.
    """

    def __init__(self, input_size: int, hidden_size: int, negative_slope: float, bidirectional: bool):
        super().__init__()
        self.hidden_size, self.negative_slope, self.bidirectional = hidden_size, negative_slope, bidirectional
        for suffix in ("_l0", "_l0_reverse") if bidirectional else ("_l0",):
            self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(hidden_size, input_size)))
            self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(hidden_size, hidden_size)))
            self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(hidden_size)))
            self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(hidden_size)))
        bound = 1.0 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out = self._run(x, "_l0")
        if not self.bidirectional:
            return out
        backward = reversed_within(self._run(reversed_within(x, lengths), "_l0_reverse"), lengths)
        return torch.cat([out, backward], dim=-1)

    def _run(self, x: torch.Tensor, suffix: str) -> torch.Tensor:
        weight_hh = getattr(self, "weight_hh" + suffix)
        bias = getattr(self, "bias_ih" + suffix) + getattr(self, "bias_hh" + suffix)
        projected = F.linear(x, getattr(self, "weight_ih" + suffix), bias)  # all steps at once
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            h = F.leaky_relu(projected[:, t] + h @ weight_hh.T, self.negative_slope)
            outputs.append(h)
        return torch.stack(outputs, dim=1)
