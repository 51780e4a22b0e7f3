"""The journal file kept readable and never renumbered: a damaged tail is set aside before a start appends (a
start only: a reader never writes), a line that cannot be set aside without renumbering trials stops every command
with one line saying where it is (``journal_scan``), and the lock every writer takes is never waited on in silence.

Optuna's ``JournalFileBackend`` writes one JSON object per line under a lock file and, reading, stops at a last
line without its newline but raises at any bad line followed by another. A write cut off (a full disk, a process
killed mid-write) leaves such a torn line; the next start appending after it would join the two into one bad line
and make the whole journal unreadable. ``mend`` runs under the same lock, so a torn line it finds is one whose
writer is gone.
"""

from __future__ import annotations

import errno
import os
import socket
import time
import warnings
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError, StorageLostError
from lossbench.results.journal_scan import Scan, entry_problem, last_line, problem, scan

LOCK_GRACE_SECONDS = 30  # Optuna's default: a lock held longer is broken (a writer holds it for milliseconds)
LOCK_SAY_AFTER_SECONDS = 2.0


class JournalDamagedError(LossbenchError):
    """A journal line that cannot be set aside without renumbering every later trial: nothing was changed."""


def mend(journal: Path, lock: Any) -> str | None:
    """Before a start appends: set aside the damaged tail of ``journal`` and the torn part of each joined line
    (into ``journal.damaged-TIME`` beside it, each part after a line saying where it was); a message saying what
    was done, or None when the journal was whole. A damaged line with entries after it: ``JournalDamagedError``,
    nothing changed."""
    if not journal.is_file():
        return None
    lock.acquire()
    try:
        found = scan(journal.read_bytes())
        if found.whole:
            return None
        if found.broken:
            raise JournalDamagedError(found.broken_message(journal))
        side = journal.with_name(f"{journal.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        try:
            side.write_bytes(found.set_aside(journal.name))
            if not found.joined:  # a damaged tail only: cut it off
                with open(journal, "r+b") as file:
                    file.truncate(found.offset(found.tail[0]))
                    os.fsync(file.fileno())
            else:
                write_atomically(journal, found.mended())
        except OSError as error:
            side.unlink(missing_ok=True)
            raise StorageLostError(f"the journal {journal} has {len(found.bad)} damaged line(s) (a write cut off) "
                                   f"and cannot be mended: {error.strerror or error}; free space and run the same "
                                   f"command again (nothing stored is lost)") from None
    finally:
        lock.release()
    kept = " (the entry after it kept in its place)" if found.joined else ""
    return (f"the journal {journal} had {_said(found)}: set aside in {side.name}{kept}, which says where each "
            f"part was; no entry moved, no trial was renumbered")


def _said(found: Scan) -> str:
    lines = [found.number(i) for i in sorted(found.bad)]
    where = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
    if found.joined:
        return f"a torn write joined to the entry after it at {where}"
    if found.tail == [len(found.lines) - 1] and not found.lines[-1].endswith(b"\n"):
        return f"a torn last line ({where}: a write cut off by a full disk or a killed process)"
    return f"{len(lines)} damaged line(s) at its end ({where}: {found.bad[found.tail[0]]}; text added to it?)"


def reader(journal: Path) -> Any:
    """A backend that reads ``journal`` and never writes it: a reader (a report, the live progress) leaves a
    damaged tail where it is and reads the entries before it (the next start sets it aside); a damaged line with
    entries after it stops it with ``JournalDamagedError``. The file is scanned only when Optuna meets damage (a
    scan costs about as much as the read)."""
    from optuna.storages.journal import JournalFileBackend

    class Reader(JournalFileBackend):
        def read_logs(self, log_number_from: int) -> Any:
            try:
                for log in super().read_logs(log_number_from):
                    if entry_problem(log) is not None:
                        raise ValueError("not a journal entry")  # Optuna's replay would stop on it with a KeyError
                    yield log
            except ValueError:  # a damaged line with another after it: a tail ends the journal, anything else stops
                found = scan(Path(self._file_path).read_bytes())
                if found.broken:
                    raise JournalDamagedError(found.broken_message(journal)) from None
                if found.joined and min(found.joined) < found.last_entry:
                    raise JournalDamagedError(_joined_message(journal, found)) from None

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            raise LossbenchError(f"the journal {journal} was opened to be read: nothing may write to it")

    return Reader(str(journal))


def check_readable(journal: Path) -> None:
    """Before a reader opens ``journal``: one warning when its last line is damaged (but torn, which may be a
    write in progress); damage before it is found as Optuna reads (``reader``)."""
    last = last_line(journal)
    if last.endswith(b"\n") and (why := problem(last)) is not None:
        warnings.warn(f"the journal {journal} ends in a damaged line ({why}; text added to it?): read without it; "
                      f"the next `lossbench run` of this sweep sets it aside (nothing is renumbered)", stacklevel=3)


def _joined_message(journal: Path, found: Scan) -> str:
    number = found.number(min(found.joined))
    return (f"the journal {journal} has a torn write joined to the entry after it at line {number}, which Optuna "
            f"cannot read past: `lossbench run` with the same settings mends it in place (the entry kept, no trial "
            f"renumbered); nothing was changed")


def write_atomically(path: Path, content: str | bytes) -> Path:
    """Write ``path`` through a temporary file in its folder, renamed over it: a reader, or a process killed
    mid-write, sees the old file or the new one, never a part."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _holder(lock_file: str) -> tuple[str, int] | None:
    try:
        host, _, pid = Path(lock_file).read_text().strip().rpartition(" ")
        return host, int(pid)
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_file(journal: str | Path) -> Path:
    """The lock file every writer of ``journal`` creates: Optuna's open-lock adds ``.lock`` to the name it is given,
    and lossbench has always given it ``sweep.journal.lock``."""
    return Path(f"{journal}.lock.lock")


def make_lock(journal: str | Path) -> Any:
    """Optuna's open-lock (the same lock file, so every Optuna process agrees) that records its holder (host and
    pid), breaks at once a lock whose holder on this host is dead, and says on stderr (a Python warning) when it
    waits for one instead of waiting 30 s in silence."""
    from optuna.storages.journal import JournalFileOpenLock

    class Lock(JournalFileOpenLock):
        def acquire(self) -> bool:
            started, said, pause = time.monotonic(), False, 0.001
            mtime, changed = None, time.monotonic()
            while True:
                try:
                    descriptor = os.open(self._lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except OSError as error:
                    if error.errno != errno.EEXIST:
                        raise
                else:
                    try:
                        with os.fdopen(descriptor, "w") as file:
                            file.write(f"{socket.gethostname()} {os.getpid()}")
                    except BaseException:  # a full disk: no lock left behind for others to wait 30 s on
                        os.unlink(self._lock_file)
                        raise
                    return True
                holder = _holder(self._lock_file)
                dead = holder is not None and holder[0] == socket.gethostname() and not _alive(holder[1])
                try:
                    current = os.stat(self._lock_file).st_mtime
                except OSError:
                    continue  # released meanwhile
                if current != mtime:
                    mtime, changed = current, time.monotonic()
                stale = time.monotonic() - changed > LOCK_GRACE_SECONDS or time.time() - current > LOCK_GRACE_SECONDS
                if dead or stale:
                    warnings.warn(f"the journal's lock {self._lock_file} was left by "
                                  f"{'process ' + str(holder[1]) + ', which is dead' if dead else 'a process that held it for more than 30 s'}: "
                                  f"broken", stacklevel=2)
                    try:
                        self.release()
                    except RuntimeError:
                        pass
                    continue
                if not said and time.monotonic() - started > LOCK_SAY_AFTER_SECONDS:
                    said = True
                    who = f"process {holder[1]} on {holder[0]}" if holder else "another process"
                    warnings.warn(f"waiting for the journal's lock {self._lock_file}, held by {who}; a lock left by "
                                  f"a dead process is broken after {LOCK_GRACE_SECONDS} s", stacklevel=2)
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    return Lock(f"{journal}.lock", grace_period=LOCK_GRACE_SECONDS)
