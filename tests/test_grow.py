"""A sweep grows instead of being refused: its caps (epochs, seeds, max_epochs) and run options (time budget, trial
timeout) are not its identity; a raised cap continues its runs from their checkpoints and adds seeds, training no
epoch twice, to the numbers of a sweep started with the larger caps; ``lossbench run NAME`` resumes a stored sweep."""

from __future__ import annotations

import pytest
from stored import store_journal

from lossbench import sweep
from lossbench.errors import LossbenchError

SMALL = {"dataset": "digits", "losses": ["ce"], "cells": ["gru"], "hidden": 8, "trials": 1, "patience": 0}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def epochs_trained(data) -> int:
    """Epochs trained in storage: each stored run's epochs less those it continued from (superseded runs too)."""
    return sum(len(t.run.epochs) - (t.run.continued_from or 0) for arm in data.arms
               for t in [*arm.tuning, *arm.final, *arm.superseded] if t.run is not None)


def finals(data) -> dict[int, tuple]:
    """{seed: (test accuracy, validation curve, epochs)} of every arm's current final runs."""
    return {t.seed: (t.run.test_metric("accuracy"), t.run.curve("val_accuracy"), len(t.run.epochs))
            for arm in data.arms for t in arm.completed_final}


@pytest.mark.slow
def test_a_sweep_grown_by_epochs_then_seeds_trains_no_epoch_twice_and_equals_one_started_with_the_larger_caps(
        tmp_path):
    small = sweep.run({**SMALL, "name": "grown", "epochs": 3, "seeds": 2}, out=tmp_path, workers=1)
    before = small.load()
    assert epochs_trained(before) == 3 + 2 * 3
    longer = sweep.run({**SMALL, "name": "grown", "epochs": 6, "seeds": 2}, out=tmp_path, workers=1)
    grown = longer.load()
    [arm] = grown.arms
    assert [t.user_attrs.get("continues") for t in arm.completed_final] == [0, 1]  # the two runs continued
    assert sorted(t.number for t in arm.superseded) == [0, 1] and all(t.run.continued_from == 3
                                                                      for t in arm.completed_final)
    assert epochs_trained(grown) == 3 + 2 * 6  # each final run's epochs 4 to 6 trained once, tuning not at all
    assert [t.user_attrs["cap"] for t in arm.tuning] == [3]  # tuned at 3 epochs: frozen once made
    more = sweep.run({**SMALL, "name": "grown", "epochs": 6, "seeds": 3}, out=tmp_path, workers=1)
    grown = more.load()
    assert epochs_trained(grown) == 3 + 3 * 6 and more.spec.epochs == 6 and more.spec.seeds == 3
    straight = sweep.run({**SMALL, "name": "straight", "epochs": 6, "seeds": 3}, out=tmp_path, workers=1).load()
    assert finals(grown) == finals(straight) and len(finals(grown)) == 3


@pytest.mark.slow
def test_a_cap_given_lower_than_stored_stays_with_a_note_and_what_decides_the_results_is_still_refused(tmp_path):
    store_journal(tmp_path, "kept", trials=1, seeds=1)  # a finished sweep at 2 epochs, stored without training
    spec = {"name": "kept", "dataset": "digits", "cells": ["rnn"], "trials": 1}
    outcome = sweep.run({**spec, "epochs": 1, "seeds": 1}, out=tmp_path, workers=1)
    assert outcome.spec.epochs == 2 and outcome.notes == (
        "epochs = 1 is below the 2 this sweep has already: a cap never shrinks, so it stays 2",)
    assert outcome.load().spec.epochs == 2
    with pytest.raises(LossbenchError, match=r"different spec \(differs in: trials\).*lossbench run kept --epochs N"):
        sweep.run({**spec, "trials": 2, "epochs": 2, "seeds": 1}, out=tmp_path, workers=1)


def test_lossbench_run_name_reads_a_stored_sweep_s_spec_and_a_typo_is_one_message_exit_2(tmp_path, cli):
    from lossbench.sweep.resume import stored_fields

    store_journal(tmp_path, "kept", trials=1, seeds=1)
    fields = stored_fields("kept", tmp_path)
    assert (fields["name"], fields["epochs"], fields["seeds"], fields["cells"]) == ("kept", 2, 1, ["rnn"])
    assert stored_fields("nothing", tmp_path) is None and stored_fields("../up", tmp_path) is None
    done = cli("run", "kpet", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"error: no spec file 'kpet' and no sweep named 'kpet' under --out {tmp_path}; "
                                   f"did you mean 'kept'?: give a spec file (.toml), the name of a stored sweep to "
                                   f"resume or grow it, or --preset")
    both = cli("run", "kept", "--preset", "seed", "--out", str(tmp_path), cwd=tmp_path)
    assert both.returncode == 2 and "give a stored sweep or --preset, not both" in both.stderr


@pytest.mark.slow
def test_lossbench_run_name_with_epochs_grows_a_finished_sweep_from_its_checkpoints(tmp_path, cli):
    from lossbench.results import read_sweep

    args = ["--dataset", "digits", "--loss", "ce", "--cell", "gru", "--remedies", "none", "--set", "hidden=8",
            "--trials", "1", "--seeds", "2", "--patience", "0", "--workers", "1", "--quiet"]
    first = cli("run", "--name", "named", "--epochs", "2", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    grown = cli("run", "named", "--epochs", "4", "--workers", "1", "--quiet", cwd=tmp_path)
    assert grown.returncode == 0 and "warning" not in grown.stderr, grown.stderr
    data = read_sweep("named", str(tmp_path / "results" / "named" / "sweep.journal"))
    [arm] = data.arms
    assert [len(t.run.epochs) for t in arm.completed_final] == [4, 4] and len(arm.superseded) == 2
    assert epochs_trained(data) == 2 + 2 * 4 and data.spec_record.epochs == 4
    more = cli("run", "named", "--seeds", "3", "--time-budget", "10m", "--workers", "1", "--quiet", cwd=tmp_path)
    assert more.returncode == 0 and "warning" not in more.stderr, more.stderr
    data = read_sweep("named", str(tmp_path / "results" / "named" / "sweep.journal"))
    [arm] = data.arms
    assert sorted(t.seed for t in arm.completed_final) == [1000, 1001, 1002]  # one seed added, at the raised cap
    assert epochs_trained(data) == 2 + 3 * 4 and data.spec_record.seeds == 3
    assert data.spec_record.time_budget == 600  # this start's budget, stored with the caps in force
