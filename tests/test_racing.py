"""seeds = "auto": the final phase as a race over seeds and epochs until every comparison is decided, out of reach
at the caps, or not worth deciding."""

from __future__ import annotations

import numpy as np
import pytest

from lossbench.results import read_sweep
from lossbench.decisions import SEEDS_WORTH, JudgedArm, decide
from lossbench.sweep.racing import Allowance, Plan, look, race_state, schedule

SEEDS = list(range(1000, 1010))
PLAN = Plan(max_seeds=10, epochs=20, max_epochs=80)


def replace_seeds(arm: JudgedArm, seeds: list[int]) -> JudgedArm:
    from dataclasses import replace

    return replace(arm, accuracy={s: arm.accuracy[s] for s in seeds}, plateaued={s: True for s in seeds})


def arms(**means: tuple[float, float]) -> dict[str, dict[int, float]]:
    """Accuracy per seed, normal around each arm's (mean, sd), the same draws for every seed index."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(len(SEEDS))
    return {key: {s: mean + sd * z for s, z in zip(SEEDS, noise[::-1] if i % 2 else noise)}
            for i, (key, (mean, sd)) in enumerate(means.items())}


def racing(accuracy: dict[str, dict[int, float]], improving: tuple[str, ...] = (), gain: float = 0.05,
           cap: int = 20) -> list[JudgedArm]:
    """Arms that differ in their loss only (so every pair is one comparison), plateaued unless ``improving``
    (then still gaining ``gain`` per epoch at a cap of ``cap`` epochs)."""
    return [JudgedArm(key, key, "gru", "none", values, {s: key not in improving for s in values}, 10.0, cap,
                gain if key in improving else 0.0) for key, values in accuracy.items()]


def first(arms_: list[JudgedArm], n: int) -> list[JudgedArm]:
    """Each arm on its first ``n`` seeds."""
    from dataclasses import replace

    keep = set(SEEDS[:n])
    return [replace(a, accuracy={s: v for s, v in a.accuracy.items() if s in keep},
                    plateaued={s: v for s, v in a.plateaued.items() if s in keep}) for a in arms_]


def allowances(arms_: list[JudgedArm], seeds: int = 3, cap: int = 20) -> dict[str, Allowance]:
    return {a.key: Allowance(seeds, cap) for a in arms_}


def looked(arms_: list[JudgedArm], seeds: int, plan: Plan = PLAN):
    """The look on each arm's first ``seeds`` seeds at its cap, and what it allows."""
    return look(first(arms_, seeds), allowances(arms_, seeds, arms_[0].epochs_cap), plan)


class Stored:
    """An arm's final phase as the race reads it: ``arm_at(allowance)`` its runs as of an allowance; rounds
    finished up to ``done`` (an allowance's seeds at most, its cap at most)."""

    def __init__(self, arm_at, done: Allowance = Allowance(10, 10_000)):
        self.arm_at, self.done = arm_at, done

    def ready(self, allowance: Allowance) -> bool:
        return allowance.seeds <= self.done.seeds and allowance.cap <= self.done.cap

    def arm(self, allowance: Allowance) -> JudgedArm:
        return self.arm_at(allowance)

    def continuable(self, allowance: Allowance) -> bool:
        return True


def stored(arms_: list[JudgedArm], done: Allowance = Allowance(10, 10_000)) -> dict[str, Stored]:
    by_key = {a.key: a for a in arms_}
    return {key: Stored(lambda b, key=key: first([by_key[key]], b.seeds)[0], done) for key in by_key}


def test_the_schedule_is_capped_at_the_maximum_and_caps_double_up_to_max_epochs():
    from lossbench.decisions import cap_steps, race_alpha

    assert schedule(10) == [3, 5, 7, 10] and schedule(6) == [3, 5, 6] and schedule(3) == [3]
    assert cap_steps(20, 200) == [40, 80, 160, 200] and cap_steps(20, 20) == [] and cap_steps(30, 50) == [50]
    assert PLAN.looks == 4 + 2 and race_alpha(10, 0.05, 20, 80) == pytest.approx(0.05 / 6) == PLAN.alpha
    assert PLAN.next_cap(20) == 40 and PLAN.next_cap(80) is None and PLAN.next_round(3) == 5


