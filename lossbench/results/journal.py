"""The journal file kept readable: a torn or foreign tail is set aside before anything appends, and the lock every
writer takes is never waited on in silence.

Optuna's ``JournalFileBackend`` writes one JSON object per line under a lock file and, reading, stops at a last
line without its newline but raises at any bad line followed by another. A write cut off (a full disk, a process
killed mid-write) leaves such a torn line; the next start appending after it would join the two into one bad line
and make the whole journal unreadable. ``repair`` runs under the same lock, so a torn line it finds is one whose
writer is gone.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
import warnings
from pathlib import Path
from typing import Any

from lossbench.errors import StorageLostError

LOCK_GRACE_SECONDS = 30  # Optuna's default: a lock held longer is broken (a writer holds it for milliseconds)
LOCK_SAY_AFTER_SECONDS = 2.0
_OP_START = b'{"op_code"'  # how every line Optuna writes begins


def _valid(line: bytes) -> bool:
    if not line.endswith(b"\n"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _rescued(line: bytes) -> bytes | None:
    """The whole operation at the end of a bad line (an older start appended a line right after a torn one)."""
    at = line.rfind(_OP_START, 1)
    return line[at:] if at > 0 and _valid(line[at:]) else None


def repair(journal: Path, lock: Any) -> str | None:
    """Set aside every line of ``journal`` that Optuna could not read (into ``journal.damaged-TIME`` beside it);
    a message saying what was done, or None when the journal was whole."""
    if not journal.is_file():
        return None
    lock.acquire()
    try:
        data = journal.read_bytes()
        lines = data.splitlines(keepends=True)
        bad = [i for i, line in enumerate(lines) if not _valid(line)]
        if not bad:
            return None
        kept, aside = [], []
        for i, line in enumerate(lines):
            if i not in bad:
                kept.append(line)
                continue
            aside.append(line)
            if (rescued := _rescued(line)) is not None:
                kept.append(rescued)
        side = journal.with_name(f"{journal.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        try:
            side.write_bytes(b"".join(aside))
            if bad == list(range(bad[0], len(lines))) and len(kept) == bad[0]:  # a damaged tail only: cut it off
                with open(journal, "r+b") as file:
                    file.truncate(sum(map(len, kept)))
                    os.fsync(file.fileno())
            else:
                write_atomically(journal, b"".join(kept))
        except OSError as error:
            side.unlink(missing_ok=True)
            raise StorageLostError(f"the journal {journal} has {len(bad)} damaged line(s) (a write cut off) and cannot "
                                   f"be repaired: {error.strerror or error}; free space and run the same command "
                                   f"again (nothing stored is lost)") from None
    finally:
        lock.release()
    torn = "a torn last line" if bad == [len(lines) - 1] and not lines[-1].endswith(b"\n") else \
        f"{len(bad)} line(s) that are not journal entries"
    return (f"the journal {journal} had {torn} (a write cut off by a full disk or a killed process, or text added "
            f"to it): set aside in {side.name}; the {len(kept)} entries before and around it are kept")


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
                    with os.fdopen(descriptor, "w") as file:
                        file.write(f"{socket.gethostname()} {os.getpid()}")
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
