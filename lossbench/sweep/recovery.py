"""Crash recovery: a trial whose worker died is failed and retried, and a running trial proves its worker alive.

On a database, Optuna's heartbeats do it (``Heartbeat`` beats while a trial trains). The journal file has no
heartbeat in Optuna 5, so each trial records its worker (host, pid, pid start time); a worker on the same host
that finds a RUNNING trial whose owner process is gone fails it as ``lost`` and enqueues a retry.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from lossbench.results import writer
from lossbench.results.schema import ATTR_WORKER
from lossbench.results.storage import DEFAULT_HEARTBEAT

ORPHAN_SECONDS = 60  # a RUNNING journal trial with no worker recorded for this long is taken as dead


def identity() -> dict[str, Any]:
    """This process, as recorded on the trials it runs."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid)}


def owner_dead(worker: dict[str, Any] | None) -> bool:
    """Whether the process recorded as ``worker`` is known to be gone (only decidable on its own host)."""
    if not worker or worker.get("host") != socket.gethostname():
        return False
    start = _start_time(int(worker["pid"]))
    return start is None or start != worker.get("start")


def recovered_trials(study: Any, storage: Any, database: bool, me: dict[str, Any]) -> list[Any]:
    """The study's trials, after failing those whose worker is dead (heartbeat on a database; pid here)."""
    import optuna
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    if database:
        optuna.storages.fail_stale_trials(study)
        return study.get_trials(deepcopy=False)
    trials = study.get_trials(deepcopy=False)
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
        try:
            writer.record_lost(storage, trial._trial_id)
        except UpdateFinishedTrialError:
            continue  # another worker got there first and enqueued the retry
        study.enqueue_trial(dict(trial.params), user_attrs=writer.retry_attrs(trial))
        changed = True
    return study.get_trials(deepcopy=False) if changed else trials


class Heartbeat:
    """Record a heartbeat for a trial every interval while it trains (ask/tell does not start one)."""

    def __init__(self, storage: Any, trial_id: int):
        self.storage, self.trial_id = storage, trial_id
        self.interval = storage.get_heartbeat_interval() or DEFAULT_HEARTBEAT
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        while not self.event.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a missed beat is retried next interval
                pass

    def stop(self) -> None:
        self.event.set()
        self.thread.join(timeout=5)


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime, in clock ticks since boot
