"""Faults of the processes a sweep runs in, produced for real (docs/failures.md F40-F44): a trial whose process is
killed (SIGKILL, as the out-of-memory killer does), a loss raising a BaseException of its own, SIGHUP, and on a real
PostgreSQL server a worker paused (SIGSTOP) past its heartbeat's grace while another start takes its trial over."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lossbench.results import read_sweep
from lossbench.sweep.slots import MAX_LOST_RETRIES
from postgres import find_binaries
from test_failures import _running_trials, _wait_for, exits_as_documented, expected, write_plugin

pytestmark = pytest.mark.slow

SMALL = ["--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--set", "hidden=8", "--epochs", "1",
         "--seeds", "1", "--trials", "1"]


def killer_plugin(folder: Path) -> Path:
    """A loss whose function SIGKILLs its own process on the first training step: what the OOM killer does."""
    return write_plugin(folder, "killer", '''
import signal

def build():
    import torch.nn.functional as F

    def loss(logits, target):
        os.kill(os.getpid(), signal.SIGKILL)
        return F.cross_entropy(logits, target)
    return loss

@hookimpl
def register_losses(register):
    register(LossSpec(name="oom", summary="killed", build=build))
''')


def trials(name: str, folder: Path) -> list:
    data = read_sweep(name, str(folder / "results" / name / "sweep.journal"))
    return [t for arm in data.arms for t in [*arm.tuning, *arm.final]]


def killed_trial_fails_in_one_start(cli, tmp_path, name: str, workers: str, case: str) -> None:
    """A trial that SIGKILLs its worker every time: its slot lost, retried, then failed, in one start that goes
    on with the other arm and exits 3 (the command's own process never dies with it)."""
    plugins = killer_plugin(tmp_path / "plugins")
    done = cli("--plugins-dir", str(plugins), "run", "--name", name, "--quiet", *SMALL, "--workers", workers,
               "--loss", "oom", "--loss", "ce", cwd=tmp_path, timeout=600)
    exits_as_documented(done, case)
    assert done.returncode == 3 and "1 of" in done.stderr, done.stderr
    assert "WorkerDied: its worker process was killed by SIGKILL (out of memory?)" in done.stderr, done.stderr
    killed = [t for t in trials(name, tmp_path) if t.user_attrs["arm"] == "oom:rnn:none"]
    assert [t.status for t in killed] == ["lost"] * MAX_LOST_RETRIES + ["failed"], [t.status for t in killed]
    assert all("killed by SIGKILL (out of memory?)" in t.error for t in killed)
    assert f"{MAX_LOST_RETRIES + 1} times" in killed[-1].error
    ce = [t for t in trials(name, tmp_path) if t.user_attrs["arm"] == "ce:rnn:none" and not t.surplus]
    assert sorted(t.status for t in ce) == ["completed", "completed"]  # the other arm went on


def test_F40_a_trial_killed_with_its_only_worker_fails_in_the_same_start(cli, tmp_path):
    killed_trial_fails_in_one_start(cli, tmp_path, "oom", "1", "F40")


def test_F41_a_child_s_sigkill_never_kills_the_sweep(cli, tmp_path):
    killed_trial_fails_in_one_start(cli, tmp_path, "oom2", "2", "F41")


def test_F42_a_loss_raising_a_base_exception_fails_its_trial(cli, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "basex", '''
class Doom(BaseException):
    pass

def build():
    def loss(logits, target):
        raise Doom("the end of everything")
    return loss

@hookimpl
def register_losses(register):
    register(LossSpec(name="doom", summary="raises a BaseException", build=build))
''')
    args = ["--plugins-dir", str(plugins), "run", "--name", "doom", "--quiet", *SMALL, "--workers", "1",
            "--loss", "doom", "--loss", "ce"]
    done = cli(*args, cwd=tmp_path, timeout=600)
    exits_as_documented(done, "F42")
    assert "loss doom (plugin basex): the loss function raised Doom: the end of everything" in done.stderr, done.stderr
    found = trials("doom", tmp_path)
    assert [t.status for t in found if t.user_attrs["arm"] == "doom:rnn:none"] == ["failed"]
    assert [t.status for t in found if t.user_attrs["arm"] == "ce:rnn:none"] == ["completed", "completed"]
    again = cli(*args, cwd=tmp_path, timeout=600)  # finished: a resume has nothing left to run
    exits_as_documented(again, "F42")
    assert len(trials("doom", tmp_path)) == len(found)


def test_F43_sighup_stops_like_sigterm(cli, cli_process, tmp_path):
    args = ["run", "--name", "sig", "--quiet", "--dataset", "digits", "--cell", "rnn", "--remedies", "none",
            "--loss", "ce", "--set", "hidden=16", "--epochs", "8", "--trials", "2", "--seeds", "1", "--workers", "1"]
    journal = tmp_path / "results" / "sig" / "sweep.journal"
    process = cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE)
    _wait_for(lambda: _running_trials(journal))
    os.kill(process.pid, signal.SIGHUP)  # the terminal closed
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGHUP and process.returncode in expected("F43"), err
    assert "interrupted by SIGHUP" in err and "run the same command again to resume" in err, err
    assert "Traceback" not in err, err
    found = trials("sig", tmp_path)
    interrupted = [t for t in found if t.status == "interrupted"]
    assert interrupted and not [t for t in found if t.state == "RUNNING"]
    assert len([t for t in found if t.state == "WAITING"]) == len(interrupted)
    cli(*args, cwd=tmp_path, check=True)  # the next start finishes the exact budget
    data = read_sweep("sig", str(journal))
    assert len(data.arms[0].finished_tuning) == 2 and len(data.arms[0].completed_final) == 1


@pytest.mark.skipif(find_binaries() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")
def test_F44_a_worker_paused_past_its_heartbeat_drops_the_trial_taken_over(cli, cli_process, tmp_path,
                                                                        postgres_url):
    args = ["run", "--name", "paused", "--storage", postgres_url, "--quiet", "--dataset", "digits", "--cell", "rnn",
            "--remedies", "none", "--loss", "ce", "--set", "hidden=16", "--epochs", "15", "--trials", "2",
            "--seeds", "1", "--workers", "1", "--heartbeat", "1"]

    def running() -> list:
        try:
            return [t for arm in read_sweep("paused", postgres_url).arms for t in arm.tuning if t.state == "RUNNING"]
        except Exception:  # not created yet
            return []

    first = cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE)
    paused = _wait_for(running)[0]
    worker = paused.user_attrs["worker"]["pid"]  # the command's worker process, which runs the trial
    os.kill(worker, signal.SIGSTOP)
    time.sleep(4)  # past the grace period (2 heartbeats)
    second = cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE)  # another machine, say

    def taken_over() -> bool:
        data = read_sweep("paused", postgres_url)
        return any(t.number == paused.number and t.state == "FAIL" for arm in data.arms for t in arm.tuning)
    _wait_for(taken_over)
    os.kill(worker, signal.SIGCONT)
    _, err = first.communicate(timeout=300)
    _, err2 = second.communicate(timeout=300)
    exits_as_documented(subprocess.CompletedProcess(args, first.returncode, "", err), "F44")
    exits_as_documented(subprocess.CompletedProcess(args, second.returncode, "", err2), "F44")
    assert "was taken over by another worker" in err and "Traceback" not in err, err
    data = read_sweep("paused", postgres_url)
    arm = data.arms[0]
    assert len(arm.finished_tuning) == 2 and len(arm.completed_final) == 1  # the budget stays exact
    assert not [t for t in [*arm.tuning, *arm.final] if t.state in ("RUNNING", "WAITING")]
