"""Optuna's hyperparameter importances per arm, from each arm's tuning study in the same storage.

``optuna.importance`` imports scikit-learn (about 2 s here), so it is imported only for an arm whose importances
can be computed (``MIN_TRIALS``, two parameters) and were not computed before from the same completed trials: a
written report remembers them in its folder (``importances.json``: each arm's with a digest of the trials they came
from); PED-ANOVA is deterministic, so the importances read back are the ones it would compute."""

from __future__ import annotations

import hashlib
import json
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from lossbench.results.schema import TUNE, study_name

MIN_TRIALS = 3  # fewer completed trials say nothing about importance
REMEMBERED = "importances.json"

Importances = dict[str, dict[str, float]]  # arm key -> {param: importance}
Record = dict[str, dict[str, Any]]  # arm key -> {"digest": its trials', "importances": {...} or None (none to say)}


def param_importances(name: str, storage: Any, arm_keys: list[str], known: Record | None = None
                      ) -> tuple[Importances, Record]:
    """(arm key -> {param: importance} for arms with at least MIN_TRIALS completed trials and 2+ parameters, the
    record to remember them by); an arm in ``known`` (a record read back) with the same trials is not computed."""
    studies = rated_studies(name, storage, arm_keys)
    record: Record = {}
    for key, study in studies.items():
        digest = trials_digest(study)
        before = (known or {}).get(key)
        if isinstance(before, dict) and before.get("digest") == digest and _importances(before.get("importances")):
            record[key] = {"digest": digest, "importances": before["importances"]}
        else:
            record[key] = {"digest": digest, "importances": _compute(study)}
    return {key: entry["importances"] for key, entry in record.items() if entry["importances"] is not None}, record


def _importances(value: Any) -> bool:
    """Whether ``value`` is what ``_compute`` returns: {param: importance} or None."""
    return value is None or (isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, float) for k, v in value.items()))


def _compute(study: Any) -> dict[str, float] | None:
    from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances

    try:
        with warnings.catch_warnings():  # PED-ANOVA on few trials warns that it can tell nothing apart: so be it
            warnings.simplefilter("ignore")
            return {k: float(v) for k, v in get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()).items()}
    except (RuntimeError, ValueError, ZeroDivisionError):
        return None  # e.g. a parameter with a single value: no importance to say


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


def trials_digest(study: Any) -> str:
    """What an arm's importances are computed from: its completed trials (number, parameters, their
    distributions, value), the study's direction, Optuna's version."""
    import optuna

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    text = json.dumps([metadata.version("optuna"), hashlib.sha256(Path(__file__).read_bytes()).hexdigest(), str(study.direction),
                       [[t.number, t.params, {p: repr(d) for p, d in t.distributions.items()}, t.value]
                        for t in trials]], default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def recalled(folder: Path) -> Record:
    """The record a written report left in ``folder`` (empty where there is none, or it cannot be read)."""
    try:
        found = json.loads((folder / REMEMBERED).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
