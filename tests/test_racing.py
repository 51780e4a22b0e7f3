"""seeds = "auto": the final phase in rounds until every one-factor comparison is decided."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lossbench.results import load_sweep
from lossbench.decisions import Arm, decide
from lossbench.sweep.racing import MARGIN, look, race_state, schedule

SEEDS = list(range(1000, 1010))


def replace_seeds(arm: Arm, seeds: list[int]) -> Arm:
    from dataclasses import replace

    return replace(arm, accuracy={s: arm.accuracy[s] for s in seeds}, plateaued={s: True for s in seeds})


def arms(**means: tuple[float, float]) -> dict[str, dict[int, float]]:
    """Accuracy per seed, normal around each arm's (mean, sd), the same draws for every seed index."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(len(SEEDS))
    return {key: {s: mean + sd * z for s, z in zip(SEEDS, noise[::-1] if i % 2 else noise)}
            for i, (key, (mean, sd)) in enumerate(means.items())}


def racing(accuracy: dict[str, dict[int, float]], improving: tuple[str, ...] = (), gain: float = 0.05) -> list[Arm]:
    """Arms that differ in their loss only (so every pair is one comparison), plateaued unless ``improving``
    (then still gaining ``gain`` per epoch at a cap of 20 epochs)."""
    return [Arm(key, key, "gru", "none", values, {s: key not in improving for s in values}, 10.0, 20,
                gain if key in improving else 0.0) for key, values in accuracy.items()]


def test_the_schedule_is_capped_at_the_maximum():
    assert schedule(10) == [3, 5, 7, 10] and schedule(6) == [3, 5, 6] and schedule(3) == [3]


def test_a_clear_difference_and_a_clear_tie_are_decided_a_noisy_gap_is_not():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01), noisy=(0.83, 0.08))
    jitter = np.random.default_rng(1).normal(0, 0.002, len(SEEDS))
    accuracy["same"] = {s: v + j for (s, v), j in zip(accuracy["base"].items(), jitter)}
    taken = look(racing(accuracy), SEEDS[:5], looks=4)
    assert taken.decided["base vs better"] == "worse" and taken.decided["base vs same"] == "equivalent"
    assert "base vs noisy" in taken.open


def test_a_difference_a_trailing_arm_still_improving_could_close_stays_open_one_its_leader_could_not_is_decided():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    assert look(racing(accuracy, improving=("base",)), SEEDS[:5], looks=4).open == ["base vs better"]
    assert look(racing(accuracy, improving=("better",)), SEEDS[:5], looks=4).decided == {"base vs better": "worse"}
    # still improving, but at a rate that cannot close the gap in as many epochs again (20 x 0.001 < 0.15)
    slow = racing(accuracy, improving=("base",), gain=0.001)
    assert look(slow, SEEDS[:5], looks=4).decided == {"base vs better": "worse"}


def test_three_seeds_can_decide_a_large_difference():
    accuracy = arms(rnn=(0.20, 0.02), gru=(0.90, 0.02))
    assert look(racing(accuracy), SEEDS[:3], looks=1).decided == {"rnn vs gru": "worse"}


def test_a_round_still_running_holds_the_race_and_a_decided_one_ends_it():
    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    assert race_state(10, racing(accuracy), {"base": 3, "better": 2}, SEEDS)[:2] == ({"base": 3, "better": 3}, False)
    seeds, over, looks = race_state(10, racing(accuracy), {"base": 3, "better": 3}, SEEDS)
    assert (seeds, over, [lk.seeds for lk in looks]) == ({"base": 3, "better": 3}, True, [3])


def test_a_comparison_more_seeds_could_decide_races_on_one_round_at_a_time_only_its_own_arms_go_on():
    accuracy = arms(base=(0.80, 0.03), noisy=(0.85, 0.03), far=(0.30, 0.01))
    far = racing(accuracy)
    far = [far[0], far[1], Arm("far", "base", "rnn", "none", accuracy["far"], {s: True for s in SEEDS}, 10.0, 20)]
    budget, over, looks = race_state(10, far, {"base": 3, "noisy": 3, "far": 3}, SEEDS)
    assert not over and "base vs noisy" in looks[0].racing and looks[0].decided == {"base vs far": "better"}
    assert budget == {"base": 5, "noisy": 5, "far": 3}  # far's only comparison is decided: no more seeds for it


