"""The life of a trial slot: the whole protocol by which any number of workers, on any number of machines and
starts, keep every phase's quota of slots exact (tuning: ``trials``; final: ``seeds``, or the race's allowance).

1. **Taken.** A worker takes a slot with ``study.ask()`` (a queued retry first, else a new trial), records itself
   on it (host, pid, start time; see ``recovery.identity``), then counts the slots the trials numbered below it that
   are not FAIL hold. At or over the phase's quota the slot is **surplus**: marked, told FAIL, never run. Otherwise it
   takes the lowest slot index no lower non-FAIL trial holds (a retry or a continuation keeps the slot it carries)
   and records it. A slot's
   seed and its sampler's point are the slot's (``spec.slot_seed``, ``samplers``), never Optuna's trial number:
   a retry gets a new number, so anything derived from the number would shift every later trial of its arm, and
   a resume would train other numbers than an uninterrupted run.
2. **Run.** It trains and ends completed, pruned, diverged or failed (a plugin raised; ``trial``). On a database a
   heartbeat proves its worker alive meanwhile; a worker that finds its slot finished by another (its heartbeat
   went stale while it was paused, and the slot was failed and retried elsewhere) drops it (``taken_over``).
3. **Released** (``release``). Stopped by a signal, the worker marks its slot ``interrupted`` and queues a retry
   (same parameters, same seed), so the next start reruns it. Not counted against the slot: the user stopped it.
4. **Lost** (``lose``). A slot whose worker process died (SIGKILL from the out-of-memory killer, a crash in C) is
   marked ``lost`` with why, by whoever sees it first: the supervising parent, which knows the exit status
   (``lost_with_worker``), or any worker on the same host, which knows only that the pid is gone (``recover``),
   or on a database any worker, which sees its heartbeat stale. A retry is queued, at most ``MAX_LOST_RETRIES`` times in a row: the
   next loss fails the slot for good (status ``failed``, with why), so a trial that kills its process every time
   costs its arm that slot, never the sweep.
5. **Continued** (``sweep.continuation``). A slot whose run finished at its cap still improving, when its cap is
   raised, runs on in a continuation trial of the same study (``results.chains``), taken like a retry.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from lossbench.results import writer
from lossbench.results.chains import PENDING, cap_of, state_of
from lossbench.results.phase import FAIL, RUNNING
from lossbench.results.schema import ATTR_RETRY_OF, ATTR_STATUS, ATTR_WORKER
from lossbench.sweep.processes import died_how
from lossbench.sweep.recovery import alive, owner_dead
from lossbench.sweep.spec import seed_slot

# A trial whose process dies is retried twice: once for bad luck (another process took the memory, the machine
# rebooted), once more to be sure; a third death in a row says it is the trial (too big for this machine, a
# plugin crashing in C) and retrying again would only stop the sweep at every start.
MAX_LOST_RETRIES = 2
SLOT_WAIT_SECONDS = 30  # how long a taken slot waits for a concurrent one's index to appear
ORPHAN_SECONDS = 60  # a RUNNING journal trial with no worker recorded for this long is taken as dead
VANISHED = "its worker process vanished while running it (killed by a signal: SIGKILL, out of memory?)"
STALE = "its worker's heartbeat stopped past the grace period (the process killed, out of memory?, or paused)"


def take(study: Any, storage: Any, quota: int, worker: dict[str, Any], heartbeat: bool,
         phase: str) -> tuple[Any, int] | None:
    """A new trial within the quota and its slot index (recorded on it); None (the slot told FAIL as surplus)
    when the quota is already taken, or a concurrent slot's index never appeared. A trial that carries its slot
    (a retry, a continuation) keeps it, unless a lower trial of that slot is pending or reached its cap already
    (a continuation enqueued twice by two workers at one look): then it is surplus."""
    trial = study.ask()
    writer.record_taken(storage, trial._trial_id, worker)
    if heartbeat:
        storage.record_heartbeat(trial._trial_id)
    lower = lower_trials(study, trial)
    carried = writer.slot_of(trial)
    if carried is not None:
        slot = None if _duplicate(trial, carried, lower) else carried
    else:
        slot = None if _slots_held(lower, phase) >= quota else _free_slot(study, trial, lower, phase)
    if slot is None:
        surplus(study, trial)
        return None
    writer.record_slot(trial, slot)
    return trial, slot


def _slots_held(lower: list[Any], phase: str) -> int:
    """The slots the (non-FAIL) trials in ``lower`` hold: a slot's continuations are one slot."""
    held = [_held(t, phase) for t in lower]
    return len({s for s in held if s is not None}) + sum(1 for s in held if s is None)


def _duplicate(trial: Any, slot: int, lower: list[Any]) -> bool:
    cap = cap_of(trial)
    for other in lower:
        if writer.slot_of(other) != slot:
            continue
        reached = cap_of(other)
        if state_of(other) in PENDING or (cap is not None and reached is not None and reached >= cap):
            return True
    return False


def lower_trials(study: Any, trial: Any) -> list[Any]:
    return [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and t.state.name != FAIL]


def _free_slot(study: Any, trial: Any, lower: list[Any], phase: str) -> int | None:
    """The slot ``trial`` carries (a retry), else the lowest one no trial in ``lower`` holds; a lower trial taken
    at the same moment by another worker records its slot right after ``ask()``: waited for, up to a limit."""
    if (carried := writer.slot_of(trial)) is not None:
        return carried
    deadline = time.time() + SLOT_WAIT_SECONDS
    while any(_held(t, phase) is None and t.state.name == RUNNING for t in lower):
        if time.time() > deadline:
            return None
        time.sleep(0.1)
        lower = lower_trials(study, trial)
    held = {_held(t, phase) for t in lower}
    return next(index for index in range(len(held) + 1) if index not in held)


