"""Built-in gradient-stability remedies: clipping, initialisations, normalisations and regularisers.

Registration only, written against lossbench's public API as a third-party plugin would be. Each remedy is a
spec constant; its ``build`` receives every parameter (the defaults live in the spec only) and imports
:mod:`lossbench_builtins.remedy_modules` (the Remedy classes, which import torch) when it is called.
"""

from __future__ import annotations

from lossbench import Float, Int, RemedySpec, hookimpl

LOSSBENCH_API = "1.1"  # the version of lossbench's plugin API this module is written for


def build_clip_norm(*, max_norm):
    from lossbench_builtins.remedy_modules import ClipNorm

    return ClipNorm(max_norm)


def build_clip_value(*, value):
    from lossbench_builtins.remedy_modules import ClipValue

    return ClipValue(value)


def build_orthogonal_init(*, gain):
    from lossbench_builtins.remedy_modules import OrthogonalInit

    return OrthogonalInit(gain)


def build_identity_init(*, scale):
    from lossbench_builtins.remedy_modules import IdentityInit

    return IdentityInit(scale)


def identity_needs_relu(cell_name, cell_params):
    """a cell with an activation parameter has it relu or leaky_relu (an identity recurrence through tanh saturates)"""
    activation = cell_params.get("activation", "relu")
    if activation not in ("relu", "leaky_relu"):
        return (f"identity recurrent weights need a ReLU-type activation, got activation={activation}; "
                f"set {cell_name}.activation=relu")
    return None


def build_chrono_init(*, t_max):
    from lossbench_builtins.remedy_modules import ChronoInit

    return ChronoInit(t_max)


def build_layer_norm():
    from lossbench_builtins.remedy_modules import LayerNorm

    return LayerNorm()


def build_batch_norm():
    from lossbench_builtins.remedy_modules import BatchNorm

    return BatchNorm()


def build_dropout(*, p):
    from lossbench_builtins.remedy_modules import Dropout

    return Dropout(p)


def build_weight_decay(*, weight_decay):
    from lossbench_builtins.remedy_modules import WeightDecay

    return WeightDecay(weight_decay)


def build_l1(*, strength):
    from lossbench_builtins.remedy_modules import L1

    return L1(strength)


CLIP_NORM = RemedySpec(
    name="clip_norm",
    summary="Gradient norm clipping (Pascanu et al. 2013): rescale all gradients to total L2 norm <= max_norm",
    space={"max_norm": Float(0.1, 10.0, log=True)},
    defaults={"max_norm": 1.0},
    build=build_clip_norm,
)
CLIP_VALUE = RemedySpec(
    name="clip_value",
    summary="Gradient value clipping: clamp every gradient entry to [-value, value]",
    space={"value": Float(0.01, 10.0, log=True)},
    defaults={"value": 0.5},
    build=build_clip_value,
)
ORTHOGONAL_INIT = RemedySpec(
    name="orthogonal_init",
    summary="Orthogonal recurrent weights, each gate block gain * a random orthogonal matrix "
            "(Saxe et al. 2014; Keras' default)",
    space={"gain": Float(0.5, 2.0)},
    defaults={"gain": 1.0},
    build=build_orthogonal_init,
    recurrent_weights=("matrix",),
)
IDENTITY_INIT = RemedySpec(
    name="identity_init",
    summary="IRNN (Le et al. 2015): recurrent weights scale * identity (a vector one: all scale), biases zero; "
            "cells that opt in with init_styles {'identity'}, ReLU-type",
    space={"scale": Float(0.5, 1.0)},
    defaults={"scale": 1.0},
    build=build_identity_init,
    recurrent_weights=("matrix", "vector"),
    init_style="identity",
    check=identity_needs_relu,
)
CHRONO_INIT = RemedySpec(
    name="chrono_init",
    summary="Chrono initialisation (Tallec & Ollivier 2018): keep-gate biases log(U(1, t_max - 1)), write-gate "
            "biases the opposite, by the cell's gate_roles; t_max 0 means the sequence length; cells that opt in "
            "with init_styles {'chrono'}",
    constraints={"t_max": Int(0, 100000)},
    defaults={"t_max": 0},
    build=build_chrono_init,
    init_style="chrono",
)
LAYER_NORM = RemedySpec(
    name="layer_norm",
    summary="Layer normalisation (Ba et al. 2016) of each layer's output sequence, between layers and before "
            "the head; not inside the recurrence (fused kernels do not allow that)",
    build=build_layer_norm,
)
BATCH_NORM = RemedySpec(
    name="batch_norm",
    summary="Batch normalisation (Ioffe & Szegedy 2015) of each layer's outputs over valid steps only, "
            "on non-recurrent connections as in Laurent et al. 2016; not inside the recurrence",
    build=build_batch_norm,
)
DROPOUT = RemedySpec(
    name="dropout",
    summary="Dropout on each layer's outputs, the non-recurrent connections only (Zaremba et al. 2014)",
    space={"p": Float(0.0, 0.5)},
    defaults={"p": 0.2},
    build=build_dropout,
)
WEIGHT_DECAY = RemedySpec(
    name="weight_decay",
    summary="L2 regularisation of every parameter through the optimiser's weight_decay option",
    space={"weight_decay": Float(1e-6, 1e-2, log=True)},
    defaults={"weight_decay": 1e-4},
    build=build_weight_decay,
)
L1 = RemedySpec(
    name="l1",
    summary="L1 penalty: strength * sum of |w| over parameters of 2 or more dimensions (weight matrices), added "
            "to the loss; 1-D parameters (biases, gains, a vector recurrent weight as IndRNN's) are left out",
    space={"strength": Float(1e-7, 1e-3, log=True)},
    defaults={"strength": 1e-5},
    build=build_l1,
)

SPECS = (CLIP_NORM, CLIP_VALUE, ORTHOGONAL_INIT, IDENTITY_INIT, CHRONO_INIT, LAYER_NORM, BATCH_NORM, DROPOUT,
         WEIGHT_DECAY, L1)


@hookimpl
def register_remedies(register):
    for spec in SPECS:
        register(spec)
