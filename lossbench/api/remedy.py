"""The points at which a remedy acts on a run. Override only the ones you need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ModelInfo:
    """What a remedy may want to know about the model it acts on."""

    cell: str
    cell_params: dict[str, Any]
    hidden_sizes: tuple[int, ...]
    num_features: int
    num_classes: int
    seq_len: int
    gates: tuple[str, ...] = ()  # the cell's CellSpec.gates: the order its gate blocks are stacked in
    directions: int = 1  # 2 when the cell runs both ways: each layer's outputs are directions * hidden wide
    readout: str = "last"  # what the head reads: "last" valid step, "mean" over valid steps, "all" steps
    gate_roles: dict[str, str] = field(default_factory=dict)  # the cell's CellSpec.gate_roles: gate -> keep/write


class Remedy:
    """Base class of what ``RemedySpec.build`` returns. The engine calls, in this order:

    1. ``on_model(model, info)`` once, after the model is built and before the optimiser exists. ``model``
       has ``layers`` (the cell modules, bottom first), ``head`` (the linear read-out) and
       ``add_output_transform(factory)``: ``factory(width)`` returns a module called as
       ``module(h: float[B, T, W], mask: bool[B, T]) -> float[B, T, W]`` on each layer's outputs, ``W`` the
       layer's hidden size times ``info.directions``.
    2. ``optimizer_options(options)`` with the optimiser's keyword arguments (``lr`` and others); returns them,
       changed or not (``weight_decay`` lives here).
    3. every step, ``penalty(model)``: a scalar tensor added to the loss, or ``None``.
    4. every step, ``after_backward(model, grad_norm)``; returns ``True`` when it changed the gradients (the
       engine counts clipped steps). ``grad_norm`` is the total L2 norm of all the model's gradients after
       ``backward`` and before any remedy acted (what ``torch.nn.utils.get_total_norm`` gives), the same number
       for every remedy of the run; it is always finite (a non-finite norm ends the run as diverged before any
       remedy is called). Use it rather than measuring again: a remedy called after another that changed the
       gradients still gets the norm from before.

    What a remedy changes while a run trains (running statistics, a counter, a history of norms) lives in the
    model's modules: a parameter or buffer of a module it adds with ``add_output_transform`` (as ``batch_norm``'s
    running statistics), never in attributes of the remedy itself. A run's checkpoint holds the model's state and
    continues it in a model and remedy built anew; the conformance kit's ``check_remedy`` checks that a run
    continued so trains on exactly as before.

    ``RemedySpec.build`` receives every parameter, already checked and completed by ``spec.resolve``, so the
    defaults belong in the spec's ``defaults`` only, not in ``__init__``.
    """

    def on_model(self, model: Any, info: ModelInfo) -> None:
        return None

    def optimizer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return options

    def penalty(self, model: Any) -> torch.Tensor | None:
        return None

    def after_backward(self, model: Any, grad_norm: float) -> bool:
        return False
