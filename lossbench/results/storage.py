"""Where a sweep lives: a database URL shared by many machines, or a journal file at ``OUT/NAME/sweep.journal``
(kept readable by ``journal``).

``Storage`` is the one value that carries those options from the command line to every worker; ``open()``
gives the Optuna storage. Optuna is imported only when a storage is opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError, StorageLostError, setting
from lossbench.results.journal import make_lock, repair as repair_journal, write_atomically
from lossbench.results.masking import mask_secrets, mask_url
from lossbench.results.schema import name_problem

HEARTBEAT_ENV = "LOSSBENCH_HEARTBEAT_INTERVAL"
DEFAULT_HEARTBEAT = 30
JOURNAL = "sweep.journal"
DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "sqlite")
# journal path -> the journal as this process first opened it, held open: an inode is not reused while it is, so
# its link count says whether the file was deleted (a new one made since has another inode)
_OPENED: dict[str, Any] = {}


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
            raise LossbenchError(f"{setting('storage')} {mask_url(self.url)!r} is not a database URL: give one like "
                                 f"postgresql://user@host/db, or leave it out for the journal file "
                                 f"OUT/NAME/{JOURNAL} (OUT is {setting('out')})")

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
                                 f"report go there: give {setting('out')} DIR (or {setting('storage')} URL) where "
                                 f"they can be written"
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
        return _open_journal(self.journal, repair=create or os.access(self.folder, os.W_OK))

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
    return _open_journal(Path(text), repair=create or os.access(Path(text).parent, os.W_OK))


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
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            if _denied(error):  # a role without the right to create Optuna's tables: no retry will change that
                raise LossbenchError(f"the database {mask_url(url)} refused to create the sweep's tables: "
                                     f"{mask_secrets(_first_line(error.orig), url)}; grant the role CREATE on the "
                                     f"schema (GRANT CREATE ON SCHEMA public TO ...), or create the tables once as "
                                     f"a role that may") from None
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


def _denied(error: Any) -> bool:
    """A permission error of the database (SQLSTATE 42501, insufficient privilege), not a race on the schema."""
    return getattr(error.orig, "pgcode", None) == "42501" or "permission denied" in str(error.orig).lower()


def _first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [""])[0]


def _open_journal(journal: Path, repair: bool = True) -> Any:
    """The journal's Optuna storage, once damaged lines are set aside (said as a Python warning: the CLI shows it as
    one ``warning:`` line). ``repair=False``: a reader of a folder that may be read-only."""
    import warnings

    import optuna
    from optuna.storages.journal import JournalFileBackend

    journal.parent.mkdir(parents=True, exist_ok=True)
    lock = make_lock(journal)
    if repair and (message := repair_journal(journal, lock)):
        warnings.warn(message, stacklevel=2)
        if (held := _OPENED.pop(str(journal.resolve()), None)) is not None:  # it may be a new file now
            held.close()
    # lossbench reports each epoch once: this warning only comes from a journal changed under the sweep, which
    # ``storage_failure`` then says in one line
    warnings.filterwarnings("ignore", message="The reported value is ignored because")
    try:
        backend = JournalFileBackend(str(journal), lock_obj=lock)
        key = str(journal.resolve())
        if key not in _OPENED:
            _OPENED[key] = open(journal, "rb")  # noqa: SIM115 -- held: its link count tells a deletion later
        return optuna.storages.JournalStorage(backend)
    except ValueError as error:  # a damaged line a read-only reader could not set aside
        raise LossbenchError(f"cannot read the journal {journal}: {error}; run `lossbench run` with the same "
                             f"settings where it can be written to set its damaged lines aside") from None


def storage_failure(error: BaseException, storage: Storage) -> StorageLostError | None:
    """``error`` (raised while a sweep ran) as the one-line failure of its storage, or None when it is not one: a
    database gone (SQLAlchemy's errors, Optuna's wrapping of them), a journal that cannot be written (a full disk,
    a file-size limit, its folder deleted) or that changed under the sweep (deleted, truncated, text added)."""
    import errno
    import json

    from optuna.exceptions import StorageInternalError

    if storage.is_database:
        if not (isinstance(error, StorageInternalError) or type(error).__module__.startswith("sqlalchemy")):
            return None
        cause = error.__cause__ or error  # Optuna wraps the database's own error: show that one
        first = (str(cause).strip().splitlines() or [""])[0]
        return StorageLostError(f"lost the sweep's storage {storage.describe()}: {type(cause).__name__}: "
                                f"{mask_secrets(first, storage.url)[:300]}; finished trials are kept: run the same "
                                f"command again to resume")
    journal = storage.journal
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
    where = str(getattr(error, "filename", "") or "")
    ours = isinstance(error, OSError) and bool(where) and Path(where).resolve().is_relative_to(
        storage.folder.resolve())
    if not (full or ours or isinstance(error, (json.JSONDecodeError, StorageInternalError)) or not journal.is_file()
            or (isinstance(error, (ValueError, KeyError)) and "optuna" in _origin(error))):
        return None
    if not storage.folder.is_dir():
        return StorageLostError(f"the sweep's folder {storage.folder} was deleted while the sweep ran: its trials are "
                                f"lost; run the same command again to start the sweep over")
    opened = _OPENED.get(str(journal.resolve()))
    if not journal.is_file() or (opened is not None and os.fstat(opened.fileno()).st_nlink == 0):
        return StorageLostError(f"the sweep's journal {journal} was deleted while the sweep ran: its trials are lost; "
                                f"run the same command again to start the sweep over (delete {journal} first if "
                                f"one was made since)")
    if isinstance(error, OSError) and error.strerror:
        return StorageLostError(f"cannot write the sweep's journal {journal}: {error.strerror}; the trials stored "
                                f"before are kept: {'free space and run' if full else 'run'} the same command again "
                                f"to resume (a line cut off is set aside then)")
    first = (str(error).splitlines() or [""])[0][:200]
    return StorageLostError(f"the sweep's journal {journal} changed under the sweep (cut short, or text added to it: "
                            f"{type(error).__name__}: {first}); what is left of it is kept: run the same command again "
                            f"to resume from it (its damaged lines are set aside then)")


def _origin(error: BaseException) -> str:
    """The module the innermost frame of ``error``'s traceback ran in."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""


@contextmanager
def spec_lock(storage: Storage, optuna_storage: Any) -> Iterator[None]:
    """Held while a start compares its spec with the stored one and records it when there is none, so that two
    starts of one name at the same moment cannot both record theirs: an advisory lock on the journal file (released
    by the system if the process dies), or PostgreSQL's advisory lock on the sweep's name. Other databases: none
    (SQLite serialises its writers; MySQL is not tried)."""
    if not storage.is_database:
        import fcntl

        with open(storage.journal, "rb") as journal:
            fcntl.flock(journal, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(journal, fcntl.LOCK_UN)
        return
    engine = getattr(optuna_storage, "engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        yield
        return
    import zlib

    from sqlalchemy import text

    key = zlib.crc32(f"lossbench:{storage.name}".encode())
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
