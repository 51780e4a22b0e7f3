"""check_remedy: each point of a Remedy runs on a small SequenceModel built from a compatible cell."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lossbench.api.remedy import ModelInfo, Remedy
from lossbench.api.specs import CellSpec, RemedySpec
from lossbench.testing.report import Note, Report, begin, fail
from lossbench.testing.threads import in_one_thread

FEATURES, CLASSES, STEPS, HIDDEN = 3, 4, 6, (8, 6)


@in_one_thread
def check_remedy(spec: RemedySpec, cell_spec: CellSpec | None = None, params: Mapping[str, Any] | None = None,
                 cell_params: Mapping[str, Any] | None = None) -> Report:
    """Check one remedy on ``cell_spec`` (with ``cell_params``), or on the first of the kit's own cells
    (:mod:`lossbench.testing.reference_cells`: fused rnn, gru, lstm) that it accepts. A ``cell_spec`` the remedy
    refuses by the declarations gives one note, ``refused: why``, and no failure."""
    checks, resolved = begin(spec, RemedySpec, "build", "build(**params) returning a lossbench.Remedy", params)
    if resolved is None:
        return checks.report
    ok, cell = checks.run("compatible cell", _pick_cell, spec, cell_spec, cell_params)
    if not ok or cell is None:  # None: refused by the declarations, a note that says why
        return checks.report
    cell, cell_resolved = cell
    ok, remedy = checks.run("build", _build, spec, resolved)
    if not ok:
        return checks.report
    ok, model = checks.run(f"on_model ({cell.name})", _on_model, remedy, cell, cell_resolved)
    if not ok:
        return checks.report
    ok, options = checks.run("optimizer_options", _optimizer_options, remedy, model)
    if not ok:
        return checks.report
    ok, _ = checks.run(f"penalty and after_backward ({cell.name})", _steps, remedy, model, options)
    if ok:
        checks.run("continues from a checkpoint", _continues, spec, resolved, cell, cell_resolved)
    return checks.report


def _pick_cell(spec: RemedySpec, cell_spec: CellSpec | None, cell_params: Mapping[str, Any] | None
               ) -> tuple[CellSpec, dict[str, Any]]:
    if cell_spec is not None:
        resolved = cell_spec.resolve(cell_params)
        reason = spec.incompatibility(cell_spec, resolved)
        if reason:  # what lossbench would refuse before training: nothing to check, and nothing wrong
            raise Note(f"refused: {reason}")
        return cell_spec, resolved
    from lossbench.testing.reference_cells import CANDIDATES

    reasons = []
    for cell, overrides in CANDIDATES:
        resolved = cell.resolve(overrides)
        reason = spec.incompatibility(cell, resolved)
        if reason is None:
            return cell, resolved
        reasons.append(reason)
    fail(f"accepts none of the kit's cells ({'; '.join(reasons)}); pass cell_spec= a cell it accepts")
    raise AssertionError  # unreachable


def _build(spec: RemedySpec, params: dict[str, Any]) -> Remedy:
    remedy = spec.build(**params)
    if not isinstance(remedy, Remedy):
        fail(f"build(**defaults) returned {type(remedy).__name__}; expected a lossbench.Remedy subclass instance")
    return remedy


def _batch() -> tuple[Any, Any, Any]:
    import torch

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(16, STEPS, FEATURES, generator=generator)
    y = torch.randint(0, CLASSES, (16,), generator=generator)
    lengths = torch.randint(2, STEPS + 1, (16,), generator=generator)
    lengths[0] = STEPS
    return x, y, lengths


def _on_model(remedy: Remedy, cell: CellSpec, cell_params: dict[str, Any]) -> Any:
    import torch

    from lossbench.engine.model import SequenceModel

    torch.manual_seed(0)
    model = SequenceModel(cell.name, cell.build, dict(cell_params), FEATURES, HIDDEN, CLASSES, per_step=False)
    info = ModelInfo(cell=cell.name, cell_params=dict(cell_params), hidden_sizes=HIDDEN, num_features=FEATURES,
                     num_classes=CLASSES, seq_len=STEPS, gates=tuple(cell.gates), gate_roles=dict(cell.gate_roles))
    returned = remedy.on_model(model, info)
    if returned is not None:
        fail(f"on_model returned {type(returned).__name__}; expected None (change the model in place)")
    bad = [name for name, p in model.named_parameters() if not bool(torch.isfinite(p).all())]
    if bad:
        fail(f"on_model left non-finite parameter(s) {', '.join(bad)}; expected finite weights")
    x, _, lengths = _batch()
    model.train()
    out = model(x, lengths)
    if tuple(out.shape) != (x.shape[0], CLASSES) or not bool(torch.isfinite(out).all()):
        fail(f"after on_model the model returns shape {list(out.shape)} (finite: {bool(torch.isfinite(out).all())}); "
             f"expected finite logits {[x.shape[0], CLASSES]}")
    return model


def _optimizer_options(remedy: Remedy, model: Any) -> dict[str, Any]:
    import torch

    given = {"lr": 1e-3}
    options = remedy.optimizer_options(dict(given))
    if not isinstance(options, dict):
        fail(f"optimizer_options returned {type(options).__name__}; expected the options dict")
    if options.get("lr") != given["lr"]:
        fail(f"optimizer_options dropped or changed lr ({given} -> {options}); expected it to keep lr")
    torch.optim.Adam(model.parameters(), **options)  # options an optimiser accepts
    return options


def _steps(remedy: Remedy, model: Any, options: dict[str, Any]) -> None:
    import torch

    _train(remedy, model, torch.optim.Adam(model.parameters(), **options), 3)


def _train(remedy: Remedy, model: Any, optimizer: Any, steps: int) -> None:
    import torch

    x, y, lengths = _batch()
    model.train()
    for step in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, lengths), y)
        penalty = remedy.penalty(model)
        if penalty is not None:
            if not isinstance(penalty, torch.Tensor) or penalty.numel() != 1:
                shape = list(penalty.shape) if isinstance(penalty, torch.Tensor) else type(penalty).__name__
                fail(f"penalty returned {shape}; expected None or a scalar tensor")
            if not bool(torch.isfinite(penalty).all()):
                fail(f"penalty is {penalty.item()}; expected None or a finite scalar")
            loss = loss + penalty.reshape(())
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        grad_norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
        changed = remedy.after_backward(model, grad_norm)
        if not isinstance(changed, bool):
            fail(f"after_backward returned {changed!r} ({type(changed).__name__}); expected True or False")
        bad = [n for n, p in model.named_parameters() if p.grad is not None and not bool(torch.isfinite(p.grad).all())]
        if bad:
            fail(f"gradients of {', '.join(bad)} are not finite after after_backward; expected finite")
        optimizer.step()
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            fail(f"parameters are not finite after {step + 1} optimiser step(s); expected finite")
    if not math.isfinite(float(loss.detach())):
        fail(f"the loss is {float(loss.detach())} after {steps} steps; expected finite")


def _continues(spec: RemedySpec, params: dict[str, Any], cell: CellSpec, cell_params: dict[str, Any]) -> None:
    """Two steps, a checkpoint (through its bytes), two more steps in a model and remedy built anew: the same
    model as four steps straight. What a remedy changes outside the model's modules is lost in a checkpoint."""
    import torch

    from lossbench.engine.checkpoint import Checkpoint, load_training_state, training_state

    def built() -> tuple[Remedy, Any, Any]:
        remedy = _build(spec, params)
        model = _on_model(remedy, cell, cell_params)
        return remedy, model, torch.optim.Adam(model.parameters(), **remedy.optimizer_options({"lr": 1e-2}))

    cpu, generator = torch.device("cpu"), torch.Generator()
    remedy, model, optimizer = built()
    _train(remedy, model, optimizer, 2)
    saved = Checkpoint(1, {}, training_state(model, optimizer, generator, cpu)).to_bytes()
    _train(remedy, model, optimizer, 2)
    again, continued, its_optimizer = built()
    load_training_state(Checkpoint.from_bytes(saved).state, continued, its_optimizer, generator, cpu)
    _train(again, continued, its_optimizer, 2)
    straight = model.state_dict()
    differ = [name for name, value in continued.state_dict().items() if not torch.equal(value, straight[name])]
    if differ:
        fail(f"continued from a checkpoint after 2 steps, {', '.join(differ[:3])} differ from 4 steps trained "
             f"straight: a remedy keeps what changes while it trains in the model's modules (a buffer of a module "
             f"it adds), not in attributes of its own, which a checkpoint does not hold (see lossbench.Remedy)")
