"""``lossbench.sweep.run`` from Python: the README's script, run as written, and a bad spec refused whole."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from lossbench import LossbenchError, sweep

README = Path(__file__).parent.parent / "README.md"


def readme_script() -> str:
    """The Python API section's script, as the README shows it."""
    section = README.read_text().split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    return next(b for b in blocks if b.startswith("# api_demo.py"))


@pytest.mark.slow
def test_the_readme_script_runs_a_sweep_and_reads_its_arms_back(tmp_path):
    (tmp_path / "api_demo.py").write_text(readme_script())
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
    assert not outcome.partial and outcome.unfinished == () and outcome.refused == {}
    assert outcome.execution.workers == 1 and outcome.folder == tmp_path / "results" / "p"
    stored = outcome.load()
    assert [arm.key for arm in stored.arms] == ["ce:gru:none"] and len(stored.arms[0].completed_final) == 2


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
