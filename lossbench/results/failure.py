"""A storage that failed while a sweep ran, as one line saying what happened and what is left.

What happened is found by looking at the storage after the fact (is the folder there, is it the journal this
process opened, can Optuna still read it; what the database says and holds now), not guessed from the exception's
type: an error that no storage call caused is not a storage failure, and is raised as it is."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from lossbench.errors import LossbenchError, StorageLostError
from lossbench.results.database import database_failure
from lossbench.results.journal_scan import scan
from lossbench.results.schema import spec_study
from lossbench.results.storage import Storage, opened_journal

FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def storage_failure(error: BaseException, storage: Storage) -> LossbenchError | None:
    """``error`` (raised while a sweep ran) as one line: a ``StorageLostError`` (exit 4) for a storage that failed
    or changed, a ``LossbenchError`` (exit 2) for a database role that lacks a permission; None when ``error`` is
    not a failure of the storage."""
    if storage.is_database:
        return database_failure(error, storage.url or "", spec_study(storage.name))
    journal, opened = storage.journal, opened_journal(storage.journal)
    if opened is not None and not storage.folder.is_dir():  # only what this process opened can be deleted under it
        return StorageLostError(f"the sweep's folder {storage.folder} was deleted while the sweep ran: its trials are "
                                f"lost; run the same command again to start the sweep over")
    if opened is not None and (not journal.is_file() or os.fstat(opened.fileno()).st_nlink == 0):
        return StorageLostError(f"the sweep's journal {journal} was deleted while the sweep ran: its trials are lost; "
                                f"run the same command again to start the sweep over (delete {journal} first if "
                                f"one was made since)")
    if _ours(error, storage):
        full = isinstance(error, OSError) and error.errno in FULL
        return StorageLostError(f"cannot write the sweep's journal {journal}: {error.strerror}; the trials stored "  # type: ignore[union-attr]
                                f"before are kept: {'free space and run' if full else 'run'} the same command again "
                                f"to resume (a line cut off is set aside then)")
    try:
        found = scan(journal.read_bytes())
    except OSError:
        return None
    if found.whole:
        return None  # the journal is as Optuna wrote it: the error came from elsewhere
    first = (str(error).splitlines() or [""])[0][:200]
    said = f"{type(error).__name__}: {first}"
    if found.broken:
        return StorageLostError(found.broken_message(journal, f"the sweep's journal {journal} changed under the "
                                                              f"sweep ({said}): it is damaged",
                                                     "what is stored before that line is kept"))
    return StorageLostError(f"the sweep's journal {journal} changed under the sweep (cut short, or text added to it: "
                            f"{said}); what is left of it is kept: run the same command again to resume from it (its "
                            f"damaged lines are set aside then)")


def _ours(error: BaseException, storage: Storage) -> bool:
    """An OS error on a file of the sweep's folder (its journal, its lock), or of a full disk anywhere."""
    if not isinstance(error, OSError) or not error.strerror:
        return False
    if error.errno in FULL:
        return True
    where = str(error.filename or "")
    return bool(where) and Path(where).absolute().is_relative_to(storage.folder)
