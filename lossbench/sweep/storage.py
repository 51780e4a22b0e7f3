"""Storage: a URL (or the default journal file) to an Optuna storage, passwords masked, and worker liveness.

The journal file has no heartbeat in Optuna 5, so each trial records its worker (host, pid, pid start time);
a worker on the same host that finds a RUNNING trial whose owner process is gone fails it and enqueues a retry.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

HEARTBEAT_ENV = "LOSSBENCH_HEARTBEAT_INTERVAL"
DEFAULT_HEARTBEAT = 30
ORPHAN_SECONDS = 60  # a RUNNING journal trial with no worker recorded for this long is taken as dead


def journal_path(out: str | Path, name: str) -> Path:
    return Path(out) / name / "sweep.journal"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def driver_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 defaults to psycopg 3, we ship psycopg2."""
    import importlib.util

    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def is_database(url: str | None) -> bool:
    return bool(url) and "://" in url


def check_url(url: str | None) -> None:
    """Refuse a --storage that cannot be a database URL, before anything trains."""
    from lossbench.errors import LossbenchError

    if url is None:
        return
    if not is_database(url) or not url.startswith(("postgresql", "postgres", "mysql", "sqlite")):
        raise LossbenchError(f"--storage {mask_url(url)!r} is not a database URL: give one like "
                             f"postgresql://user@host/db, or leave it out for the journal file OUT/NAME/sweep.journal "
                             f"(OUT is --out)")


def _quiet_optuna() -> None:
    """Heartbeats and the stale-trial callback are 'experimental' in Optuna 5 and warn on every use; we use them
    deliberately, and ask/tell with heartbeats (instead of Study.optimize) is how the budget stays exact."""
    import warnings

    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


def open_storage(url: str | None, journal: Path, heartbeat_interval: int | None = None) -> Any:
    import optuna

    from lossbench.errors import LossbenchError

    if is_database(url):
        check_url(url)
        _quiet_optuna()
        interval = heartbeat_interval or int(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT))
        from optuna.storages import RetryHeartbeatStaleTrialCallback

        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            raise LossbenchError("--storage with a database needs SQLAlchemy and a driver: "
                                 "pip install 'lossbench[postgres]'") from None
        import random
        import time

        import sqlalchemy.exc

        for attempt in range(8):
            try:
                return optuna.storages.RDBStorage(
                    driver_url(url), heartbeat_interval=interval, grace_period=2 * interval,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3),
                    engine_kwargs={"pool_pre_ping": True})
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                if attempt == 7:  # several machines creating the schema at once: the losers retry
                    raise
                time.sleep(0.3 + random.random())
            except sqlalchemy.exc.OperationalError as error:
                raise LossbenchError(f"cannot reach the database {mask_url(url)}: "
                                     + str(error.orig).strip().splitlines()[0]) from None
            except (ValueError, ImportError, sqlalchemy.exc.ArgumentError) as error:  # a malformed URL, no driver
                first = (str(error).strip().splitlines() or [""])[0]
                raise LossbenchError(f"--storage {mask_url(url)}: {type(error).__name__}: {mask_url(first)}") from None
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    journal.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(
        JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal) + ".lock")))


def describe(url: str | None, journal: Path) -> str:
    return mask_url(url) if is_database(url) else str(journal)


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime, in clock ticks since boot


def identity() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_time(pid)}


def owner_dead(worker: dict[str, Any] | None) -> bool:
    """Whether the process recorded as ``worker`` is known to be gone (only decidable on its own host)."""
    if not worker or worker.get("host") != socket.gethostname():
        return False
    start = _start_time(int(worker["pid"]))
    return start is None or start != worker.get("start")
