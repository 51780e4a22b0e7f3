"""A grown race never loosens its level: raising ``epochs`` (fewer cap steps to ``max_epochs``) after looks were
taken at alpha / K keeps K, stored with the race record, for the race and for its report."""

from __future__ import annotations

import pytest
from stored import store_journal
from sweeps import arm, converged_curve, report_of, run_result, sweep

from lossbench.sweep.racing import Plan


def test_raising_epochs_plans_fewer_cap_steps_but_the_level_stays_at_the_stored_looks():
    before, grown = Plan(10, 20, 200), Plan(10, 100, 200)
    assert before.looks == 4 + 4 and grown.looks == 4 + 1  # 40, 80, 160, 200 then only 200
    kept = Plan(10, 100, 200, least_looks=before.looks)
    assert kept.looks == 8 and kept.alpha == pytest.approx(0.05 / 8) == pytest.approx(before.alpha)
    assert kept.alpha < grown.alpha
    assert Plan(10, 20, 400, least_looks=8).looks == 4 + 5  # more looks planned: stricter still


def test_the_worker_plans_the_stored_looks_and_the_report_judges_at_them(tmp_path):
    from lossbench.results.storage import open_storage
    from lossbench.results.schema import RACE_ATTR, spec_study
    from lossbench.sweep.spec import SweepSpec
    from lossbench.sweep.worker import stored_looks

    journal = store_journal(tmp_path, "kept", trials=1, seeds=3, race=True)
    storage = open_storage(journal, create=True)
    spec = SweepSpec(name="kept", dataset="digits", losses=("ce",), cells=("rnn",), trials=1, seeds=10, epochs=100,
                     max_epochs=200, race=True)
    assert stored_looks(storage, spec) == 0  # no race record yet
    storage.set_study_user_attr(storage.get_study_id_from_name(spec_study("kept")), RACE_ATTR,
                                {"plan": Plan(10, 20, 200).to_json(), "looks": [], "over": False})
    assert stored_looks(storage, spec) == 8

    seeds = (1000, 1001, 1002)
    data = sweep([arm("ce:gru:none", {s: run_result(converged_curve(0.9), 0.9 + i / 100, seed=s)
                                      for i, s in enumerate(seeds)}),
                  arm("focal:gru:none", {s: run_result(converged_curve(0.91), 0.91 + i / 90, seed=s)
                                         for i, s in enumerate(seeds)})], race=True, seeds=10, max_epochs=200)
    data.spec["epochs"] = 100
    assert report_of(data).alpha == pytest.approx(0.05 / 5)
    data.race = {"plan": Plan(10, 20, 200).to_json(), "looks": [], "over": False}
    assert report_of(data).alpha == pytest.approx(0.05 / 8)
