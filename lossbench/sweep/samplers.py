"""The sampler and pruner of an arm's studies, seeded so that a one-worker sweep is reproducible."""

from __future__ import annotations

from typing import Any

from lossbench.api.params import Categorical
from lossbench.sweep.spec import Arm, SweepSpec

WORKER_SEED_STRIDE = 1000  # worker k samples with sampler_seed + arm + 1000 k


def make_sampler(spec: SweepSpec, arm: Arm, space: dict[str, Any], worker_index: int) -> Any:
    import optuna

    seed = spec.sampler_seed + arm.index + WORKER_SEED_STRIDE * worker_index
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.sampler == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)
    if spec.sampler == "grid":  # one seed for every worker: see _grid_sampler
        grid = {k: list(p.choices) for k, p in space.items() if isinstance(p, Categorical)}
        return _grid_sampler(grid, spec.sampler_seed + arm.index)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, spec.trials // 3)))


def make_pruner(spec: SweepSpec) -> Any:
    import optuna

    if spec.pruner == "none" or spec.epochs < 2:
        return optuna.pruners.NopPruner()
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=spec.epochs, reduction_factor=3)
    # Few epochs: never judge a trial on its first epoch, and only once a few trials have finished.
    return optuna.pruners.MedianPruner(n_startup_trials=min(4, max(2, spec.trials // 4)), n_warmup_steps=2 if spec.epochs > 2 else 1)


def _grid_sampler(grid: dict[str, list[Any]], seed: int) -> Any:
    """Optuna's GridSampler, without its ``study.stop()`` once the grid is covered: that only works inside
    ``Study.optimize``, and with ask/tell it raised after each arm's last grid point. The sweep's own budget
    decides when an arm is done (trials past the grid's size revisit points of it).

    The sampler shuffles its grid with ``seed`` and stores only a point's index in the trial, so every worker
    of an arm must shuffle alike: with a seed per worker, two workers read the same index as different points
    and a grid sweep with ``--workers 2`` tried one learning rate twice and another never."""
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return AskTellGridSampler(grid, seed=seed)
