"""A journal damaged for real, and storage this version did not write (docs/failures.md F50-F53): nothing that only
reads ever writes the journal, no damaged line is dropped where it would renumber the trials after it, and a
stored form this version cannot read is one message naming what and where, never an empty report."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from stored import creation_lines, damage, store_journal, store_sweep, trials_of
from test_failures import exits_as_documented, one_error_line

from lossbench.errors import LossbenchError
from lossbench.results import Storage, read_sweep


@pytest.fixture(autouse=True)
def quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def side_files(journal: Path) -> list[Path]:
    return sorted(journal.parent.glob("sweep.journal.damaged-*"))


def test_F50_a_damaged_middle_line_is_neither_dropped_nor_read_past(tmp_path):
    journal = store_journal(tmp_path)
    whole = trials_of(journal)
    line = creation_lines(journal)[1]  # the second trial's creation: dropping it would renumber trials 1-5
    before = damage(journal, line)
    damaged = journal.read_bytes()
    readers = [lambda: read_sweep("kept", journal), lambda: Storage("kept", out=str(tmp_path)).open(create=False),
               lambda: read_sweep("kept", Storage("kept", out=str(tmp_path)))]
    starts = [lambda: Storage("kept", out=str(tmp_path)).open(create=True)]  # what `run` opens to append
    for attempt in readers + starts:
        with pytest.raises(LossbenchError, match=rf"damaged at line {line + 1} \(not JSON: .*column .*\): Optuna "
                                                 rf"numbers trials .* restore .* or mend line {line + 1} by hand"):
            attempt()
        assert journal.read_bytes() == damaged and not side_files(journal)  # nothing written, nothing set aside
    journal.write_bytes(before)  # mended by hand, as the message says: every trial as it was
    assert trials_of(journal) == whole


@pytest.mark.slow
def test_F50_run_and_report_refuse_a_damaged_middle_line(cli, tmp_path):
    from lossbench import sweep

    journal = store_journal(tmp_path / "results")
    damage(journal, creation_lines(journal)[1])
    damaged = journal.read_bytes()
    done = cli("report", "kept", "--format", "json", cwd=tmp_path)
    exits_as_documented(done, "F50")
    assert "damaged at line" in one_error_line(done) and not (journal.parent / "results.json").exists()
    with pytest.raises(LossbenchError, match="damaged at line"):  # the same spec: a resume, refused before training
        sweep.run({"name": "kept", "dataset": "digits", "cells": ["rnn"], "trials": 4, "seeds": 2, "epochs": 2},
                  out=tmp_path / "results", workers=1)
    assert journal.read_bytes() == damaged and not side_files(journal)


TORN = b'{"op_code":6,"worker_id":"x","trial_id":0,"st'


@pytest.mark.parametrize("tail", [TORN, b"garbage\n\x00 not json\n", TORN + b"\n"])
def test_F51_a_damaged_tail_is_read_around_and_set_aside_only_by_a_start(tmp_path, tail):
    journal = store_journal(tmp_path)
    whole, lines = trials_of(journal), journal.read_bytes().count(b"\n")
    with open(journal, "ab") as file:
        file.write(tail)
    damaged = journal.read_bytes()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert trials_of(journal) == whole  # a reader reads the entries before it, and writes nothing
    assert journal.read_bytes() == damaged and not side_files(journal)
    with pytest.warns(UserWarning, match=rf"lines? {lines + 1}.*set aside in sweep.journal.damaged-.*no trial was "
                                         rf"renumbered"):
        Storage("kept", out=str(tmp_path)).open(create=True)
    (side,) = side_files(journal)
    assert side.read_bytes().startswith(f"# line {lines + 1} of sweep.journal, from byte {len(damaged) - len(tail)}: "
                                        .encode())
    assert all(line in side.read_bytes() for line in tail.split(b"\n")) and journal.read_bytes() == damaged[:-len(tail)]
    assert trials_of(journal) == whole


def test_F51_a_joined_line_is_mended_in_place_by_a_start_only(tmp_path):
    """A torn write with a whole entry appended right after it (what a start before the tail was set aside did),
    in the middle: readers refuse it, a start keeps the entry in its place, so no trial moves."""
    journal = store_journal(tmp_path)
    whole = trials_of(journal)
    lines = journal.read_bytes().split(b"\n")
    at = creation_lines(journal)[2]
    lines[at] = TORN + lines[at]  # the third trial's creation, after a torn write
    journal.write_bytes(b"\n".join(lines))
    joined = journal.read_bytes()
    with pytest.raises(LossbenchError, match=rf"torn write joined to the entry after it at line {at + 1}.*"
                                             r"`lossbench run` with the same settings mends it"):
        read_sweep("kept", journal)
    assert journal.read_bytes() == joined
    with pytest.warns(UserWarning, match="entry after it kept in its place"):
        Storage("kept", out=str(tmp_path)).open(create=True)
    assert trials_of(journal) == whole  # the third trial is still number 2, with its seed and value
    (side,) = side_files(journal)
    assert side.read_bytes() == f"# line {at + 1} of sweep.journal, from byte {joined.index(TORN)}: a torn write, ".encode() \
        + b"joined to the whole entry after it (kept in its place)\n" + TORN + b"\n"


def spec_of(journal: Path) -> dict:
    import optuna

    from lossbench.results.storage import open_storage

    return optuna.load_study(study_name="kept:spec", storage=open_storage(journal)).user_attrs["spec"]


def edited(journal: Path, spec: dict) -> None:
    """Storage written by another version, or edited: the spec replaced."""
    import optuna

    from lossbench.results.storage import open_storage

    optuna.load_study(study_name="kept:spec", storage=open_storage(journal, create=True)).set_user_attr("spec", spec)


def without(spec: dict, key: str, renamed: str | None = None) -> dict:
    changed = {k: v for k, v in spec.items() if k != key}
    return {**changed, renamed: spec[key]} if renamed else changed


CHANGES = {
    "no remedy_sets": (lambda s: without(s, "remedy_sets"), None, r"its stored spec has no 'remedy_sets'"),
    "losses renamed": (lambda s: without(s, "losses", "loss_names"), None,
                       r"has no 'losses' \(it has 'loss_names', which this version does not know\)"),
    "objective val_f1": (lambda s: {**s, "objective": "val_f1"}, None,
                         r"its stored spec's 'objective' is 'val_f1', not one of val_accuracy, val_nll"),
    "trials as text": (lambda s: {**s, "trials": "4"}, None, r"'trials' is '4', not an integer"),
    "result as a list": (None, [0.5, 0.6], r"trial 0 of arm ce:rnn:none \(tune\): its 'result' is a list, not a table"),
    "epochs as a table": (None, {"epochs": {"1": 0.5}}, r"its result's 'epochs' is \{'1': 0.5\}, not a list of epoch"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_F52_a_stored_form_this_version_does_not_write_is_one_message(tmp_path, change):
    spec_change, result, message = CHANGES[change]
    journal = store_journal(tmp_path, first_result=result)
    if spec_change is not None:
        edited(journal, spec_change(spec_of(journal)))
    stored = journal.read_bytes()
    with pytest.raises(LossbenchError, match=rf"the sweep 'kept' in .*sweep.journal cannot be read: .*{message}.*"
                                             r"another version of lossbench, or edited\?"):
        read_sweep("kept", journal)
    assert journal.read_bytes() == stored


@pytest.mark.slow
def test_F52_report_of_a_stored_form_this_version_does_not_write(cli, tmp_path):
    journal = store_journal(tmp_path / "results")
    edited(journal, {**spec_of(journal), "objective": "val_f1"})
    done = cli("report", "kept", cwd=tmp_path)
    exits_as_documented(done, "F52")
    assert "'objective' is 'val_f1'" in one_error_line(done)
    assert not (journal.parent / "report.md").exists()


def test_F52_a_stored_spec_without_optional_fields_still_reads(tmp_path):
    journal = store_journal(tmp_path)
    edited(journal, {k: v for k, v in spec_of(journal).items() if k not in ("patience", "race", "claims", "refused")})
    (arm,) = read_sweep("kept", journal).arms
    assert len(arm.tuning) == 4 and len(arm.completed_final) == 2


def test_F53_a_start_that_finds_its_studies_appends_nothing(tmp_path):
    from lossbench.results import writer
    from lossbench.results.storage import open_storage

    journal = store_journal(tmp_path)
    stored = journal.read_bytes()
    for _ in range(3):  # what every start does: open each study it needs
        storage = open_storage(journal, create=True)
        for study in ("kept:spec", "kept:ce:rnn:none:tune", "kept:ce:rnn:none:final"):
            writer.open_study(storage, study, direction="maximize")
    assert journal.read_bytes() == stored
    store_sweep(open_storage(journal, create=True), "other", trials=1, seeds=1)  # a new sweep beside it: created
    assert b'"study_name":"other:spec"' in journal.read_bytes()


@pytest.mark.parametrize("given, message", [
    ("1e9h", "must be a duration such as 10m, 90s or 1h, got '1e9h'"),
    ("\u0661\u0660m", "must be a duration such as 10m, 90s or 1h, got '\u0661\u0660m'"),  # Arabic-Indic 10
    ("inf", "got 'inf'"),
    ("1000000h", "must be a duration of at most 168h, got '1000000h'"),
    (3.6e12, "must be a duration in (0 s, 604800 s] (10m, 90s, 1h), got 3.6e+12 s"),
])
def test_F54_durations_are_ascii_within_the_limit_and_echoed_as_given(tmp_path, given, message):
    from lossbench import sweep
    from lossbench.sweep.inputs import duration

    with pytest.raises(LossbenchError) as refused:
        sweep.run({"name": "timed", "dataset": "digits", "time_budget": given}, out=tmp_path)
    assert message in str(refused.value) and "3600000000000.0" not in str(refused.value)
    assert not (tmp_path / "timed").exists()
    assert (duration("90s"), duration("1.5h"), duration(" 10m "), duration("120")) == (90, 5400, 600, 120)


def test_F55_trials_csv_names_surplus_slots(tmp_path):
    import csv
    import io

    import optuna

    from lossbench.report.export import trials_csv
    from lossbench.results import writer
    from lossbench.results.storage import open_storage

    journal = store_journal(tmp_path, trials=1, seeds=1)
    tune = optuna.load_study(study_name="kept:ce:rnn:none:tune", storage=open_storage(journal, create=True))
    slot = tune.ask()  # a slot taken over the budget, as a worker stores it
    writer.record_surplus(slot)
    tune.tell(slot, state=optuna.trial.TrialState.FAIL)
    rows = list(csv.DictReader(io.StringIO(trials_csv(read_sweep("kept", journal)))))
    assert [(r["phase"], r["number"], r["state"], r["status"]) for r in rows] == [
        ("tune", "0", "COMPLETE", "completed"), ("tune", "1", "FAIL", "surplus"), ("final", "0", "COMPLETE", "completed")]
