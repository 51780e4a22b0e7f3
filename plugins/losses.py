"""Built-in losses: registration only, written against lossbench's public API as a third-party plugin would be.

Each loss is a spec constant; its ``build`` receives every parameter (the engine passes ``spec.resolve(...)``,
so the defaults live in the spec only) and imports :mod:`lossbench_builtins.loss_functions`, which imports
torch, when it is called. A built loss is ``fn(logits[N, C], target[N]) -> mean loss over N`` and pickles.
"""

from __future__ import annotations

from functools import partial

from lossbench import Float, Int, LossSpec, hookimpl

LOSSBENCH_API = "1.1"  # the version of lossbench's plugin API this module is written for

BOTH = frozenset({"binary", "multiclass"})


def build_ce():
    from lossbench_builtins.loss_functions import cross_entropy

    return cross_entropy


def build_bce():
    from lossbench_builtins.loss_functions import binary_cross_entropy

    return binary_cross_entropy


def build_label_smoothing(*, eps):
    from lossbench_builtins.loss_functions import label_smoothing

    return partial(label_smoothing, eps=eps)


def build_focal(*, gamma, alpha):
    from lossbench_builtins.loss_functions import focal

    return partial(focal, gamma=gamma, alpha=alpha)


def build_poly1(*, eps):
    from lossbench_builtins.loss_functions import poly1

    return partial(poly1, eps=eps)


def build_gce(*, q):
    from lossbench_builtins.loss_functions import gce

    return partial(gce, q=q)


def build_sce(*, alpha, beta):
    from lossbench_builtins.loss_functions import sce

    return partial(sce, alpha=alpha, beta=beta)


def build_taylor_ce(*, order):
    from lossbench_builtins.loss_functions import taylor_ce

    return partial(taylor_ce, order=order)


def build_bitempered(*, t1, t2, num_iters):
    from lossbench_builtins.loss_functions import bitempered

    return partial(bitempered, t1=t1, t2=t2, num_iters=num_iters)


def build_brier():
    from lossbench_builtins.loss_functions import brier

    return brier


CE = LossSpec(
    name="ce",
    summary="Categorical cross-entropy of the softmax, -log p_t (the baseline).",
    build=build_ce,
    targets=BOTH,
)
BCE = LossSpec(
    name="bce",
    summary="One-vs-rest sigmoid BCE on one-hot targets, summed over classes (the seed article's Keras loss).",
    build=build_bce,
    targets=BOTH,
)
LABEL_SMOOTHING = LossSpec(
    name="label_smoothing",
    summary="Cross-entropy against smoothed targets (Szegedy et al. 2016).",
    space={"eps": Float(0.0, 0.3)},
    defaults={"eps": 0.1},
    build=build_label_smoothing,
    targets=BOTH,
)
FOCAL = LossSpec(
    name="focal",
    summary="Softmax focal loss -(1-p_t)^gamma log p_t (Lin et al. 2017); optional scalar alpha.",
    space={"gamma": Float(0.0, 5.0)},
    constraints={"alpha": Float(0.0, 1.0)},
    defaults={"gamma": 2.0, "alpha": None},
    build=build_focal,
    targets=BOTH,
)
POLY1 = LossSpec(
    name="poly1",
    summary="Poly-1: cross-entropy + eps (1 - p_t) (Leng et al. 2022).",
    space={"eps": Float(-1.0, 5.0)},
    defaults={"eps": 1.0},
    build=build_poly1,
    targets=BOTH,
)
GCE = LossSpec(
    name="gce",
    summary="Generalized cross-entropy (1 - p_t^q) / q (Zhang & Sabuncu 2018).",
    space={"q": Float(0.05, 1.0)},
    defaults={"q": 0.7},
    build=build_gce,
    targets=BOTH,
)
SCE = LossSpec(
    name="sce",
    summary="Symmetric cross-entropy alpha CE + beta RCE, log 0 = -4 (Wang et al. 2019).",
    space={"alpha": Float(0.01, 1.0, log=True), "beta": Float(0.1, 10.0, log=True)},
    defaults={"alpha": 0.1, "beta": 1.0},
    build=build_sce,
    targets=BOTH,
)
TAYLOR_CE = LossSpec(
    name="taylor_ce",
    summary="Taylor cross-entropy sum_k (1 - p_t)^k / k up to order (Feng et al. 2020).",
    space={"order": Int(1, 10)},
    defaults={"order": 2},
    build=build_taylor_ce,
    targets=BOTH,
)
BITEMPERED = LossSpec(
    name="bitempered",
    summary="Bi-tempered logistic loss with temperatures t1, t2 (Amid et al. 2019).",
    space={"t1": Float(0.2, 1.0), "t2": Float(1.0, 4.0)},
    constraints={"num_iters": Int(1, 1000)},
    defaults={"t1": 0.8, "t2": 1.2, "num_iters": 5},
    build=build_bitempered,
    targets=BOTH,
)
BRIER = LossSpec(
    name="brier",
    summary="Brier score: squared error of softmax vs one-hot, summed over classes (Brier 1950).",
    build=build_brier,
    targets=BOTH,
)

SPECS = (CE, BCE, LABEL_SMOOTHING, FOCAL, POLY1, GCE, SCE, TAYLOR_CE, BITEMPERED, BRIER)


@hookimpl
def register_losses(register):
    for spec in SPECS:
        register(spec)
