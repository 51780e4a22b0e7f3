"""A run's state at the end of an epoch (``Checkpoint``): continued from it with the same or a larger epoch cap, a
run gives exactly the numbers it would have given trained straight (CPU, same threads): the model's and the
optimiser's state, every random generator a run draws from (torch's global one, which dropout uses, the run's
shuffling generator, numpy's and Python's), its patience counters and best epoch's weights, and its history so far
(epochs, gradient norms, clipped steps, flow profiles). Only the latest state and the best weights: its size does
not grow with the epochs but for the history's few numbers per step.

A remedy keeps what changes while it trains in the model's modules (a parameter or buffer of a module it adds,
as ``batch_norm``'s running statistics), never in attributes of its own: the model's state is all a checkpoint
holds of it. ``lossbench.testing.check_remedy`` checks that a remedy continued from a checkpoint trains on exactly
as before.

Serialised by ``torch.save`` as plain tensors and Python values, read back with ``weights_only=True``: loading
a checkpoint runs no code from it."""

from __future__ import annotations

import copy
import io
import random
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch

from lossbench.engine.config import RunConfig
from lossbench.errors import LossbenchError
from lossbench.results.run import EpochRecord

FORMAT = "lossbench.checkpoint/1"
CONTINUABLE = ("epochs", "threads", "device")  # what a continued run may change: the cap, and where it runs
_RECORD = [f.name for f in fields(EpochRecord)]


@dataclass
class Checkpoint:
    """A run after ``epoch`` finished epochs; ``to_bytes`` / ``from_bytes`` store it."""

    epoch: int
    config: dict[str, Any]  # the run's RunConfig.to_json()
    state: dict[str, Any]  # model, optimizer, rng: ``training_state``
    best: float | None = None  # with patience: the best validation objective so far, its epoch and its weights
    best_epoch: int | None = None
    best_model: dict[str, torch.Tensor] | None = None
    epochs: list[EpochRecord] = field(default_factory=list)  # the history: what the RunResult holds so far
    grad_norms: list[float] = field(default_factory=list)
    clipped_steps: int = 0
    flow: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float = 0.0  # training time up to this epoch's end, earlier continuations included

    def problem(self, config: RunConfig) -> str | None:
        """Why a run of ``config`` cannot continue from this checkpoint, or None."""
        if self.epoch < 1:
            return "the checkpoint holds no finished epoch"
        mine, theirs = self.config, config.to_json()
        differ = sorted(k for k in mine.keys() | theirs.keys() if k not in CONTINUABLE and mine.get(k) != theirs.get(k))
        if differ:
            return f"the checkpoint is of another run (it differs in {', '.join(differ)})"
        if config.epochs < self.epoch:
            return f"the checkpoint is at epoch {self.epoch}, past this run's cap of {config.epochs} epochs"
        return None

    def to_bytes(self) -> bytes:
        data = {name: getattr(self, name) for name in (f.name for f in fields(self))}
        data["epochs"] = [[getattr(e, n) for n in _RECORD] for e in self.epochs]
        data["grad_norms"] = torch.tensor(self.grad_norms, dtype=torch.float64)
        buffer = io.BytesIO()
        torch.save({"format": FORMAT, **data}, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        """A stored checkpoint back; a LossbenchError for anything else (loading runs no code from ``data``)."""
        try:
            loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as error:
            why = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            raise LossbenchError(f"not a lossbench checkpoint: {why}") from None
        if not isinstance(loaded, dict) or loaded.pop("format", None) != FORMAT:
            raise LossbenchError(f"not a lossbench checkpoint of format {FORMAT}")
        loaded["epochs"] = [EpochRecord(*values) for values in loaded["epochs"]]
        loaded["grad_norms"] = loaded["grad_norms"].tolist()
        return cls(**loaded)


def training_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator,
                   device: torch.device) -> dict[str, Any]:
    """A copy of what training changes: the model's state (its remedies' modules included), the optimiser's, and
    every random generator's."""
    keys, position, has_gauss, cached = np.random.get_state()[1:]
    rng = {"torch": torch.get_rng_state(), "generator": generator.get_state(), "python": random.getstate(),
           "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(position),
                     "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}}
    if device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return {"model": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "optimizer": copy.deepcopy(optimizer.state_dict()), "rng": rng}


def load_training_state(state: dict[str, Any], model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                        generator: torch.Generator, device: torch.device) -> None:
    """Put ``state`` (``training_state``'s) back into a model and optimiser built like the ones it was taken from."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"])
    generator.set_state(rng["generator"])
    random.setstate(_tuples(rng["python"]))
    numpy = rng["numpy"]
    np.random.set_state(("MT19937", numpy["keys"].numpy().astype(np.uint32), numpy["pos"], numpy["has_gauss"],
                         numpy["cached_gaussian"]))
    if device.type == "cuda" and "cuda" in rng:
        torch.cuda.set_rng_state(rng["cuda"], device)


def _tuples(value: Any) -> Any:
    """Python's random state with its tuples back (a round trip through storage may give lists)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value