def test_a_comparison_far_more_seeds_would_be_needed_for_is_left_open_without_racing():
    accuracy = arms(base=(0.80, 0.05))
    accuracy["tie"] = {s: v + d for (s, v), d in zip(accuracy["base"].items(), np.random.default_rng(2).normal(0.005, 0.05, 10))}
    budget, over, looks = race_state(10, racing(accuracy), {"base": 3, "tie": 3}, SEEDS)
    assert over and looks[0].open == ["base vs tie"] and looks[0].racing == [] and budget == {"base": 3, "tie": 3}


@pytest.mark.slow
def test_a_racing_sweep_stores_how_its_race_ended_and_every_arm_ran_that_many_seeds(tmp_path, cli):
    (tmp_path / "race.toml").write_text('name = "race"\ndataset = "digits"\nlosses = ["ce", "bce"]\ncells = ["gru"]\n'
                                        'remedies = [[]]\ntrials = 2\nepochs = 2\nseeds = 5\nrace = true\nhidden = [8]\n')
    done = cli("run", "race.toml", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import optuna

    path = str(tmp_path / "results" / "race" / "sweep.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    race = optuna.load_study(study_name="race:spec", storage=storage).user_attrs["race"]
    assert race["seeds"] in (3, 5) and [lk["seeds"] for lk in race["looks"]] == [3, 5][:len(race["looks"])]
    assert "paired t-test" in race["method"]
    data = load_sweep("race", path)
    for arm in data.arms:
        assert sorted(t.seed for t in arm.completed_final) == SEEDS[:race["seeds"]], arm.key
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
    budget, over, looks = race_state(20, arms_, {"ce": 3, "bce": 3}, SEEDS + list(range(1010, 1020)))
    assert not over and looks[0].racing == ["ce vs bce"] and budget == {"ce": 5, "bce": 5}


def test_a_tie_more_seeds_could_show_races_on_towards_equivalence():
    rng = np.random.default_rng(4)
    base = {s: 0.95 + rng.normal(0, 0.01) for s in SEEDS}
    near = {s: v - 0.004 + rng.normal(0, 0.015) for s, v in base.items()}  # not yet a tie at 5 seeds
    taken = look(racing({"base": base, "near": near}), SEEDS[:5], looks=4, max_seeds=10)
    assert taken.open == ["base vs near"] and taken.racing == ["base vs near"]
    (decision,) = decide([replace_seeds(a, SEEDS[:5]) for a in racing({"base": base, "near": near})], 0.05 / 4)
    assert "to show a tie within +-0.02" in decision.why


def test_a_gap_the_test_cannot_tell_that_the_trailing_arm_could_close_by_training_asks_for_epochs_not_seeds():
    """Both at chance and still climbing (pascanu2013 at its cap): seeds would measure unfinished curves."""
    accuracy = arms(clip=(0.25, 0.04), none=(0.256, 0.04))
    improving = racing(accuracy, improving=("clip", "none"), gain=0.003)
    (decision,) = decide(improving)
    assert decision.kind == "open" and decision.needs_epochs == 40 and decision.needs_seeds is None
    assert "still improving" in decision.why and "train longer before adding seeds" in decision.why
    taken = look(improving, SEEDS[:3], looks=4, max_seeds=10)
    assert taken.open == ["clip vs none"] and taken.racing == []
    (plateaued,) = decide(racing(accuracy))  # the same numbers, plateaued: seeds would decide it
    assert plateaued.needs_epochs is None and plateaued.needs_seeds is not None
    # the leader still improving only widens the gap; the trailer too slow to close it: seeds, and the race goes on
    wide = arms(plain=(0.30, 0.2), remedied=(0.40, 0.2))
    for improving, gain in ((("remedied",), 0.05), (("plain", "remedied"), 0.001)):
        (leader,) = decide(racing(wide, improving=improving, gain=gain))
        assert leader.kind == "open" and leader.needs_epochs is None and leader.needs_seeds is not None, improving
