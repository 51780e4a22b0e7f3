"""Every run of a sweep stores its checkpoint in the artifact store, linked from its trial; a run stopped by the
time budget is continued from it by the next start; a full disk while one is written loses no result."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from lossbench import sweep
from lossbench.errors import LossbenchError
from lossbench.engine import RunConfig, RunResult, prepare
from lossbench.registry import load_registry
from lossbench.sweep.checkpoints import Checkpoints
from postgres import find_binaries

REGISTRY = load_registry()


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def spec(name: str, epochs: int = 2, **fields) -> dict:
    return {"name": name, "dataset": "digits", "losses": ["ce"], "cells": ["rnn"], "hidden": 8, "trials": 2,
            "epochs": epochs, "seeds": 1, "patience": 0, **fields}


def trials(outcome) -> list:
    return [t for arm in outcome.load().arms for t in [*arm.tuning, *arm.final] if not t.surplus]


def numbers(result: RunResult) -> dict:
    """Everything a run measured but its timings and where it ran."""
    data = result.to_json()
    for record in data["epochs"]:
        record.pop("seconds")
    for key in ("seconds_per_epoch", "wall_seconds", "peak_memory_mb", "environment", "continued_from",
                "time_to_target"):
        data.pop(key)
    data["config"].pop("epochs")
    return data


def straight(config: dict, epochs: int) -> RunResult:
    return prepare(RunConfig.from_json({**config, "epochs": epochs}), REGISTRY).fit()


@pytest.mark.slow
def test_every_run_stores_its_checkpoint_which_continues_it_like_a_run_trained_straight(tmp_path):
    outcome = sweep.run(spec("every"), out=tmp_path, workers=1)
    stored = trials(outcome)
    assert len(stored) == 3 and all(t.state == "COMPLETE" for t in stored)
    folder = tmp_path / "every" / "artifacts"
    links = [t.user_attrs["checkpoint"] for t in stored]
    assert sorted(p.name for p in folder.iterdir()) == sorted(link["id"] for link in links)  # one file a run
    assert all(link["epoch"] == 2 and link["bytes"] == (folder / link["id"]).stat().st_size for link in links)
    final = next(t for t in stored if t.user_attrs["phase"] == "final")
    checkpoint = Checkpoints(folder).load(final.user_attrs["checkpoint"])
    assert checkpoint.epoch == 2 and checkpoint.config == final.run.config
    continued = prepare(RunConfig.from_json({**checkpoint.config, "epochs": 4}), REGISTRY).fit(resume=checkpoint)
    assert continued.continued_from == 2 and numbers(continued) == numbers(straight(checkpoint.config, 4))


def test_a_newer_checkpoint_replaces_the_run_s_previous_one_and_a_lost_one_is_one_warning(tmp_path, capfd):
    import optuna

    store = Checkpoints(tmp_path / "artifacts")
    small = {"temporal_order": {"T": 12, "n_train": 120, "n_val": 40, "n_test": 40}}  # no sklearn to import
    prepared = prepare(RunConfig(dataset="temporal_order", cell="rnn", hidden=(8,), epochs=1, flow_profile=False,
                                 params=small), REGISTRY)
    prepared.fit()
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage())
    trial = study.ask()
    store.save(trial, prepared.checkpoint())
    first = trial.user_attrs["checkpoint"]
    store.save(trial, prepared.checkpoint())
    second = trial.user_attrs["checkpoint"]
    assert first["id"] != second["id"] and [p.name for p in store.folder.iterdir()] == [second["id"]]
    assert store.load(second).epoch == 1
    assert store.load(first) is None  # deleted: one warning, and the run would start again
    assert "could not be read" in capfd.readouterr().err
    shutil.rmtree(store.folder)  # the folder deleted: nothing but continuation lost, and it comes back
    assert store.load(second) is None
    store.save(trial, prepared.checkpoint())
    assert store.load(trial.user_attrs["checkpoint"]).epoch == 1 and len(list(store.folder.iterdir())) == 1


@pytest.mark.slow
def test_a_run_stopped_by_the_time_budget_is_continued_by_the_next_start_training_no_epoch_twice(tmp_path):
    """The budget ends the first start mid-run (at an epoch's end); the next start's retry continues from that
    epoch: the epochs trained by both add up to the run's, and its numbers are those of a run trained straight."""
    prepare(RunConfig(dataset="digits", cell="rnn", hidden=(8,), epochs=1), REGISTRY)  # the data loaded once before
    long = spec("budget", epochs=150, trials=1)
    for budget in (1, 2, 4, 8, 16, 32):  # a busy machine may spend the first budgets before a trial starts
        try:
            outcome = sweep.run({**long, "time_budget": f"{budget}s"}, out=tmp_path, workers=1)
        except LossbenchError as error:  # a budget that let no epoch finish is refused as such (F65): try a larger
            assert "ran out before any trial finished" in str(error), error
            continue
        stopped = [t for t in trials(outcome) if t.status == "interrupted" and "checkpoint" in t.user_attrs]
        if stopped:
            break
        assert outcome.out_of_time, "the sweep finished inside its budget: nothing was stopped"
    [stopped] = stopped
    epoch = stopped.user_attrs["checkpoint"]["epoch"]
    assert 1 <= epoch < 150
    done = trials(sweep.run(long, out=tmp_path, workers=1))
    [retry] = [t for t in done if t.user_attrs.get("retry_of") == stopped.number]
    run = retry.run
    assert retry.state == "COMPLETE" and run.continued_from == epoch  # it trained epochs epoch + 1 to 150 only
    assert [e.epoch for e in run.epochs] == list(range(1, 151))
    assert numbers(run) == numbers(straight(run.config, 150))
    assert len(list((tmp_path / "budget" / "artifacts").iterdir())) == 2  # the stopped run's replaced by its retry's


@pytest.mark.slow
def test_F45_a_full_disk_while_a_checkpoint_is_written_loses_no_result(tmp_path):
    mount = Path(tempfile.mkdtemp(prefix="lossbench-full-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (root needed): {done.stderr.strip()}")
    try:
        outcome = sweep.run(spec("full"), out=tmp_path, workers=1, artifacts=mount)
        stored = trials(outcome)
        assert outcome.failed == 0 and len(stored) == 3
        assert all(t.state == "COMPLETE" and t.run.test_metric("accuracy") is not None for t in stored)
        assert not any("checkpoint" in t.user_attrs for t in stored)
        # a worker child's warning lines reach the caller in the outcome (the CLI prints them)
        warnings = [line for line in outcome.warnings if "could not be written" in line]
        assert len(warnings) == 3 and all("No space left on device" in line for line in warnings), warnings
        assert list(mount.iterdir()) == []  # no partial file left
    finally:
        subprocess.run(["umount", str(mount)])
        mount.rmdir()


def epochs_reported(storage, name: str) -> int:
    """The most epochs a RUNNING trial of sweep ``name`` has reported to the (Optuna) storage."""
    import optuna

    return max([len(t.intermediate_values) for summary in optuna.get_all_study_summaries(storage)
                if summary.study_name.startswith(name + ":")
                for t in optuna.load_study(study_name=summary.study_name, storage=storage).trials
                if t.state.name == "RUNNING"], default=0)


@pytest.mark.slow
@pytest.mark.skipif(find_binaries() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")
def test_a_run_checkpointed_under_one_out_folder_is_continued_by_another_process_with_another(tmp_path, cli,
                                                                                             cli_process,
                                                                                             postgres_url):
    """One process stopped (Ctrl-C) mid-run; a second, with another --out on the same database and artifact
    folder, continues that run from its checkpoint; this process then continues the final run's checkpoint."""
    from lossbench.results import read_sweep
    from lossbench.results.storage import open_storage

    shared = tmp_path / "shared-artifacts"
    args = ["run", "--name", "pg", "--storage", postgres_url, "--artifacts", str(shared), "--dataset", "digits",
            "--loss", "ce", "--cell", "rnn", "--remedies", "none", "--set", "hidden=8", "--epochs", "60",
            "--patience", "0", "--trials", "1", "--seeds", "1", "--workers", "1", "--quiet"]
    storage = open_storage(postgres_url, create=True)  # Optuna's tables, made here once
    first = cli_process(*args, "--out", str(tmp_path / "one"), cwd=tmp_path, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and first.poll() is None and epochs_reported(storage, "pg") < 2:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 130, err
    [stopped] = [t for a in read_sweep("pg", postgres_url).arms for t in a.tuning if t.status == "interrupted"]
    epoch = stopped.user_attrs["checkpoint"]["epoch"]
    assert 2 <= epoch < 60
    second = cli(*args, "--out", str(tmp_path / "two"), cwd=tmp_path, timeout=600)
    assert second.returncode == 0 and "warning" not in second.stderr, second.stderr
    arm = read_sweep("pg", postgres_url).arms[0]
    [retry] = [t for t in arm.tuning if t.user_attrs.get("retry_of") == stopped.number]
    assert retry.run.continued_from == epoch and numbers(retry.run) == numbers(straight(retry.run.config, 60))
    [final] = arm.completed_final
    checkpoint = Checkpoints(shared).load(final.user_attrs["checkpoint"])
    continued = prepare(RunConfig.from_json({**checkpoint.config, "epochs": 64}), REGISTRY).fit(resume=checkpoint)
    assert checkpoint.epoch == 60 and numbers(continued) == numbers(straight(checkpoint.config, 64))
    assert not (tmp_path / "one" / "pg" / "artifacts").exists() and not (tmp_path / "two" / "pg" / "artifacts").exists()


def test_an_artifacts_folder_that_cannot_be_written_is_refused_before_anything_trains(tmp_path):
    from lossbench.errors import LossbenchError
    from lossbench.results import Storage

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(LossbenchError, match="cannot write to artifacts= .*a-file/checkpoints"):
        Storage("s", out=str(tmp_path / "out"), artifacts=str(blocked / "checkpoints")).check_writable()
    assert Storage("s", out=str(tmp_path / "out")).artifact_folder == tmp_path / "out" / "s" / "artifacts"
