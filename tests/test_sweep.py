"""``lossbench run`` end to end, on the embedded journal storage: real processes, real training, no mocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rich.console import Console

from lossbench.cli.progress import render
from lossbench.results import read_sweep, open_storage, read_progress
from lossbench.results.checks import StoredFormError

TINY = ["--dataset", "digits", "--remedies", "none", "--set", "hidden=8", "--epochs", "2", "--seeds", "2"]


def journal(tmp_path: Path, name: str) -> str:
    return str(tmp_path / "results" / name / "sweep.journal")


def states(data) -> list[str]:
    return [t.state for arm in data.arms for t in [*arm.tuning, *arm.final]]


def assert_complete(data, trials: int, seeds: int) -> None:
    for arm in data.arms:
        assert len(arm.finished_tuning) == trials, arm.key
        final_seeds = [t.seed for t in arm.completed_final]
        assert len(final_seeds) == seeds and len(set(final_seeds)) == seeds, (arm.key, final_seeds)
    assert "RUNNING" not in states(data) and "WAITING" not in states(data)


@pytest.mark.slow
def test_validation_lists_every_problem_at_once(tmp_path, cli):
    done = cli("run", "--dataset", "digitz", "--loss", "cee", "--loss", "ce", "--cell", "rnn",
               "--remedies", "chrono_init", "--trials", "0", "--sampler", "tpee", cwd=tmp_path, timeout=600)
    assert done.returncode == 2
    for expected in ["did you mean digits", "did you mean ce", "did you mean tpe", "trials must be",
                     "chrono_init applies to cells"]:
        assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "results").exists()  # nothing created before the spec is valid


@pytest.mark.slow
def test_a_toml_spec_lists_unknown_keys_and_wrong_shapes_with_every_other_problem(tmp_path, cli):
    (tmp_path / "bad.toml").write_text('dataset = "digitz"\ntrails = 3\nseeds = "three"\nlosses = ["ce", "foca"]\n'
                                       'cells = 5\n')
    done = cli("run", "bad.toml", cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "(5 problems)" in done.stderr
    for expected in ["'trails'; did you mean trials", "cells must be a name or a list of names, got 5",
                     "seeds must be a number of seeds or auto", "did you mean digits", "did you mean focal"]:
        assert expected in done.stderr, done.stderr


@pytest.mark.slow
def test_bad_ranges_and_grid_on_continuous_space(tmp_path, cli):
    (tmp_path / "bad.toml").write_text('dataset = "digits"\nlosses = ["focal"]\ncells = ["rnn"]\n'
                                       '[fixed]\n"focal.alpha" = "abc"\n'
                                       '[space]\nlr = {low = 0.0, high = 1.0}\n"focal.gamma" = {low = -1, high = 2}\n')
    done = cli("run", "bad.toml", cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "lr" in done.stderr and "focal.gamma=-1 is out of range" in done.stderr
    assert "focal.alpha must be a number in [0, 1], got 'abc'" in done.stderr
    (tmp_path / "grid.toml").write_text('dataset = "digits"\nlosses = ["ce"]\ncells = ["rnn"]\nsampler = "grid"\n')
    done = cli("run", "grid.toml", cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "finite space" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("body", ['losses = 5', 'cells = [5]', 'losses = [["ce"]]', 'remedies = "clip_norm"',
                                  'remedies = [[5]]', 'dataset_params = 5', 'fixed = [1]', 'name = 5',
                                  'sampler_seed = -1'])
def test_a_spec_field_of_the_wrong_type_is_one_message(tmp_path, body, cli):
    (tmp_path / "odd.toml").write_text(body + "\n")
    done = cli("run", "odd.toml", cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert body.split(" ")[0] in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("url, expected", [("notaurl", "is not a database URL"),
                                           ("http://u:secret@x/db", "is not a database URL"),
                                           ("postgresql://u:secret@127.0.0.1:abc/db", "ValueError"),
                                           ("mysql://u:secret@127.0.0.1:1/db", "ImportError")])
def test_a_storage_that_cannot_be_a_database_is_one_message(tmp_path, url, expected, cli):
    done = cli("run", *TINY, "--loss", "ce", "--cell", "rnn", "--trials", "1", "--storage", url,
               "--quiet", cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "secret" not in done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_one_worker_sweep_exact_budget_resume_and_results(tmp_path, cli):
    args = ["run", "--name", "s", *TINY, "--loss", "ce", "--loss", "focal", "--cell", "rnn", "--trials", "3", "--quiet"]
    cli(*args, cwd=tmp_path, timeout=600, check=True)
    data = read_sweep("s", journal(tmp_path, "s"))
    assert len(data.arms) == 2
    assert_complete(data, 3, 2)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True)
    assert data.provenance["lossbench_git_commit"].startswith(head.stdout.strip())  # run from this checkout
    assert data.provenance["git_commit"] is None  # the working directory, tmp_path, is no checkout
    progress = read_progress("s", open_storage(journal(tmp_path, "s")), time.perf_counter())  # what the display reads
    assert (progress.arms_done, progress.trials_done, progress.finals_done) == (2, 6, 4) and progress.fraction == 1.0
    assert progress.best == max(t.value for arm in data.arms for t in arm.tuning if t.state == "COMPLETE")
    console = Console(width=300, record=True, file=open(os.devnull, "w"))
    console.print(render(progress))
    text = console.export_text()  # (export clears the record)
    assert "arms 2/2 tuned, 2/2 done (phases 4/4)" in text and "tuning 6/6" in text and "final runs 4/4" in text
    assert progress.epochs_left == 0 and progress.epoch_seconds > 0 and progress.eta == 0
    numbers = sorted((a.key, t.number) for a in data.arms for t in [*a.tuning, *a.final])
    for arm in data.arms:
        assert all("focal.gamma" in t.params for t in arm.tuning) == (arm.loss == "focal")
        result = arm.completed_final[0].result
        assert result["test"]["accuracy"] >= 0 and result["epochs"] and result["flow"]["profiles"]
        assert result["config"]["lr"] == arm.completed_final[0].params["lr"]
    stored = json.loads((tmp_path / "results" / "s" / "results.json").read_text())
    assert {row["arm"] for row in stored["leaderboard"]} == {"ce:rnn:none", "focal:rnn:none"}
    # the same command again: resumes a finished sweep, adds nothing
    summary = json.loads(cli(*args[:-1], "--json", cwd=tmp_path, timeout=600, check=True).stdout)
    assert summary["name"] == "s"
    again = read_sweep("s", journal(tmp_path, "s"))
    assert sorted((a.key, t.number) for a in again.arms for t in [*a.tuning, *a.final]) == numbers
    # another spec under the same name is refused rather than mixed
    done = cli(*[a if a != "3" else "4" for a in args], cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "different spec (differs in: trials)" in done.stderr, done.stderr


@pytest.mark.slow
def test_one_worker_sweep_is_reproducible(tmp_path):
    from lossbench import sweep

    params = []
    for out in ("a", "b"):  # in this process: the sampler's reproducibility, not the command, is tested
        sweep.run({"name": "r", "dataset": "digits", "remedy_sets": [[]], "hidden": 8, "epochs": 2, "losses": ["focal"],
                   "cells": ["rnn"], "trials": 3, "seeds": 1, "pruner": "none"}, out=tmp_path / out, workers=1)
        data = read_sweep("r", str(tmp_path / out / "r" / "sweep.journal"))
        params.append([t.params for t in data.arms[0].tuning])
    assert params[0] == params[1] and len({json.dumps(p, sort_keys=True) for p in params[0]}) == 3


@pytest.mark.slow
def test_diverging_arm_is_counted_and_the_sweep_finishes(tmp_path):
    from lossbench import sweep

    (tmp_path / "div.toml").write_text('name = "div"\ndataset = "digits"\nlosses = ["ce", "focal"]\ncells = ["rnn"]\n'
                                       'trials = 2\nepochs = 2\nseeds = 1\nhidden = [8]\noptimizer = "sgd"\n'
                                       '[fixed]\n"rnn.activation" = "relu"\n[space]\nlr = {choices = [1e6]}\n')
    outcome = sweep.run(sweep.load_toml(tmp_path / "div.toml"), out=tmp_path / "results")  # the file, in process
    assert outcome.failed == 0
    data = read_sweep("div", journal(tmp_path, "div"))
    for arm in data.arms:
        assert arm.count("diverged") == 2, [(t.state, t.status) for t in arm.tuning]
        assert all(t.value == 0.0 and t.user_attrs["diverged_at"]["reason"] for t in arm.tuning)
        assert [t.result["status"] for t in arm.completed_final] == ["diverged"]


@pytest.mark.slow
def test_a_plugin_that_raises_fails_its_arm_only(tmp_path, cli):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "explode.py").write_text(
        "from lossbench import LossSpec, hookimpl\n\n"
        "def build():\n"
        "    def loss(logits, target):\n"
        "        raise RuntimeError('boom in the loss')\n"
        "    return loss\n\n"
        "@hookimpl\n"
        "def register_losses(register):\n"
        "    register(LossSpec(name='explode', summary='Raises.', build=build))\n")
    done = cli("--plugins-dir", str(plugins), "run", "--name", "x", *TINY, "--loss", "explode",
               "--loss", "ce", "--cell", "rnn", "--trials", "2", "--workers", "1", "--json", cwd=tmp_path, timeout=600)
    assert done.returncode == 3 and "2 of 6 trials failed" in done.stderr and "boom in the loss" in done.stderr
    board = {row["arm"]: row for row in json.loads(done.stdout)["leaderboard"]}
    assert board["explode:rnn:none"]["tuning"]["failed"] == 2 and board["explode:rnn:none"]["final_runs"] == 0
    assert board["ce:rnn:none"]["tuning"]["trials"] == 2 and board["ce:rnn:none"]["final_runs"] == 2
    data = read_sweep("x", journal(tmp_path, "x"))
    explode = next(a for a in data.arms if a.loss == "explode")
    assert all("boom in the loss" in t.error for t in explode.tuning)


@pytest.mark.slow
def test_sigkill_of_a_whole_run_then_the_same_command_resumes(tmp_path, cli, cli_process):
    args = ["run", "--name", "k", "--dataset", "digits", "--set", "hidden=16", "--epochs", "12",
            "--seeds", "2", "--loss", "ce", "--loss", "focal", "--cell", "rnn", "--trials", "4", "--workers", "2",
            "--tuning", "patience", "--quiet"]  # each point trained once: the slots the test counts
    process = cli_process(*args, cwd=tmp_path, start_new_session=True, stderr=subprocess.PIPE)
    path = journal(tmp_path, "k")
    deadline = time.time() + 300
    completed: dict = {}
    while time.time() < deadline:
        time.sleep(0.5)
        if process.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {process.stderr.read()}")
        try:
            data = read_sweep("k", path)
        except (KeyError, StoredFormError):  # no sweep yet, or its first start has not recorded the spec yet
            continue
        done = {(a.key, t.number): t.params for a in data.arms for t in a.tuning if t.state == "COMPLETE"}
        running = [t for a in data.arms for t in a.tuning if t.state == "RUNNING"]
        if len(done) >= 2 and running:
            completed = done
            break
    assert completed, "no trial completed in time"
    os.kill(process.pid, signal.SIGKILL)  # the parent; its workers die with it (PR_SET_PDEATHSIG)
    process.wait()
    time.sleep(1)
    killed = read_sweep("k", path)
    assert "RUNNING" in states(killed)  # a trial really was cut off
    cli(*args, cwd=tmp_path, timeout=600, check=True)
    data = read_sweep("k", path)
    assert_complete(data, 4, 2)
    after = {(a.key, t.number): t for a in data.arms for t in a.tuning}
    for key, params in completed.items():
        assert after[key].state == "COMPLETE" and after[key].params == params
    # the cut-off trial (tuning or final phase, whichever was running) was failed and retried
    for arm in data.arms:
        for trials in (arm.tuning, arm.final):
            lost = [t for t in trials if t.status == "lost"]
            assert all(t.state == "FAIL" for t in lost)
            assert {t.user_attrs.get("retry_of") for t in trials} >= {t.number for t in lost}
    assert any(t.status == "lost" for a in data.arms for t in [*a.tuning, *a.final])


def test_results_layer_imports_nothing_of_ours():
    code = ("import sys, lossbench; before = set(sys.modules); import lossbench.results; "
            "print(sorted(m for m in set(sys.modules) - before if m.startswith(('lossbench', 'optuna', 'torch')) "
            "and not m.startswith('lossbench.results')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_the_presets_are_valid_sweeps():
    from lossbench.registry import load_registry
    from lossbench.results.claims import parse_claims
    from lossbench.sweep import PRESETS
    from lossbench.sweep.validate import check

    registry = load_registry()
    for name, preset in PRESETS.items():
        checked = check(preset.spec, registry)
        assert checked.arms, name
        assert set(checked.refused) <= {"ce:lstm:identity_init"}, name  # le2015's grid holds one impossible arm
        claims, problems = parse_claims(list(checked.claims), {a.key for a in checked.arms})
        assert not problems and (claims or name == "quickstart"), name
        assert all(c.published and c.source for c in claims), name
        assert preset.paper is not None or preset.no_paper, name  # --budget paper, or why not
    quickstart = PRESETS["quickstart"].spec
    assert {"ce", "focal"} <= set(quickstart.losses) and {"rnn", "gru"} <= set(quickstart.cells)
    seed = PRESETS["seed"].spec
    assert seed.hidden == (64, 32) and set(seed.losses) == {"bce", "ce"}
