"""How a sweep runs on the machine: workers, torch threads per worker, devices; grid sweeps end to end."""

from __future__ import annotations

import json

import pytest

from lossbench.engine.threads import cores
from lossbench.errors import LossbenchError
from lossbench.results import read_sweep
from lossbench.sweep import SweepSpec
from lossbench.sweep.execution import plan

TINY = ["--dataset", "digits", "--set", "hidden=8", "--epochs", "2", "--quiet"]


def spec(arms: int = 2, trials: int = 3, seeds: int = 2) -> SweepSpec:
    return SweepSpec(losses=tuple(["ce", "focal", "bce", "gce"][:arms]), cells=("gru",), trials=trials, seeds=seeds)


def test_auto_workers_one_thread_each_never_more_than_trials_in_flight(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    execution = plan(spec(), "auto", None, "cpu", started_with=None)
    assert execution.threads == 1 and execution.workers == min(cores(), 2 * 3)
    assert plan(spec(arms=1, trials=1, seeds=1), "auto", None, "cpu", None).workers == 1  # one trial in flight at most
    assert plan(spec(), "auto", cores(), "cpu", None).workers == 1  # every core to one worker's threads
    assert plan(spec(), "3", None, "cpu", None).workers == 3


def test_threads_from_the_flag_then_omp_num_threads_then_the_sweep_s_first_start(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert plan(spec(), "auto", None, "cpu", started_with=2).threads == 2  # a resume keeps its count
    assert plan(spec(), "auto", 1, "cpu", started_with=2).threads == 1  # unless told otherwise
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert plan(spec(), "1", None, "cpu", started_with=2).threads == 3
    assert plan(spec(), "1", None, "cpu", started_with=None).threads == 3


@pytest.mark.parametrize("workers, threads, device, words", [
    ("0", None, "cpu", "workers= must be auto or an integer"),
    ("many", None, "cpu", "workers= must be auto or an integer"),
    (1.5, None, "cpu", "workers= must be auto or an integer"),  # never read as 1
    (True, None, "cpu", "workers= must be auto or an integer"),
    ("auto", 0, "cpu", "threads= must be an integer in [1, 1024]"),
    ("auto", None, "tpu", "device= must be cpu or cuda"),
])
def test_bad_execution_settings_are_one_message(workers, threads, device, words):
    with pytest.raises(LossbenchError, match=words.replace("[", r"\[").replace("]", r"\]")):
        plan(spec(), workers, threads, device, None)


def test_the_command_s_messages_name_its_flags():
    """From Python a message names the argument (``workers=``); from ``lossbench`` the flag (``--workers``)."""
    import contextvars

    from lossbench.errors import VOICE

    def as_the_command() -> None:
        VOICE.set("cli")
        plan(spec(), "1.5", None, "cpu", None)

    with pytest.raises(LossbenchError, match="--workers must be auto or an integer in .1, 256., got '1.5'"):
        contextvars.copy_context().run(as_the_command)
    assert plan(spec(), "2", None, "cpu", None).workers == 2  # the command line's digits


@pytest.mark.slow
def test_cuda_without_a_gpu_is_one_message_and_exit_2(tmp_path, cli):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the refusal cannot be seen here")
    for args in (["run", "--name", "g", *TINY, "--device", "cuda"],
                 ["train", "--dataset", "digits", "--epochs", "1", "--hidden", "8", "--device", "cuda"]):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "cuda was asked for, but torch sees no CUDA device" in done.stderr


@pytest.mark.slow
def test_train_uses_one_thread_unless_told(tmp_path, cli):
    def threads(*extra: str, env: dict | None = None) -> int:
        done = cli("train", "--dataset", "digits", "--epochs", "1", "--hidden", "8", "--no-flow-profile", "--json",
                   *extra, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["config"]["threads"] == result["environment"]["threads"]
        return result["environment"]["threads"]

    assert threads() == 1
    assert threads("--threads", "2") == 2
    assert threads(env={"OMP_NUM_THREADS": "2"}) == 2


@pytest.mark.slow
def test_every_trial_records_its_worker_threads_and_device_and_a_resume_keeps_the_thread_count(tmp_path, cli):
    args = ["run", "--name", "t", *TINY, "--loss", "ce", "--cell", "gru", "--remedies", "none", "--trials", "2",
            "--seeds", "2", "--workers", "2", "--threads", "2"]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = read_sweep("t", str(tmp_path / "results" / "t" / "sweep.journal"))
    trials = [t for arm in data.arms for t in [*arm.tuning, *arm.final] if t.state == "COMPLETE"]
    assert len(trials) == 4
    for t in trials:
        assert {k: t.user_attrs["worker"][k] for k in ("threads", "workers", "device")} == \
            {"threads": 2, "workers": 2, "device": "cpu"}
        assert t.result["config"]["threads"] == t.result["environment"]["threads"] == 2
    assert (data.provenance["workers"], data.provenance["threads"]) == (2, 2)
    assert "2 torch thread(s) per worker" in data.provenance["reproducible"]
    again = cli(*[a for a in args if a not in ("--quiet",)][:-2], "--workers", "1", cwd=tmp_path)  # no --threads
    assert again.returncode == 0, again.stderr
    assert "1 worker(s) x 2 thread(s)" in again.stderr


@pytest.mark.slow
def test_a_grid_sweep_of_three_arms_finishes_in_one_invocation_resumes_and_reports(tmp_path, cli):
    (tmp_path / "grid.toml").write_text(
        'name = "grid"\ndataset = "digits"\nlosses = ["ce", "focal", "bce"]\ncells = ["gru"]\nremedies = [[]]\n'
        'sampler = "grid"\ntrials = 3\nepochs = 2\nseeds = 2\nhidden = [8]\n[fixed]\n"focal.gamma" = 2.0\n'
        '[space]\nlr = {choices = [0.003, 0.01]}\n')
    done = cli("run", "grid.toml", "--quiet", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    data = read_sweep("grid", str(tmp_path / "results" / "grid" / "sweep.journal"))
    assert len(data.arms) == 3
    for arm in data.arms:
        assert len(arm.finished_tuning) == 3 and len(arm.completed_final) == 2, arm.key
        assert {t.params["lr"] for t in arm.finished_tuning} == {0.003, 0.01}  # the grid covered, then revisited
    report = json.loads((tmp_path / "results" / "grid" / "results.json").read_text())
    assert report["partial"] is False and len(report["leaderboard"]) == 3
    again = cli("run", "grid.toml", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    data_again = read_sweep("grid", str(tmp_path / "results" / "grid" / "sweep.journal"))
    assert sum(len(a.tuning) + len(a.final) for a in data_again.arms) == sum(len(a.tuning) + len(a.final)
                                                                               for a in data.arms)


def test_an_arm_whose_every_trial_fails_stops_asking_with_several_workers():
    """Failed trials do not use the budget, but once the budget's worth have failed no worker starts another
    (two workers once ping-ponged new trials for ever while the other's was running)."""
    from types import SimpleNamespace

    from lossbench.results.phase import tally

    def trial(state: str, status: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(state=SimpleNamespace(name=state), user_attrs={"status": status} if status else {})

    failed = [trial("FAIL", "failed"), trial("FAIL", "failed")]
    assert not tally([*failed, trial("RUNNING")], 2, ("COMPLETE",)).can_ask  # another's trial still running
    assert tally(failed, 2, ("COMPLETE",)).done
    assert tally([trial("FAIL", "failed"), trial("COMPLETE")], 2, ("COMPLETE",)).can_ask  # one error: room left


@pytest.mark.parametrize("sampler", ["screen", "grid", "random", "qmc", "tpe"])
def test_a_slot_s_point_is_the_slot_s_whatever_trial_number_takes_it(sampler):
    """A retry takes its slot under a new trial number, a resume or a second worker in another order: every
    sampler gives slot k the point an uninterrupted run gives it (tpe and qmc, which learn from finished trials,
    for the same finished trials; the others in any order)."""
    import optuna

    from lossbench import Categorical, Float
    from lossbench.results.writer import record_slot
    from lossbench.sweep.samplers import make_sampler
    from lossbench.sweep.space import suggest

    spec = SweepSpec(losses=("focal",), sampler=sampler, trials=6)
    space = ({"lr": Categorical([0.001, 0.003, 0.01]), "focal.gamma": Categorical([1.0, 2.0])} if sampler == "grid"
             else {"lr": Float(1e-4, 1e-1, log=True), "focal.gamma": Float(0.5, 3.0)})

    def points(slots: list[int], failed: int | None = None) -> dict[int, dict]:
        study = optuna.create_study(sampler=make_sampler(spec, spec.arms[0], space))
        found = {}
        for slot in slots:
            trial = study.ask()
            record_slot(trial, slot)
            found[slot] = {key: suggest(trial, key, param) for key, param in space.items()}
            if slot == failed:  # interrupted: told FAIL, its slot taken again by the next trial number
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                failed = None
                trial = study.ask()
                record_slot(trial, slot)
                assert {key: suggest(trial, key, param) for key, param in space.items()} == found[slot]
            study.tell(trial, found[slot]["lr"])
        return found

    uninterrupted = points(list(range(6)))
    assert len({str(p) for p in uninterrupted.values()}) == 6  # six different points
    assert points(list(range(6)), failed=2) == uninterrupted
    if sampler not in ("tpe", "qmc"):
        assert points(list(reversed(range(6)))) == uninterrupted
