"""Tuning by successive halving (``tuning = "halving"``, issue 28 item 5): every screen point to a short first rung,
the best continued from their checkpoints to the tuning cap. The rule on stored trials (which points go on, when
tuning is done, the arm's best), then real sweeps: the same picks with 1 and 2 workers, the epochs each point trains
counted in storage, the same picks after a SIGKILL and a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from test_failures import _wait_for, write_plugin

from lossbench import sweep
from lossbench.errors import LossbenchError
from lossbench.results import TrialRecord, read_sweep
from lossbench.results.halving import keep_of, pool, promoted, rungs, to_continue
from lossbench.results.phase import tuning_done
from lossbench.sweep.spec import SweepSpec

SPEC = {"tuning": "halving", "trials": 5, "objective": "val_accuracy"}


def record(number: int, slot: int, value: float, cap: int, continues: int | None = None, accuracy: float | None = None,
           state: str = "COMPLETE", status: str = "completed") -> TrialRecord:
    """A stored tuning trial of ``slot``: its objective ``value`` (the best validation accuracy, unless
    ``accuracy`` says otherwise), trained to ``cap`` (a continuation of trial ``continues``)."""
    result = {"epochs": [{"val_accuracy": value if accuracy is None else accuracy}] * cap, "test": {"classes": 10},
              "plateaued": False}
    attrs = {"slot": slot, "status": status, "result": result, "cap": cap, "phase": "tune", "rungs": [4, 20],
             **({"continues": continues} if continues is not None else {})}
    return TrialRecord(number, state, status, value, {"lr": slot}, slot, result, attrs)


def first_rung(values: list[float]) -> list[TrialRecord]:
    return [record(slot, slot, value, 4) for slot, value in enumerate(values)]


def test_the_schedule_is_two_rungs_a_fifth_of_the_cap_then_a_third_of_the_points_and_one_where_it_saves_nothing():
    assert rungs(5, 20) == (4, 20) and keep_of(5) == 2
    assert rungs(8, 40) == (8, 40) and keep_of(8) == 3
    assert rungs(2, 20) == (20,)  # no more points than go on: every point to the cap
    assert rungs(5, 4) == (4,)  # a cap under 5: no first rung short of it


def test_the_best_points_of_the_first_rung_go_on_ties_to_the_lower_slot_continued_in_slot_order():
    assert promoted(first_rung([0.5, 0.9, 0.3, 0.9, 0.7]), 5, maximize=True) == [1, 3]
    trials = first_rung([0.5, 0.9, 0.3, 0.95, 0.7])
    assert promoted(trials, 5, maximize=True) == [3, 1]
    # enqueued (so numbered) in slot order: a tie between their runs goes to the lower slot, as under patience
    assert [t.number for t in to_continue(trials, 5, True, 20)] == [1, 3]
    assert not tuning_done(trials, SPEC)  # the promoted points are still to train to the last rung


def test_points_at_chance_are_not_ranked_against_each_other_all_go_on_while_fewer_than_keep_are_above_it():
    at_chance = first_rung([0.11, 0.13, 0.10, 0.14, 0.12])  # within 0.05 of 1/10: their order is noise
    assert sorted(promoted(at_chance, 5, True)) == [0, 1, 2, 3, 4]
    one_above = first_rung([0.11, 0.40, 0.10, 0.14, 0.12])
    assert sorted(promoted(one_above, 5, True)) == [0, 1, 2, 3, 4]
    two_above = first_rung([0.11, 0.40, 0.10, 0.30, 0.12])
    assert promoted(two_above, 5, True) == [1, 3]


def test_tuning_is_done_once_the_promoted_points_reach_the_last_rung_and_the_best_is_chosen_among_them_only():
    trials = first_rung([0.5, 0.9, 0.3, 0.8, 0.7])
    trials.append(record(5, 1, 0.91, 20, continues=1))
    assert not tuning_done(trials, SPEC)  # slot 3 still at its first rung
    trials.append(record(6, 3, 0.95, 20, continues=3, status="diverged"))  # diverged on the way
    assert tuning_done(trials, SPEC)
    assert [t.number for t in pool(trials, SPEC)] == [5, 6]
    patience = {**SPEC, "tuning": "patience"}  # the same trials read by the patience rule: every trial
    assert len(pool(trials, patience)) == 7


def test_a_spec_stored_before_tuning_rules_reads_as_patience_and_an_unknown_rule_is_refused():
    assert "tuning" not in SweepSpec(tuning="patience").identity()  # as older sweeps stored it
    assert SweepSpec(tuning="halving").identity()["tuning"] == "halving"
    assert not tuning_done([record(0, 0, 0.5, 4)], {"trials": 2})  # no tuning key: patience, 1 of 2 slots done
    with pytest.raises(LossbenchError, match="tuning"):
        sweep.run({"name": "bad", "dataset": "digits", "tuning": "fastest"}, out="unused")


SMALL = {"dataset": "digits", "losses": ["ce"], "cells": ["gru"], "hidden": 8, "trials": 5, "epochs": 5, "seeds": 1,
         "patience": 0, "tuning": "halving"}  # rungs (1, 5): 5 points to 1 epoch, the best 2 on to 5


def picks(data) -> dict:
    """What tuning chose, per arm: every tuning run (slot, cap, objective, epochs trained in it), the final runs'
    tuned params and the slot of the best trial they rerun."""
    found = {}
    for arm in data.arms:
        tuning = sorted(arm.tuning_runs, key=lambda t: t.number)
        by_number = {t.number: t for t in tuning}
        runs = [(t.slot, t.user_attrs.get("cap"), t.value, len(t.run.epochs) - (t.run.continued_from or 0))
                for t in tuning if t.state == "COMPLETE"]
        finals = [(json.dumps(t.params, sort_keys=True), by_number[t.user_attrs["best_trial"]].slot)
                  for t in arm.completed_final]
        found[arm.key] = (sorted(runs), finals)
    return found


@pytest.mark.slow
def test_one_and_two_workers_pick_the_same_points_training_each_the_epochs_of_its_rungs_once(tmp_path):
    one = picks(sweep.run({**SMALL, "name": "one"}, out=tmp_path, workers=1).load())
    [(runs, finals)] = one.values()
    first = {slot: value for slot, cap, value, epochs in runs if cap == 1 and epochs == 1}
    assert sorted(first) == [0, 1, 2, 3, 4] and len(runs) in (7, 10)  # each point 1 epoch, then 2 (or all 5) on
    above = sorted((s for s in first if first[s] > 0.15), key=lambda s: (-first[s], s))  # 10 classes: chance 0.1
    expected = sorted(above[:2]) if len(above) >= 2 else [0, 1, 2, 3, 4]
    assert sorted(slot for slot, cap, _, epochs in runs if cap == 5 and epochs == 4) == expected  # epochs 2-5, once
    assert len(finals) == 1 and finals[0][1] in expected  # the final phase reruns a point trained to the last rung
    two = picks(sweep.run({**SMALL, "name": "two"}, out=tmp_path, workers=2).load())
    assert two == one


GATE = '''
import json
from pathlib import Path

FAULT = Path("fault.json").resolve()


def build():
    if FAULT.is_file():
        builds = FAULT.with_name("builds")
        with builds.open("a") as counted:
            counted.write("x")
        if len(builds.read_text()) == json.loads(FAULT.read_text())["at"]:
            FAULT.unlink()
            FAULT.with_name("reached").write_text(str(os.getpid()))
            while True:  # until the test kills this process
                time.sleep(0.05)
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)


@hookimpl
def register_losses(register):
    register(LossSpec(name="gate", summary="cross-entropy; waits on demand", build=build))
'''


@pytest.mark.slow
def test_a_sweep_killed_by_sigkill_in_a_continuation_and_resumed_picks_the_same(cli, cli_process, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "gate", GATE)
    command = ["--plugins-dir", str(plugins), "run", "--name", "h", "--quiet", "--dataset", "digits", "--loss", "gate",
               "--cell", "gru", "--remedies", "none", "--set", "hidden=8", "--trials", "5", "--epochs", "5",
               "--seeds", "1", "--patience", "0", "--workers", "1"]
    reference = tmp_path / "reference"
    reference.mkdir()
    cli(*command, cwd=reference, check=True)
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "fault.json").write_text(json.dumps({"at": 6}))  # the 6th run: the first continuation
    process = cli_process(*command, cwd=killed, stderr=subprocess.PIPE)
    child = int(_wait_for(lambda: (killed / "reached").is_file() and (killed / "reached").read_text(), seconds=600))
    journal = str(killed / "results" / "h" / "sweep.journal")
    [arm] = read_sweep("h", journal).arms
    running = [t for t in arm.tuning_runs if t.state == "RUNNING"]
    assert [t.user_attrs.get("continues") is not None for t in running] == [True], "not killed in a continuation"
    os.kill(child, signal.SIGKILL)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=120)
    cli(*command, cwd=killed, check=True)
    resumed = read_sweep("h", journal)
    assert any(t.status == "lost" for t in resumed.arms[0].tuning_runs)  # the killed continuation, retried
    assert picks(resumed) == picks(read_sweep("h", str(reference / "results" / "h" / "sweep.journal")))
