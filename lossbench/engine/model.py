"""The model every run trains: the cell's layers stacked, optional per-layer output transforms, a linear head."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from lossbench.errors import IncompatibleError
from lossbench.registry import Blame


class SequenceModel(nn.Module):
    """input -> layers (each a causal cell) -> head on the last valid step, or on every step.

    Remedies reach in through ``layers``, ``head`` and ``add_output_transform``; that surface is public. What
    the cell's or a transform's code raises names them (``cell_label``; ``transform_owner``, which the engine
    sets to the remedy whose ``on_model`` runs).
    """

    def __init__(self, cell_name: str, build_layer: Callable[..., nn.Module], cell_params: dict[str, Any],
                 input_size: int, hidden_sizes: Sequence[int], num_classes: int, per_step: bool,
                 cell_label: str | None = None):
        super().__init__()
        self.cell_name = cell_name
        self.hidden_sizes = tuple(hidden_sizes)
        self.per_step = per_step
        self.cell_label = cell_label or f"cell {cell_name}"
        self.transform_owner = "a remedy"
        self._cell_forward = Blame(self.cell_label, "forward")
        self._transform_forward: list[Blame] = []  # one per add_output_transform, in every layer's chain
        sizes = [input_size, *self.hidden_sizes]
        with Blame(self.cell_label, "build"):
            self.layers = nn.ModuleList(build_layer(sizes[i], sizes[i + 1], **cell_params)
                                        for i in range(len(self.hidden_sizes)))
        self.transforms = nn.ModuleList(nn.ModuleList() for _ in self.hidden_sizes)
        self.head = nn.Linear(self.hidden_sizes[-1], num_classes)

    def add_output_transform(self, factory: Callable[[int], nn.Module]) -> None:
        """Append ``factory(hidden_size)`` to every layer's outputs; it is called as ``module(h, mask)``."""
        with Blame(self.transform_owner, "its output transform's factory"):
            for size, chain in zip(self.hidden_sizes, self.transforms):
                chain.append(factory(size))
        self._transform_forward.append(Blame(self.transform_owner, "its output transform"))

    def features(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The top layer's output sequence, float[B, T, H]."""
        h = x
        for layer, chain in zip(self.layers, self.transforms):
            with self._cell_forward:
                h = layer(h)
            for transform, blame in zip(chain, self._transform_forward):
                with blame:
                    h = transform(h, mask)
        return h

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits: float[B, C] from the last valid step, or float[B, T, C] when every step has a target."""
        mask = None if lengths is None else step_mask(lengths, x.shape[1])
        h = self.features(x, mask)
        if self.per_step:
            return self.head(h)
        last = h[:, -1] if lengths is None else h[torch.arange(h.shape[0], device=h.device), lengths - 1]
        return self.head(last)

    def check_shapes(self, x: torch.Tensor) -> None:
        """Refuse a cell whose output does not fit the model, with one clear message instead of a torch error."""
        h = x
        with torch.no_grad():
            for index, (layer, size) in enumerate(zip(self.layers, self.hidden_sizes)):
                with self._cell_forward:
                    out = layer(h)
                expected = (h.shape[0], h.shape[1], size)
                if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
                    got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                    raise IncompatibleError(f"cell {self.cell_name} layer {index} returned {got} for input "
                                            f"{tuple(h.shape)}; a cell must return [B, T, hidden] = {expected}")
                h = out


def step_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """bool[B, T]: True on the valid steps of each sequence."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]
