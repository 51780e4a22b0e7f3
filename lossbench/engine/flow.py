"""Gradient flow through time, measured for real: ||dL/dx_t|| for every input step t.

A hook on a fused RNN's output sequence would not do: when only the last step feeds the loss, dL/do_t is
zero for every earlier t. The input gradient carries the whole path back through the recurrence. The probe
runs in float64 on a copy of the model, because in float32 the first steps of a vanishing profile underflow
to exactly zero.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn


def flow_profile(model: nn.Module, loss_fn: Any, x: torch.Tensor, y: torch.Tensor,
                 lengths: torch.Tensor | None, per_step: bool) -> list[float]:
    """Per-step norms of dL/dx_t over a probe batch, first step first."""
    probe = copy.deepcopy(model).double()
    probe.train()  # fused cuDNN kernels only run backward in training mode
    for module in probe.modules():
        if isinstance(module, nn.Dropout):
            module.eval()  # measure the network, not the dropout mask
    x = x.detach().double().requires_grad_(True)
    logits = probe(x, lengths)
    if per_step:
        from lossbench.engine.model import step_mask

        mask = step_mask(lengths, x.shape[1]) if lengths is not None else torch.ones(y.shape, dtype=torch.bool, device=y.device)
        loss = loss_fn(logits[mask], y[mask])
    else:
        loss = loss_fn(logits, y)
    (grad,) = torch.autograd.grad(loss, x)
    return grad.pow(2).sum(dim=(0, 2)).sqrt().tolist()


def vanishing_ratio(profile: list[float]) -> float | None:
    """||dL/dx_1|| / ||dL/dx_T||: far below 1 when gradients vanish through time. None when undefined.

    T is the last step any probed sequence reaches: padding after it carries no gradient at all."""
    last = next((value for value in reversed(profile) if value != 0), 0.0)
    if not profile or not math.isfinite(profile[0]) or not math.isfinite(last) or last <= 0:
        return None
    return profile[0] / last
