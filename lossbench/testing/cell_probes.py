"""check_cell's probes of what a cell declares beyond API 1.0: both directions (``CellSpec.bidirectional``), the
sequence lengths and an initial state (``CellSpec.inputs``). Each raises a one-line failure through ``fail``."""

from __future__ import annotations

from typing import Any

from lossbench.api.specs import CellSpec
from lossbench.testing.cell_run import HIDDEN, INPUT
from lossbench.testing.report import fail

ATOL, RTOL = 1e-6, 1e-5


def _steps_changed(a: Any, b: Any) -> list[int]:
    """The steps (of [B, T, W] outputs) where ``a`` and ``b`` differ beyond rounding."""
    import torch

    if a.shape[1] == 0:
        return []
    close = torch.isclose(a, b, atol=ATOL, rtol=RTOL).all(dim=2).all(dim=0)
    return [int(t) for t in (~close).nonzero().flatten()]


def both_directions(spec: CellSpec, params: dict[str, Any]) -> None:
    """Built with ``bidirectional=True``: [B, T, 2 * hidden], the forward half causal, the backward half
    anti-causal and starting at each sequence's last valid step; then it trains inside SequenceModel with the
    readout of every step."""
    import torch

    from lossbench.testing.cell_run import Cell, build, trains

    both = {**params, "bidirectional": True}
    cell = Cell(build(spec, both), spec, 2)
    generator = torch.Generator().manual_seed(6)
    x = torch.randn(2, 6, INPUT, generator=generator)
    with torch.no_grad():
        base = cell(x)
        if tuple(base.shape) != (2, 6, 2 * HIDDEN):
            fail(f"with bidirectional=true the output for input {[2, 6, INPUT]} is {list(base.shape)}; expected "
                 f"[B, T, 2 x hidden] = {[2, 6, 2 * HIDDEN]} (the forward direction's outputs, then the backward's)")
        for t in (1, 3, 4):
            changed = x.clone()
            changed[:, t] += 1.0 + torch.randn(2, INPUT, generator=generator)
            out = cell(changed)
            early = _steps_changed(out[:, :t, :HIDDEN], base[:, :t, :HIDDEN])
            if early:
                fail(f"with bidirectional=true the forward half (outputs 0..hidden-1) changed at step {early[0]} when "
                     f"the input at step {t} changed; expected the forward direction to see steps <= t only, its "
                     f"outputs first")
            late = _steps_changed(out[:, t + 1:, HIDDEN:], base[:, t + 1:, HIDDEN:])
            if late:
                fail(f"with bidirectional=true the backward half (outputs hidden..2 x hidden-1) changed at step "
                     f"{t + 1 + late[0]} when the input at step {t} changed; expected the backward direction to see "
                     f"steps >= t only, its outputs after the forward direction's")
            if not _steps_changed(out[:, :1, HIDDEN:], base[:, :1, HIDDEN:]):
                fail(f"with bidirectional=true the backward half at step 0 does not change when the input at step "
                     f"{t} changes; expected a backward direction reading the later steps")
    padding_ignored(cell)
    trains(spec, both, readout="all")


def padding_ignored(cell: Any) -> None:
    """Given ``lengths``, nothing after a sequence's length changes its valid outputs; None means every sequence
    fills T."""
    import torch

    generator = torch.Generator().manual_seed(7)
    x = torch.randn(2, 6, INPUT, generator=generator)
    lengths = torch.tensor([3, 6])
    with torch.no_grad():
        full = cell(x, torch.tensor([6, 6]))
        if _steps_changed(full, cell(x, None)):
            fail("the output with lengths None differs from the output with every length T; expected None to mean "
                 "that every sequence fills T")
        base = cell(x, lengths)
        changed = x.clone()
        changed[0, 3:] = 50.0 * torch.randn(3, INPUT, generator=generator)
        moved = _steps_changed(cell(changed, lengths)[:1, :3], base[:1, :3])
        if moved:
            fail(f"changing the padding after a sequence's length (3 of 6 steps) changed its output at valid step "
                 f"{moved[0]}; expected padding never to reach a valid step (a backward direction starts at each "
                 f"sequence's last valid step: lengths - 1)")


