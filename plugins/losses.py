"""Built-in losses: registration only.

Written against lossbench's public API, as a third-party plugin would be. No torch here: each ``build``
imports :mod:`lossbench_builtins.loss_functions` (which does) when it is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lossbench import Float, Int, LossSpec, hookimpl

BOTH = frozenset({"binary", "multiclass"})


def _builder(name: str, defaults: Mapping[str, Any]) -> Callable[..., Any]:
    """``build(**params)``: the loss ``name`` of loss_functions with ``defaults`` overridden by ``params``."""

    def build(**params: Any) -> Any:
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise TypeError(f"loss {name}: unexpected parameters {unknown}; it takes {sorted(defaults)}")
        from lossbench_builtins import loss_functions

        return loss_functions.bind(name, **{**defaults, **params})

    build.__name__ = build.__qualname__ = f"build_{name}"
    build.__doc__ = f"Build the {name} loss: fn(logits[N, C], target[N]) -> mean loss over N."
    return build


def _spec(name: str, summary: str, space: Mapping[str, Any] | None = None,
          defaults: Mapping[str, Any] | None = None, constraints: Mapping[str, Any] | None = None) -> LossSpec:
    defaults = dict(defaults or {})
    return LossSpec(name=name, summary=summary, space=dict(space or {}), defaults=defaults,
                    constraints=dict(constraints or {}), build=_builder(name, defaults), targets=BOTH)


def specs() -> list[LossSpec]:
    """The built-in loss specs, in the order they are registered."""
    return [
        _spec("ce", "Categorical cross-entropy of the softmax, -log p_t (the baseline)."),
        _spec("bce", "One-vs-rest sigmoid BCE on one-hot targets, summed over classes "
                     "(the seed article's Keras loss)."),
        _spec("label_smoothing", "Cross-entropy against smoothed targets (Szegedy et al. 2016).",
              {"eps": Float(0.0, 0.3)}, {"eps": 0.1}),
        _spec("focal", "Softmax focal loss -(1-p_t)^gamma log p_t (Lin et al. 2017); optional scalar alpha.",
              {"gamma": Float(0.0, 5.0)}, {"gamma": 2.0, "alpha": None}, {"alpha": Float(0.0, 1.0)}),
        _spec("poly1", "Poly-1: cross-entropy + eps (1 - p_t) (Leng et al. 2022).",
              {"eps": Float(-1.0, 5.0)}, {"eps": 1.0}),
        _spec("gce", "Generalized cross-entropy (1 - p_t^q) / q (Zhang & Sabuncu 2018).",
              {"q": Float(0.05, 1.0)}, {"q": 0.7}),
        _spec("sce", "Symmetric cross-entropy alpha CE + beta RCE, log 0 = -4 (Wang et al. 2019).",
              {"alpha": Float(0.01, 1.0, log=True), "beta": Float(0.1, 10.0, log=True)},
              {"alpha": 0.1, "beta": 1.0}),
        _spec("taylor_ce", "Taylor cross-entropy sum_k (1 - p_t)^k / k up to order (Feng et al. 2020).",
              {"order": Int(1, 10)}, {"order": 2}),
        _spec("bitempered", "Bi-tempered logistic loss with temperatures t1, t2 (Amid et al. 2019).",
              {"t1": Float(0.2, 1.0), "t2": Float(1.0, 4.0)}, {"t1": 0.8, "t2": 1.2, "num_iters": 5},
              {"num_iters": Int(1, 1000)}),
        _spec("brier", "Brier score: squared error of softmax vs one-hot, summed over classes (Brier 1950)."),
    ]


@hookimpl
def register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in specs():
        register(spec)
