"""Worker processes: the job file a child worker reads, starting one, stopping them, the last line it logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lossbench.results.storage import Storage
from lossbench.sweep.execution import Execution
from lossbench.sweep.spec import SweepSpec


def write_job(folder: Path, spec: SweepSpec, storage: Storage, plugins_dirs: list[str], execution: Execution) -> Path:
    """What a child worker is handed, as a file in ``folder``."""
    path = folder / "job.json"
    path.write_text(json.dumps({"spec": spec.to_json(), "storage": storage.to_json(),
                                "plugins_dirs": list(plugins_dirs), "execution": execution.to_json()}))
    return path


def spawn(job: Path, index: int) -> tuple[subprocess.Popen, Path]:
    """Start worker ``index`` as a child process; its stderr goes to a log file beside the job (a file, not a
    pipe: a chatty worker can never block on it)."""
    log = job.parent / f"worker{index}-{time.monotonic_ns()}.log"
    with open(log, "w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "lossbench.sweep.child", str(job), str(index),
                                    str(os.getpid())], stdout=subprocess.DEVNULL, stderr=handle)
    return process, log


def exit_line(process: subprocess.Popen, log: Path) -> str:
    """How a child worker ended, with the last line it wrote."""
    return f"worker {process.pid} exited with {process.returncode}: " + (
        log.read_text().strip().splitlines() or ["no message"])[-1]


def stop_workers(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every child worker (each marks its trial interrupted), SIGKILL to any still there after 10 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
