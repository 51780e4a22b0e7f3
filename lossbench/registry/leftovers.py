"""What plugin code left running when a process's work is done, and ending the process anyway.

A plugin may start a thread that is not a daemon, or a child process, and never end it: Python's exit then waits
for ever (for the thread, or for a ``multiprocessing`` child), after the work is done. ``end_process`` says what
was left, in one warning line each, stops the child processes (SIGTERM) and ends the process at once, with the
exit code its work decided.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def leftover_threads() -> list[str]:
    """The names of the threads other than the main one that would keep Python's exit waiting."""
    return [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]


def leftover_children() -> dict[int, str]:
    """This process's child processes still running (pid -> command), read from /proc (Linux)."""
    me, found = os.getpid(), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and fields[0] != "Z":
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found[int(stat.parent.name)] = command.strip()[:80]
        except (OSError, IndexError, ValueError):
            continue
    return found


def end_process(code: int) -> None:
    """Flush, say what was left running (and stop its child processes), and exit with ``code`` at once."""
    threads, children = leftover_threads(), leftover_children()
    if threads:
        warn(f"warning: plugin code left {len(threads)} thread(s) running ({', '.join(threads)[:200]}); "
             f"the process ended without waiting for them")
    if children:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        warn(f"warning: plugin code left {len(children)} child process(es) running "
             f"({'; '.join(f'{pid}: {command}' for pid, command in children.items())[:300]}); stopped with SIGTERM")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)


def warn(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
    except Exception:
        pass
