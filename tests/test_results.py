"""The stored schema's one home: one best-trial rule (ties included), one masking of passwords, one storage value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossbench.results import Storage, TrialRecord, best_trial, read_sweep, mask_text, mask_url
from lossbench.results.objective import ACCURACY, NLL


def trial(number: int, value: float | None, status: str = "completed", state: str = "COMPLETE") -> TrialRecord:
    return TrialRecord(number, state, status, value, {"lr": 10.0 ** -number}, number, None, {})


@pytest.mark.parametrize("maximize", [True, False])
def test_a_tie_goes_to_the_lowest_trial_number_whichever_the_direction(maximize):
    trials = [trial(3, 0.5), trial(1, 0.5), trial(2, 0.5)]
    assert best_trial(trials, maximize).number == 1


def test_diverged_trials_count_only_when_nothing_else_completed():
    assert best_trial([trial(0, 0.0, "diverged"), trial(1, 0.2)], ACCURACY).number == 1
    assert best_trial([trial(0, 1e6, "diverged"), trial(1, 1e6, "diverged")], NLL).number == 0
    assert best_trial([trial(0, None, "failed", "FAIL"), trial(1, 0.3, "pruned", "PRUNED")], ACCURACY) is None



def test_a_stored_run_reads_back_typed_whatever_it_lacks():
    """A pruned trial stores its config, params and epochs only; non-finite numbers are stored as null."""
    from sweeps import run_result

    from lossbench.results import RunResult
    from lossbench.results.run import INIT, TRAINED

    pruned = RunResult.from_json({"config": {"lr": 0.01}, "params": {}, "status": "stopped", "future_key": 1,
                                  "epochs": [{"epoch": 1, "train_loss": 2.0, "val_accuracy": 0.3, "val_nll": None,
                                              "seconds": 0.1}], "flow": None})
    assert pruned.lr == 0.01 and pruned.curve("val_accuracy") == [0.3] and pruned.last("val_nll") is None
    assert pruned.test_metric("accuracy") is None and pruned.flow_profile(INIT) is None and pruned.steps == 0
    full = RunResult.from_json(run_result([0.5, 0.8], 0.81, ratio_init=1e-3, ratio_final=1e-2))
    assert full.test_metric("accuracy") == 0.81 and full.last("val_accuracy") == 0.8
    assert full.flow_ratio(INIT) == full.flow_ratio_at(0) == 1e-3 and full.flow_ratio(TRAINED) == 1e-2
    assert full.last_ratio() == 1e-2 and len(full.flow_profile(TRAINED)) == 40 and full.flow_alignment
    assert RunResult.from_json(full.to_json()) == full
    record = TrialRecord(0, "COMPLETE", "completed", 0.8, {}, 1, full.to_json(), {})
    assert record.run == full and trial(0, 0.5).run is None


def test_a_stored_spec_and_its_objective_read_typed():
    from lossbench.results import Objective, SpecRecord

    spec = SpecRecord.parse({"losses": ["ce", "focal"], "cells": ["gru"], "remedy_sets": [[], ["clip_norm"]],
                             "trials": 4, "seeds": 3, "objective": "val_nll", "refused": {"focal:gru:none": "no"}})
    assert spec.objective is NLL and not spec.objective.maximize and spec.objective.unit == " nats"
    assert [key for key, *_ in spec.arms] == ["ce:gru:none", "ce:gru:clip_norm", "focal:gru:clip_norm"]
    assert spec.remedy_keys == ["none", "clip_norm"] and spec.epochs is None and spec.race is False
    assert SpecRecord.parse(None).objective is ACCURACY  # an older or hand-made spec: the default objective
    assert Objective.named("val_loss") is ACCURACY and ACCURACY.direction == "maximize" and NLL.sign == -1.0
    assert best_trial([trial(0, 0.5), trial(1, 0.4)], NLL).number == 1

NAN_LOSS = """
from lossbench import LossSpec, hookimpl


def build_nan():
    return lambda logits, target: logits.sum() * float("nan")  # every run diverges at its first step


@hookimpl
def register_losses(register):
    register(LossSpec(name="nan", summary="Always NaN.", build=build_nan))
"""


@pytest.mark.slow
def test_an_arm_whose_every_trial_diverged_under_val_nll_reruns_and_reports_the_same_trial(tmp_path, cli):
    """Every trial diverges, so every value is the same worst NLL: a tie of all three. The final phase must rerun
    the first of them, and the report must show that one as best (the sweep and the report once broke this tie
    in opposite directions)."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "nan_loss.py").write_text(NAN_LOSS)
    done = cli("--plugins-dir", "plugins", "run", "--name", "tie", "--dataset", "digits", "--loss", "nan", "--cell",
               "rnn", "--remedies", "none", "--set", "hidden=8", "--epochs", "1", "--trials", "3", "--seeds", "2",
               "--objective", "val_nll", "--pruner", "none", "--workers", "1", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = read_sweep("tie", str(tmp_path / "results" / "tie" / "sweep.journal"))
    (arm,) = data.arms
    assert [t.status for t in arm.tuning] == ["diverged"] * 3 and len({t.value for t in arm.tuning}) == 1
    assert len({t.params["lr"] for t in arm.tuning}) == 3  # three different configurations tie
    first = next(t for t in arm.tuning if t.number == 0)
    assert {json.dumps(t.params, sort_keys=True) for t in arm.final} == {json.dumps(first.params, sort_keys=True)}
    assert {t.user_attrs["best_trial"] for t in arm.final} == {0}
    report = json.loads((tmp_path / "results" / "tie" / "results.json").read_text())
    assert report["leaderboard"][0]["best_params"] == first.params


@pytest.mark.parametrize("url, secret", [
    ("postgresql://user:SECRET@host:5432/db", "SECRET"),
    ("postgresql://user@host/db?password=SECRET&sslmode=require", "SECRET"),
    ("postgresql://user@host/db?sslmode=require&PassWord=SECRET", "SECRET"),
    ("postgresql://user:ss@SECRET@host/db", "SECRET"),  # a raw '@' in the password: masked to the last '@'
    ("postgresql://user:p%40SECRET@host/db", "SECRET"),
    ("postgresql+psycopg2://user:SECRET@127.0.0.1:notaport/db?password=SECRET2", "SECRET"),
    ("mysql://user:a:b/SECRET@host/db", "SECRET"),
])
def test_every_form_of_password_is_masked(url, secret):
    masked = mask_url(url)
    assert secret not in masked and "***" in masked, masked
    assert masked.split("://")[0] == url.split("://")[0]
    assert "host" in masked or "127.0.0.1" in masked
    assert secret not in mask_text(f"cannot reach {url}: connection refused")


def test_text_without_a_password_is_unchanged():
    for text in ["postgresql://user@host/db", "sqlite:///results/x.db", "results/s/sweep.journal", "plain words"]:
        assert mask_text(text) == text


def test_storage_is_one_value_a_child_worker_can_be_handed():
    storage = Storage(name="s", out="out", url="postgresql://u:SECRET@h/db", heartbeat=5)
    assert Storage.from_json(json.loads(json.dumps(storage.to_json()))) == storage
    assert "SECRET" not in storage.describe() and storage.is_database
    journal = Storage(name="s", out="out")
    assert journal.describe() == "out/s/sweep.journal"  # shown as given
    assert journal.journal == Path.cwd() / "out" / "s" / "sweep.journal"  # used absolute: a chdir moves nothing
    assert Storage.from_json(journal.to_json()).journal == journal.journal
