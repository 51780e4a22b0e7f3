"""Faults of a sweep's worker processes, made for real (docs/failures.md F62-F66): data that changes between the
command's load and a worker's, plugin code that leaves a thread or a child process running, a stop before any
trial ran, and a time budget too short for any trial to finish."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from lossbench.results import read_sweep
from test_failures import _wait_for, exits_as_documented, one_error_line, write_plugin

pytestmark = pytest.mark.slow

SMALL = ["--quiet", "--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--set", "hidden=8", "--trials", "2",
         "--seeds", "1"]


def stored(name: str, folder: Path) -> list:
    data = read_sweep(name, str(folder / "results" / name / "sweep.journal"))
    return [t for arm in data.arms for t in [*arm.tuning, *arm.final]]


def test_F62_a_dataset_that_loads_other_data_in_a_worker_trains_nothing(cli, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "wobbly", '''
import numpy as np
from lossbench import Dataset, Split

def load():
    rng = np.random.default_rng(os.getpid())  # other data in every process: not deterministic
    split = lambda n: Split(rng.normal(size=(n, 5, 2)).astype("float32"), rng.integers(0, 3, n))
    return Dataset(train=split(30), val=split(12), test=split(12), num_classes=3)

@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="wobbly", summary="other data at every load", load=load))
''')
    for workers in ("1", "2"):
        done = cli("--plugins-dir", str(plugins), "run", "--name", f"wobbly{workers}", *SMALL, "--epochs", "1",
                   "--loss", "ce", "--dataset", "wobbly", "--workers", workers, cwd=tmp_path, timeout=600)
        exits_as_documented(done, "F62")
        line = one_error_line(done)
        assert "the dataset wobbly (plugin wobbly) loaded other data in worker process" in line, line
        assert "it must load the same data every time; no trial trained on it" in line, line
        assert stored(f"wobbly{workers}", tmp_path) == []  # no arm trained on other data


LEAKY = '''
import subprocess, threading

def build():
    threading.Thread(target=time.sleep, args=(10**6,), name="leaky-timer").start()  # not a daemon
    subprocess.Popen(["sleep", "1000001"])  # never waited for
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(name="leaky", summary="leaves a thread and a process running", build=build))
'''


def sleepers() -> set[int]:
    """The ``sleep 1000001`` processes the leaky plugin started, still running."""
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == b"sleep\x001000001\x00":
                found.add(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("how", [["--workers", "1"], ["--workers", "2"], ["--workers", "1", "--trial-timeout", "120"]])
def test_F63_plugin_code_that_leaves_a_thread_or_process_running_never_hangs_the_command(cli, tmp_path, how):
    plugins = write_plugin(tmp_path / "plugins", "leaky", LEAKY)
    before = sleepers()
    done = cli("--plugins-dir", str(plugins), "run", "--name", "leaky", *SMALL, "--epochs", "1", "--loss", "leaky", *how,
               cwd=tmp_path, timeout=300)  # hung for ever before
    exits_as_documented(done, "F63")
    assert (tmp_path / "results" / "leaky" / "report.md").is_file()
    assert re.search(r"warning: plugin code left \d thread\(s\) running \(leaky-timer", done.stderr), done.stderr
    assert re.search(r"warning: plugin code left \d child process\(es\) running \(\d+: sleep 1000001.*stopped with "
                     r"SIGTERM", done.stderr), done.stderr
    assert sorted(t.status for t in stored("leaky", tmp_path) if not t.surplus) == ["completed"] * 3
    _wait_for(lambda: not sleepers() - before, seconds=30)  # the processes it left are gone


def test_F64_a_stop_before_any_trial_ran_says_none_was_running(cli_process, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "slowdata", '''
import numpy as np
from pathlib import Path
from lossbench import Dataset, Split

def load():
    loads = Path("loads")
    with loads.open("a") as counted:
        counted.write("x")
    if len(loads.read_text()) > 1:  # a worker's load (the command's own came first): wait to be stopped
        Path("reached").write_text("")
        while True:
            time.sleep(0.05)
    rng = np.random.default_rng(0)
    split = lambda n: Split(rng.normal(size=(n, 5, 2)).astype("float32"), rng.integers(0, 3, n))
    return Dataset(train=split(30), val=split(12), test=split(12), num_classes=3)

@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="slowdata", summary="a worker's load waits", load=load))
''')
    process = cli_process("--plugins-dir", str(plugins), "run", "--name", "early", *SMALL, "--epochs", "1", "--loss",
                          "ce", "--dataset", "slowdata", "--workers", "1", cwd=tmp_path, stderr=subprocess.PIPE)
    _wait_for(lambda: (tmp_path / "reached").is_file())
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    exits_as_documented(subprocess.CompletedProcess([], process.returncode, "", err), "F64")
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "interrupted by SIGTERM: no trial was running; run the same command again to resume" in err, err
    assert stored("early", tmp_path) == []


def test_F65_a_time_budget_too_short_for_any_trial_is_an_error(cli, tmp_path):
    args = ["run", "--name", "short", *SMALL, "--epochs", "2", "--loss", "ce", "--workers", "2"]
    done = cli(*args, "--time-budget", "1s", cwd=tmp_path)
    exits_as_documented(done, "F65")
    line = one_error_line(done)
    assert "the time budget (1 s) ran out before any trial finished in this start: starting took" in line, line
    assert re.search(r"give a time budget (of at least|well over) \d+ s$", line), line
    trials = stored("short", tmp_path)
    assert not [t for t in trials if t.state in ("COMPLETE", "RUNNING")]  # none finished, none left running
    assert len([t for t in trials if t.state == "WAITING"]) == len([t for t in trials if t.status == "interrupted"])
    exits_as_documented(cli(*args, cwd=tmp_path), "F65")  # without a budget: it finishes
    finished = stored("short", tmp_path)
    assert len([t for t in finished if t.state == "COMPLETE"]) == 3 and not [t for t in finished if t.state == "WAITING"]
