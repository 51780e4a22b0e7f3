"""Write a sweep's stored schema (see ``schema``): the spec study's attributes and every trial attribute.

The sweep calls these and nothing else to store what it knows, so the reader and the writer share one schema.
``trial`` is an Optuna ``Trial`` (what ``study.ask()`` returns); attributes of a finished or foreign trial go
through the storage by id.
"""

from __future__ import annotations

from typing import Any

from lossbench.results.schema import (ATTR_ARM, ATTR_BEST_TRIAL, ATTR_CAP, ATTR_CHECKPOINT, ATTR_CONTINUES,
                                      ATTR_DIVERGED_AT, ATTR_ERROR, ATTR_IMPROVING, CAPS_ATTR, ATTR_PARAMS, ATTR_PHASE, ATTR_RESULT, ATTR_RETRY_OF, ATTR_RUNGS, ATTR_SEED, ATTR_SLOT, ATTR_STATUS,
                                      ATTR_SURPLUS, ATTR_TIMING, ATTR_WORKER, PROVENANCE_ATTR, RACE_ATTR, SPEC_ATTR,
                                      finite_json, spec_study)


def open_study(storage: Any, name: str, *, direction: str = "minimize", pruner: Any = None) -> Any:
    """The study ``name``, created only where storage lacks it: Optuna's ``create_study(load_if_exists=True)``
    appends a creation line to a journal on every call, even for a study that exists (every start of a finished
    sweep added one per study)."""
    import optuna

    try:
        storage.get_study_id_from_name(name)
    except KeyError:
        return optuna.create_study(study_name=name, storage=storage, direction=direction, pruner=pruner,
                                   load_if_exists=True)
    return optuna.load_study(study_name=name, storage=storage, pruner=pruner)


def record_spec(study: Any, spec: dict[str, Any], provenance: dict[str, Any]) -> None:
    study.set_user_attr(SPEC_ATTR, finite_json(spec))
    study.set_user_attr(PROVENANCE_ATTR, finite_json(provenance))


def stored_spec(study: Any) -> dict[str, Any] | None:
    return study.user_attrs.get(SPEC_ATTR)


def record_caps(study: Any, caps: dict[str, Any]) -> None:
    """The run options and caps in force (the spec study's ``caps``: the latest a start gave, a cap never lower)."""
    study.set_user_attr(CAPS_ATTR, finite_json(caps))


def record_race_if_newer(storage: Any, name: str, race: dict[str, Any]) -> bool:
    """Record the race's state unless the stored one is further on the same plan (a worker slow to write what it
    replayed must not overwrite what another wrote since); whether it was recorded."""
    import optuna

    study = optuna.load_study(study_name=spec_study(name), storage=storage)
    stored = study.user_attrs.get(RACE_ATTR) or {}
    further = len(stored.get("looks") or []) > len(race.get("looks") or []) or (stored.get("over") and not race.get("over"))
    if stored.get("plan") == race.get("plan") and further:
        return False
    study.set_user_attr(RACE_ATTR, finite_json(race))
    return True


def record_taken(storage: Any, trial_id: int, worker: dict[str, Any]) -> None:
    storage.set_trial_user_attr(trial_id, ATTR_WORKER, worker)


def record_surplus(trial: Any) -> None:
    """A taken slot over its phase's quota; the caller tells it FAIL."""
    trial.set_user_attr(ATTR_SURPLUS, True)


def record_lost(storage: Any, trial_id: int, status: str = "lost", error: str | None = None) -> None:
    """A RUNNING trial failed with ``status`` and why: its worker is gone (``lost``, retried), was stopped by a
    signal (``interrupted``, retried), or died once too often (``failed``). Which one is ``sweep.slots``' call;
    raises UpdateFinishedTrialError if the trial has finished."""
    from optuna.trial import TrialState

    storage.set_trial_user_attr(trial_id, ATTR_STATUS, status)
    if error is not None:
        storage.set_trial_user_attr(trial_id, ATTR_ERROR, error)
    storage.set_trial_state_values(trial_id, TrialState.FAIL)


def record_timeout(storage: Any, trial_id: int, limit: float) -> None:
    """A RUNNING trial past its time limit: failed as ``timeout`` with why (raises UpdateFinishedTrialError if it
    has finished meanwhile). Not retried: the same slot would most likely hang again."""
    from optuna.trial import TrialState

    storage.set_trial_user_attr(trial_id, ATTR_STATUS, "timeout")
    storage.set_trial_user_attr(trial_id, ATTR_ERROR, f"TimeoutError: the trial ran past trial_timeout ({limit:g} s) "
                                                      f"and its worker was stopped")
    storage.set_trial_state_values(trial_id, TrialState.FAIL)


