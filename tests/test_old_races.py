"""A race stored before the race raised caps (no ``max_epochs``, no ``caps``): its report and a resume of it both
plan no cap steps (``max_epochs`` = its ``epochs``), and runs stored before runs said whether they stopped still
improving are never given epochs (nothing would continue them)."""

from __future__ import annotations

import numpy as np
import pytest
from stored import store_journal
from sweeps import converged_curve, report_of, run_result, sweep

from lossbench.results.schema import CAPS_ATTR, SPEC_ATTR, spec_study
from lossbench.sweep.racing import Allowance, Plan, look


def old_race(tmp_path, **options):
    """A finished race stored without training, its spec then stripped to what a race stored before caps did."""
    from lossbench.results.storage import open_storage

    journal = store_journal(tmp_path, "old", seeds=3, race=True, **options)
    storage = open_storage(journal, create=True)  # to write
    study_id = storage.get_study_id_from_name(spec_study("old"))
    spec = dict(storage.get_study_user_attrs(study_id)[SPEC_ATTR])
    spec.pop("max_epochs")
    storage.set_study_user_attr(study_id, SPEC_ATTR, spec)
    assert CAPS_ATTR not in storage.get_study_user_attrs(study_id)
    return journal, storage


def test_the_report_of_a_race_stored_without_max_epochs_judges_at_its_rounds_only():
    from sweeps import arm

    seeds = (1000, 1001, 1002)
    data = sweep([arm("ce:gru:none", {s: run_result(converged_curve(0.9), 0.9 + i / 100, seed=s)
                                      for i, s in enumerate(seeds)}),
                  arm("focal:gru:none", {s: run_result(converged_curve(0.91), 0.91 + i / 90, seed=s)
                                         for i, s in enumerate(seeds)})], race=True, seeds=10)
    assert "max_epochs" not in data.spec
    report = report_of(data)
    assert report.spec.max_epochs == data.spec["epochs"]
    assert report.alpha == pytest.approx(0.05 / 4) == pytest.approx(Plan(10, data.spec["epochs"],
                                                                         data.spec["epochs"]).alpha)
    data.spec["max_epochs"] = 4 * data.spec["epochs"]  # a race that planned cap steps: stricter
    assert report_of(data).alpha == pytest.approx(0.05 / 6)


def test_a_resume_of_a_race_stored_without_max_epochs_plans_no_cap_steps(tmp_path):
    from lossbench.sweep.resume import stored_fields

    old_race(tmp_path)
    fields = stored_fields("old", tmp_path)
    assert fields["race"] and fields["epochs"] == 2 and fields["max_epochs"] == 2
    from lossbench.sweep.inputs import build_spec

    assert build_spec(fields, {}).max_epochs == 2  # the resume's race: Plan(seeds, 2, 2), the report's level
    assert build_spec(fields, {"max_epochs": 8}).max_epochs == 8  # raised on purpose: grown


@pytest.mark.parametrize("improving", [None, True])
def test_only_runs_a_raised_cap_would_continue_are_given_epochs(tmp_path, improving):
    """Old runs (no ``improving`` attr) are never continued, so the race grants them no epoch step; runs stored
    still improving are."""
    from lossbench.results.schema import FINAL, study_name
    from lossbench.sweep.final_runs import FinalRuns
    from lossbench.sweep.spec import SweepSpec

    _, storage = old_race(tmp_path, improving=improving)
    spec = SweepSpec(name="old", dataset="digits", losses=("ce",), cells=("rnn",), trials=4, seeds=3, epochs=2,
                     race=True)
    [arm] = spec.arms
    import optuna

    trials = optuna.load_study(study_name=study_name("old", arm.key, FINAL), storage=storage).get_trials()
    assert FinalRuns(spec, arm, trials).continuable(Allowance(3, 2)) is bool(improving)


def test_an_arm_that_cannot_be_continued_gets_no_epoch_step():
    from test_racing import allowances, arms, first, racing

    accuracy = arms(base=(0.80, 0.01), better=(0.95, 0.01))
    raced = first(racing(accuracy, improving=("base",)), 5)
    plan = Plan(10, 20, 80)
    taken, grown = look(raced, allowances(raced, 5), plan, continuable={"base", "better"})
    assert taken.steps == {"base vs better": "epochs"} and grown["base"] == Allowance(5, 40)
    taken, grown = look(raced, allowances(raced, 5), plan, continuable={"better"})
    assert taken.steps == {} and grown == allowances(raced, 5) and "base vs better" in taken.open
    assert np.isfinite(plan.alpha)


def test_a_resume_of_an_old_race_from_its_spec_file_reads_the_stored_caps_as_a_resume_by_name_does(tmp_path):
    """The file names no max_epochs (nor epochs): the stored ones hold, not the default 200; a flag still raises."""
    from lossbench.results.storage import Storage
    from lossbench.sweep.inputs import build_spec, load_toml
    from lossbench.sweep.resume import stored_fields
    from lossbench.sweep.runner import caps_in_force

    old_race(tmp_path)
    spec_file = tmp_path / "old.toml"
    spec_file.write_text('name = "old"\ndataset = "digits"\nlosses = ["ce"]\ncells = ["rnn"]\ntrials = 4\n'
                         'seeds = "auto"\n')
    store = Storage(name="old", out=str(tmp_path))
    by_file, _ = caps_in_force(store, build_spec(load_toml(spec_file), {}))
    by_name, _ = caps_in_force(store, build_spec(stored_fields("old", tmp_path), {}))
    assert (by_file.epochs, by_file.max_epochs) == (by_name.epochs, by_name.max_epochs) == (2, 2)
    raised, notes = caps_in_force(store, build_spec(load_toml(spec_file), {"max_epochs": 8}))
    assert raised.max_epochs == 8 and not notes  # raised on purpose: grown
