"""Every worker is a child process and this process watches them, training nothing itself, so a trial that kills
its process (the out-of-memory killer's SIGKILL) never takes the sweep's own process with it, whatever the number
of workers: that trial fails, in the same start, and the other arms go on.

A child that dies while running a trial: that slot is lost with the exit status this process saw (``slots.
lost_with_worker``: retried a stated number of times, then failed with why) and a fresh child takes its place.
A trial past its limit (``trial_timeout``) is recorded as failed (status ``timeout``, with why) and its worker is
killed: SIGKILL stops a plugin stuck anywhere (``time.sleep``, a C call holding the GIL), which no timer inside
the worker can. A child that dies holding no trial is replaced at most ``MAX_RESTARTS`` times (one that cannot
even start must not loop for ever); one that ended on a ``LossbenchError`` (its data differs from the sweep's,
the storage failed) stops the sweep with that error, raised here.
"""

from __future__ import annotations

import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossbench.errors import EXIT_BAD_INPUT, EXIT_STORAGE_LOST, LossbenchError, Stopped, StorageLostError
from lossbench.results import writer
from lossbench.results.schema import ATTR_STATUS, ATTR_WORKER
from lossbench.results.storage import Storage
from lossbench.sweep import slots
from lossbench.sweep.execution import Execution
from lossbench.sweep.processes import error_line, exit_line, spawn, stop_workers, warnings_in, write_job
from lossbench.sweep.recovery import identity
from lossbench.sweep.spec import SweepSpec

CHECK_SECONDS = 0.5
MAX_RESTARTS = 3
SAID = {EXIT_BAD_INPUT: LossbenchError, EXIT_STORAGE_LOST: StorageLostError}  # a worker's exit -> its error here


@dataclass
class Supervised:
    """What the children said: the last error line of each that crashed (not those ended for a timeout), and the
    warnings they wrote (a trial taken over, plugin code left running)."""

    crashes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def supervise(spec: SweepSpec, optuna_storage: Any, storage: Storage, execution: Execution, plugins_dirs: list[str],
              dataset_sha256: str) -> Supervised:
    """Run the sweep in ``execution.workers`` child processes until it is finished, watching them through
    ``optuna_storage`` (the open Optuna storage of ``storage``). Stopped by a signal, the children release their
    trials; ``Stopped.released`` then says how many this start's workers released."""
    said = Supervised()
    restarts = 0
    with tempfile.TemporaryDirectory() as folder:
        job = write_job(Path(folder), spec, storage, plugins_dirs, execution, dataset_sha256)
        running = {index: spawn(job, index) for index in range(execution.workers)}
        try:
            while running:
                for index, (process, log) in list(running.items()):
                    if process.poll() is None:
                        continue
                    del running[index]
                    said.warnings += warnings_in(log)
                    if process.returncode in SAID and (line := error_line(log)) is not None:
                        raise SAID[process.returncode](line)  # the sweep cannot go on: data, storage, input
                    if process.returncode != 0:
                        said.crashes.append(exit_line(process, log))
                        lost = slots.lost_with_worker(optuna_storage, spec.name, process.pid, process.returncode)
                        if lost or restarts < MAX_RESTARTS:  # a lost slot's retries are bounded by ``slots``
                            restarts += 0 if lost else 1
                            running[index] = spawn(job, index)
                pids = {process.pid: index for index, (process, _) in running.items()}
                for trial_id, pid in overdue(optuna_storage, spec, pids) if spec.trial_timeout is not None else []:
                    if _time_out(optuna_storage, trial_id, spec.trial_timeout):
                        process, _ = running[pids[pid]]
                        process.kill()
                        process.wait()
                        running[pids[pid]] = spawn(job, pids[pid])
                time.sleep(CHECK_SECONDS)
        except BaseException as error:
            stop_workers([process for process, _ in running.values()])  # each releases its trial (SIGTERM)
            if isinstance(error, Stopped):
                try:
                    error.released = sum(1 for t in this_start(optuna_storage, spec.name)
                                         if t.user_attrs.get(ATTR_STATUS) == "interrupted")
                except Exception:  # the storage failed too: the message says less
                    pass
            raise
    return said


def this_start(optuna_storage: Any, sweep: str) -> list[Any]:
    """The trials of ``sweep`` that this process's workers took (their supervisor is this process)."""
    me = identity()
    found = []
    for study in optuna_storage.get_all_studies():
        if not study.study_name.startswith(sweep + ":"):
            continue
        for trial in optuna_storage.get_all_trials(study._study_id, deepcopy=False):
            worker = trial.user_attrs.get(ATTR_WORKER) or {}
            supervisor = worker.get("supervisor") or {}
            if (worker.get("host") == socket.gethostname() and supervisor.get("pid") == me["pid"]
                    and supervisor.get("start") == me["start"]):
                found.append(trial)
    return found


def overdue(optuna_storage: Any, spec: SweepSpec, pids: dict[int, int]) -> list[tuple[int, int]]:
    """(trial id, worker pid) of each trial of this sweep that one of ``pids`` has run past the time limit."""
    from optuna.trial import TrialState

    now = time.time()
    found = []
    for study in optuna_storage.get_all_studies():
        if not study.study_name.startswith(spec.name + ":"):
            continue
        for trial in optuna_storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            pid = (trial.user_attrs.get(ATTR_WORKER) or {}).get("pid")
            started = trial.datetime_start.timestamp() if trial.datetime_start else now
            if pid in pids and now - started > spec.trial_timeout:
                found.append((trial._trial_id, pid))
    return found


def _time_out(optuna_storage: Any, trial_id: int, limit: float) -> bool:
    """Record the trial as failed for its time limit; False if it finished meanwhile."""
    from optuna.exceptions import UpdateFinishedTrialError

    try:
        writer.record_timeout(optuna_storage, trial_id, limit)
    except UpdateFinishedTrialError:
        return False
    return True
