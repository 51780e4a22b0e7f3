"""Sweeps that end as docs/failures.md documents (F07, F10, F18): a read-only results folder, a retry left
waiting in a full phase, a loss returning NaN. Split from test_failures.py (which holds the helpers) so that test
processes share the fault suite evenly."""

from __future__ import annotations

import json
import subprocess

import pytest

from lossbench.results import read_sweep
from test_failures import TINY, exits_as_documented, one_error_line, stored_sweep, write_plugin


@pytest.mark.slow
def test_F07_a_read_only_results_folder(cli, tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root (or CAP_SYS_ADMIN)")
    try:
        args = ["run", "--name", "ro", "--quiet", *TINY, "--trials", "1", "--loss", "ce"]
        stored_sweep(mount / "results", "ro")  # what `lossbench args` stores
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for command in (args, [*args[:2], "fresh", *args[3:]], ["report", "ro"]):  # a resume, a new sweep, a report
            done = cli(*command, cwd=mount)
            exits_as_documented(done, "F07")
            assert "Read-only file system" in one_error_line(done)
        assert cli("report", "ro", "--format", "terminal", cwd=mount).returncode == 0  # reading still works
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.mark.slow
def test_F10_a_retry_left_waiting_in_a_full_phase(cli, tmp_path):
    import optuna

    from lossbench.results import open_storage

    args = ["run", "--name", "full", "--quiet", *TINY, "--trials", "1", "--loss", "ce"]
    stored_sweep(tmp_path / "results", "full")  # what `lossbench args` stores
    journal = str(tmp_path / "results" / "full" / "sweep.journal")
    storage = open_storage(journal, create=True)  # to write: a reader's storage never writes
    tune = optuna.load_study(study_name="full:ce:rnn:none:tune", storage=storage)
    lost = tune.get_trials()[0]  # what recovery queues for a worker that died holding a surplus claim
    tune.enqueue_trial(dict(lost.params), user_attrs={"arm": "ce:rnn:none", "phase": "tune", "retry_of": 0})
    assert cli("report", "full", "--format", "json", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "results" / "full" / "results.json").read_text())["partial"] is False
    done = cli(*args, cwd=tmp_path)
    exits_as_documented(done, "F10")
    states = [t.state.name for t in optuna.load_study(study_name="full:ce:rnn:none:tune",
                                                      storage=open_storage(journal)).get_trials()]
    assert "WAITING" not in states and states.count("COMPLETE") == 1, states


@pytest.mark.slow
def test_F18_a_loss_returning_nan_diverges(cli, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "nanloss", '''
def build():
    return lambda logits, target: logits.sum() * float("nan")

@hookimpl
def register_losses(register):
    register(LossSpec(name="nanloss", summary="NaN", build=build))
''')
    done = cli("--plugins-dir", str(plugins), "run", "--name", "nan", "--quiet", *TINY, "--trials", "1",
               "--loss", "nanloss", cwd=tmp_path)
    exits_as_documented(done, "F18")
    data = read_sweep("nan", str(tmp_path / "results" / "nan" / "sweep.journal"))
    assert [t.status for t in [*data.arms[0].tuning, *data.arms[0].final]] == ["diverged", "diverged"]
