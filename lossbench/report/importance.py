"""Optuna's hyperparameter importances per arm, from each arm's tuning study in the same storage.

``optuna.importance`` imports scikit-learn (about 2 s here), so it is imported only when an arm has enough
completed trials for an importance to be computed at all."""

from __future__ import annotations

import warnings
from typing import Any

from lossbench.results.schema import TUNE, study_name

MIN_TRIALS = 3  # fewer completed trials say nothing about importance


def param_importances(name: str, storage: Any, arm_keys: list[str]) -> dict[str, dict[str, float]]:
    """arm key -> {param: importance} for arms with at least MIN_TRIALS completed trials and 2+ parameters."""
    studies = rated_studies(name, storage, arm_keys)
    if not studies:
        return {}
    from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances

    out: dict[str, dict[str, float]] = {}
    for key, study in studies.items():
        try:
            with warnings.catch_warnings():  # PED-ANOVA on few trials warns that it can tell nothing apart: so be it
                warnings.simplefilter("ignore")
                out[key] = {k: float(v) for k, v in get_param_importances(
                    study, evaluator=PedAnovaImportanceEvaluator()).items()}
        except (RuntimeError, ValueError, ZeroDivisionError):
            continue  # e.g. a parameter with a single value: no importance to say
    return out


def rated_studies(name: str, storage: Any, arm_keys: list[str]) -> dict[str, Any]:
    """arm key -> its tuning study, for the arms whose importances can be computed: MIN_TRIALS completed trials
    or more, over 2 parameters or more."""
    import optuna

    found: dict[str, Any] = {}
    known = set(optuna.get_all_study_names(storage))
    for key in arm_keys:
        study_id = study_name(name, key, TUNE)
        if study_id not in known:
            continue
        study = optuna.load_study(study_name=study_id, storage=storage)
        trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(trials) >= MIN_TRIALS and len({p for t in trials for p in t.params}) >= 2:
            found[key] = study
    return found
