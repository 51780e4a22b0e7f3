"""Sweeps that decide (issue 18): equal tuning chances, no point trained twice, training to a plateau, decisions
that do not depend on which trial finished first, and a time budget. Real sweeps on real storage."""

from __future__ import annotations

import json
import subprocess

import pytest

from lossbench.api.params import Float
from lossbench.convergence import plateau, stops, time_to_target
from lossbench.results import read_sweep
from lossbench.sweep.samplers import design

SMALL = ["--dataset", "digits", "--loss", "ce", "--loss", "bce", "--cell", "gru", "--remedies", "none",
         "--set", "hidden=8", "--epochs", "3", "--quiet"]


def tuned(folder, name):
    data = read_sweep(name, str(folder / "results" / name / "sweep.journal"))
    return data, {arm.key: [t.params for t in arm.tuning if t.state == "COMPLETE"] for arm in data.arms}


def stopped_part_way(cli, args, folder, seconds):
    """A start of ``args`` that its time budget stops: ``seconds`` at first, doubled while a start is refused for
    making no progress (on a loaded machine the start-up alone can outlast a few seconds)."""
    while True:
        done = cli(*args, "--time-budget", f"{seconds}s", cwd=folder)
        if not (done.returncode == 2 and "ran out before any trial finished" in done.stderr and seconds < 120):
            return done
        seconds *= 2


def points(params: list[dict]) -> list[tuple]:
    return [tuple(sorted(p.items())) for p in params]


# -- the patience rule and the screen design, by hand -------------------------------------------------------------


def test_the_patience_rule_waits_for_the_warm_up_and_then_for_patience_epochs_without_gain():
    assert not stops(epoch=5, best_epoch=1, patience=3)  # 4 epochs without gain, but before 2 x patience
    assert stops(epoch=6, best_epoch=3, patience=3) and not stops(epoch=6, best_epoch=4, patience=3)
    verdict = plateau([0.1, 0.5, 0.7, 0.7, 0.69, 0.7], maximize=True, patience=3)
    assert (verdict.best_epoch, verdict.plateaued) == (3, True)
    assert plateau([2.0, 1.0, 1.2], maximize=False, patience=3).best_epoch == 2  # NLL: lower is better
    assert time_to_target([0.2, 0.5, 0.9, 1.0], [1.0, 2.0, 3.0, 4.0], maximize=True) == (4, 10.0)
    assert time_to_target([0.2, 0.96, 1.0], [1.0, 2.0, 3.0], maximize=True) == (2, 3.0)


def test_every_arm_gets_the_same_learning_rates_spread_over_the_range_first():
    space = {"lr": Float(1e-4, 1e-1, log=True)}
    focal = {**space, "focal.gamma": Float(0.0, 5.0)}
    plain, other = design(space, 6, seed=0), design(focal, 6, seed=0)
    assert [p["lr"] for p in plain] == [p["lr"] for p in other]  # an equal budget is an equal chance
    lrs = sorted(p["lr"] for p in plain)
    assert lrs[0] == pytest.approx(10 ** -3.75) and all(b / a == pytest.approx(10 ** 0.5) for a, b in zip(lrs, lrs[1:]))
    first_two = sorted(p["lr"] for p in plain[:2])
    assert first_two[0] < 1e-3 < 1e-2 < first_two[1] or first_two[0] < 3e-3 < first_two[1]  # not both at one end
    assert sorted(p["focal.gamma"] for p in other) == pytest.approx([5 * (i + 0.5) / 6 for i in range(6)])


@pytest.mark.slow
def test_a_run_stops_on_patience_and_is_tested_with_its_best_epochs_weights():
    from lossbench import train

    result = train(dataset="digits", cell="gru", loss="ce", hidden=(8,), epochs=60, patience=2, lr=0.3,
                   flow_profile=False)
    assert result.status == "completed" and result.plateaued and len(result.epochs) < 60
    values = [e.val_accuracy for e in result.epochs]
    assert values[result.best_epoch - 1] == max(values)
    assert len(result.epochs) - result.best_epoch == 2 and len(result.epochs) >= 4
    assert result.time_to_target["epoch"] <= result.best_epoch


@pytest.mark.slow
def test_a_final_run_is_not_stopped_before_its_configuration_trained_in_tuning():
    """A configuration known to train (its tuning run reached 95% of its best at epoch N) is not stopped on
    patience before N on another seed: binary cross-entropy can sit at chance for 10 epochs and more before it starts."""
    from lossbench import train

    assert stops(epoch=12, best_epoch=1, patience=5) and not stops(epoch=12, best_epoch=1, patience=5, min_epochs=13)
    result = train(dataset="digits", cell="gru", loss="ce", hidden=(8,), epochs=40, patience=2, lr=0.3,
                   flow_profile=False, min_epochs=25)
    assert result.status == "completed" and len(result.epochs) >= 25


