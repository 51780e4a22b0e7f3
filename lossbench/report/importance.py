"""Optuna's hyperparameter importances per arm, from each arm's tuning study in the same storage."""

from __future__ import annotations

import warnings
from typing import Any

from lossbench.results.schema import TUNE, study_name

MIN_TRIALS = 3  # fewer completed trials say nothing about importance


def param_importances(name: str, storage: Any, arm_keys: list[str]) -> dict[str, dict[str, float]]:
    """arm key -> {param: importance} for arms with at least MIN_TRIALS completed trials and 2+ parameters."""
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances

    out: dict[str, dict[str, float]] = {}
    known = set(optuna.get_all_study_names(storage))
    for key in arm_keys:
        study_id = study_name(name, key, TUNE)
        if study_id not in known:
            continue
        study = optuna.load_study(study_name=study_id, storage=storage)
        trials = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
        params = {p for t in trials for p in t.params}
        if len(trials) < MIN_TRIALS or len(params) < 2:
            continue
        try:
            with warnings.catch_warnings():  # PED-ANOVA on few trials warns that it can tell nothing apart: so be it
                warnings.simplefilter("ignore")
                out[key] = {k: float(v) for k, v in get_param_importances(
                    study, evaluator=PedAnovaImportanceEvaluator()).items()}
        except (RuntimeError, ValueError, ZeroDivisionError):
            continue  # e.g. a parameter with a single value: no importance to say
    return out
