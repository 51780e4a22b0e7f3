"""A built cell as the checks call it: ``forward(x)`` with what its spec asks for besides x (``lengths``, an
initial ``state``), its output checked to be a tensor. torch is imported when a check runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lossbench.api.specs import CellSpec
from lossbench.testing.report import fail

if TYPE_CHECKING:
    import torch

INPUT, HIDDEN = 3, 5


class Cell:
    """``module`` built from ``spec``; ``directions`` 2 when it was built to run both ways."""

    def __init__(self, module: Any, spec: CellSpec, directions: int = 1):
        self.module, self.spec, self.directions = module, spec, directions
        self.width = HIDDEN * directions

    def __call__(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                 state: torch.Tensor | None = None) -> torch.Tensor:
        import torch

        extra: dict[str, Any] = {}
        if "lengths" in self.spec.inputs:
            extra["lengths"] = lengths
        if "state" in self.spec.inputs:
            extra["state"] = state if state is not None else x.new_zeros(self.directions, x.shape[0], HIDDEN)
        out = self.module(x, **extra)
        if not isinstance(out, torch.Tensor):
            fail(f"forward returned {type(out).__name__}; expected a tensor [B, T, hidden] (not a tuple with the "
                 f"state)")
        return out

    def forward_half(self, out: torch.Tensor) -> torch.Tensor:
        """The forward direction's outputs (all of them for a cell run one way)."""
        return out[..., :HIDDEN] if self.directions == 2 else out


def build(spec: CellSpec, params: dict[str, Any], seed: int = 0) -> Any:
    """``spec.build(INPUT, HIDDEN, **params)`` from a fixed seed, in eval mode (no dropout noise in comparisons)."""
    import torch

    torch.manual_seed(seed)
    module = spec.build(INPUT, HIDDEN, **params)
    if not isinstance(module, torch.nn.Module):
        fail(f"build(input_size, hidden_size) returned {type(module).__name__}; expected a torch.nn.Module")
    return module.eval()
