"""``lossbench.load_sweep`` for a notebook: a stored sweep (real Optuna storage, written without training by
tests/stored.py) read back typed, its report in memory, its DataFrames; ``lossbench.report.build`` computes without
writing, ``lossbench.report.write`` writes a loaded sweep."""

from __future__ import annotations

import json
import runpy
import textwrap

import pytest
from stored import store_journal

import lossbench
from lossbench import LossbenchError

LOSSES = ("ce", "focal")
TRIALS, SEEDS = 4, 3

NOTEBOOK = '''
import lossbench

sweep = lossbench.load_sweep("nb")  # ./results/nb/sweep.journal, as `lossbench run --name nb` leaves it
answer = sweep.answer
trials = sweep.trials_dataframe()
finals = trials[trials.phase == "final"]
final_means = finals.groupby("arm").test_accuracy.mean().to_dict()
tuning_lrs = trials[trials.phase == "tune"].params_lr
curves = sweep.curves_dataframe()
epochs_per_run = curves.groupby(["arm", "phase", "number"]).epoch.max()
board = sweep.leaderboard_dataframe()
decisions = sweep.decisions_dataframe()
losses = decisions[decisions.factor == "loss"]
shown = sweep._repr_html_()
'''


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """A finished two-arm sweep ``nb`` in ./results/nb/sweep.journal (ce ahead of focal by 0.1 on every seed)."""
    store_journal(tmp_path / "results", "nb", trials=TRIALS, seeds=SEEDS, losses=LOSSES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_notebook_reads_a_stored_sweep_through_load_sweep_and_its_dataframes(stored):
    (stored / "notebook.py").write_text(textwrap.dedent(NOTEBOOK))
    seen = runpy.run_path(str(stored / "notebook.py"))
    trials, curves, board = seen["trials"], seen["curves"], seen["board"]
    assert len(trials) == len(LOSSES) * (TRIALS + SEEDS)  # one row per trial
    for column in ("arm", "phase", "slot", "seed", "number", "state", "status", "value", "params_lr", "test_accuracy",
                   "test_ece", "epochs", "seconds_per_epoch"):
        assert column in trials.columns, column
    assert sorted(trials[trials.phase == "final"].seed.unique()) == [1000, 1001, 1002]
    assert sorted(trials[trials.phase == "tune"].slot.unique()) == list(range(TRIALS))
    assert seen["final_means"] == pytest.approx({"ce:rnn:none": 0.86, "focal:rnn:none": 0.76})
    assert seen["tuning_lrs"].notna().all() and seen["tuning_lrs"].between(1e-4, 1e-1).all()
    assert len(curves) == 2 * len(trials) and set(seen["epochs_per_run"]) == {2}  # every stored run has 2 epochs
    assert list(curves.columns[-5:]) == ["epoch", "train_loss", "val_accuracy", "val_nll", "seconds"]
    assert list(board.arm) == ["ce:rnn:none", "focal:rnn:none"] and list(board.seeds) == [SEEDS, SEEDS]
    assert board.test_accuracy.tolist() == pytest.approx([0.86, 0.76])
    best = trials[trials.phase == "tune"].sort_values("value").groupby("arm").tail(1).set_index("arm").params_lr
    assert board.params_lr.tolist() == [best["ce:rnn:none"], best["focal:rnn:none"]]  # the best tuning trial's
    losses = seen["losses"]
    assert len(losses) == 1 and {losses.iloc[0].arm, losses.iloc[0].other} == {"ce:rnn:none", "focal:rnn:none"}
    assert losses.iloc[0].difference == pytest.approx(0.1 if losses.iloc[0].arm == "ce:rnn:none" else -0.1)
    assert seen["answer"] and all(isinstance(s, str) and s for s in seen["answer"])
    shown = seen["shown"]
    assert "ce:rnn:none" in shown and "<table" in shown
    assert shown.index(seen["answer"][0][:30].replace("'", "&#x27;")) < shown.index("<table")


def test_the_sweep_is_typed_and_its_report_is_the_one_write_renders(stored):
    sweep = lossbench.load_sweep("nb")
    assert isinstance(sweep, lossbench.Sweep) and sweep.name == "nb"
    assert [a.key for a in sweep.arms] == ["ce:rnn:none", "focal:rnn:none"] and sweep.spec.seeds == SEEDS
    assert [a.key for a in sweep.leaderboard] == ["ce:rnn:none", "focal:rnn:none"]
    assert all(v.arm in LOSSES or ":" in v.arm for v in sweep.decisions)
    before = sorted(p.name for p in (stored / "results" / "nb").iterdir())
    built = lossbench.report.build("nb")
    assert built.answer == sweep.answer and [v.kind for v in built.decisions] == [v.kind for v in sweep.decisions]
    assert sorted(p.name for p in (stored / "results" / "nb").iterdir()) == before  # build writes nothing
    paths = lossbench.report.write(sweep, ["json"])
    assert paths["json"] == stored / "results" / "nb" / "results.json"
    assert json.loads(paths["json"].read_text())["answer"] == sweep.answer
    wilcoxon = lossbench.report.build(sweep, test="wilcoxon")
    assert wilcoxon.test == "wilcoxon" and sweep.report.test == "t"


def test_a_sweep_that_is_not_there_is_one_clear_error(stored):
    with pytest.raises(LossbenchError, match="no sweep storage"):
        lossbench.load_sweep("absent")
    with pytest.raises(LossbenchError, match="no sweep named 'other'"):
        lossbench.load_sweep("other", storage=stored / "results" / "nb" / "sweep.journal")
    with pytest.raises(LossbenchError, match="unknown test"):
        lossbench.load_sweep("nb", test="anova").answer
