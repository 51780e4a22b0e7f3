"""Worker processes: the job file a child worker reads, starting one, stopping them, the last line it logged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lossbench.results.storage import Storage
from lossbench.sweep.execution import Execution
from lossbench.sweep.spec import SweepSpec

ERROR = "error: "  # a worker's log line of the LossbenchError that ended it (``child``)


def write_job(folder: Path, spec: SweepSpec, storage: Storage, plugins_dirs: list[str], execution: Execution,
              dataset_sha256: str) -> Path:
    """What a child worker is handed, as a file in ``folder``: with the fingerprint its data must have."""
    path = folder / "job.json"
    path.write_text(json.dumps({"spec": spec.to_json(), "storage": storage.to_json(),
                                "plugins_dirs": list(plugins_dirs), "execution": execution.to_json(),
                                "dataset_sha256": dataset_sha256}))
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
    code, said = process.returncode, last_line(log)
    how = died_how(code).removeprefix("its worker process ") if code < 0 else f"exited with {code}"
    return f"worker {process.pid} {how}" + (f": {said}" if said else "")


def last_line(log: Path) -> str:
    return (log.read_text(errors="replace").strip().splitlines() or [""])[-1]


def error_line(log: Path) -> str | None:
    """The message of the ``LossbenchError`` that ended a child worker (its last ``error:`` line), if one did."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith(ERROR)]
    return lines[-1].removeprefix(ERROR) if lines else None


def warnings_in(log: Path) -> list[str]:
    """The ``warning:`` lines a child worker wrote (a trial taken over, plugin code left running), to be said."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line.removeprefix("warning: ") for line in lines if line.startswith("warning: ")]


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


def died_how(returncode: int) -> str:
    """A dead worker process's exit status in words (``Popen.returncode``: minus the signal that killed it)."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        why = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return f"its worker process was killed by {name}{why}"
    return f"its worker process exited with {returncode} while running it"