SLOT_ATTRS = (ATTR_ARM, ATTR_PHASE, ATTR_SLOT, ATTR_SEED, ATTR_PARAMS, ATTR_BEST_TRIAL, ATTR_CHECKPOINT)


def retry_attrs(lost: Any) -> dict[str, Any]:
    """The user attrs a retry of the frozen trial ``lost`` starts with (a continuation's retry goes on continuing
    the same run to the same cap)."""
    keep = {k: lost.user_attrs[k] for k in (*SLOT_ATTRS, ATTR_CONTINUES, ATTR_CAP)
            if k in lost.user_attrs}  # the checkpoint it continues from
    return {**keep, ATTR_RETRY_OF: lost.number}


def continuation_attrs(finished: Any, cap: int) -> dict[str, Any]:
    """The user attrs of the trial that continues the finished trial ``finished``'s run to ``cap`` (its slot,
    seed, params and the checkpoint of its stop; ``lossbench.results.chains``)."""
    keep = {k: finished.user_attrs[k] for k in SLOT_ATTRS if k in finished.user_attrs}
    return {**keep, ATTR_CONTINUES: finished.number, ATTR_CAP: int(cap)}


def continues_of(trial: Any) -> int | None:
    """The trial whose run ``trial`` continues, if it is a continuation."""
    return trial.user_attrs.get(ATTR_CONTINUES)


def cap_attr(trial: Any) -> int | None:
    """The cap a continuation (or its retry) was enqueued with."""
    return trial.user_attrs.get(ATTR_CAP)


def seed_of(trial: Any) -> int | None:
    """The seed a trial was given (a retry carries it before it starts)."""
    return trial.user_attrs.get(ATTR_SEED)


def checkpoint_of(trial: Any) -> dict[str, Any] | None:
    """The link to the run's latest checkpoint: {id, epoch, bytes} (a retry carries its interrupted trial's)."""
    return trial.user_attrs.get(ATTR_CHECKPOINT)


def record_checkpoint(trial: Any, link: dict[str, Any]) -> None:
    trial.set_user_attr(ATTR_CHECKPOINT, link)


def record_slot(trial: Any, slot: int) -> None:
    """The slot a taken trial runs (its seed and point are the slot's); the caller's ``Trial``, whose samplers then
    read it."""
    trial.set_user_attr(ATTR_SLOT, slot)


def slot_of(trial: Any) -> int | None:
    """The slot a trial runs, once taken (a retry carries it from the trial it retries)."""
    return trial.user_attrs.get(ATTR_SLOT)


def record_start(trial: Any, arm: str, phase: str, seed: int, params: dict[str, Any] | None = None,
                 best_trial: int | None = None, cap: int | None = None) -> None:
    """What the trial runs: its arm, phase, seed and epoch cap; in the final phase, the tuned params and where they
    came from."""
    trial.set_user_attr(ATTR_ARM, arm)
    trial.set_user_attr(ATTR_PHASE, phase)
    trial.set_user_attr(ATTR_SEED, seed)
    if cap is not None:
        trial.set_user_attr(ATTR_CAP, int(cap))
    if params is not None:
        trial.set_user_attr(ATTR_PARAMS, finite_json(params))
    if best_trial is not None:
        trial.set_user_attr(ATTR_BEST_TRIAL, best_trial)


def record_rungs(trial: Any, rungs: tuple[int, ...]) -> None:
    """The halving schedule a tuning trial belongs to (``lossbench.results.halving``)."""
    trial.set_user_attr(ATTR_RUNGS, [int(cap) for cap in rungs])


def record_outcome(trial: Any, status: str, seconds: float, *, result: dict[str, Any] | None = None,
                   error: str | None = None, diverged_at: dict[str, Any] | None = None,
                   improving: bool | None = None) -> None:
    """How the trial ended: status (completed, pruned, diverged, failed), its result or error, its timing, and for a
    completed run whether it reached its cap still improving (it may be continued)."""
    attrs: dict[str, Any] = {ATTR_STATUS: status, ATTR_TIMING: {"train_seconds": seconds}}
    if improving is not None:
        attrs[ATTR_IMPROVING] = improving
    if result is not None:
        attrs[ATTR_RESULT] = result
    if error is not None:
        attrs[ATTR_ERROR] = error
    if diverged_at:
        attrs[ATTR_DIVERGED_AT] = diverged_at
    for key, value in attrs.items():
        trial.set_user_attr(key, finite_json(value))
