"""``lossbench.sweep.run`` from Python: docs/python.md's script, run as written, and a bad spec refused whole."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from lossbench import LossbenchError, sweep

GUIDE = Path(__file__).parent.parent / "docs" / "python.md"


def guide_script() -> str:
    """The Python API's script, as docs/python.md shows it."""
    section = GUIDE.read_text()
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    return next(b for b in blocks if b.startswith("# api_demo.py"))


@pytest.mark.slow
def test_the_guides_script_runs_a_sweep_and_reads_its_arms_back(tmp_path):
    (tmp_path / "api_demo.py").write_text(guide_script())
    done = subprocess.run([sys.executable, "api_demo.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    arms = dict(re.findall(r"^(\S+:\S+:\S+) (\S+)$", done.stdout, flags=re.MULTILINE))
    assert sorted(arms) == ["ce:gru:none", "focal:gru:none"], done.stdout
    assert all(0.0 <= float(accuracy) <= 1.0 for accuracy in arms.values()), done.stdout
    assert "8 trials, 0 failed" in done.stdout, done.stdout  # 2 arms x (2 tuning trials + 2 seeds)
    assert (tmp_path / "results" / "api-demo" / "sweep.journal").is_file()
    assert done.stderr.strip() == "", done.stderr  # the call prints nothing of its own


def test_an_invalid_spec_raises_one_error_listing_every_problem_and_creates_no_storage(tmp_path):
    with pytest.raises(LossbenchError) as raised:
        sweep.run({"name": "bad", "dataset": "digitz", "losses": ["cee", "ce"], "trials": 0, "sampler": "tpee",
                   "trails": 3}, out=tmp_path / "results")
    message = str(raised.value)
    assert "(5 problems)" in message, message
    for expected in ["did you mean digits", "did you mean ce", "did you mean tpe", "trials must be",
                     "'trails'; did you mean trials"]:
        assert expected in message, message
    assert list(tmp_path.iterdir()) == []  # nothing created before the spec is valid


def test_a_sweep_spec_is_taken_as_is_and_a_bad_storage_url_is_refused_first(tmp_path):
    spec = sweep.SweepSpec(name="ok", dataset="digits", trials=1, epochs=1, seeds=1)
    with pytest.raises(LossbenchError, match="is not a database URL"):
        sweep.run(spec, storage="not-a-url", out=tmp_path / "results")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_progress_reaches_the_caller_and_the_outcome_counts_what_storage_holds(tmp_path):
    seen = []
    outcome = sweep.run({"name": "p", "dataset": "digits", "losses": ["ce"], "hidden": 8, "trials": 2, "epochs": 2,
                         "seeds": 2}, out=tmp_path / "results", workers=1, on_progress=seen.append)
    assert seen and seen[-1].name == "p", seen
    assert (seen[-1].trials_done, seen[-1].finals_done, seen[-1].arms_done) == (2, 2, 1), seen[-1]
    assert (outcome.trials, outcome.failed, outcome.first_error, outcome.crashes) == (4, 0, None, ())
    assert not outcome.partial and outcome.unfinished == () and outcome.spec.refused == {}
    assert outcome.execution.workers == 1 and outcome.folder == tmp_path / "results" / "p"
    stored = outcome.load()  # the Sweep lossbench.load_sweep reads
    assert [arm.key for arm in stored.arms] == ["ce:gru:none"] and len(stored.arms[0].completed_final) == 2
    assert stored.folder == outcome.folder and stored.answer and len(stored.trials_dataframe()) == 4


def test_the_command_s_exit_is_decided_from_the_outcome(tmp_path):
    """``lossbench run`` exits 3 when trials failed, or when crashed workers left the sweep unfinished."""
    from lossbench.cli.run_cmd import _raise_on_failed_trials
    from lossbench.errors import TrialsFailedError
    from lossbench.results import Storage
    from lossbench.sweep.execution import Execution

    store = Storage("s", out=str(tmp_path))
    done = sweep.SweepOutcome("s", store.describe(), store, sweep.SweepSpec(name="s"), Execution(2, 1, "cpu", 0),
                              crashes=(), trials=6, failed=0, first_error=None, unfinished=())
    _raise_on_failed_trials(done, {})
    crashed = replace(done, crashes=("worker 1 exited with 1: MemoryError",), unfinished=("ce:gru:none",))
    with pytest.raises(TrialsFailedError, match=r"stopped unfinished: its workers crashed \(worker 1 exited"):
        _raise_on_failed_trials(crashed, {})
    _raise_on_failed_trials(replace(crashed, unfinished=()), {})  # the other workers finished the sweep
    failed = replace(done, failed=2, first_error="boom")
    with pytest.raises(TrialsFailedError, match=r"2 of 6 trials failed \(first: boom\); every error is listed in r"):
        _raise_on_failed_trials(failed, {"md": "r.md"})


OK = {"name": "ok", "dataset": "digits", "losses": ["ce"], "cells": ["rnn"], "hidden": 8, "trials": 1, "epochs": 1,
      "seeds": 1}


@pytest.mark.parametrize("call, words", [
    (lambda out: sweep.run("ce", out=out), "spec must be a SweepSpec or a dict of its fields"),
    (lambda out: sweep.run(None, out=out), "spec must be a SweepSpec or a dict of its fields"),
    (lambda out: sweep.run(OK, out=out, registry="nope"), "registry must be a lossbench registry"),
    (lambda out: sweep.run(OK, out=out, storage=5), "storage must be a database URL (a str) or None"),
    (lambda out: sweep.run(OK, out=out, on_start="print"), "on_start must be a function or None"),
    (lambda out: sweep.run(OK, out=out, on_progress=3), "on_progress must be a function or None"),
    (lambda out: sweep.run(OK, out=None), "out must be a folder (a str or a Path), got None"),
    (lambda out: sweep.run(OK, out=out, plugins_dirs="plugins"), "plugins_dirs must be a list of folders"),
    (lambda out: sweep.run(OK, out=out, heartbeat=0.5), "heartbeat must be a number of seconds"),
    (lambda out: sweep.run(OK, out=out, workers=1.5), "workers= must be auto or an integer in [1, 256], got 1.5"),
    (lambda out: sweep.run({**OK, "fixed": {"lr": "0.01"}}, out=out), "learning rate must be a number"),
    (lambda out: sweep.run(OK, out=out, storage="nope"), "storage= 'nope' is not a database URL"),
])
def test_F66_bad_arguments_from_python_raise_one_lossbench_error_and_create_nothing(tmp_path, monkeypatch, call,
                                                                                    words):
    monkeypatch.chdir(tmp_path)  # where out=None made a folder ./None/
    with pytest.raises(LossbenchError) as raised:
        call(tmp_path / "results")
    message = str(raised.value)
    assert words in message, message
    assert "--" not in message and "same command" not in message, message  # spoken to a caller, not to a shell
    assert list(tmp_path.iterdir()) == []


def test_the_command_keeps_its_flag_wording(cli, tmp_path):
    done = cli("run", "--name", "x", "--dataset", "digits", "--workers", "1.5", cwd=tmp_path)
    assert done.returncode == 2 and "--workers must be auto or an integer in [1, 256], got '1.5'" in done.stderr
    done = cli("run", "--name", "x", "--dataset", "digits", "--set", "lr=fast", cwd=tmp_path)
    assert done.returncode == 2 and "--set lr takes a number; got 'fast'" in done.stderr, done.stderr


@pytest.mark.slow
def test_F67_a_sweep_runs_from_a_thread_other_than_the_main_one(tmp_path):
    import threading

    results: list = []

    def in_a_thread() -> None:
        try:
            results.append(sweep.run(OK, out=tmp_path / "results", workers=1))
        except BaseException as error:  # noqa: BLE001 - what the thread raised is the test's finding
            results.append(error)

    for start in ("a new sweep", "the stored sweep again"):
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join(timeout=600)
        outcome = results.pop()
        assert isinstance(outcome, sweep.SweepOutcome), (start, outcome)
        assert (outcome.trials, outcome.failed, outcome.unfinished) == (2, 0, ()), start
    assert len(outcome.load().arms[0].completed_final) == 1
