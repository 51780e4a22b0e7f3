"""The sampler and pruner of an arm's studies.

Every sampler gives a trial its slot's point (``slots``: the slot index is recorded on the trial when it is
taken), never one derived from Optuna's trial number or from which worker or start asks: a retry, a second
worker and a resume each get the point an uninterrupted run gives that slot, and never train one twice.

- ``screen`` (the default) gives every arm the same candidate points (see ``design``): with few trials an equal
  budget is then also an equal chance, instead of a lottery of which arm drew the better learning rate.
- ``grid``: the grid's points, shuffled once by the sampler seed, slot k taking point k (past the grid's size,
  its points again in the same order).
- ``random``: each slot's point drawn from a generator seeded by the sampler seed, the arm and the slot.
- ``qmc``: Optuna's QMC sequence with one seed per arm, slot k taking sample k (its first slots, before a trial
  has completed and fixed the space, are drawn as ``random`` draws them).
- ``tpe``: Optuna's TPE with a generator seeded per slot; its point depends on the finished trials it learns
  from too, so with several workers (which finish in the order they happen to) a resume, like a second run,
  may propose other points; with one worker it proposes the same.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any

from lossbench.api.params import Categorical
from lossbench.results.writer import slot_of
from lossbench.sweep.spec import Arm, SweepSpec


def make_sampler(spec: SweepSpec, arm: Arm, space: dict[str, Any]) -> Any:
    if spec.sampler == "screen":
        return screen_sampler(design(space, spec.trials, spec.sampler_seed))
    if spec.sampler == "grid":
        return screen_sampler(grid_points(space, spec.sampler_seed + arm.index))
    seed = (spec.sampler_seed + arm.index) % 2**32
    if spec.sampler == "random":
        return _slot_random(seed)
    if spec.sampler == "qmc":
        return _slot_qmc(seed)
    return _slot_tpe(seed, n_startup_trials=min(10, max(2, spec.trials // 3)))


def _slot_seed(seed: int, trial: Any, *more: int) -> int:
    """A seed for the slot of ``trial`` (and ``more``, such as a parameter's name), from the arm's ``seed``."""
    import numpy as np

    return int(np.random.SeedSequence([seed, _slot(trial), *more]).generate_state(1)[0])


def _slot(trial: Any) -> int:
    slot = slot_of(trial)
    if slot is None:
        raise RuntimeError(f"trial {trial.number} was sampled before its slot was recorded")
    return slot


def _slot_random(seed: int) -> Any:
    import optuna

    class SlotRandomSampler(optuna.samplers.RandomSampler):
        """Each parameter of a slot drawn from a generator of its own: the slot's point, in any order asked."""

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            drawn = optuna.samplers.RandomSampler(seed=_slot_seed(seed, trial, zlib.crc32(param_name.encode())))
            return drawn.sample_independent(study, trial, param_name, param_distribution)

    return SlotRandomSampler(seed=seed)


def _slot_qmc(seed: int) -> Any:
    import optuna

    class SlotQMCSampler(optuna.samplers.QMCSampler):
        """Slot k takes the sequence's sample k (Optuna counts asks in the study instead: a retry or a resume would
        take the next sample, and two workers at once may take the same)."""

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            self._next_slot = _slot(trial)
            return super().sample_relative(study, trial, search_space)

        def _find_sample_id(self, study: Any, search_space: dict[str, Any]) -> int:
            return self._next_slot

    with warnings.catch_warnings():  # "experimental" since Optuna 3.0: nothing the user can act on
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return SlotQMCSampler(seed=seed, independent_sampler=_slot_random(seed), warn_independent_sampling=False)


def _slot_tpe(seed: int, n_startup_trials: int) -> Any:
    import optuna
    from optuna.samplers._lazy_random_state import LazyRandomState

    class SlotTPESampler(optuna.samplers.TPESampler):
        """TPE whose generator is seeded by the slot before it draws (its start-up trials by ``random``'s rule)."""

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            if search_space:  # Optuna 5's TPE draws every parameter at once (multivariate)
                self._rng = LazyRandomState(_slot_seed(seed, trial))
            return super().sample_relative(study, trial, search_space)

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            self._rng = LazyRandomState(_slot_seed(seed, trial, zlib.crc32(param_name.encode())))
            self._random_sampler = _slot_random(seed)
            return super().sample_independent(study, trial, param_name, param_distribution)

    return SlotTPESampler(seed=seed, n_startup_trials=n_startup_trials)


def make_pruner(spec: SweepSpec) -> Any:
    import optuna

    if spec.pruner == "none" or spec.epochs < 2:
        return optuna.pruners.NopPruner()
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=spec.epochs, reduction_factor=3)
    # Few epochs: never judge a trial on its first epoch, and only once a few trials have finished.
    return optuna.pruners.MedianPruner(n_startup_trials=min(4, max(2, spec.trials // 4)), n_warmup_steps=2 if spec.epochs > 2 else 1)


def grid_points(space: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """Every point of a finite (categorical) space, shuffled by ``seed``: every worker of an arm, and every start,
    reads slot k as the same point."""
    import itertools

    import numpy as np

    keys = list(space)
    points = [dict(zip(keys, values)) for values in itertools.product(*(list(space[k].choices) for k in keys))]
    return [points[i] for i in np.random.default_rng(seed).permutation(len(points))]


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
    """A sampler that gives a trial the point at its slot's index (past the last point, from the first again)."""
    import optuna

    class ScreenSampler(optuna.samplers.BaseSampler):
        def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
            return {}

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            return {}

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            return points[_slot(trial) % len(points)][param_name]

    return ScreenSampler()
