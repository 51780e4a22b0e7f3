"""What the halving benchmarks share (halving_tune.py, halving_converge.py, halving_speed.py): the default
quickstart's arms with their screen points, a run of one arm trained epoch by epoch with the engine's Python API
(one torch thread, every epoch: no patience stop), and the patience rule replayed on a recorded curve.

A curve trained straight to N epochs holds every shorter run of the same configuration and seed: a run stopped at
e < N and continued from its checkpoint gives the same numbers (lossbench.engine.checkpoint), so schedules and
caps are read off the curves; halving_tune.py --verify checks that claim on real checkpoints.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import torch

from lossbench.convergence import MIN_DELTA, PATIENCE, improved, stops
from lossbench.engine import RunConfig, load_dataset, prepare, resolve
from lossbench.registry import load_registry
from lossbench.sweep.presets import QUICKSTART
from lossbench.sweep.samplers import design
from lossbench.sweep.space import arm_space
from lossbench.sweep.trial import run_config

SPEC = QUICKSTART.spec
CHANCE = 0.1  # mnist1d has 10 balanced classes


def quickstart_arms(registry: Any) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(arm, its screen points in trial order) for every arm of the default quickstart."""
    return [(arm, design(arm_space(SPEC, arm, registry), SPEC.trials, SPEC.sampler_seed)) for arm in SPEC.arms]


def config_for(arm: Any, params: dict[str, Any], seed: int, epochs: int) -> RunConfig:
    """The quickstart's run of ``arm`` at ``params`` (keyed like the space) and ``seed``, trained for exactly
    ``epochs`` epochs (no patience stop: the rule is replayed on the curve), one thread, no flow profiles."""
    config = run_config(SPEC, arm, params, seed, flow_profile=False, threads=1)
    return dataclasses.replace(config, epochs=epochs, patience=None, min_epochs=None)


class Runner:
    """Trains configurations of the quickstart's dataset, loaded once."""

    def __init__(self) -> None:
        torch.set_num_threads(1)
        self.registry = load_registry()
        self._data = None

    def prepare(self, config: RunConfig) -> Any:
        if self._data is None:
            self._data = load_dataset(resolve(config, self.registry))
        return prepare(config, self.registry, self._data)

    def curve(self, config: RunConfig, with_test: bool = False) -> dict[str, Any]:
        """Train ``config`` epoch by epoch: validation accuracy per epoch (and test accuracy, with ``with_test``),
        wall seconds per epoch (the engine's, validation included), CPU seconds of the whole fit, the status."""
        run = self.prepare(config)
        test: list[float] = []

        def on_epoch(record: Any) -> None:
            if with_test:
                test.append(run.trainer._evaluate(run.trainer.test_set)["accuracy"])  # a benchmark may peek

        cpu = time.process_time()
        result = run.fit(on_epoch)
        cpu = time.process_time() - cpu
        return {"val": [e.val_accuracy for e in result.epochs], "test": test if with_test else None,
                "seconds": [e.seconds for e in result.epochs], "cpu_seconds": cpu, "status": result.status}


def best_epoch(values: list[float], upto: int) -> int | None:
    """The best epoch (1-based) of ``values[:upto]`` as the engine tracks it (an improvement beats the best so far
    by more than MIN_DELTA): the epoch whose weights a run capped at ``upto`` is tested with."""
    best, at = None, None
    for epoch, value in enumerate(values[:upto], start=1):
        if value is not None and math.isfinite(value) and improved(value, best, True, MIN_DELTA):
            best, at = value, epoch
    return at


def patience_stop(values: list[float], cap: int, patience: int = PATIENCE) -> tuple[int, int | None, bool]:
    """(the epoch at which the engine's patience rule stops a run of this curve with cap ``cap``, its best epoch,
    whether it plateaued): patience 5, min delta 0.002, no stop before 10 epochs; a curve that ends early
    (diverged) stops at its end."""
    last = min(cap, len(values))
    for epoch in range(1, last + 1):
        at = best_epoch(values, epoch)
        if stops(epoch, at or 0, patience):
            return epoch, at, True
    return last, best_epoch(values, last), False


def value_at(values: list[float], upto: int) -> float:
    """The tuning objective of a run capped at ``upto``: validation accuracy at its best epoch (0: diverged before
    any epoch, as the sweep scores it)."""
    at = best_epoch(values, upto)
    return values[at - 1] if at else 0.0


def tuned_params(path: str) -> dict[str, dict[str, Any]]:
    """{arm key: its tuned parameters} from a sweep's results.json (``leaderboard``) or halving_tune.py's JSON
    (``arms``), each entry with ``arm`` and ``best_params``."""
    document = json.loads(Path(path).read_text())
    entries = document.get("arms") or document.get("leaderboard") or []
    return {e["arm"]: e["best_params"] for e in entries if e.get("best_params")}


def save(path: str | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data))


def lr_label(params: dict[str, Any]) -> str:
    rest = ", ".join(f"{k.split('.')[-1]} {v:.3g}" for k, v in sorted(params.items()) if k != "lr")
    return f"lr {params['lr']:.2g}" + (f" ({rest})" if rest else "")
