"""A signal, a process death and a hung trial, produced for real (docs/failures.md F08, F09, F14): the running
trial marked and the budget kept on resume, no child worker outliving its parent, a trial past its timeout ended
while the sweep goes on. Split from test_failures.py (which holds the helpers) so that test processes share the
fault suite evenly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lossbench.results import read_sweep
from test_failures import (TINY, _running_trials, _wait_for, exits_as_documented, expected, loss_plugin,
                           one_error_line)


@pytest.mark.slow
@pytest.mark.parametrize("signum, workers", [(signal.SIGINT, "1"), (signal.SIGTERM, "2")])
def test_F08_a_signal_marks_the_running_trial_and_resume_keeps_the_budget(cli, cli_process, tmp_path, signum,
                                                                          workers):
    args = ["run", "--name", "sig", "--quiet", "--dataset", "digits", "--cell", "rnn", "--remedies", "none",
            "--loss", "ce", "--loss", "focal", "--set", "hidden=16", "--epochs", "30", "--patience", "0", "--trials",
            "2", "--seeds", "1", "--workers", workers]  # runs of seconds: the one seen running still runs at the kill
    journal = tmp_path / "results" / "sig" / "sweep.journal"
    process = cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE)
    _wait_for(lambda: _running_trials(journal))
    os.kill(process.pid, signum)  # the parent alone, as `kill` would
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum and process.returncode in expected("F08"), err
    assert "run the same command again to resume" in err and "Traceback" not in err, err
    data = read_sweep("sig", str(journal))
    trials = [t for arm in data.arms for t in [*arm.tuning, *arm.final]]
    interrupted = [t for t in trials if t.status == "interrupted"]
    assert interrupted and not [t for t in trials if t.state == "RUNNING"]  # marked at once, nothing left running
    assert len([t for t in trials if t.state == "WAITING"]) == len(interrupted)  # each one's retry queued
    cli(*args, cwd=tmp_path, check=True)  # the next start finishes the exact budget
    data = read_sweep("sig", str(journal))
    for arm in data.arms:
        assert len(arm.finished_tuning) == 2 and len(arm.completed_final) == 1, arm.key
        assert not [t for t in [*arm.tuning, *arm.final] if t.state in ("RUNNING", "WAITING")]
    retried = {t.user_attrs.get("retry_of") for arm in data.arms for t in arm.tuning} - {None}
    assert {t.number for t in interrupted if t.user_attrs.get("phase") == "tune"} <= retried


def _children(pid: int) -> list[int]:
    """The child worker processes of ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == pid and "lossbench.sweep.child" in command:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_F09_a_child_worker_never_outlives_its_parent(cli_process, tmp_path):
    process = cli_process("run", "--name", "orphan", "--quiet", *TINY[:-2], "--workers", "2", "--trials", "4",
                          "--loss", "ce", "--loss", "focal", cwd=tmp_path, stderr=subprocess.DEVNULL)
    children = _wait_for(lambda: _children(process.pid), every=0.05)
    os.kill(process.pid, signal.SIGKILL)  # during the children's start-up
    process.wait()
    _wait_for(lambda: not any(Path(f"/proc/{child}").exists() and "lossbench.sweep.child" in
                              Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
                              for child in children), seconds=30)
    # A child whose parent died before it could arm its death signal sees another parent and exits at once,
    # before it even reads its job.
    done = subprocess.run([sys.executable, "-m", "lossbench.sweep.child", str(tmp_path / "no-such-job.json"), "1",
                           str(os.getpid() + 999_999)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr


@pytest.mark.slow
def test_F14_a_hung_trial_is_ended_and_the_sweep_goes_on(cli, tmp_path):
    plugins = loss_plugin(tmp_path / "plugins", "hang", "time.sleep(100_000)")
    started = time.time()
    done = cli("--plugins-dir", str(plugins), "run", "--name", "hung", "--quiet", *TINY, "--trials", "1",
               "--loss", "ce", "--loss", "hang", "--trial-timeout", "20", cwd=tmp_path, timeout=600)
    exits_as_documented(done, "F14")
    assert "1 of 3 trials failed" in one_error_line(done) and time.time() - started < 300
    data = read_sweep("hung", str(tmp_path / "results" / "hung" / "sweep.journal"))
    arms = {arm.loss: arm for arm in data.arms}
    hung = arms["hang"].tuning[0]
    assert (hung.state, hung.status) == ("FAIL", "timeout") and "trial_timeout (20 s)" in hung.error
    assert len(arms["ce"].finished_tuning) == 1 and len(arms["ce"].completed_final) == 1  # the sweep went on