def test_a_clear_difference_and_a_clear_tie_are_decided_a_noisy_gap_is_not():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01), noisy=(0.83, 0.08))
    jitter = np.random.default_rng(1).normal(0, 0.002, len(SEEDS))
    accuracy["same"] = {s: v + j for (s, v), j in zip(accuracy["base"].items(), jitter)}
    taken, grown = looked(racing(accuracy), 5, Plan(10, 20, 20))
    assert taken.decided["base vs better"] == "worse" and taken.decided["base vs same"] == "equivalent"
    assert "base vs noisy" in taken.open and "base vs noisy" not in taken.decided


def test_a_trailing_arm_still_improving_that_could_close_the_gap_is_trained_longer_one_that_could_not_is_decided():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    taken, grown = looked(racing(accuracy, improving=("base",)), 5)
    assert taken.steps == {"base vs better": "epochs"}
    assert grown == {"base": Allowance(5, 40), "better": Allowance(5, 20)}
    assert looked(racing(accuracy, improving=("better",)), 5)[0].decided == {"base vs better": "worse"}
    # still improving, but at a rate that cannot close the gap in as many epochs again (20 x 0.001 < 0.15)
    slow = racing(accuracy, improving=("base",), gain=0.001)
    assert looked(slow, 5)[0].decided == {"base vs better": "worse"}


def test_a_pair_only_training_past_max_epochs_would_decide_stays_open_out_of_reach_and_ends_the_race():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    capped = racing(accuracy, improving=("base",), cap=80)
    taken, grown = looked(capped, 5)
    assert taken.steps == {} and "out of reach" in taken.open["base vs better"] and grown == allowances(capped, 5, 80)
    (verdict,) = decide(first(capped, 5), PLAN.alpha, reach=(10, 80))
    assert verdict.reach == "epochs" and "max_epochs = 80" in verdict.why


def test_three_seeds_can_decide_a_large_difference():
    accuracy = arms(rnn=(0.20, 0.02), gru=(0.90, 0.02))
    assert looked(racing(accuracy), 3, Plan(3, 20, 20))[0].decided == {"rnn vs gru": "worse"}


def test_a_round_still_running_holds_the_race_and_a_decided_one_ends_it():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    held = stored(racing(accuracy))
    held["better"].done = Allowance(2, 20)  # its third seed still running
    state = race_state(PLAN, held)
    assert (state.over, state.looks) == (False, [])
    assert state.allowed == {"base": Allowance(3, 20), "better": Allowance(3, 20)}
    state = race_state(PLAN, stored(racing(accuracy)))
    assert state.over and [lk.seeds for lk in state.looks] == [3] and state.allowed["base"] == Allowance(3, 20)


def test_a_comparison_more_seeds_could_decide_races_on_one_round_at_a_time_only_its_own_arms_go_on():
    accuracy = arms(base=(0.80, 0.03), noisy=(0.85, 0.03), far=(0.30, 0.01))
    far = racing(accuracy)
    far = [far[0], far[1], JudgedArm("far", "base", "rnn", "none", accuracy["far"], {s: True for s in SEEDS}, 10.0, 20)]
    state = race_state(PLAN, stored(far, done=Allowance(3, 20)))
    assert not state.over and state.looks[0].steps.get("base vs noisy") == "seeds"
    assert state.looks[0].decided == {"base vs far": "better"}
    assert state.allowed == {"base": Allowance(5, 20), "noisy": Allowance(5, 20),
                             "far": Allowance(3, 20)}  # far is decided


