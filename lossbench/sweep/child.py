"""A worker process started by ``lossbench run --workers N``: ``python -m lossbench.sweep.child JOB.json INDEX
PARENT_PID``.

It dies with the process that started it, so a killed run leaves no orphan finishing the sweep unseen."""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str] | None = None) -> None:
    _die_with_parent()  # first: before the slow imports, so a parent killed during start-up takes this with it
    args = argv if argv is not None else sys.argv[1:]
    if len(args) > 2 and os.getppid() != int(args[2]):
        sys.exit(1)  # the parent died before the signal was armed (this was reparented): do not run the sweep alone
    job = json.loads(open(args[0]).read())
    index = int(args[1])

    import torch

    from lossbench.registry import load_registry
    from lossbench.results.storage import Storage
    from lossbench.registry.guard import no_hard_exit
    from lossbench.sweep.checkpoints import Checkpoints
    from lossbench.sweep.execution import Execution
    from lossbench.sweep.interrupt import Stopped, stop_on_signals
    from lossbench.sweep.probe import load_data
    from lossbench.sweep.spec import SweepSpec
    from lossbench.sweep.worker import Worker

    execution = Execution.from_json(job["execution"])
    torch.set_num_threads(execution.threads)
    spec = SweepSpec.from_json(job["spec"])
    storage = Storage.from_json(job["storage"])
    registry = load_registry(job["plugins_dirs"])
    with no_hard_exit():  # loaded before any trial is taken: a trial's time limit never counts the data's load
        data = load_data(spec, registry)
    try:
        with stop_on_signals():
            Worker(spec, storage.open(), registry, execution, index, database=storage.is_database, data=data,
                   supervised=True, checkpoints=Checkpoints.of(storage)).run()
    except Stopped as stop:  # its trial is marked interrupted; the parent says how to resume
        sys.exit(128 + stop.signum)


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the process that started it dies."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


if __name__ == "__main__":
    main()
