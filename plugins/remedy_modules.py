"""The torch side of the built-in remedies: the Remedy classes and the output transforms they add.

Imported only when a remedy is built (:mod:`lossbench_builtins.remedies` holds the specs and imports no torch).
Every parameter is passed in by ``build`` (the defaults live in the specs only).

Conventions shared by the initialisations: a recurrent weight is a parameter whose last name component starts
with ``weight_hh`` (biases ``bias_ih`` / ``bias_hh``), its rows stacked per gate in the cell's ``gates`` order
(torch's layouts: gru r, z, n; lstm i, f, g, o); the hidden size is ``weight_hh.shape[1]``. Parameters are
changed in place (never replaced), so fused cells keep their flattened weights.

An output transform is called as ``module(h: float[B, T, H], mask: bool[B, T] | None)`` on a layer's output
sequence, ``mask`` True on valid steps (``None``: every step is valid).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lossbench import IncompatibleError, ModelInfo, Remedy

# ---------------------------------------------------------------------------------------------- clipping


class ClipNorm(Remedy):
    """Rescale all gradients together so that their total L2 norm is at most ``max_norm``.

    Acts on the norm the engine measured and passes in (the total norm after backward, before any remedy acted)
    instead of measuring it again, with torch's ``clip_grad_norm_`` formula: when ``grad_norm > max_norm``, every
    gradient is multiplied by ``max_norm / (grad_norm + 1e-6)``.
    """

    def __init__(self, max_norm: float):
        self.max_norm = float(max_norm)

    def after_backward(self, model: Any, grad_norm: float) -> bool:
        if not grad_norm > self.max_norm:
            return False
        scale = self.max_norm / (grad_norm + 1e-6)
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p.grad.mul_(scale)
        return True


class ClipValue(Remedy):
    """Clamp every gradient entry to [-value, value]."""

    def __init__(self, value: float):
        self.value = float(value)

    def after_backward(self, model: Any, grad_norm: float) -> bool:
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if not grads:
            return False
        largest = float(torch.stack([g.detach().abs().amax().to(torch.float64) for g in grads]).amax())
        torch.nn.utils.clip_grad_value_(model.parameters(), self.value)
        return largest > self.value


# ---------------------------------------------------------------------------------------------- initialisations


def _named(model: Any, prefix: str) -> list[tuple[str, Any]]:
    """The parameters whose last name component starts with ``prefix``."""
    return [(name, p) for name, p in model.named_parameters() if name.rpartition(".")[2].startswith(prefix)]


def _recurrent_weights(model: Any, remedy: str, vector: bool = False) -> list[tuple[str, Any, int]]:
    """(name, weight_hh, hidden size) for every recurrent weight, or a clear error when there is none. A matrix
    is ``[gates * hidden, hidden]``; with ``vector``, a 1-D ``[gates * hidden]`` weight (IndRNN) is taken too,
    its hidden size 0 (the caller treats it element-wise)."""
    found = []
    for name, weight in _named(model, "weight_hh"):
        if vector and weight.dim() == 1:
            found.append((name, weight, 0))
            continue
        hidden = weight.shape[1] if weight.dim() == 2 else 0
        if hidden == 0 or weight.shape[0] % hidden:
            raise IncompatibleError(f"remedy {remedy}: recurrent weight {name} has shape {tuple(weight.shape)}, "
                                    f"not [gates * hidden, hidden]")
        found.append((name, weight, hidden))
    if not found:
        cell = getattr(model, "cell_name", "this cell")
        raise IncompatibleError(f"remedy {remedy}: cell {cell} has no recurrent weight (a parameter named weight_hh*) "
                                f"to initialise")
    return found


class OrthogonalInit(Remedy):
    """Each gate block of every recurrent weight becomes ``gain`` times a random orthogonal matrix."""

    def __init__(self, gain: float):
        self.gain = float(gain)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        with torch.no_grad():
            for _, weight, hidden in _recurrent_weights(model, "orthogonal_init"):
                for start in range(0, weight.shape[0], hidden):
                    block = torch.empty(hidden, hidden, dtype=weight.dtype, device=weight.device)
                    torch.nn.init.orthogonal_(block, gain=self.gain)
                    weight[start:start + hidden].copy_(block)


class IdentityInit(Remedy):
    """IRNN: recurrent weights ``scale`` * I (a vector recurrent weight: every entry ``scale``), recurrent and
    input biases zero."""

    def __init__(self, scale: float):
        self.scale = float(scale)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        weights = _recurrent_weights(model, "identity_init", vector=True)
        with torch.no_grad():
            for name, weight, hidden in weights:
                if hidden == 0:
                    weight.fill_(self.scale)
                    continue
                if weight.shape[0] != hidden:
                    raise IncompatibleError(f"remedy identity_init: recurrent weight {name} has shape "
                                            f"{tuple(weight.shape)}; an identity needs a single-gate square matrix")
                weight.copy_(self.scale * torch.eye(hidden, dtype=weight.dtype, device=weight.device))
            for _, bias in _named(model, "bias_ih") + _named(model, "bias_hh"):
                bias.zero_()


class ChronoInit(Remedy):
    """Chrono initialisation: gate biases that spread the memory time scales over [1, t_max - 1] steps.

    The gates are found by what the cell declares they mean (``info.gate_roles``, in ``info.gates`` order): a
    keep gate, whose value multiplies the old state (an LSTM's forget gate; torch's GRU z, h' = (1 - z) n + z h),
    gets b = log(U(1, t_max - 1)), so that it keeps about u steps; a write gate, whose value multiplies the new
    (an LSTM's input gate; minGRU's z, h' = (1 - z) h + z h~), gets the opposite, -b (the keep gate's own draw
    where there is one). The value goes into ``bias_ih``; the same slice of ``bias_hh`` is zeroed so that their
    sum is the chosen bias. Other biases keep their initialisation. ``t_max`` 0 means the dataset's sequence
    length; below 3 it is raised to 3. A cell that declares no keep or write gate is refused.
    """

    def __init__(self, t_max: int):
        self.t_max = int(t_max)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        gates, roles = tuple(info.gates), dict(info.gate_roles)
        signs = [(gates.index(gate), 1.0 if roles[gate] == "keep" else -1.0)
                 for gate in gates if roles.get(gate) in ("keep", "write")]
        if not signs:
            raise IncompatibleError(f"remedy chrono_init: cell {info.cell} declares no keep or write gate in "
                                    f"gate_roles (gates {gates}, roles {roles or 'none'})")
        t_max = max(self.t_max or info.seq_len, 3)
        params = dict(model.named_parameters())
        pairs = []
        for name, bias_ih in _named(model, "bias_ih"):
            prefix, _, last = name.rpartition(".")
            hh_name = (prefix + "." if prefix else "") + "bias_hh" + last[len("bias_ih"):]
            if bias_ih.dim() != 1 or bias_ih.shape[0] % len(gates):
                raise IncompatibleError(f"remedy chrono_init: bias {name} has shape {tuple(bias_ih.shape)}, not "
                                        f"[{len(gates)} * hidden] for cell {info.cell}")
            pairs.append((bias_ih, params.get(hh_name), bias_ih.shape[0] // len(gates)))
        if not pairs:
            raise IncompatibleError(f"remedy chrono_init: cell {info.cell} has no gate biases (bias_ih*) to set")
        with torch.no_grad():
            for bias_ih, bias_hh, hidden in pairs:
                chrono = torch.empty(hidden, dtype=torch.float64).uniform_(1.0, t_max - 1.0).log_()
                chrono = chrono.to(dtype=bias_ih.dtype, device=bias_ih.device)
                for index, sign in signs:
                    block = slice(index * hidden, (index + 1) * hidden)
                    bias_ih[block] = sign * chrono
                    if bias_hh is not None:
                        bias_hh[block] = 0.0


# ---------------------------------------------------------------------------------------------- output transforms


def _add_transform(model: Any, factory: Any) -> None:
    """Add a transform to every layer's outputs, on the model's device and in its dtype."""
    reference = next(iter(model.parameters()), None)

    def build(size: int) -> Any:
        module = factory(size)
        return module if reference is None else module.to(device=reference.device, dtype=reference.dtype)

    model.add_output_transform(build)


class LayerNorm(Remedy):
    """Layer normalisation of each layer's output at every step (not inside the recurrence)."""

    def on_model(self, model: Any, info: ModelInfo) -> None:
        _add_transform(model, OutputLayerNorm)


class BatchNorm(Remedy):
    """Batch normalisation of each layer's outputs over the valid (batch, step) positions."""

    def on_model(self, model: Any, info: ModelInfo) -> None:
        _add_transform(model, MaskedBatchNorm)


class Dropout(Remedy):
    """Dropout with probability ``p`` on each layer's outputs (between layers and before the head)."""

    def __init__(self, p: float):
        self.p = float(p)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        _add_transform(model, lambda size: OutputDropout(self.p))


# ---------------------------------------------------------------------------------------------- regularisers


class WeightDecay(Remedy):
    """L2 regularisation through the optimiser's ``weight_decay`` option (every parameter)."""

    def __init__(self, weight_decay: float):
        self.weight_decay = float(weight_decay)

    def optimizer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {**options, "weight_decay": self.weight_decay}


class L1(Remedy):
    """Adds ``strength`` * sum of |w| over the weight matrices (parameters with two or more dimensions)."""

    def __init__(self, strength: float):
        self.strength = float(strength)

    def penalty(self, model: Any) -> Any:
        weights = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
        if not weights:
            return None
        return self.strength * sum(p.abs().sum() for p in weights)


# ---------------------------------------------------------------------------------------------- transform modules


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