def test_a_comparison_far_more_seeds_would_be_needed_for_is_left_open_within_the_noise_without_racing():
    accuracy = arms(base=(0.80, 0.05))
    noise = np.random.default_rng(2).normal(0.005, 0.08, 10)
    accuracy["tie"] = {s: v + d for (s, v), d in zip(accuracy["base"].items(), noise)}
    state = race_state(PLAN, stored(racing(accuracy)))
    assert state.over and state.looks[0].steps == {}
    assert state.allowed == {"base": Allowance(3, 20), "tie": Allowance(3, 20)}
    assert "within the noise" in state.looks[0].open["base vs tie"]
    (verdict,) = decide(first(racing(accuracy), 3), PLAN.alpha, reach=(10, 80))
    assert verdict.reach == "seeds" and "within the noise" in verdict.why and "[" in verdict.why  # its interval


def test_a_pair_more_seeds_than_the_most_would_decide_is_out_of_reach_not_within_the_noise_and_never_asks_fewer():
    """'Within the noise' is kept for pairs needing more than SEEDS_WORTH (as the answer says it); one needing 15
    seeds at a most of 3 is out of reach at this sweep's most. And an open pair never reads 'about 2 seeds would
    decide it' after 3 did not."""
    accuracy = arms(base=(0.80, 0.05))
    near = np.random.default_rng(4).normal(0.02, 0.02, 10)
    accuracy["near"] = {s: v + d for (s, v), d in zip(accuracy["base"].items(), near)}
    (verdict,) = decide(first(racing(accuracy), 3), PLAN.alpha, reach=(3, 80))
    assert verdict.kind == "open" and verdict.reach == "seeds" and 3 < verdict.needs_seeds <= SEEDS_WORTH
    assert "out of reach at this sweep's most of 3 seeds" in verdict.why and "within the noise" not in verdict.why
    large = np.random.default_rng(1).normal(0.03, 0.03, 10)
    accuracy["near"] = {s: v + d for (s, v), d in zip(accuracy["base"].items(), large)}
    (verdict,) = decide(first(racing(accuracy), 3), PLAN.alpha, reach=(10, 80))
    assert verdict.kind == "open" and verdict.needs_seeds >= 4 and f"about {verdict.needs_seeds} seeds" in verdict.why


def test_two_arms_at_chance_are_not_raced():
    accuracy = arms(a=(0.10, 0.01), b=(0.11, 0.01))
    low = [JudgedArm(k, k, "rnn", "none", v, {s: False for s in v}, 10.0, 20, 0.01, chance=0.1)
           for k, v in accuracy.items()]
    taken, grown = looked(low, 3)
    assert taken.steps == {} and "at chance" in taken.open["a vs b"] and grown == allowances(low)


def test_where_seeds_and_epochs_could_both_decide_a_pair_the_race_takes_the_cheaper_in_epochs():
    """A noisy pair with an arm still improving slowly: seeds (two new runs of 20 epochs each) against continuing
    the improving arm's runs (20 more epochs each): 3 runs continued cost 60, 2 seeds x 2 arms cost 80."""
    accuracy = arms(base=(0.80, 0.03), noisy=(0.85, 0.03))
    slow = racing(accuracy, improving=("noisy",), gain=0.0002)
    (verdict,) = decide(first(slow, 3), PLAN.alpha)
    assert verdict.needs_seeds is not None and verdict.needs_epochs is None and verdict.improving == ("noisy",)
    taken, grown = looked(slow, 3)
    assert taken.steps == {"base vs noisy": "epochs"} and grown["noisy"] == Allowance(3, 40)
    taken, grown = looked(slow, 5)  # 5 runs to continue cost 100, 2 more seeds x 2 arms 80: seeds
    assert taken.steps == {"base vs noisy": "seeds"}
    assert grown == {"base": Allowance(7, 20), "noisy": Allowance(7, 20)}


