"""The model every run trains: the cell's layers stacked, optional per-layer output transforms, a readout, a
linear head."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import torch
from torch import nn

from lossbench.errors import IncompatibleError
from lossbench.registry import Blame

READOUTS = ("last", "mean", "all")  # what the head reads of the top layer's outputs (engine.config checks it)


class SequenceModel(nn.Module):
    """input -> layers (each a cell) -> readout -> head, or the head on every step when every step has a target.

    The readout: ``last``, each direction's final state (the forward half at each sequence's last valid step,
    the backward half, with two directions, at step 0); ``mean``, the mean over valid steps; ``all``, every
    step, padded steps zeroed (the head is ``seq_len`` times wider). Padding never enters a readout.

    Remedies reach in through ``layers``, ``head`` and ``add_output_transform``; that surface is public. What
    the cell's or a transform's code raises names them (``cell_label``; ``transform_owner``, which the engine
    sets to the remedy whose ``on_model`` runs).
    """

    def __init__(self, cell_name: str, build_layer: Callable[..., nn.Module], cell_params: dict[str, Any],
                 input_size: int, hidden_sizes: Sequence[int], num_classes: int, per_step: bool,
                 cell_label: str | None = None, *, directions: int = 1, readout: str = "last",
                 seq_len: int | None = None, inputs: Collection[str] = ()):
        """``directions``: 2 when ``cell_params`` run the cell both ways (``CellSpec.directions``); ``inputs``:
        what the cell's forward receives besides x (``CellSpec.inputs``)."""
        super().__init__()
        if readout not in READOUTS:
            raise IncompatibleError(f"readout must be one of {', '.join(READOUTS)}, got {readout!r}")
        if readout == "all" and not seq_len:
            raise IncompatibleError("readout all needs the sequence length (seq_len) to size the head")
        self.cell_name = cell_name
        self.hidden_sizes = tuple(hidden_sizes)
        self.per_step = per_step
        self.directions = directions
        self.readout, self.inputs = readout, frozenset(inputs)
        self.widths = tuple(size * self.directions for size in self.hidden_sizes)
        self.cell_label = cell_label or f"cell {cell_name}"
        self.transform_owner = "a remedy"
        self.flow_direction: str | None = None  # the flow probe's copy: only this direction's outputs carry gradient
        self._cell_forward = Blame(self.cell_label, "forward")
        self._transform_forward: list[Blame] = []  # one per add_output_transform, in every layer's chain
        sizes = [input_size, *self.widths]
        with Blame(self.cell_label, "build"):
            self.layers = nn.ModuleList(build_layer(sizes[i], self.hidden_sizes[i], **cell_params)
                                        for i in range(len(self.hidden_sizes)))
        self.transforms = nn.ModuleList(nn.ModuleList() for _ in self.hidden_sizes)
        width = self.widths[-1] * (seq_len if readout == "all" and not per_step else 1)
        self.head = nn.Linear(width, num_classes)

    def add_output_transform(self, factory: Callable[[int], nn.Module]) -> None:
        """Append ``factory(width)`` to every layer's outputs (width: hidden size x directions); it is called as
        ``module(h, mask)``."""
        with Blame(self.transform_owner, "its output transform's factory"):
            for size, chain in zip(self.widths, self.transforms):
                chain.append(factory(size))
        self._transform_forward.append(Blame(self.transform_owner, "its output transform"))

    def _layer(self, layer: nn.Module, h: torch.Tensor, size: int, lengths: torch.Tensor | None) -> Any:
        """One layer's forward, with what its cell asks for besides x."""
        extra: dict[str, Any] = {}
        if "lengths" in self.inputs:
            extra["lengths"] = lengths
        if "state" in self.inputs:
            extra["state"] = h.new_zeros(self.directions, h.shape[0], size)
        with self._cell_forward:
            return layer(h, **extra)

    def features(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                 lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The top layer's output sequence, float[B, T, W]."""
        h = x
        for layer, size, chain in zip(self.layers, self.hidden_sizes, self.transforms):
            h = self._layer(layer, h, size, lengths)
            for transform, blame in zip(chain, self._transform_forward):
                with blame:
                    h = transform(h, mask)
        return h

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits: float[B, C] from the readout, or float[B, T, C] when every step has a target."""
        mask = None if lengths is None else step_mask(lengths, x.shape[1])
        h = self.features(x, mask, lengths)
        if self.flow_direction is not None and self.directions == 2:
            half = h.shape[-1] // 2
            forward, backward = h[..., :half], h[..., half:]
            h = torch.cat([forward, backward.detach()] if self.flow_direction == "forward"
                          else [forward.detach(), backward], dim=-1)
        if self.per_step:
            return self.head(h)
        return self.head(self.read(h, lengths, mask))

    def read(self, h: torch.Tensor, lengths: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor:
        """What the head sees of h float[B, T, W]; padded steps never enter it."""
        if self.readout == "last":
            last = h[:, -1] if lengths is None else h[torch.arange(h.shape[0], device=h.device), lengths - 1]
            if self.directions == 2:  # the backward direction ends at step 0
                half = h.shape[-1] // 2
                last = torch.cat([last[:, :half], h[:, 0, half:]], dim=-1)
            return last
        if mask is not None:
            h = torch.where(mask[..., None], h, torch.zeros((), dtype=h.dtype, device=h.device))
        if self.readout == "mean":
            return h.mean(dim=1) if lengths is None else h.sum(dim=1) / lengths[:, None].to(h.dtype)
        return h.reshape(h.shape[0], -1)

    def check_shapes(self, x: torch.Tensor) -> None:
        """Refuse a cell whose output does not fit the model, with one clear message instead of a torch error."""
        h = x
        with torch.no_grad():
            for index, (layer, size, width) in enumerate(zip(self.layers, self.hidden_sizes, self.widths)):
                out = self._layer(layer, h, size, None)
                expected = (h.shape[0], h.shape[1], width)
                if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
                    got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                    both = " (both directions: 2 x hidden)" if self.directions == 2 else ""
                    raise IncompatibleError(f"cell {self.cell_name} layer {index} returned {got} for input "
                                            f"{tuple(h.shape)}; a cell must return [B, T, hidden]{both} = {expected}")
                h = out


def step_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """bool[B, T]: True on the valid steps of each sequence."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]
