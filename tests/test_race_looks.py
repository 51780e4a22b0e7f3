"""The race's looks cost a second each: a worker replays the race only when a final trial finished since its last
replay, never on a trial taken or enqueued; and with 2 workers it trains only the runs the race grants."""

from __future__ import annotations

import optuna
import pytest
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
        return other._allowed, other._race_over

    worker = worker_module.Worker(SPEC, storage, registry, Execution(1, 1))
    worker._update_race()
    worker._update_race()
    assert len(replays) == 1 and not worker._race_over
    focal = optuna.load_study(study_name=study_name("kept", "focal:rnn:none", FINAL), storage=storage)
    assert continue_to(focal, worker._allowed["focal:rnn:none"].cap, 3) == 3  # three WAITING continuations
    worker._update_race()
    taken = focal.ask()  # one taken: RUNNING
    worker._update_race()
    assert len(replays) == 1
    before = (dict(worker._allowed), worker._race_over)
    assert fresh() == before and len(replays) == 2
    focal.tell(taken, state=optuna.trial.TrialState.FAIL)  # finished: the next ask replays
    worker._update_race()
    assert len(replays) == 3 and (worker._allowed, worker._race_over) == fresh() == before


def surplus_runs(data) -> dict[str, list[int]]:
    """The final trials of each arm that trained (completed, pruned, or failed with a result) past what the race
    granted: a slot past its arm's seeds, or a run of a slot after its run as of the arm's cap."""
    from lossbench.results.chains import chains

    race, found = data.race, {}
    for arm in data.arms:
        seeds, cap = race["arms"][arm.key], race["caps"][arm.key]
        trials = [*arm.final, *arm.superseded]
        granted = set()
        for chain in chains(trials):
            judged = chain.at(cap) if chain.slot is not None and chain.slot < seeds else None
            if judged is not None:
                granted |= {t.number for t in chain.finished if t.number <= judged.number}
        found[arm.key] = sorted(t.number for t in trials if t.result is not None and t.number not in granted)
    return found


@pytest.mark.slow
def test_two_workers_train_only_the_runs_the_race_grants(tmp_path):
    """Four arms raced over epochs (caps 2, 4, 8: runs continued from their checkpoints) by 2 workers: every final
    run trained is one the race judged, and 1 worker trains the same runs."""
    from lossbench import sweep

    spec = {"dataset": "digits", "losses": ["ce", "focal"], "cells": ["rnn", "gru"], "hidden": 8, "trials": 1,
            "epochs": 2, "max_epochs": 8, "seeds": 5, "race": True, "patience": 0}
    trained = {}
    for workers in (2, 1):
        data = sweep.run({**spec, "name": f"w{workers}"}, out=tmp_path, workers=workers, threads=1).load().data
        assert data.race["over"]
        assert surplus_runs(data) == {arm.key: [] for arm in data.arms}
        trained[workers] = {arm.key: sorted((t.seed, len(t.run.epochs)) for t in [*arm.final, *arm.superseded]
                                            if t.run is not None) for arm in data.arms}
    assert trained[1] == trained[2]


def test_a_trial_queued_after_a_done_phase_was_counted_is_queued_again_never_held_untrained(tmp_path):
    """A done phase takes the retries it counted so that they come back surplus; where the trial handed out is one
    queued since (a continuation past this worker's cap, from a worker whose replay ran ahead), it goes back to the
    queue for whoever runs it, instead of staying RUNNING under a live worker that never trains it (a hang)."""
    from lossbench.results import writer
    from lossbench.results.phase import Tally
    from lossbench.results.schema import FINAL as PHASE

    journal = store_journal(tmp_path, "kept", trials=2, seeds=3, losses=("ce", "focal"), improving=True)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    worker = worker_module.Worker(SPEC, storage, load_registry(), Execution(1, 1))
    focal = optuna.load_study(study_name=study_name("kept", "focal:rnn:none", FINAL), storage=storage)
    assert continue_to(focal, 4, 1) == 1  # queued after the count below was made
    assert worker._done(focal, Tally(3, nonfail=3, finished=3, waiting=1), PHASE, True)
    states = [t.state.name for t in focal.get_trials()]
    assert "RUNNING" not in states and worker.held is None
    (queued,) = [t for t in focal.get_trials() if t.state.name == "WAITING"]
    assert writer.slot_of(queued) == 0 and writer.cap_attr(queued) == 4
