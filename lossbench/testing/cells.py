"""check_cell: what a CellSpec must do (shape, causality, a recurrence, gradients, its declared recurrent weight,
the global random generator left alone, trains in SequenceModel; what it declares of API 1.1: both directions,
lengths, an initial state, in ``cell_probes``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lossbench.api.specs import CellSpec
from lossbench.testing.cell_run import HIDDEN, INPUT
from lossbench.testing.report import Note, Report, begin, fail
from lossbench.testing.threads import in_one_thread

SHAPES = ((1, 1), (2, 7), (4, 3))


@in_one_thread
def check_cell(spec: CellSpec, params: Mapping[str, Any] | None = None) -> Report:
    """Check one cell; ``params`` override its defaults."""
    checks, resolved = begin(spec, CellSpec, "build", "build(input_size, hidden_size, **params) returning a torch "
                                                      "Module", params)
    if resolved is None:
        return checks.report
    from lossbench.testing import cell_probes
    from lossbench.testing.cell_run import Cell, build, trains

    ok, module = checks.run("build", build, spec, resolved)
    if not ok:
        return checks.report
    cell = Cell(module, spec, spec.directions(resolved))
    checks.run("seeds", _leaves_the_seed, spec, resolved)
    if checks.run("output shape", _shapes, cell)[0]:  # a wrong shape: one message, not one per check
        # sequences mixed across the batch would read as look-ahead or a recurrence: the step checks need them apart
        if checks.run("batch independence", cell_probes.batch_independent, cell)[0]:
            checks.run("causal", _causal, cell)
            checks.run("depends on earlier steps", _recurrent, cell)
        checks.run(f"long sequence ({cell_probes.LONG} steps)", cell_probes.long_sequence, cell)
        if "lengths" in spec.inputs:
            checks.run("padding ignored", cell_probes.padding_ignored, cell)
        if "state" in spec.inputs:
            checks.run("initial state used", cell_probes.state_used, cell)
        checks.run("trains in SequenceModel", trains, spec, resolved)
        checks.run("recurrent weight as declared", _weight_hh, module, spec)
    checks.run("gradients reach every parameter", _gradients, cell)
    if spec.bidirectional and cell.directions == 1:
        checks.run("both directions", cell_probes.both_directions, spec, resolved)
    return checks.report


def _leaves_the_seed(spec: CellSpec, params: dict[str, Any]) -> None:
    """Built and run from two different global seeds, the generator must end in two different states: a builder
    or forward pass that reseeds it gives every seed of a sweep the same weights (or the same dropout masks)."""
    import torch

    x = torch.randn(2, 3, INPUT, generator=torch.Generator().manual_seed(5))
    built, ran = [], []
    for seed in (1, 2):
        torch.manual_seed(seed)
        module = spec.build(INPUT, HIDDEN, **params)
        built.append(torch.get_rng_state())
        try:
            with torch.no_grad():
                module.train()(x)
        except Exception:  # a forward that fails is the shape check's to report, once
            ran = None
        if ran is not None:
            ran.append(torch.get_rng_state())
    torch.manual_seed(0)
    for stage, states in (("build", built), ("forward", ran or [])):
        if len(states) == 2 and torch.equal(states[0], states[1]):
            fail(f"{stage} reseeds torch's global random generator (from seeds 1 and 2 it ends in the same state): "
                 f"every seed gets the same {'initial weights' if stage == 'build' else 'random draws'}; expected "
                 f"{stage} to draw from the generator as it finds it (no torch.manual_seed inside it)")


def _shapes(cell: Any) -> None:
    import torch

    width = cell.width
    for batch, steps in SHAPES:
        x = torch.randn(batch, steps, INPUT)
        out = cell(x)
        if tuple(out.shape) != (batch, steps, width):
            hint = (" (the time dimension first? lossbench passes batch_first [B, T, F])"
                    if tuple(out.shape) == (steps, batch, width) else
                    " (only the last step? return every step's output)" if tuple(out.shape) == (batch, width) else "")
            both = " x 2 directions" if cell.directions == 2 else ""
            fail(f"output shape for input {[batch, steps, INPUT]} is {list(out.shape)}; expected "
                 f"[B, T, hidden{both}] = {[batch, steps, width]}{hint}")
        if not bool(torch.isfinite(out).all()):
            fail(f"output for input {[batch, steps, INPUT]} is not finite; expected finite outputs")


def _causal(cell: Any) -> None:
    """Step t sees steps <= t only (the forward half of a cell run both ways)."""
    import torch

    generator = torch.Generator().manual_seed(1)
    x = torch.randn(2, 6, INPUT, generator=generator)
    with torch.no_grad():
        base = cell.forward_half(cell(x))
        for t in (1, 3, 5):
            changed = x.clone()
            changed[:, t] += 1.0 + torch.randn(2, INPUT, generator=generator)
            out = cell.forward_half(cell(changed))
            if out.shape != base.shape:
                fail(f"output shape changed from {list(base.shape)} to {list(out.shape)} with the input's values")
            if not torch.allclose(out[:, :t], base[:, :t], atol=1e-6, rtol=1e-5):
                first = int((out[:, :t] - base[:, :t]).abs().amax(dim=(0, 2)).gt(1e-6).nonzero()[0])
                fail(f"not causal: changing the input at step {t} changed the output at step {first}; expected "
                     f"step t to see steps <= t only (no look-ahead; a cell that runs both ways declares "
                     f"bidirectional=True and a parameter bidirectional)")


def _recurrent(cell: Any) -> None:
    """The output at step t must change when the inputs before t change: else the cell has no recurrence (or
    computes one and drops the state)."""
    import torch

    generator = torch.Generator().manual_seed(4)
    x = torch.randn(2, 6, INPUT, generator=generator)
    with torch.no_grad():
        base = cell.forward_half(cell(x))
        for t in range(1, x.shape[1]):
            changed = x.clone()
            changed[:, :t] += 1.0 + torch.randn(2, t, INPUT, generator=generator)
            if torch.allclose(cell.forward_half(cell(changed))[:, t], base[:, t], atol=1e-7, rtol=0):
                fail(f"the output at step {t} does not change when the inputs at steps 0..{t - 1} change; expected a "
                     f"recurrence: each step's output depends on earlier steps through a state carried from step "
                     f"to step")


def _gradients(cell: Any) -> None:
    import torch

    module = cell.module
    module.zero_grad(set_to_none=True)
    x = torch.randn(4, 5, INPUT, generator=torch.Generator().manual_seed(2))
    out = cell(x)
    (out ** 2).sum().backward()
    names = [name for name, p in module.named_parameters() if p.requires_grad]
    missing = [name for name, p in module.named_parameters()
               if p.requires_grad and (p.grad is None or not bool(p.grad.abs().sum() > 0))]
    bad = [name for name, p in module.named_parameters() if p.grad is not None and not bool(torch.isfinite(p.grad).all())]
    module.zero_grad(set_to_none=True)
    if not names:
        fail("has no trainable parameters; expected a cell with weights to train")
    if missing:
        fail(f"no gradient reaches parameter(s) {', '.join(missing)}; expected every parameter to get a gradient")
    if bad:
        fail(f"gradient of parameter(s) {', '.join(bad)} is not finite; expected finite gradients")


def _weight_hh(module: Any, spec: CellSpec) -> None:
    """The ``weight_hh*`` parameters have the layout ``spec.recurrent_weight`` declares (the remedies trust it)."""
    names = [name for name, _ in module.named_parameters()]
    hh = [(n, p) for n, p in module.named_parameters() if n.rpartition(".")[2].startswith("weight_hh")]
    declared = spec.recurrent_weight
    if declared is None:
        if hh:
            raise Note(f"declares recurrent_weight=None but has {', '.join(n for n, _ in hh)}; declare its layout "
                       f"(\"matrix\" or \"vector\") to let initialisation remedies act on it")
        return
    if not hh:
        raise Note(f"no parameter named weight_hh* (has {', '.join(names) or 'none'}); declare "
                   f"recurrent_weight=None, so that initialisation remedies (orthogonal_init, identity_init) refuse "
                   f"this cell before training instead of failing in it")
    rows = len(spec.gates) * HIDDEN
    expected = [rows, HIDDEN] if declared == "matrix" else [rows]  # each direction's own
    for name, weight in hh:
        if list(weight.shape) != expected:
            fail(f"recurrent weight {name} has shape {list(weight.shape)}; recurrent_weight={declared!r} with "
                 f"gates {spec.gates} means {expected}: declare the layout it has (\"matrix\", \"vector\" or None)")
