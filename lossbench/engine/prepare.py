"""The engine's entry: ``prepare`` resolves and checks a run once (names, values, combinations, device, data,
the loss's fit to the loaded targets, the model's shapes), then ``fit`` trains it. Nothing is checked twice,
and every check that can fail runs before training starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from lossbench.api.data import Dataset
from lossbench.engine.checkpoint import Checkpoint
from lossbench.engine.config import ResolvedRun, RunConfig, check_loss_fits, resolve
from lossbench.engine.dataset import load_dataset
from lossbench.engine.loop import EpochCallback, StepCallback, Trainer
from lossbench.results.run import RunResult
from lossbench.errors import LossbenchError
from lossbench.registry import Registry, load_registry


@dataclass
class PreparedRun:
    """A resolved, checked run with its model built: ``fit`` trains it (once)."""

    run: ResolvedRun
    data: Dataset
    trainer: Trainer

    @property
    def config(self) -> RunConfig:
        return self.run.config

    def fit(self, on_epoch: EpochCallback | None = None, on_step: StepCallback | None = None,
            resume: Checkpoint | None = None) -> RunResult:
        """Train and measure. ``on_epoch`` returning True stops the run there: the result, status ``stopped``,
        holds the epochs it ran. A non-finite loss or gradient ends it as ``diverged``.

        ``resume``: a checkpoint of this run (``checkpoint()``, perhaps from another process through
        ``Checkpoint.to_bytes``), to continue from its epoch up to this run's cap: the result is the one a run
        trained straight to the cap gives (CPU, same threads), its history included; ``continued_from`` says
        where it resumed. A checkpoint of another run, or past the cap, is a LossbenchError."""
        return self.trainer.fit(on_epoch, on_step, resume)

    def checkpoint(self) -> Checkpoint | None:
        """The run at its last finished epoch (None before one finished), after ``fit`` returned or raised: a run
        stopped mid-epoch (``on_epoch`` or a signal raising) hands over the epoch before, never a partial one."""
        return self.trainer.last_checkpoint


def prepare(config: RunConfig, registry: Registry | None = None, data: Dataset | None = None) -> PreparedRun:
    """Resolve ``config`` against the registry and build everything it needs; one error for every problem.

    ``data`` may pass the dataset already loaded for this configuration (a sweep loads it once per worker)."""
    run = resolve(config, registry or load_registry())
    check_device(config.device)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    data = data if data is not None else load_dataset(run)
    check_loss_fits(run.loss, data.target_kind, run.dataset.name)
    return PreparedRun(run, data, Trainer(run, data))


def train(config: RunConfig | None = None, *, registry: Registry | None = None, on_epoch: EpochCallback | None = None,
          on_step: StepCallback | None = None, data: Dataset | None = None, resume: Checkpoint | None = None,
          **overrides: Any) -> RunResult:
    """Train one (dataset, cell, loss, remedies, hyperparameters, seed) and return what it measured.

    ``train(dataset="digits", cell="rnn", loss="bce", epochs=5)`` works too: ``prepare`` then ``fit`` (which
    ``resume`` is passed to)."""
    config = RunConfig.from_json({**(config or RunConfig()).to_json(), **overrides})
    return prepare(config, registry, data).fit(on_epoch, on_step, resume)


def check_device(device: str) -> None:
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise LossbenchError(f"device {device} was asked for, but torch sees no CUDA device here")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise LossbenchError(f"device {device} was asked for, but torch sees {torch.cuda.device_count()} GPU(s)")
