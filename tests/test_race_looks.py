"""The race's looks cost a second each: a worker replays the race only when a final trial finished since its last
replay, never on a trial taken or enqueued; and with 2 workers it trains only the runs the race grants."""

from __future__ import annotations

import optuna
from stored import store_journal

from lossbench.registry import load_registry
from lossbench.results.schema import FINAL, study_name
from lossbench.sweep import worker as worker_module
from lossbench.sweep.continuation import continue_to
from lossbench.sweep.execution import Execution
from lossbench.sweep.spec import SweepSpec

SPEC = SweepSpec(name="kept", dataset="digits", losses=("ce", "focal"), cells=("rnn",), trials=2, seeds=3, epochs=2,
                 race=True, patience=None, max_epochs=8)


def test_a_worker_judges_the_race_again_only_when_a_final_trial_finished(tmp_path, monkeypatch):
    """A stored race (tests/stored.py: focal 0.1 behind, its runs still rising at cap 2) whose look gives focal's
    runs epochs: enqueuing their continuations and taking one judges nothing again; one finishing does, and every
    replay reaches what a fresh worker reads from the same storage."""
    journal = store_journal(tmp_path, "kept", trials=2, seeds=3, losses=("ce", "focal"), improving=True)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    registry = load_registry()
    replays = []
    replay = worker_module.race_state
    monkeypatch.setattr(worker_module, "race_state", lambda *a, **k: replays.append(1) or replay(*a, **k))

    def fresh():
        other = worker_module.Worker(SPEC, storage, registry, Execution(1, 1))
        other._update_race()
        return other._budget, other._race_over

    worker = worker_module.Worker(SPEC, storage, registry, Execution(1, 1))
    worker._update_race()
    worker._update_race()
    assert len(replays) == 1 and not worker._race_over
    focal = optuna.load_study(study_name=study_name("kept", "focal:rnn:none", FINAL), storage=storage)
    assert continue_to(focal, worker._budget["focal:rnn:none"].cap, 3) == 3  # three WAITING continuations
    worker._update_race()
    taken = focal.ask()  # one taken: RUNNING
    worker._update_race()
    assert len(replays) == 1
    before = (dict(worker._budget), worker._race_over)
    assert fresh() == before and len(replays) == 2
    focal.tell(taken, state=optuna.trial.TrialState.FAIL)  # finished: the next ask replays
    worker._update_race()
    assert len(replays) == 3 and (worker._budget, worker._race_over) == fresh() == before
