"""Start (or resume) a sweep: record its spec, then run worker 0 here and workers 1..N-1 as child processes."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.results import writer
from lossbench.results.reader import stored_attrs
from lossbench.results.schema import PROVENANCE_ATTR, spec_study
from lossbench.results.storage import Storage
from lossbench.sweep.execution import Execution
from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.worker import Worker


def run_sweep(spec: SweepSpec, registry: Any, storage: Storage, execution: Execution, *, plugins_dirs: list[str],
              provenance: dict[str, Any], data: Any = None) -> list[str]:
    """Run the sweep until it is finished; the last error line of each worker process that failed. ``data``: the
    dataset, when the caller has loaded it (worker 0, here, uses it)."""
    import optuna
    import torch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = storage.open()
    ensure_spec(store, spec, provenance)
    torch.set_num_threads(execution.threads)
    # This process is worker 0; workers 1..N-1 are child processes (one process start-up fewer).
    here = Worker(spec, store, registry, execution, 0, database=storage.is_database, data=data)
    if execution.workers <= 1:
        here.run()
        return []
    return _run_processes(spec, storage, execution, plugins_dirs, here)


def started_threads(storage: Storage) -> int | None:
    """The torch threads per worker a stored sweep started with; None for a new sweep."""
    if not storage.is_database and not storage.journal.is_file():
        return None
    found = stored_attrs(storage.name, storage.open())
    return (found[0].get(PROVENANCE_ATTR) or {}).get("threads") if found else None


def ensure_spec(store: Any, spec: SweepSpec, provenance: dict[str, Any]) -> None:
    """Record the spec on the first start; refuse a different spec under the same name."""
    import optuna

    study = optuna.create_study(study_name=spec_study(spec.name), storage=store, load_if_exists=True)
    stored = writer.stored_spec(study)
    if stored is None:
        writer.record_spec(study, spec.identity(), provenance)
        return
    if stored != spec.identity():
        diff = [k for k in spec.identity() if stored.get(k) != spec.identity()[k]]
        diff = [k for k in diff if k != "refused"] or diff  # refused arms follow from the rest: name the cause
        raise LossbenchError(f"a sweep named {spec.name!r} already exists in this storage with a different spec "
                             f"(differs in: {', '.join(diff)}); give another --name, or the same settings to resume it")


def _run_processes(spec: SweepSpec, storage: Storage, execution: Execution, plugins_dirs: list[str],
                   here: Worker) -> list[str]:
    """Workers 1..N-1 in child processes while ``here`` (worker 0) runs in this one.

    Worker 0 works until the sweep is finished, so a child that dies costs time, never results; the last
    error line of each child that failed is returned."""
    job = {"spec": spec.to_json(), "storage": storage.to_json(), "plugins_dirs": list(plugins_dirs),
           "execution": execution.to_json()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "job.json"
        path.write_text(json.dumps(job))
        logs = [Path(folder) / f"worker{i}.log" for i in range(1, execution.workers)]
        processes = []
        for index, log in enumerate(logs, start=1):
            with open(log, "w") as handle:  # a file, not a pipe: a chatty worker can never block on it
                processes.append(subprocess.Popen([sys.executable, "-m", "lossbench.sweep.child", str(path), str(index)],
                                                  stdout=subprocess.DEVNULL, stderr=handle))
        try:
            here.run()
            for process in processes:
                process.wait()
        except BaseException:
            for process in processes:
                process.kill()
            raise
        return [f"worker {p.pid} exited with {p.returncode}: " + (log.read_text().strip().splitlines() or ["no message"])[-1]
                for p, log in zip(processes, logs) if p.returncode != 0]
