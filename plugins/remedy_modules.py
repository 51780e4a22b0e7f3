"""Torch modules behind the built-in remedies (imported only when a remedy acts on a model).

Each is an output transform: called as ``module(h: float[B, T, H], mask: bool[B, T] | None)`` on a layer's
output sequence, ``mask`` True on valid steps (``None``: every step is valid).
"""

from __future__ import annotations

import torch
from torch import nn


class OutputLayerNorm(nn.LayerNorm):
    """Layer normalisation of each position's output vector (over H). Positions are independent, so the mask
    is not needed: padded steps never touch a valid one."""

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        return super().forward(h)


class OutputDropout(nn.Dropout):
    """Dropout on a layer's outputs (a non-recurrent connection); identity in eval mode."""

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        return super().forward(h)


class MaskedBatchNorm(nn.Module):
    """Batch normalisation over the valid (batch, step) positions of an output sequence.

    In training the mean and (biased) variance per feature come from the steps where ``mask`` is True only,
    so values at padded steps never change an output at a valid step; running statistics (momentum average,
    unbiased variance, as ``nn.BatchNorm1d``) are used in eval mode. With ``mask=None`` every position counts.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        mean, var = self.running_mean, self.running_var
        if self.training:
            valid = h.reshape(-1, h.shape[-1]) if mask is None else h[mask.to(torch.bool)]  # [N, H]
            count = valid.shape[0]
            if count > 0:  # no valid step at all: fall back on the running statistics, update nothing
                mean = valid.mean(dim=0)
                var = valid.var(dim=0, unbiased=False)
                with torch.no_grad():
                    unbiased = var * (count / (count - 1)) if count > 1 else var
                    self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), self.momentum)
                    self.running_var.lerp_(unbiased.detach().to(self.running_var.dtype), self.momentum)
                    self.num_batches_tracked.add_(1)
        return (h - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
