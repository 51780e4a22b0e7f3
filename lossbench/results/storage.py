"""Where a sweep lives: a database URL shared by many machines, or a journal file at ``OUT/NAME/sweep.journal``
(kept readable by ``journal``).

``Storage`` is the one value that carries those options from the command line to every worker; ``open()``
gives the Optuna storage: to write (a start, which first sets aside a damaged tail) or only to read (a report, the
live progress: it never writes, not even to mend). Optuna is imported only when a storage is opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError, setting
from lossbench.results.database import DEFAULT_HEARTBEAT, check_can_write, open_database
from lossbench.results.journal import check_readable, make_lock, mend, reader, write_atomically
from lossbench.results.masking import mask_url
from lossbench.results.schema import name_problem

JOURNAL = "sweep.journal"
ARTIFACTS = "artifacts"  # the runs' checkpoints, beside the journal unless a folder is given
DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "sqlite")
# journal path -> the journal as this process first opened it, held open: an inode is not reused while it is, so
# its link count says whether the file was deleted (a new one made since has another inode)
_OPENED: dict[str, Any] = {}

__all__ = ["DEFAULT_HEARTBEAT", "JOURNAL", "NoSweepError", "Storage", "journal_path", "open_storage", "opened_journal",
           "spec_lock", "write_atomically"]


class NoSweepError(LossbenchError, KeyError):
    """No sweep (or no journal yet) where one was looked for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def journal_path(out: str | Path, name: str) -> Path:
    return Path(out) / name / JOURNAL


@dataclass(frozen=True)
class Storage:
    """``url``: a database URL, or None for the journal file of sweep ``name`` under ``out``. ``cwd``: the folder
    a relative ``out`` is under, fixed when the value is made (the current one by default), so a plugin that
    changes the working directory moves no path, in this process or in a child worker."""

    name: str
    out: str = "results"
    url: str | None = None
    heartbeat: int | None = None  # seconds between heartbeats on a database (None: LOSSBENCH_HEARTBEAT_INTERVAL or 30)
    artifacts: str | None = None  # the folder of the runs' checkpoints (None: OUT/NAME/artifacts)
    cwd: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.cwd:
            object.__setattr__(self, "cwd", os.getcwd())

    @property
    def is_database(self) -> bool:
        return self.url is not None

    @property
    def journal(self) -> Path:
        """The journal's absolute path."""
        return journal_path(Path(self.cwd) / self.out, self.name)

    @property
    def folder(self) -> Path:
        """Where the report's files go (an absolute path)."""
        return Path(self.cwd) / self.out / self.name

    @property
    def artifact_folder(self) -> Path:
        """Where the runs' checkpoints go: ``artifacts`` when given (for a database shared by machines, a folder
        every machine reaches), else OUT/NAME/artifacts beside the journal."""
        return Path(self.cwd) / self.artifacts if self.artifacts else self.folder / ARTIFACTS

    def describe(self) -> str:
        """How to show it: the URL with its password masked, or the journal's path as given."""
        return mask_url(self.url) if self.url else str(journal_path(self.out, self.name))

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
        if self.artifacts:
            try:
                self.artifact_folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=self.artifact_folder, prefix=".lossbench-write-test-"):
                    pass
            except OSError as error:
                raise LossbenchError(f"cannot write to {setting('artifacts')} {self.artifacts}: {error.strerror or error}; the "
                                     f"runs' checkpoints go there: give a folder that can be written") from None

    def open(self, create: bool = True) -> Any:
        """The Optuna storage. ``create=True``: a start's, which writes (a journal's damaged tail is set aside
        first); ``create=False``: a reader's, which never writes and refuses a journal that does not exist."""
        self.check()
        if (problem := name_problem(self.name)) is not None:
            raise LossbenchError(problem)
        if self.url is not None:
            opened = open_database(self.url, self.heartbeat)
            if create:
                check_can_write(opened, self.url)
            return opened
        if create:
            self.check_writable()
            return _open_journal(self.journal)
        if not self.journal.is_file():
            raise NoSweepError(f"no sweep storage at {self.describe()}: run `lossbench run --name {self.name}` "
                               f"first, or give --storage / --out")
        return _read_journal(self.journal)

    def to_json(self) -> dict[str, Any]:  # what a child worker process is handed
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Storage:
        return cls(**data)


def open_storage(where: Any, create: bool = False) -> Any:
    """An Optuna storage from a ``Storage``, a database URL, a journal file's path, or an Optuna storage (as is);
    ``create=False`` (the default): to read only."""
    if isinstance(where, Storage):
        return where.open(create)
    if not isinstance(where, (str, Path)):
        return where
    text = str(where)
    if "://" in text:
        Storage(name="", url=text).check()
        return open_database(text, None)
    path = Path(text).absolute()
    if create:
        return _open_journal(path)
    if not path.is_file():
        raise NoSweepError(f"no sweep journal at {text}")
    return _read_journal(path)


def opened_journal(journal: Path) -> Any:
    """The journal as this process first opened it to write (held open), or None."""
    return _OPENED.get(str(journal.absolute()))


def _open_journal(journal: Path) -> Any:
    """The journal's Optuna storage for a start, which appends: its damaged tail set aside first (said as a Python
    warning: the CLI shows it as one ``warning:`` line); a damaged line with entries after it refused."""
    import warnings

    import optuna
    from optuna.storages.journal import JournalFileBackend

    journal.parent.mkdir(parents=True, exist_ok=True)
    lock = make_lock(journal)
    if message := mend(journal, lock):
        warnings.warn(message, stacklevel=2)
    # lossbench reports each epoch once: this warning only comes from a journal changed under the sweep, which
    # ``storage_failure`` then says in one line
    warnings.filterwarnings("ignore", message="The reported value is ignored because")
    backend = JournalFileBackend(str(journal), lock_obj=lock)
    key, held = str(journal.absolute()), _OPENED.get(str(journal.absolute()))
    if held is None or os.fstat(held.fileno()).st_ino != journal.stat().st_ino:  # first opened, or a new file now
        if held is not None:
            held.close()
        _OPENED[key] = open(journal, "rb")  # noqa: SIM115 -- held: its link count tells a deletion later
    return optuna.storages.JournalStorage(backend)


def _read_journal(journal: Path) -> Any:
    """The journal's Optuna storage for a reader: nothing is written, a damaged tail is read around."""
    import optuna

    check_readable(journal)
    return optuna.storages.JournalStorage(reader(journal))


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