def state_used(cell: Any) -> None:
    """A cell that asks for an initial state starts from it: a different state changes the output at step 0."""
    import torch

    x = torch.randn(2, 4, INPUT, generator=torch.Generator().manual_seed(8))
    state = torch.randn(cell.directions, 2, HIDDEN, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        if not _steps_changed(cell(x, state=state)[:, :1], cell(x)[:, :1]):
            fail("declares inputs 'state', but its output at step 0 is the same from a random initial state as "
                 "from zeros; expected forward to start from the state it is given (or leave 'state' out of inputs)")


LONG = 1024  # steps of the long-sequence probe: a linear-space scan is NaN from about 150 steps in float32
BOUNDED = 1e4  # outputs within this before the first non-finite one: a numerical failure, not a growing state


def long_sequence(cell: Any) -> None:
    """A sequence of ``LONG`` steps gives finite outputs and finite gradients (to every parameter and input)."""
    import torch

    from lossbench.testing.report import Note

    x = torch.randn(2, LONG, INPUT, generator=torch.Generator().manual_seed(10)).requires_grad_(True)
    cell.module.zero_grad(set_to_none=True)
    out = cell(x)
    finite = torch.isfinite(out.detach()).all(dim=2).all(dim=0)
    if not bool(finite.all()):
        first = int((~finite).nonzero()[0])
        before = float(out.detach()[:, :first].abs().max()) if first else 0.0
        kind = "NaN" if bool(torch.isnan(out.detach()[:, first]).any()) else "infinite"
        if before <= BOUNDED:
            fail(f"on a sequence of {LONG} steps the output is {kind} from step {first} on, while every earlier "
                 f"output stayed within +-{before:.3g}; expected finite outputs at any length (a scan in linear "
                 f"space, h_t = A_t * cumsum(b_s / A_s), under- and overflows in float32 past about 150 steps: "
                 f"compute it in log space, or step by step)")
        raise Note(f"on a sequence of {LONG} steps the state grows without bound (|h| reached {before:.3g} before "
                   f"step {first}, then {kind}) at this initialisation: a run that long would diverge")
    out.pow(2).mean().backward()
    bad = [name for name, p in cell.module.named_parameters() if p.grad is not None
           and not bool(torch.isfinite(p.grad).all())]
    if x.grad is not None and not bool(torch.isfinite(x.grad).all()):
        bad.append("the input")
    cell.module.zero_grad(set_to_none=True)
    if bad:
        fail(f"on a sequence of {LONG} steps the outputs are finite but the gradients of {', '.join(bad)} are not; "
             f"expected finite gradients at any length (a backward pass through a scan in linear space, or a "
             f"division by a product of gates, overflows in float32)")


def batch_independent(cell: Any) -> None:
    """Changing one sequence of a batch changes no other sequence's output, and running the same batch twice gives
    the same outputs (no state carried across the batch, nor from one call to the next)."""
    import torch

    generator = torch.Generator().manual_seed(11)
    x = torch.randn(4, 6, INPUT, generator=generator)
    with torch.no_grad():
        base = cell(x)
        again = _steps_changed(cell(x), base)
        if again:
            fail(f"the same batch run twice gave different outputs (from step {again[0]}, in eval mode); expected "
                 f"no state kept from one call to the next")
        for b in range(4):
            changed = x.clone()
            changed[b] += 1.0 + torch.randn(6, INPUT, generator=generator)
            out = cell(changed)
            for other in (i for i in range(4) if i != b):
                steps = _steps_changed(out[other:other + 1], base[other:other + 1])
                if steps:
                    fail(f"not batch-independent: changing sequence {b} of a batch of 4 changed the output of "
                         f"sequence {other} (from step {steps[0]}); expected each sequence of a batch computed on its "
                         f"own (a state, a scan or a normalisation carried across the batch dimension mixes them)")
