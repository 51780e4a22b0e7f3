"""How many torch threads a run gets when nobody says: one.

On small shared machines torch's default (every core) is no faster than one thread when the machine is idle and
several times slower as soon as another process runs (measured: see benchmarks/README.md); parallelism pays
as processes (sweep workers), one thread each. ``OMP_NUM_THREADS``, when set, is respected.
"""

from __future__ import annotations

import os

THREADS_ENV = "OMP_NUM_THREADS"


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when it holds a positive integer, else 1. Never imports torch."""
    try:
        value = int(os.environ.get(THREADS_ENV, ""))
    except ValueError:
        return 1
    return value if value >= 1 else 1


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
