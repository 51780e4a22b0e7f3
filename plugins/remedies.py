"""Built-in gradient-stability remedies: clipping, initialisations, normalisations and regularisers.

Written against lossbench's public API only; torch is imported inside the methods that need it, and the torch
modules (output transforms) live in ``lossbench_builtins.remedy_modules``.

Conventions shared by the initialisations: a recurrent weight is a parameter whose last name component starts
with ``weight_hh`` (biases ``bias_ih`` / ``bias_hh``), its rows stacked per gate in the cell's ``gates`` order
(torch's layouts: gru r, z, n; lstm i, f, g, o); the hidden size is ``weight_hh.shape[1]``. Parameters are
changed in place (never replaced), so fused cells keep their flattened weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossbench import Float, IncompatibleError, Int, ModelInfo, Remedy, RemedySpec, hookimpl

# ---------------------------------------------------------------------------------------------- clipping


class ClipNorm(Remedy):
    """Rescale all gradients together so that their total L2 norm is at most ``max_norm``."""

    def __init__(self, max_norm: float = 1.0):
        self.max_norm = float(max_norm)

    def after_backward(self, model: Any, grad_norm: float) -> bool:
        import torch

        # The norm clip_grad_norm_ measures is the one it acts on (another remedy may have changed the gradients
        # since the engine measured ``grad_norm``); alone, the two are the same number.
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), self.max_norm))
        return not norm <= self.max_norm  # a non-finite norm counts: the gradients were rescaled by it


class ClipValue(Remedy):
    """Clamp every gradient entry to [-value, value]."""

    def __init__(self, value: float = 0.5):
        self.value = float(value)

    def after_backward(self, model: Any, grad_norm: float) -> bool:
        import torch

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


def _recurrent_weights(model: Any, remedy: str) -> list[tuple[str, Any, int]]:
    """(name, weight_hh, hidden size) for every recurrent weight, or a clear error when there is none."""
    found = []
    for name, weight in _named(model, "weight_hh"):
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

    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        import torch

        with torch.no_grad():
            for _, weight, hidden in _recurrent_weights(model, "orthogonal_init"):
                for start in range(0, weight.shape[0], hidden):
                    block = torch.empty(hidden, hidden, dtype=weight.dtype, device=weight.device)
                    torch.nn.init.orthogonal_(block, gain=self.gain)
                    weight[start:start + hidden].copy_(block)


def _identity_check(cell_name: str, cell_params: Mapping[str, Any]) -> str | None:
    """rnn.activation is relu or leaky_relu (an identity recurrence through tanh saturates)"""
    activation = cell_params.get("activation", "tanh")
    if activation not in ("relu", "leaky_relu"):
        return (f"identity recurrent weights need a ReLU-type activation, got activation={activation}; "
                f"set rnn.activation=relu")
    return None


class IdentityInit(Remedy):
    """IRNN: recurrent weights ``scale`` * I, recurrent and input biases zero."""

    def __init__(self, scale: float = 1.0):
        self.scale = float(scale)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        import torch

        weights = _recurrent_weights(model, "identity_init")
        with torch.no_grad():
            for name, weight, hidden in weights:
                if weight.shape[0] != hidden:
                    raise IncompatibleError(f"remedy identity_init: recurrent weight {name} has shape "
                                            f"{tuple(weight.shape)}; an identity needs a single-gate square matrix")
                weight.copy_(self.scale * torch.eye(hidden, dtype=weight.dtype, device=weight.device))
            for _, bias in _named(model, "bias_ih") + _named(model, "bias_hh"):
                bias.zero_()


class ChronoInit(Remedy):
    """Chrono initialisation: gate biases that spread the memory time scales over [1, t_max - 1] steps.

    LSTM (gates i, f, g, o): forget bias b_f = log(U(1, t_max - 1)), input bias b_i = -b_f. GRU (gates r, z, n;
    torch computes h' = (1 - z) * n + z * h, so z keeps memory): update bias b_z = log(U(1, t_max - 1)). The value
    goes into ``bias_ih``; the same slice of ``bias_hh`` is zeroed so that their sum is the chosen bias. Other
    biases keep their initialisation. ``t_max`` 0 means the dataset's sequence length; below 3 it is raised to 3.
    """

    def __init__(self, t_max: int = 0):
        self.t_max = int(t_max)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        import torch

        if info.cell not in ("lstm", "gru"):
            raise IncompatibleError(f"remedy chrono_init applies to cells gru, lstm, not {info.cell}")
        gates = 4 if info.cell == "lstm" else 3
        t_max = max(self.t_max or info.seq_len, 3)
        params = dict(model.named_parameters())
        pairs = []
        for name, bias_ih in _named(model, "bias_ih"):
            prefix, _, last = name.rpartition(".")
            hh_name = (prefix + "." if prefix else "") + "bias_hh" + last[len("bias_ih"):]
            if bias_ih.dim() != 1 or bias_ih.shape[0] % gates:
                raise IncompatibleError(f"remedy chrono_init: bias {name} has shape {tuple(bias_ih.shape)}, not "
                                        f"[{gates} * hidden] for cell {info.cell}")
            pairs.append((bias_ih, params.get(hh_name), bias_ih.shape[0] // gates))
        if not pairs:
            raise IncompatibleError(f"remedy chrono_init: cell {info.cell} has no gate biases (bias_ih*) to set")
        with torch.no_grad():
            for bias_ih, bias_hh, hidden in pairs:
                chrono = torch.empty(hidden, dtype=torch.float64).uniform_(1.0, t_max - 1.0).log_()
                chrono = chrono.to(dtype=bias_ih.dtype, device=bias_ih.device)
                keep = slice(hidden, 2 * hidden)  # lstm f, gru z: both the second gate block
                bias_ih[keep] = chrono
                if bias_hh is not None:
                    bias_hh[keep] = 0.0
                if info.cell == "lstm":
                    bias_ih[:hidden] = -chrono
                    if bias_hh is not None:
                        bias_hh[:hidden] = 0.0


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
        from lossbench_builtins import remedy_modules

        _add_transform(model, remedy_modules.OutputLayerNorm)


class BatchNorm(Remedy):
    """Batch normalisation of each layer's outputs over the valid (batch, step) positions."""

    def on_model(self, model: Any, info: ModelInfo) -> None:
        from lossbench_builtins import remedy_modules

        _add_transform(model, remedy_modules.MaskedBatchNorm)


class Dropout(Remedy):
    """Dropout with probability ``p`` on each layer's outputs (between layers and before the head)."""

    def __init__(self, p: float = 0.2):
        self.p = float(p)

    def on_model(self, model: Any, info: ModelInfo) -> None:
        from lossbench_builtins import remedy_modules

        _add_transform(model, lambda size: remedy_modules.OutputDropout(self.p))


# ---------------------------------------------------------------------------------------------- regularisers


class WeightDecay(Remedy):
    """L2 regularisation through the optimiser's ``weight_decay`` option (every parameter)."""

    def __init__(self, weight_decay: float = 1e-4):
        self.weight_decay = float(weight_decay)

    def optimizer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {**options, "weight_decay": self.weight_decay}


class L1(Remedy):
    """Adds ``strength`` * sum of |w| over the weight matrices (parameters with two or more dimensions)."""

    def __init__(self, strength: float = 1e-5):
        self.strength = float(strength)

    def penalty(self, model: Any) -> Any:
        weights = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
        if not weights:
            return None
        return self.strength * sum(p.abs().sum() for p in weights)


# ---------------------------------------------------------------------------------------------- registration


@hookimpl
def register_remedies(register):
    register(RemedySpec(
        name="clip_norm",
        summary="Gradient norm clipping (Pascanu et al. 2013): rescale all gradients to total L2 norm <= max_norm",
        space={"max_norm": Float(0.1, 10.0, log=True)},
        defaults={"max_norm": 1.0},
        build=ClipNorm,
    ))
    register(RemedySpec(
        name="clip_value",
        summary="Gradient value clipping: clamp every gradient entry to [-value, value]",
        space={"value": Float(0.01, 10.0, log=True)},
        defaults={"value": 0.5},
        build=ClipValue,
    ))
    register(RemedySpec(
        name="orthogonal_init",
        summary="Orthogonal recurrent weights, each gate block gain * a random orthogonal matrix "
                "(Saxe et al. 2014; Keras' default)",
        space={"gain": Float(0.5, 2.0)},
        defaults={"gain": 1.0},
        build=OrthogonalInit,
    ))
    register(RemedySpec(
        name="identity_init",
        summary="IRNN (Le et al. 2015): recurrent weights scale * identity, biases zero, with a ReLU-type rnn",
        space={"scale": Float(0.5, 1.0)},
        defaults={"scale": 1.0},
        build=IdentityInit,
        cells=("rnn",),
        check=_identity_check,
    ))
    register(RemedySpec(
        name="chrono_init",
        summary="Chrono initialisation (Tallec & Ollivier 2018): forget/update gate biases log(U(1, t_max - 1)); "
                "t_max 0 means the sequence length",
        constraints={"t_max": Int(0, 100000)},
        defaults={"t_max": 0},
        build=ChronoInit,
        cells=("gru", "lstm"),
    ))
    register(RemedySpec(
        name="layer_norm",
        summary="Layer normalisation (Ba et al. 2016) of each layer's output sequence, between layers and before "
                "the head; not inside the recurrence (fused kernels do not allow that)",
        build=LayerNorm,
    ))
    register(RemedySpec(
        name="batch_norm",
        summary="Batch normalisation (Ioffe & Szegedy 2015) of each layer's outputs over valid steps only, "
                "on non-recurrent connections as in Laurent et al. 2016; not inside the recurrence",
        build=BatchNorm,
    ))
    register(RemedySpec(
        name="dropout",
        summary="Dropout on each layer's outputs, the non-recurrent connections only (Zaremba et al. 2014)",
        space={"p": Float(0.0, 0.5)},
        defaults={"p": 0.2},
        build=Dropout,
    ))
    register(RemedySpec(
        name="weight_decay",
        summary="L2 regularisation of every parameter through the optimiser's weight_decay option",
        space={"weight_decay": Float(1e-6, 1e-2, log=True)},
        defaults={"weight_decay": 1e-4},
        build=WeightDecay,
    ))
    register(RemedySpec(
        name="l1",
        summary="L1 penalty: strength * sum of |w| over weight matrices (not biases) added to the loss",
        space={"strength": Float(1e-7, 1e-3, log=True)},
        defaults={"strength": 1e-5},
        build=L1,
    ))