@pytest.mark.slow
def test_a_run_at_chance_is_not_stopped_on_patience_it_trains_to_its_cap():
    """Chance is not a plateau: a run whose best validation accuracy stays within the chance margin has not started
    to learn (a tanh RNN sits at chance for 15 epochs and more), so patience does not stop it."""
    from lossbench import train
    from lossbench.convergence import at_chance

    result = train(dataset="digits", cell="rnn", loss="ce", hidden=(8,), epochs=12, patience=2, lr=1e-6,
                   flow_profile=False)
    assert at_chance(max(e.val_accuracy for e in result.epochs), 0.1)
    assert stops(epoch=12, best_epoch=result.best_epoch, patience=2) and result.best_epoch < 10
    assert result.status == "completed" and not result.plateaued and len(result.epochs) == 12


# -- no point trained twice ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_resume_and_two_starts_on_one_journal_never_train_one_point_twice(tmp_path, cli, cli_process):
    args = ["run", "--name", "twice", *SMALL, "--trials", "6", "--seeds", "3", "--workers", "1"]
    stopped = stopped_part_way(cli, args, tmp_path, 8)  # stops part-way: the resume takes over
    assert stopped.returncode == 0, stopped.stderr
    both = [cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE) for _ in range(2)]  # two terminals at once
    for process in both:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    data, params = tuned(tmp_path, "twice")
    for key, tried in params.items():
        assert len(tried) == 6 and len(set(points(tried))) == 6, (key, tried)  # 6 distinct points, none twice
    assert points(params["ce:gru:none"]) == points(params["bce:gru:none"])  # the same 6 points for both arms


@pytest.mark.slow
def test_two_machines_on_postgresql_never_train_one_point_twice(tmp_path, cli_process, postgres_url):
    args = ["run", "--name", "machines", "--storage", postgres_url, *SMALL, "--trials", "6", "--seeds", "3",
            "--workers", "1"]
    machines = [cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE) for _ in range(2)]
    for process in machines:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    data = read_sweep("machines", postgres_url)
    for arm in data.arms:
        tried = points([t.params for t in arm.tuning if t.state == "COMPLETE"])
        assert len(tried) == 6 and len(set(tried)) == 6, (arm.key, tried)
    assert len({t.user_attrs["worker"]["pid"] for a in data.arms for t in a.tuning}) == 2  # both did work


# -- the same decisions however the trials were scheduled ---------------------------------------------------------


@pytest.mark.slow
def test_one_worker_and_two_give_the_same_numbers_and_the_same_decisions(tmp_path, cli):
    outcomes = {}
    for workers in ("1", "2"):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        done = cli("run", "--name", "same", *SMALL, "--trials", "3", "--seeds", "auto", "--max-epochs", "12", "--workers", workers,
                   "--threads", "1", cwd=folder)
        assert done.returncode == 0, done.stderr
        document = json.loads((folder / "results" / "same" / "results.json").read_text())
        outcomes[workers] = ({row["arm"]: row["test_accuracy"]["by_seed"] for row in document["leaderboard"]},
                             [(d["arm"], d["other"], d["kind"], d["difference"]) for d in document["decisions"]],
                             {row["arm"]: row["best_params"] for row in document["leaderboard"]})
    assert outcomes["1"] == outcomes["2"]
    assert outcomes["1"][1], "the sweep compared nothing"


# -- a time budget ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_time_budget_stops_cleanly_reports_what_is_open_and_a_larger_one_continues(tmp_path, cli):
    # 2 x 20 trials of 8 epochs: far more than a few seconds even on a fast machine
    args = ["run", "--name", "budget", *SMALL, "--trials", "20", "--epochs", "8", "--seeds", "3", "--workers", "1",
            "--tuning", "patience"]
    first = stopped_part_way(cli, args, tmp_path, 6)
    assert first.returncode == 0, first.stderr
    document = json.loads((tmp_path / "results" / "budget" / "results.json").read_text())
    assert document["partial"] and document["unfinished"]
    stored, _ = tuned(tmp_path, "budget")
    done_before = sum(1 for a in stored.arms for t in a.tuning if t.state == "COMPLETE")
    runs_before = sum(1 for a in stored.arms for t in a.final if t.state == "COMPLETE")
    assert not any(t.state == "RUNNING" for a in stored.arms for t in a.tuning)  # nothing left running
    second = cli(*args, "--time-budget", "10m", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    finished, params = tuned(tmp_path, "budget")
    assert all(len(tried) == 20 for tried in params.values())
    # the larger budget trained what the first left open (on a fast machine the first may finish tuning)
    runs_after = sum(1 for a in finished.arms for t in a.final if t.state == "COMPLETE")
    assert done_before < 40 or runs_after > runs_before
    assert not json.loads((tmp_path / "results" / "budget" / "results.json").read_text())["partial"]


def test_a_time_budget_is_a_duration(tmp_path, cli):
    done = cli("run", "--name", "bad", *SMALL, "--time-budget", "soon", cwd=tmp_path)
    assert done.returncode == 2 and "time_budget must be a duration such as 10m" in done.stderr
    assert not (tmp_path / "results").exists()