@pytest.mark.slow
def test_a_racing_sweep_stores_how_its_race_ended_and_every_arm_ran_that_many_seeds(tmp_path, cli):
    (tmp_path / "race.toml").write_text('name = "race"\ndataset = "digits"\nlosses = ["ce", "bce"]\ncells = ["gru"]\n'
                                        'remedies = [[]]\ntrials = 2\nepochs = 2\nseeds = 5\nrace = true\nhidden = [8]\n'
                                        'max_epochs = 2\n')
    done = cli("run", "race.toml", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import optuna

    path = str(tmp_path / "results" / "race" / "sweep.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    race = optuna.load_study(study_name="race:spec", storage=storage).user_attrs["race"]
    assert race["over"] and race["seeds"] in (3, 5) and [lk["seeds"] for lk in race["looks"]] == [3, 5][:len(race["looks"])]
    assert "paired t-test" in race["method"] and race["caps"] == {"ce:gru:none": 2, "bce:gru:none": 2}
    data = read_sweep("race", path)
    for arm in data.arms:
        assert sorted(t.seed for t in arm.completed_final) == SEEDS[:race["arms"][arm.key]], arm.key
    assert done.stdout == ""  # --quiet prints nothing


def test_seeds_auto_from_the_command_line_becomes_a_race_up_to_ten():
    from lossbench.sweep import build_spec

    spec = build_spec({}, {"seeds": "auto"})
    assert (spec.seeds, spec.race, spec.problems) == (10, True, ())
    assert build_spec({}, {"seeds": "many"}).problems == ("seeds must be a number of seeds or auto, got 'many'",)


def test_a_comparison_with_an_even_chance_at_the_maximum_races_on_though_power_08_would_need_more():
    """bce against ce on the seed preset, stopped early on one seed: a large gap on one seed of three."""
    ce = {1000: 0.961, 1001: 0.967, 1002: 0.955}
    bce = {1000: 0.911, 1001: 0.903, 1002: 0.100}
    arms_ = racing({"ce": ce, "bce": bce})
    (decision,) = decide(arms_, 0.05 / 5)
    assert decision.needs_seeds > 20 >= decision.even_chance_seeds
    state = race_state(Plan(20, 20, 20), stored(arms_, done=Allowance(3, 20)))
    assert not state.over and state.looks[0].steps == {"ce vs bce": "seeds"}
    assert state.allowed == {"ce": Allowance(5, 20), "bce": Allowance(5, 20)}


def test_a_tie_more_seeds_could_show_races_on_towards_equivalence():
    rng = np.random.default_rng(4)
    base = {s: 0.95 + rng.normal(0, 0.01) for s in SEEDS}
    near = {s: v - 0.004 + rng.normal(0, 0.015) for s, v in base.items()}  # not yet a tie at 5 seeds
    taken, _ = looked(racing({"base": base, "near": near}), 5, Plan(10, 20, 20))
    assert taken.steps == {"base vs near": "seeds"}
    (decision,) = decide([replace_seeds(a, SEEDS[:5]) for a in racing({"base": base, "near": near})], 0.05 / 4)
    assert "to show a tie within +-0.02" in decision.why


def test_a_gap_the_test_cannot_tell_that_the_trailing_arm_could_close_by_training_asks_for_epochs_not_seeds():
    """Both at chance and still climbing (pascanu2013 at its cap): seeds would measure unfinished curves."""
    accuracy = arms(clip=(0.25, 0.04), none=(0.256, 0.04))
    improving = racing(accuracy, improving=("clip", "none"), gain=0.003)
    (decision,) = decide(improving)
    assert decision.kind == "open" and decision.needs_epochs == 40 and decision.needs_seeds is None
    assert "still improving" in decision.why and "train longer before adding seeds" in decision.why
    taken, grown = looked(improving, 3)
    (on_three,) = decide(first(improving, 3), PLAN.alpha)
    assert taken.steps == {"clip vs none": "epochs"} and {grown[k].cap for k in on_three.longer} == {40}
    (plateaued,) = decide(racing(accuracy))  # the same numbers, plateaued: seeds would decide it
    assert plateaued.needs_epochs is None and plateaued.needs_seeds is not None
    # the leader still improving only widens the gap; the trailer too slow to close it: seeds, and the race goes on
    wide = arms(plain=(0.30, 0.2), remedied=(0.40, 0.2))
    for improving, gain in ((("remedied",), 0.05), (("plain", "remedied"), 0.001)):
        (leader,) = decide(racing(wide, improving=improving, gain=gain))
        assert leader.kind == "open" and leader.needs_epochs is None and leader.needs_seeds is not None, improving


def test_a_tie_with_an_arm_still_improving_is_decided_when_its_most_possible_gain_cannot_leave_the_margin():
    """The concave bound that decides differences decides ties too: +0.0001 per epoch for 20 more epochs (0.002)
    cannot take a 0.002 difference out of +-0.02; +0.002 per epoch (0.04) could, so that one trains longer."""
    rng = np.random.default_rng(5)
    base = {s: 0.95 + rng.normal(0, 0.002) for s in SEEDS}
    near = {s: v - 0.002 + rng.normal(0, 0.002) for s, v in base.items()}
    slow = racing({"base": base, "near": near}, improving=("near",), gain=0.0001)
    (tie,) = decide(first(slow, 5), PLAN.alpha)
    assert tie.kind == "equivalent" and "near (+0.002) could still gain" in tie.why
    assert looked(slow, 5)[0].decided == {"base vs near": "equivalent"}
    fast = racing({"base": base, "near": near}, improving=("near",), gain=0.002)
    (open_,) = decide(first(fast, 5), PLAN.alpha)
    assert open_.kind == "open" and open_.needs_epochs is not None and open_.longer == ("near",)
    taken, grown = looked(fast, 5)
    assert taken.steps == {"base vs near": "epochs"} and grown == {"base": Allowance(5, 20), "near": Allowance(5, 40)}


def test_the_race_replays_from_a_stored_sweep_built_without_training(tmp_path):
    """FinalRuns reads each arm's final trials from real storage as the worker does: two arms 0.1 apart on three
    seeds of a finished two-loss sweep (tests/stored.py), each run still rising at its cap of 2 epochs: the
    trailing arm could close the gap, so the race continues it (cap 4) where max_epochs allows, and waits for those
    runs; at max_epochs 2 the pair is out of reach and the race is over."""
    import optuna

    from stored import store_journal

    from lossbench.results.schema import FINAL, study_name
    from lossbench.sweep.final_runs import FinalRuns
    from lossbench.sweep.spec import SweepSpec

    journal = store_journal(tmp_path, "kept", trials=2, seeds=3, losses=("ce", "focal"), improving=True)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    spec = SweepSpec(name="kept", dataset="digits", losses=("ce", "focal"), cells=("rnn",), trials=2, seeds=3,
                     epochs=2, race=True, patience=None)
    plan = Plan(3, 2, 2)
    runs = {arm.key: FinalRuns(spec, arm, optuna.load_study(study_name=study_name("kept", arm.key, FINAL),
                                                            storage=storage).get_trials()) for arm in spec.arms}
    assert all(r.ready(plan.first) for r in runs.values()) and not runs["ce:rnn:none"].ready(Allowance(4, 2))
    ce = runs["ce:rnn:none"].arm(plan.first)
    assert sorted(ce.accuracy) == [1000, 1001, 1002] and ce.epochs_cap == 2
    state = race_state(plan, runs)
    assert state.over and state.looks[0].open == {"ce:rnn:none vs focal:rnn:none": "out of reach at max_epochs"}
    assert state.allowed == {"ce:rnn:none": Allowance(3, 2), "focal:rnn:none": Allowance(3, 2)}
    state = race_state(Plan(3, 2, 8), runs)
    assert not state.over and state.looks[0].steps == {"ce:rnn:none vs focal:rnn:none": "epochs"}
    assert state.allowed == {"ce:rnn:none": Allowance(3, 2),
                             "focal:rnn:none": Allowance(3, 4)}  # focal's runs go on to 4


def test_the_report_judges_the_runs_the_race_judged_though_a_slot_ran_past_the_recorded_cap(tmp_path):
    """A race over at cap 2 (tests/stored.py: two arms 0.1 apart, max_epochs 2) whose focal slots were then
    continued to cap 4, each run ending at 0.95 (as after a growth changed the plan): the report reads each slot's
    run as of the race's cap, as the race did, builds its arms the same way, and so decides the pair as it does."""
    import optuna

    from stored import store_journal
    from sweeps import report_of, run_result

    from lossbench.decisions import sweep_arms
    from lossbench.results import writer
    from lossbench.results.schema import FINAL, study_name
    from lossbench.sweep.final_runs import FinalRuns
    from lossbench.sweep.racing import as_json
    from lossbench.sweep.spec import SweepSpec

    journal = store_journal(tmp_path, "kept", trials=2, seeds=3, losses=("ce", "focal"), improving=True, race=True,
                            patience=None, max_epochs=2)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    spec = SweepSpec(name="kept", dataset="digits", losses=("ce", "focal"), cells=("rnn",), trials=2, seeds=3,
                     epochs=2, race=True, patience=None, max_epochs=2)
    plan = Plan(3, 2, 2)

    def finals(arm):
        return optuna.load_study(study_name=study_name("kept", arm.key, FINAL), storage=storage)

    state = race_state(plan, {arm.key: FinalRuns(spec, arm, finals(arm).get_trials()) for arm in spec.arms})
    assert state.over and state.allowed["focal:rnn:none"] == Allowance(3, 2)
    assert writer.record_race_if_newer(storage, "kept", as_json(state, plan))
    focal = finals(spec.arms[1])
    for first in focal.get_trials():
        focal.enqueue_trial({}, user_attrs=writer.continuation_attrs(first, 4))
        run = focal.ask()
        writer.record_outcome(run, "completed", 1.0, result=run_result([0.75, 0.8, 0.9, 0.95], 0.95), improving=False)
        focal.tell(run, 0.95)
    raced = {arm.key: FinalRuns(spec, arm, finals(arm).get_trials()).arm(state.allowed[arm.key]) for arm in spec.arms}
    data = read_sweep("kept", str(journal))
    assert sorted(t.run.test_metric("accuracy") for t in data.arms[1].completed_final) == [0.95] * 3
    judged, _ = sweep_arms(data)
    assert {a.key: a for a in judged} == raced  # the same runs, the same JudgedArm
    assert raced["focal:rnn:none"].accuracy == {1000: 0.75, 1001: 0.76, 1002: 0.77}
    (race_verdict,) = decide(list(raced.values()), plan.alpha, reach=(plan.max_seeds, plan.max_epochs))
    report = report_of(data)
    (report_verdict,) = report.decisions
    assert (report_verdict.kind, report_verdict.difference) == (race_verdict.kind, race_verdict.difference)
    (focal,) = [arm for arm in report.arms if arm.key == "focal:rnn:none"]  # the leaderboard reads the same runs
    assert focal.accuracy == {1000: 0.75, 1001: 0.76, 1002: 0.77} and focal.final_runs == 3


@pytest.mark.slow
def test_a_race_over_epochs_reaches_the_same_looks_numbers_and_decisions_with_one_worker_and_two(tmp_path):
    from lossbench import sweep

    spec = {"dataset": "digits", "losses": ["ce", "focal"], "cells": ["gru"], "hidden": 8, "trials": 1, "epochs": 2,
            "max_epochs": 8, "seeds": 5, "race": True, "patience": 0}
    seen = {}
    for workers in (1, 2):
        data = sweep.run({**spec, "name": f"w{workers}"}, out=tmp_path, workers=workers, threads=1).load()
        race = data.data.race
        seen[workers] = ({k: race[k] for k in ("arms", "caps", "looks", "over")},
                         {a.key: sorted((t.seed, len(t.run.epochs), t.run.test_metric("accuracy"))
                                        for t in a.completed_final) for a in data.arms},
                         [(v.arm, v.other, v.kind, v.difference) for v in data.decisions])
    assert seen[1] == seen[2]
    assert any(cap > spec["epochs"] for cap in seen[1][0]["caps"].values())  # the race continued runs
