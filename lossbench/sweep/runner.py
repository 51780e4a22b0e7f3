"""Start a sweep: record its spec, run one worker here or N worker processes, show progress from storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lossbench.sweep import storage as storage_mod
from lossbench.sweep.provenance import worker_threads
from lossbench.sweep.spec import SweepSpec


@dataclass
class Progress:
    """What the display shows, read from storage."""

    arms: int = 0
    arms_done: int = 0
    trials_budget: int = 0
    trials_done: int = 0
    pruned: int = 0
    diverged: int = 0
    failed: int = 0
    finals_done: int = 0
    finals_budget: int = 0
    current: list[str] = field(default_factory=list)  # "arm phase epoch e/E"
    best: float | None = None
    best_arm: str | None = None
    elapsed: float = 0.0

    @property
    def fraction(self) -> float:
        total = self.trials_budget + self.finals_budget
        return (self.trials_done + self.finals_done) / total if total else 1.0

    @property
    def eta(self) -> float | None:
        return self.elapsed * (1 - self.fraction) / self.fraction if self.fraction > 0 else None


def read_progress(spec: SweepSpec, storage: Any, started: float) -> Progress:
    import optuna

    progress = Progress(arms=len(spec.arms), trials_budget=len(spec.arms) * spec.trials,
                        finals_budget=len(spec.arms) * spec.seeds, elapsed=time.perf_counter() - started)
    names = {s.study_name: s for s in optuna.study.get_all_study_summaries(storage, include_best_trial=False)}
    sign = 1 if spec.maximize else -1
    for arm in spec.arms:
        tune_done = final_done = 0
        for phase in ("tune", "final"):
            name = arm.study(spec.name, phase)
            if name not in names:
                continue
            for t in optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False):
                status, state = t.user_attrs.get("status"), t.state.name
                if state == "RUNNING":
                    progress.current.append(f"{arm.key} {phase} epoch {len(t.intermediate_values)}/{spec.epochs}")
                if phase == "tune":
                    if state in ("COMPLETE", "PRUNED"):
                        tune_done += 1
                        progress.pruned += status == "pruned"
                        progress.diverged += status == "diverged"
                        if state == "COMPLETE" and t.value is not None and status != "diverged" and (
                                progress.best is None or sign * t.value > sign * progress.best):
                            progress.best, progress.best_arm = t.value, arm.key
                    progress.failed += status == "failed"
                elif state == "COMPLETE":
                    final_done += 1
        progress.trials_done += min(tune_done, spec.trials)
        progress.finals_done += min(final_done, spec.seeds)
        progress.arms_done += tune_done >= spec.trials and final_done >= spec.seeds
    return progress


def render(progress: Progress, spec: SweepSpec) -> Any:
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    eta = "?" if progress.eta is None else f"{progress.eta:.0f}s"
    best = "-" if progress.best is None else f"{progress.best:.4f} ({progress.best_arm})"
    table.add_row("[bold]sweep[/bold]", f"{spec.name}: arms {progress.arms_done}/{progress.arms}, "
                  f"tuning trials {progress.trials_done}/{progress.trials_budget} "
                  f"(pruned {progress.pruned}, diverged {progress.diverged}, failed {progress.failed}), "
                  f"final runs {progress.finals_done}/{progress.finals_budget}")
    table.add_row("[bold]best[/bold]", f"{spec.objective} {best}")
    table.add_row("[bold]now[/bold]", "; ".join(progress.current[:4]) or "-")
    table.add_row("[bold]time[/bold]", f"{progress.elapsed:.0f}s elapsed, about {eta} left")
    return table


def run_sweep(spec: SweepSpec, registry: Any, *, url: str | None, out: str, workers: int, plugins_dirs: list[str],
              provenance: dict[str, Any], heartbeat: int | None = None,
              show: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """Run (or resume) the sweep until it is finished; return the last error line of each worker process that failed.

    ``show`` is a context-manager factory taking a ``render()`` callable (the CLI's Rich Live), or None."""
    from lossbench.sweep.worker import Worker, ensure_spec

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal = storage_mod.journal_path(out, spec.name)
    storage = storage_mod.open_storage(url, journal, heartbeat)
    ensure_spec(storage, spec, provenance)
    started = time.perf_counter()
    # The display reads its own storage object: the worker's may be busy in another thread.
    monitor = storage_mod.open_storage(url, journal, heartbeat) if show else None
    state: dict[str, Any] = {"progress": None}

    def snapshot() -> Any:
        from rich.text import Text

        if state["progress"] is None:
            return Text("starting...")
        return render(state["progress"], spec)

    stop = threading.Event()
    problems: list[str] = []

    def poll() -> None:
        while not stop.is_set():
            try:
                state["progress"] = read_progress(spec, monitor, started)
            except Exception:
                pass
            stop.wait(1.0)

    poller = threading.Thread(target=poll, daemon=True) if show else None
    context = show(snapshot) if show else _Null()
    with context:
        if poller:
            poller.start()
        try:
            # This process is worker 0; workers 1..N-1 are child processes (one process start-up fewer).
            here = Worker(spec, storage, registry, 0, database=storage_mod.is_database(url))
            if workers <= 1:
                here.run()
            else:
                problems = _run_processes(spec, url, out, workers, plugins_dirs, heartbeat, here)
        finally:
            stop.set()
            if poller:
                poller.join(timeout=10)
                try:
                    state["progress"] = read_progress(spec, monitor, started)
                except Exception:
                    pass
    return problems


def _run_processes(spec: SweepSpec, url: str | None, out: str, workers: int, plugins_dirs: list[str],
                   heartbeat: int | None, here: Any) -> list[str]:
    """Workers 1..N-1 in child processes while ``here`` (worker 0) runs in this one; torch threads divided.

    Worker 0 works until the sweep is finished, so a child that dies costs time, never results; the last
    error line of each child that failed is returned."""
    import torch

    threads = worker_threads(workers)
    job = {"spec": spec.to_json(), "storage": url, "out": out, "plugins_dirs": list(plugins_dirs),
           "threads": threads, "heartbeat": heartbeat}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "job.json"
        path.write_text(json.dumps(job))
        logs = [Path(folder) / f"worker{i}.log" for i in range(1, workers)]
        processes = []
        for index, log in enumerate(logs, start=1):
            with open(log, "w") as handle:  # a file, not a pipe: a chatty worker can never block on it
                processes.append(subprocess.Popen([sys.executable, "-m", "lossbench.sweep.worker", str(path), str(index)],
                                                  stdout=subprocess.DEVNULL, stderr=handle))
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            here.run()
            for process in processes:
                process.wait()
        except BaseException:
            for process in processes:
                process.kill()
            raise
        finally:
            torch.set_num_threads(previous)
        errors = [f"worker {p.pid} exited with {p.returncode}: "
                  + (log.read_text().strip().splitlines() or ["no message"])[-1]
                  for p, log in zip(processes, logs) if p.returncode != 0]
    return errors


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None
