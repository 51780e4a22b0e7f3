"""Where a sweep lives: a database URL shared by many machines, or a journal file at ``OUT/NAME/sweep.journal``.

``Storage`` is the one value that carries those options from the command line to every worker; ``open()``
gives the Optuna storage. Optuna is imported only when a storage is opened.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.results.masking import mask_secrets, mask_url
from lossbench.results.schema import name_problem

HEARTBEAT_ENV = "LOSSBENCH_HEARTBEAT_INTERVAL"
DEFAULT_HEARTBEAT = 30
JOURNAL = "sweep.journal"
DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "sqlite")


class NoSweepError(LossbenchError, KeyError):
    """No sweep (or no journal yet) where one was looked for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def journal_path(out: str | Path, name: str) -> Path:
    return Path(out) / name / JOURNAL


@dataclass(frozen=True)
class Storage:
    """``url``: a database URL, or None for the journal file of sweep ``name`` under ``out``."""

    name: str
    out: str = "results"
    url: str | None = None
    heartbeat: int | None = None  # seconds between heartbeats on a database (None: LOSSBENCH_HEARTBEAT_INTERVAL or 30)

    @property
    def is_database(self) -> bool:
        return self.url is not None

    @property
    def journal(self) -> Path:
        return journal_path(self.out, self.name)

    @property
    def folder(self) -> Path:
        """Where the report's files go."""
        return Path(self.out) / self.name

    def describe(self) -> str:
        """How to show it: the URL with its password masked, or the journal's path."""
        return mask_url(self.url) if self.url else str(self.journal)

    def check(self) -> None:
        """Refuse a URL that cannot be a database URL, before anything trains."""
        if self.url is not None and ("://" not in self.url or not self.url.startswith(DATABASE_SCHEMES)):
            raise LossbenchError(f"--storage {mask_url(self.url)!r} is not a database URL: give one like "
                                 f"postgresql://user@host/db, or leave it out for the journal file "
                                 f"OUT/NAME/{JOURNAL} (OUT is --out)")

    def check_writable(self) -> None:
        """The folder the journal and the report go to (OUT/NAME) can be written to, or one message: found before
        anything trains, not as a traceback from deep inside Optuna (a read-only mount, a folder of another user)."""
        import tempfile

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".lossbench-write-test-"):
                pass
            if self.url is None and self.journal.exists():
                with open(self.journal, "ab"):
                    pass
        except OSError as error:
            raise LossbenchError(f"cannot write to {self.folder}: {error.strerror or error}; the sweep's journal and "
                                 f"report go there: give --out DIR (or --storage URL) where they can be written"
                                 ) from None

    def open(self, create: bool = True) -> Any:
        """The Optuna storage; ``create=False`` refuses a journal that does not exist yet (a report)."""
        self.check()
        if (problem := name_problem(self.name)) is not None:
            raise LossbenchError(problem)
        if create and self.url is None:
            self.check_writable()
        if self.url is not None:
            return _open_database(self.url, self.heartbeat)
        if not create and not self.journal.is_file():
            raise NoSweepError(f"no sweep storage at {self.journal}: run `lossbench run --name {self.name}` first, "
                                 f"or give --storage / --out")
        return _open_journal(self.journal)

    def to_json(self) -> dict[str, Any]:  # what a child worker process is handed
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Storage:
        return cls(**data)


def open_storage(where: Any, create: bool = False) -> Any:
    """An Optuna storage from a ``Storage``, a database URL, a journal file's path, or an Optuna storage (as is)."""
    if isinstance(where, Storage):
        return where.open(create)
    if not isinstance(where, (str, Path)):
        return where
    text = str(where)
    if "://" in text:
        Storage(name="", url=text).check()
        return _open_database(text, None)
    if not create and not Path(text).is_file():
        raise NoSweepError(f"no sweep journal at {text}")
    return _open_journal(Path(text))


def driver_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 defaults to psycopg 3, we ship psycopg2."""
    import importlib.util

    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def _quiet_optuna() -> None:
    """Heartbeats and the stale-trial callback are 'experimental' in Optuna 5 and warn on every use; we use them
    deliberately, and ask/tell with heartbeats (instead of Study.optimize) is how the budget stays exact."""
    import warnings

    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


def _open_database(url: str, heartbeat: int | None) -> Any:
    import random
    import time

    import optuna
    import sqlalchemy.exc
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    _quiet_optuna()
    interval = heartbeat or int(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT))
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
                                 + mask_secrets(str(error.orig).strip().splitlines()[0], url)) from None
        except (ValueError, ImportError, sqlalchemy.exc.ArgumentError) as error:  # a malformed URL, no driver
            first = (str(error).strip().splitlines() or [""])[0]
            raise LossbenchError(f"--storage {mask_url(url)}: {type(error).__name__}: {mask_secrets(first, url)}"
                                 ) from None
    raise AssertionError("unreachable")


def _open_journal(journal: Path) -> Any:
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    journal.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(
        JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal) + ".lock")))
