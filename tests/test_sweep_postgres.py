"""Several workers on one sweep in a real, throwaway PostgreSQL server (see tests/postgres.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from lossbench.results.checks import StoredFormError
from postgres import find_binaries

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_binaries() is None,
                                 reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")]


@pytest.fixture(scope="module")
def url(postgres_session):
    return postgres_session.new_database()


def command(url: str, name: str, *extra: str) -> list[str]:
    return ["run", "--name", name, "--storage", url, "--dataset", "digits", "--remedies", "none",
            "--loss", "ce", "--loss", "focal", "--cell", "rnn", "--quiet", *extra]


def load(url: str, name: str):
    from lossbench.results import read_sweep

    return read_sweep(name, url)


def assert_budget(data, trials: int, seeds: int) -> None:
    assert len(data.arms) == 2
    for arm in data.arms:
        assert len(arm.finished_tuning) == trials, [(t.number, t.state, t.user_attrs.get("surplus")) for t in arm.tuning]
        final_seeds = [t.seed for t in arm.completed_final]
        assert sorted(final_seeds) == [1000 + i for i in range(seeds)], final_seeds  # no duplicate, none missing
        assert all(t.state in ("COMPLETE", "PRUNED", "FAIL") for t in [*arm.tuning, *arm.final])


def test_three_workers_share_one_sweep_with_an_exact_budget(url, tmp_path, cli_process):
    args = command(url, "three", "--set", "hidden=8", "--epochs", "2", "--trials", "4", "--seeds", "3")
    processes = [cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE) for _ in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    data = load(url, "three")
    assert_budget(data, 4, 3)
    workers = {t.user_attrs["worker"]["pid"] for a in data.arms for t in [*a.tuning, *a.final]}
    assert len(workers) >= 2  # the work really was shared
    assert "password" not in str(data.provenance)


def supervisor(trial) -> int | None:
    """The pid of the command whose worker process ran ``trial``."""
    return (trial.user_attrs.get("worker", {}).get("supervisor") or {}).get("pid")


def test_a_worker_killed_mid_trial_does_not_stop_the_sweep(url, tmp_path, cli_process):
    args = command(url, "kill", "--set", "hidden=16", "--epochs", "3", "--trials", "4", "--seeds", "2",
                   "--heartbeat", "2", "--workers", "1")  # three machines, say, of one worker each
    processes = [cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE) for _ in range(3)]
    victim, deadline = None, time.time() + 300
    while victim is None and time.time() < deadline:
        time.sleep(0.3)
        try:
            data = load(url, "kill")
        except (KeyError, StoredFormError):  # no sweep yet, or its first start has not recorded the spec yet
            continue
        running = {supervisor(t) for a in data.arms for t in a.tuning if t.state == "RUNNING"}
        victim = next((p for p in processes if p.pid in running), None)
    assert victim is not None, "no worker was seen mid-trial"
    os.kill(victim.pid, signal.SIGKILL)  # the command, whose worker process dies with it
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process is victim or process.returncode == 0, err
    data = load(url, "kill")
    assert_budget(data, 4, 2)
    killed = [t for a in data.arms for t in [*a.tuning, *a.final] if supervisor(t) == victim.pid
              and t.state == "FAIL" and not t.surplus]
    assert killed, "the killed worker's trial was not failed"