def _held(trial: Any, phase: str) -> int | None:
    """The slot a trial holds; for one stored before slots were recorded, the slot of its seed."""
    slot = writer.slot_of(trial)
    if slot is None and (seed := writer.seed_of(trial)) is not None:
        slot = seed_slot(phase, seed)
    return slot


def surplus(study: Any, trial: Any) -> None:
    from optuna.trial import TrialState

    writer.record_surplus(trial)
    study.tell(trial, state=TrialState.FAIL)


def taken_over(trial: Any, study: Any) -> None:
    """Say that this worker drops ``trial``: another finished it (its heartbeat went stale: this process was
    paused, SIGSTOP or a suspended machine, past the grace period, so it was failed and retried elsewhere)."""
    which = "a trial" if trial is None else f"trial {trial.number}"
    sys.stderr.write(f"warning: {which} of {study.study_name} was taken over by another worker (its "
                     f"heartbeat went stale while this process was paused); dropped here\n")


def release(study: Any, storage: Any, trial: Any) -> bool:
    """Mark the taken ``trial`` interrupted (a stop signal) and queue its retry; False if it had already finished
    (nothing to redo)."""
    from optuna.exceptions import UpdateFinishedTrialError

    try:
        writer.record_lost(storage, trial._trial_id, status="interrupted")
    except UpdateFinishedTrialError:
        return False
    frozen = storage.get_trial(trial._trial_id)
    study.enqueue_trial(dict(frozen.params), user_attrs=writer.retry_attrs(frozen))
    return True


def lose(study: Any, storage: Any, frozen: Any, cause: str) -> bool:
    """The RUNNING trial ``frozen`` lost its worker (``cause`` says how): marked ``lost`` and retried, or after
    ``MAX_LOST_RETRIES`` retries lost in a row, failed for good with why. False if it had finished meanwhile (or
    another worker got there first)."""
    from optuna.exceptions import UpdateFinishedTrialError

    times = 1 + _lost_before(study, frozen)
    try:
        if times > MAX_LOST_RETRIES:
            writer.record_lost(storage, frozen._trial_id, status="failed",
                               error=f"WorkerDied: {cause}, {times} times in a row; not retried again")
            return True
        writer.record_lost(storage, frozen._trial_id, status="lost", error=f"WorkerDied: {cause}")
    except UpdateFinishedTrialError:
        return False
    study.enqueue_trial(dict(frozen.params), user_attrs=writer.retry_attrs(frozen))
    return True


def recover(study: Any, storage: Any, database: bool, me: dict[str, Any]) -> list[Any]:
    """The study's trials, after losing those whose worker is dead (heartbeat on a database; pid here). A dead
    child of a live supervising parent is left to the parent: it knows the exit status."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    if database:
        stale = set(_stale_trial_ids(study))
        changed = False
        for trial in trials:
            if trial._trial_id in stale and trial.state == TrialState.RUNNING:
                changed |= lose(study, storage, trial, STALE)
        return study.get_trials(deepcopy=False) if changed else trials
    changed = False
    for trial in trials:
        if trial.state != TrialState.RUNNING:
            continue
        worker = trial.user_attrs.get(ATTR_WORKER)
        if worker and worker.get("pid") == me["pid"] and worker.get("host") == me["host"]:
            continue
        age = time.time() - trial.datetime_start.timestamp() if trial.datetime_start else 0
        if not (owner_dead(worker) if worker else age > ORPHAN_SECONDS):
            continue
        supervisor = (worker or {}).get("supervisor")
        if supervisor and alive({**supervisor, "host": worker["host"]}):
            continue
        changed |= lose(study, storage, trial, VANISHED if worker else "no worker was ever recorded on it")
    return study.get_trials(deepcopy=False) if changed else trials


def lost_with_worker(optuna_storage: Any, sweep: str, pid: int, returncode: int) -> int:
    """The supervising parent saw its child ``pid`` end with ``returncode``: lose each trial of the sweep it was
    still running, saying how it died; how many."""
    import optuna
    from optuna.trial import TrialState

    cause = died_how(returncode)
    count = 0
    for summary in optuna_storage.get_all_studies():
        if not summary.study_name.startswith(sweep + ":"):
            continue
        study = None
        for trial in optuna_storage.get_all_trials(summary._study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            if (trial.user_attrs.get(ATTR_WORKER) or {}).get("pid") != pid:
                continue
            study = study or optuna.load_study(study_name=summary.study_name, storage=optuna_storage)
            count += lose(study, optuna_storage, trial, cause)
    return count


def _stale_trial_ids(study: Any) -> list[int]:
    """The RUNNING trials whose heartbeat is older than the grace period (what Optuna's ``fail_stale_trials``
    fails; here they go through ``lose``, so a database's dead workers count against the same retry limit)."""
    from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled

    storage = study._storage
    if not isinstance(storage, BaseHeartbeat) or not is_heartbeat_enabled(storage):
        return []
    return storage._get_stale_trial_ids(study._study_id)


def _lost_before(study: Any, frozen: Any) -> int:
    """How many of the trials ``frozen`` retries, in a row back from it, were lost to a dead worker."""
    by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
    count, number = 0, frozen.user_attrs.get(ATTR_RETRY_OF)
    while number in by_number and by_number[number].user_attrs.get(ATTR_STATUS) == "lost":
        count += 1
        number = by_number[number].user_attrs.get(ATTR_RETRY_OF)
    return count
