"""Torch modules behind the built-in cells (imported only when a cell is built)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class RNNLayer(nn.RNN):
    """One fused ``nn.RNN`` layer that returns only its output sequence."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x)[0]


class GRULayer(nn.GRU):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x)[0]


class LSTMLayer(nn.LSTM):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x)[0]


class LeakyReLURNNLayer(nn.Module):
    """h_t = leaky_relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh): torch has no fused kernel for it, so a loop.

    Parameters carry torch's names (``weight_hh_l0`` ...) and initialisation, so remedies treat it like ``nn.RNN``.
    """

    def __init__(self, input_size: int, hidden_size: int, negative_slope: float):
        super().__init__()
        self.hidden_size, self.negative_slope = hidden_size, negative_slope
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size))
        bound = 1.0 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        projected = F.linear(x, self.weight_ih_l0, self.bias_ih_l0 + self.bias_hh_l0)  # all steps at once
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            h = F.leaky_relu(projected[:, t] + h @ self.weight_hh_l0.T, self.negative_slope)
            outputs.append(h)
        return torch.stack(outputs, dim=1)
