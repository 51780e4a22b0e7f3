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


def trains(spec: CellSpec, params: dict[str, Any], readout: str = "last") -> None:
    """Trains inside ``SequenceModel`` (every readout, both directions): the loss on one batch falls by 20% in 40
    Adam steps of a task that needs the recurrence (the first step's sign)."""
    import torch

    from lossbench.engine.model import SequenceModel

    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(32, 6, INPUT, generator=generator)
    y = (x[:, 0, 0] > 0).long()  # remember the first step's sign: needs the recurrence
    lengths = torch.randint(3, 7, (32,), generator=generator)
    model = SequenceModel(spec.name, spec.build, dict(params), INPUT, (8, 8), 2, per_step=False,
                          directions=spec.directions(params), readout=readout, seq_len=6, inputs=spec.inputs)
    model.check_shapes(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, lengths), y)
        if not bool(torch.isfinite(loss)):
            fail(f"training loss became {loss.item()} inside SequenceModel; expected finite")
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    if not min(losses[-5:]) < 0.8 * losses[0]:
        fail(f"loss inside SequenceModel went from {losses[0]:.3f} to {losses[-1]:.3f} in 40 Adam steps on one "
             f"batch; expected it to fall by 20% or more")
