"""Whether a trial's worker process is alive: who this process is, whether a recorded process is gone, and
the heartbeat that proves a database trial's worker alive. What is done with a dead worker's trial is
``slots``' business.

On a database, Optuna's heartbeats tell (``Heartbeat`` beats while a trial trains). The journal file has no
heartbeat in Optuna 5, so each trial records its worker (host, pid, pid start time) and, for a child worker, its
supervising parent: a pid whose start time changed is another process.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

from lossbench.results.storage import DEFAULT_HEARTBEAT


def identity(supervised: bool = False) -> dict[str, Any]:
    """This process, as recorded on the trials it runs; ``supervised``: with its parent, which watches it."""
    pid = os.getpid()
    me: dict[str, Any] = {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid)}
    if supervised:
        me["supervisor"] = {"pid": os.getppid(), "start": _start_time(os.getppid())}
    return me


def owner_dead(worker: dict[str, Any] | None) -> bool:
    """Whether the process recorded as ``worker`` is known to be gone (only decidable on its own host)."""
    if not worker or worker.get("host") != socket.gethostname():
        return False
    start = _start_time(int(worker["pid"]))
    return start is None or start != worker.get("start")


def alive(worker: dict[str, Any]) -> bool:
    """Whether the process recorded as ``worker`` is known to be running (on this host, same start time)."""
    return worker.get("host") == socket.gethostname() and not owner_dead(worker)


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
