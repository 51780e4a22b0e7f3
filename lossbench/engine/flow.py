"""Gradient flow through time, measured for real: ||dL/dx_t|| for every input step t.

A hook on a fused RNN's output sequence would not do: when only the last step feeds the loss, dL/do_t is
zero for every earlier t. The input gradient carries the whole path back through the recurrence. The probe
runs in float64 on a copy of the model, because in float32 the first steps of a vanishing profile underflow
to exactly zero.

Sequences of unequal length are aligned at their own last valid step (``ALIGNMENT``): the profile's last
position is every sequence's last valid step, its first the first step of the longest probed sequence, and
padding (whose gradient is exactly 0) never enters a position or a ratio.

A bidirectional model is probed once per direction (``direction``), the other direction's outputs detached, so
that the backward direction's direct path from x_1 to its read-out never hides a forward direction's vanishing
gradient. The backward profile is in the backward direction's own time: its first position is each sequence's
last valid step, its last position step 0 (where the backward direction ends, the alignment point). With stacked
bidirectional layers the split holds for the top layer (a lower layer mixes both directions into its outputs).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

ALIGNMENT = "last_valid_step"  # recorded with every profile (result["flow"]["alignment"]) for the report to state


def flow_profile(model: nn.Module, loss_fn: Any, x: torch.Tensor, y: torch.Tensor,
                 lengths: torch.Tensor | None, per_step: bool, direction: str = "forward") -> list[float]:
    """Per-step norms of dL/dx_t over a probe batch, first step first (aligned at the last valid step), through
    the ``forward`` or (a bidirectional model) the ``backward`` direction's outputs, in that direction's time."""
    probe = copy.deepcopy(model).double()
    if getattr(probe, "directions", 1) == 2:
        probe.flow_direction = direction
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
    squared = grad.pow(2).sum(dim=2)  # [B, T]: ||dL/dx_t||^2 per sequence
    if direction == "backward":
        squared = reversed_within(squared, lengths)
    if lengths is None:
        return squared.sum(dim=0).sqrt().tolist()
    return aligned_norms(squared, lengths)


def directions(model: nn.Module) -> tuple[str, ...]:
    """The directions a model's flow is probed in."""
    return ("forward", "backward") if getattr(model, "directions", 1) == 2 else ("forward",)


def reversed_within(values: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """values float[B, T] with each sequence's valid steps in reverse order (padding stays where it is)."""
    if lengths is None:
        return values.flip(1)
    steps = values.shape[1]
    t = torch.arange(steps, device=values.device)[None, :]
    last = lengths.to(values.device)[:, None] - 1
    return values.gather(1, torch.where(t <= last, last - t, t))


def aligned_norms(squared: torch.Tensor, lengths: torch.Tensor) -> list[float]:
    """Norms per position with each sequence shifted so that its last valid step is the last position.

    ``squared`` float[B, T] holds ||dL/dx_t||^2 per sequence. The profile is as long as the longest sequence;
    position k sums the n_k sequences that reach it and is scaled by B / n_k, so a position reached by few
    sequences is not made smaller by their count (with equal lengths this is the plain norm over the batch)."""
    batch, steps = squared.shape
    lengths = lengths.to(squared.device).clamp(1, steps)
    longest = int(lengths.max())
    step = torch.arange(steps, device=squared.device)[None, :].expand(batch, steps)
    valid = step < lengths[:, None]
    position = (step + (longest - lengths)[:, None])[valid]  # where each valid step lands
    total = squared.new_zeros(longest).index_add(0, position, squared[valid])
    count = squared.new_zeros(longest).index_add(0, position, torch.ones_like(squared[valid]))
    return (total * batch / count).sqrt().tolist()


def vanishing_ratio(profile: list[float]) -> float | None:
    """||dL/dx_1|| / ||dL/dx_T||: far below 1 when gradients vanish through time. None when undefined.

    With the profile aligned at the last valid step, T is every sequence's last step and 1 the first step of
    the longest; a last value of 0 (nothing reaches the loss) leaves the ratio undefined."""
    if not profile or not math.isfinite(profile[0]) or not math.isfinite(profile[-1]) or profile[-1] <= 0:
        return None
    return profile[0] / profile[-1]
