"""The sampler and pruner of an arm's studies.

The default sampler, ``screen``, gives every arm the same candidate points (see ``design``): with few trials an
equal budget is then also an equal chance, instead of a lottery of which arm drew the better learning rate. A
trial's point is the one at its slot's index (the non-failed trials numbered below it), so workers, a second
start and a resume each take the next point and never train one twice. Seeded samplers (tpe, random, qmc) are
seeded per start too (with how many trials the study already holds), so a resume does not repeat its first
points."""

from __future__ import annotations

from typing import Any

from lossbench.api.params import Categorical
from lossbench.sweep.spec import Arm, SweepSpec

WORKER_SEED_STRIDE = 1000  # worker k samples with sampler_seed + arm + 1000 k


START_SEED_STRIDE = 1_000_003  # and + that times the trials already stored, so a resume draws other points


def make_sampler(spec: SweepSpec, arm: Arm, space: dict[str, Any], worker_index: int, stored_trials: int = 0) -> Any:
    import optuna

    if spec.sampler == "screen":
        return screen_sampler(design(space, spec.trials, spec.sampler_seed))
    seed = (spec.sampler_seed + arm.index + WORKER_SEED_STRIDE * worker_index
            + START_SEED_STRIDE * stored_trials) % 2**32
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


def design(space: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` points of ``space``, the same for every arm with the same parameters: a Latin hypercube whose
    learning rate takes the centres of ``n`` equal strata of its (log) range in van der Corput order, so that
    the first k points already spread over the range; every other parameter's strata are shuffled with a
    generator seeded by ``seed`` and the parameter's name (not by the arm)."""
    import zlib

    import numpy as np

    from lossbench.api.params import Float, Int

    points: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, param in space.items():
        if key == "lr":
            order = _van_der_corput_order(n)
        else:
            order = list(np.random.default_rng([seed, zlib.crc32(key.encode())]).permutation(n))
        for point, stratum in zip(points, order):
            point[key] = _value(param, (stratum + 0.5) / n, stratum, Float, Int)
    return points


def _value(param: Any, u: float, stratum: int, Float: Any, Int: Any) -> Any:
    import math

    if isinstance(param, Categorical):
        return list(param.choices)[stratum % len(param.choices)]
    if param.log:
        value = math.exp(math.log(param.low) + u * (math.log(param.high) - math.log(param.low)))
    else:
        value = param.low + u * (param.high - param.low)
    return int(min(param.high, max(param.low, round(value)))) if isinstance(param, Int) else float(value)


def _van_der_corput_order(n: int) -> list[int]:
    """The strata 0..n-1 in the order the base-2 van der Corput sequence first visits them."""
    order: list[int] = []
    k = 1  # 1/2 first: the middle of the range, then the quarters, ...; stratum 0 comes when the sequence gets there
    while len(order) < n:
        v, f, i = 0.0, 0.5, k
        while i:
            v, i, f = v + f * (i & 1), i >> 1, f / 2
        stratum = int(v * n)
        if stratum not in order:
            order.append(stratum)
        k += 1
        if k > 64 * n:  # every stratum is visited well before; this only guards the loop
            order += [s for s in range(n) if s not in order]
    return order


def screen_sampler(points: list[dict[str, Any]]) -> Any:
    """A sampler that gives a trial the point at its slot's index."""
    import optuna

    class ScreenSampler(optuna.samplers.BaseSampler):
        def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
            return {}

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            return {}

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            from optuna.trial import TrialState

            index = sum(1 for t in study.get_trials(deepcopy=False)
                        if t.number < trial.number and t.state != TrialState.FAIL)
            return points[index % len(points)][param_name]

    return ScreenSampler()
