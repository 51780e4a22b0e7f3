"""How a sweep runs on this machine: worker processes, torch threads per worker, and the device of each worker.

Defaults: one torch thread per worker (``OMP_NUM_THREADS`` when set) and as many workers as there are cores
for them, never more than the trials the sweep can have in flight. A resumed sweep keeps the thread count it
started with unless ``--threads`` or ``OMP_NUM_THREADS`` says otherwise: float results depend on it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from lossbench.engine.config import MAX_THREADS
from lossbench.engine.threads import THREADS_ENV, cores, default_threads
from lossbench.errors import LossbenchError, setting
from lossbench.sweep.spec import SweepSpec

MAX_WORKERS = 256


@dataclass(frozen=True)
class Execution:
    workers: int
    threads: int  # torch threads in each worker
    device: str = "cpu"  # cpu or cuda; worker k runs on GPU k mod (visible GPUs)
    gpus: int = 0
    deadline: float | None = None  # time.time() at which this start stops taking trials (--time-budget)

    def device_of(self, worker: int) -> str:
        return f"cuda:{worker % self.gpus}" if self.device == "cuda" and self.gpus else self.device

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Execution:
        return cls(**data)


def plan(spec: SweepSpec, workers: str | int, threads: int | None, device: str, started_with: int | None) -> Execution:
    """Workers (``auto`` or a number), threads per worker (None: as the sweep started, else the default) and
    the device, checked."""
    if threads is None and THREADS_ENV not in os.environ and started_with:
        threads = started_with
    threads = threads if threads is not None else default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise LossbenchError(f"{setting('threads')} must be an integer in [1, {MAX_THREADS}], got {threads!r}")
    gpus = _gpus(device)
    in_flight = max(1, len(spec.arms) * max(spec.trials, spec.seeds))
    if workers == "auto":
        count = gpus if device == "cuda" else max(1, cores() // threads)
        count = min(count, in_flight)
    else:
        count = _count(workers)
    return Execution(count, threads, device, gpus)


def _count(workers: str | int) -> int:
    """A number of workers: an int, or its digits as text (the command line's); never 1.5 read as 1."""
    if isinstance(workers, int) and not isinstance(workers, bool):
        count = workers
    elif isinstance(workers, str) and workers.strip().isascii() and workers.strip().isdigit():
        count = int(workers)
    else:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise LossbenchError(f"{setting('workers')} must be auto or an integer in [1, {MAX_WORKERS}], got {workers!r}")
    return count


def _gpus(device: str) -> int:
    if device not in ("cpu", "cuda"):
        raise LossbenchError(f"{setting('device')} must be cpu or cuda, got {device!r}")
    if device == "cpu":
        return 0
    import torch

    if not torch.cuda.is_available():
        raise LossbenchError("device cuda was asked for, but torch sees no CUDA device here")
    return torch.cuda.device_count()
