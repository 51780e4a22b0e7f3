"""A worker process started by ``lossbench run`` (every worker is one, so that a trial's death never takes the
sweep's own process with it): ``python -m lossbench.sweep.child JOB.json INDEX PARENT_PID``.

It dies with the process that started it, so a killed run leaves no orphan finishing the sweep unseen. It trains
only on the data the sweep started with: its own load must have the fingerprint the parent recorded (a dataset
that loads other data each time would otherwise train arms on different data). What stops the sweep here (that,
a storage failing mid-sweep, any ``LossbenchError``) ends it with the error's exit status and its message as
its log's last ``error:`` line, which the parent raises as its own (``processes.ERROR``). It ends when its work is done,
whatever plugin code left running (``registry.leftovers``)."""

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

    from lossbench.registry.leftovers import end_process

    try:
        code = _work(job, index)
    except BaseException:  # a crash: its traceback in this worker's log, whose last line the parent reports
        import traceback

        traceback.print_exc()
        code = 1
    end_process(code)


def _work(job: dict, index: int) -> int:
    """Load the plugins and the data, check the data, then work until the sweep is done; the exit status."""
    import torch

    from lossbench.errors import LossbenchError
    from lossbench.registry import load_registry
    from lossbench.registry.guard import no_hard_exit
    from lossbench.results.failure import storage_failure
    from lossbench.results.storage import Storage
    from lossbench.sweep.checkpoints import Checkpoints
    from lossbench.sweep.execution import Execution
    from lossbench.sweep.interrupt import Stopped, stop_on_signals
    from lossbench.sweep.probe import load_data
    from lossbench.sweep.provenance import data_fingerprint
    from lossbench.sweep.spec import SweepSpec
    from lossbench.sweep.worker import Worker

    execution = Execution.from_json(job["execution"])
    torch.set_num_threads(execution.threads)
    spec = SweepSpec.from_json(job["spec"])
    storage = Storage.from_json(job["storage"])
    registry = load_registry(job["plugins_dirs"])
    try:
        with stop_on_signals():
            with no_hard_exit():  # loaded before any trial is taken: a trial's time limit never counts the data's load
                data = load_data(spec, registry)
            found, recorded = data_fingerprint(data), job["dataset_sha256"]
            if found != recorded:
                raise LossbenchError(
                    f"the dataset {spec.dataset} (plugin {registry.owner('datasets', spec.dataset)}) loaded other "
                    f"data in worker process {os.getpid()} than the sweep started with (fingerprint {recorded[:12]} -> "
                    f"{found[:12]}): it must load the same data every time; no trial trained on it")
            Worker(spec, storage.open(), registry, execution, index, database=storage.is_database, data=data,
                   supervised=True, checkpoints=Checkpoints.of(storage)).run()
    except Stopped as stop:  # its trial is marked interrupted; the parent says how to resume
        return 128 + stop.signum
    except LossbenchError as error:
        return _said(error)
    except Exception as error:  # a storage failing mid-sweep is one line, as in the parent
        if (lost := storage_failure(error, storage)) is None:
            raise
        return _said(lost)
    return 0


def _said(error: Exception) -> int:
    """Write ``error`` as this worker's ``error:`` line; its exit status."""
    from lossbench.sweep.processes import ERROR

    sys.stderr.write(ERROR + " ".join(str(error).split("\n")) + "\n")
    return error.exit_code


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
