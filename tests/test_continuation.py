"""A slot's run continues in a new trial of the same slot (``lossbench.results.chains``): every reader counts
slots, not trials, and reads each slot's current run; a continuation is enqueued once, taken like a retry, and a
duplicate is surplus. Nothing trains here (stored trials made by hand); the sweeps that continue runs are in
test_grow.py."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
import pytest
from sweeps import run_result

from lossbench.results import read_sweep, writer
from lossbench.results.chains import chains, split_superseded
from lossbench.results.phase import FINAL_FINISHED, round_done, runs_as_of, tally
from lossbench.results.schema import FINAL, TUNE, spec_study, study_name
from lossbench.sweep.continuation import continue_to
from lossbench.sweep.spec import SweepSpec


def trial(number: int, state: str, slot: int | None, cap: int | None = None, improving: bool = False,
          status: str | None = None, **attrs) -> SimpleNamespace:
    user = {"slot": slot, "cap": cap, "improving": improving, "status": status, **attrs}
    return SimpleNamespace(number=number, state=state, user_attrs={k: v for k, v in user.items() if v is not None})


def test_a_slot_s_continuations_are_one_slot_its_latest_finished_run_current_the_earlier_superseded():
    trials = [trial(0, "COMPLETE", 0, 10, improving=True), trial(1, "COMPLETE", 1, 10),
              trial(2, "COMPLETE", 0, 20, improving=True, continues=0),
              trial(3, "FAIL", 0, 40, status="interrupted", continues=2),  # a continuation stopped by a signal
              trial(4, "WAITING", 0, 40, continues=2)]  # ... and its retry
    [zero, one] = chains(trials)
    assert [t.number for t in zero.trials] == [0, 2, 3, 4] and zero.latest.number == 2 and zero.pending.number == 4
    assert [t.number for t in zero.superseded] == [0] and not one.superseded
    current, superseded = split_superseded(trials)
    assert [t.number for t in current] == [1, 2, 3, 4] and [t.number for t in superseded] == [0]
    counted = tally(trials, 2, FINAL_FINISHED)
    assert (counted.nonfail, counted.finished, counted.waiting) == (2, 1, 1)  # two slots, not four trials
    # the run as of a cap: trained to it or past, or done at any cap (slot 1 plateaued at 10)
    assert zero.at(10).number == 0 and zero.at(20).number == 2 and zero.at(40) is None and one.at(40).number == 1
    assert [t.number for t in runs_as_of(trials, 2, 20)] == [2, 1] and not round_done(trials, 2, 40)
    assert round_done(trials, 2, 20) and round_done(trials, 1, 10)


def test_a_slot_below_its_cap_still_improving_is_neither_finished_nor_pending_a_failed_continuation_ends_it():
    improving = [trial(0, "COMPLETE", 0, 10, improving=True), trial(1, "COMPLETE", 1, 10, improving=True)]
    counted = tally(improving, 2, FINAL_FINISHED, cap=20)
    assert (counted.finished, counted.waiting, counted.done, counted.can_ask) == (0, 0, False, False)
    assert tally(improving, 2, FINAL_FINISHED).done  # without a cap: finished
    timed_out = [*improving, trial(2, "FAIL", 0, 20, status="timeout", continues=0)]
    [zero, _] = chains(timed_out)
    assert zero.closed and zero.at(20).number == 0 and zero.needs(20) is None  # not continued again
    assert chains(improving)[1].needs(20).number == 1


def stored_final(storage, name: str = "grown", improving: tuple[bool, ...] = (True, False)) -> optuna.Study:
    """A finished one-arm sweep whose final runs stopped at a cap of 2 epochs (slot 0 still improving)."""
    spec = SweepSpec(name=name, dataset="digits", cells=("rnn",), trials=1, seeds=len(improving), epochs=2)
    writer.record_spec(writer.open_study(storage, spec_study(name)), spec.recorded(), {"lossbench": "test"})
    key = "ce:rnn:none"
    tune = writer.open_study(storage, study_name(name, key, TUNE), direction="maximize")
    first = tune.ask({"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)})
    writer.record_start(first, key, TUNE, 0, cap=2)
    writer.record_outcome(first, "completed", 1.0, result=run_result([0.5, 0.6], 0.6), improving=True)
    tune.tell(first, 0.6)
    final = writer.open_study(storage, study_name(name, key, FINAL), direction="maximize")
    for index, still in enumerate(improving):
        run = final.ask()
        writer.record_slot(run, index)
        writer.record_start(run, key, FINAL, 1000 + index, {"lr": 0.01}, 0, cap=2)
        writer.record_outcome(run, "completed", 1.0, result=run_result([0.7, 0.8], 0.8, seed=1000 + index),
                              improving=still)
        writer.record_checkpoint(run, {"id": f"artifact-{index}", "epoch": 2, "bytes": 10})
        final.tell(run, 0.8)
    return final


def test_a_continuation_is_enqueued_once_with_the_slot_s_attrs_and_a_duplicate_is_told_surplus():
    from lossbench.sweep import slots

    storage = optuna.storages.InMemoryStorage()
    final = stored_final(storage)
    assert continue_to(final, 4) == 1 and continue_to(final, 4) == 0  # slot 1 plateaued: done at any cap
    [waiting] = [t for t in final.get_trials() if t.state.name == "WAITING"]
    assert {k: waiting.user_attrs[k] for k in ("slot", "seed", "continues", "cap", "checkpoint", "params")} == {
        "slot": 0, "seed": 1000, "continues": 0, "cap": 4, "checkpoint": {"id": "artifact-0", "epoch": 2, "bytes": 10},
        "params": {"lr": 0.01}}
    final.enqueue_trial({}, user_attrs=writer.continuation_attrs(final.trials[0], 4))  # a second worker, same look
    me = {"host": "here", "pid": 1, "start": 0.0}
    first = slots.take(final, storage, 2, me, heartbeat=False, phase=FINAL)
    assert first is not None and first[1] == 0 and first[0].number == waiting.number
    assert slots.take(final, storage, 2, me, heartbeat=False, phase=FINAL) is None  # the duplicate: surplus
    assert tally(final.get_trials(), 2, FINAL_FINISHED, cap=4).running == 1


def test_every_reader_counts_slots_and_reads_each_slot_s_current_run(tmp_path):
    from lossbench.report.export import trials_csv
    from lossbench.results.progress import read_progress

    path = str(tmp_path / "sweep.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    final = stored_final(storage)
    continue_to(final, 4)
    run = final.ask()
    writer.record_start(run, "ce:rnn:none", FINAL, 1000, {"lr": 0.01}, 0, cap=4)
    writer.record_outcome(run, "completed", 1.0, result=run_result([0.7, 0.8, 0.85, 0.9], 0.9, seed=1000),
                          improving=False)
    final.tell(run, 0.9)
    data = read_sweep("grown", path)
    [arm] = data.arms
    assert [(t.number, t.seed) for t in arm.completed_final] == [(1, 1001), (2, 1000)]
    assert [t.number for t in arm.superseded] == [0]
    rows = trials_csv(data).splitlines()
    assert len(rows) == 1 + 1 + 3 and sum(",superseded," in row for row in rows) == 1
    progress = read_progress("grown", storage, 0.0)
    assert (progress.finals_done, progress.finals_total) == (2, 2)


@pytest.mark.parametrize("cap", [2, 4])
def test_the_tuning_cap_is_the_sweep_s_first_whatever_a_later_start_raised(cap):
    from lossbench.sweep.worker import tuned_cap

    storage = optuna.storages.InMemoryStorage()
    stored_final(storage)
    assert tuned_cap(storage, SweepSpec(name="grown", epochs=cap * 10)) == 2
    assert tuned_cap(storage, SweepSpec(name="new", epochs=cap)) == cap
