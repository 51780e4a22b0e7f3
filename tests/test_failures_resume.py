"""A resumed sweep gives the numbers an uninterrupted one gives (docs/failures.md F61): a stop by SIGINT, a worker
killed with its trial (SIGKILL), and a time budget running out, each mid-trial, on the journal (here) and on a real
PostgreSQL server (test_failures_resume_postgres.py). Seeds and points belong to a trial's slot, never to Optuna's trial number, which a retry changes.

The faults come from a loss plugin, ``gate`` (cross-entropy), whose Nth build does what the file ``fault.json`` in
the working folder says, once: wait (for the test's signal), kill its own process, or sleep past the budget."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from test_failures import _wait_for, exits_as_documented, write_plugin

pytestmark = pytest.mark.slow

BUDGET = 20  # seconds: the worker's start-up and one tiny trial fit in it on a loaded machine

GATE = '''
import json, signal
from pathlib import Path

FAULT = Path("fault.json").resolve()


def build():
    if FAULT.is_file():
        fault = json.loads(FAULT.read_text())
        builds = FAULT.with_name("builds")
        with builds.open("a") as counted:
            counted.write("x")
        if len(builds.read_text()) == fault["at"]:
            FAULT.unlink()  # once
            FAULT.with_name("reached").write_text(str(os.getpid()))
            if fault["do"] == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif fault["do"] == "sleep":
                time.sleep(fault["seconds"])  # past the deadline, however late this start began
            else:
                while True:  # until the test's signal stops this trial
                    time.sleep(0.05)
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)


@hookimpl
def register_losses(register):
    register(LossSpec(name="gate", summary="cross-entropy; a fault on demand", build=build))
'''

# Two arms (gate and ce: one comparison to decide), 2 tuning trials and 2 seeds each, one worker.
SWEEP = ["--quiet", "--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--loss", "gate", "--loss", "ce",
         "--set", "hidden=8", "--epochs", "2", "--trials", "2", "--seeds", "2", "--workers", "1"]


def command(plugins: Path, name: str, url: str | None = None, *extra: str) -> list[str]:
    return ["--plugins-dir", str(plugins), "run", "--name", name, *SWEEP, *(["--storage", url] if url else []),
            *extra]


def numbers(folder: Path) -> tuple[list[tuple], list[dict]]:
    """What a sweep found: each finished trial (arm, phase, seed, params, objective and test metrics) from
    trials.csv, and the decisions of results.json, without what is timing or bookkeeping."""
    rows = csv.DictReader(io.StringIO((folder / "trials.csv").read_text()))
    kept = ("arm", "phase", "seed", "status", "params", "value", "test_accuracy", "test_nll", "test_ece",
            "clip_rate", "vanishing_ratio_final")
    trials = sorted(tuple(row[k] for k in kept) for row in rows if row["state"] == "COMPLETE")
    decisions = json.loads((folder / "results.json").read_text())["decisions"]
    return trials, [{k: v for k, v in d.items() if k != "minutes"} for d in decisions]


@pytest.fixture(scope="session")  # session: test_failures_resume_postgres.py takes them too
def plugins(tmp_path_factory) -> Path:
    return write_plugin(tmp_path_factory.mktemp("plugins"), "gate", GATE)


@pytest.fixture(scope="session")
def reference(cli, plugins, tmp_path_factory):
    """One uninterrupted run, the numbers every resumed one must give."""
    folder = tmp_path_factory.mktemp("reference")
    cli(*command(plugins, "same"), cwd=folder, check=True)
    found = numbers(folder / "results" / "same")
    assert len(found[0]) == 8 and [t[2] for t in found[0] if t[0] == "gate:rnn:none"] == ["1000", "1001", "0", "1"]
    return found


def fault(folder: Path, do: str, at: int, **more: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fault.json").write_text(json.dumps({"do": do, "at": at, **more}))


def interrupted(cli, cli_process, plugins: Path, folder: Path, name: str, url: str | None) -> None:
    """SIGINT while the first trial trains (its build waits), then the same command again."""
    fault(folder, "wait", at=1)
    process = cli_process(*command(plugins, name, url), cwd=folder, stderr=subprocess.PIPE)
    _wait_for(lambda: (folder / "reached").is_file())
    os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    exits_as_documented(subprocess.CompletedProcess([], process.returncode, "", err), "F61")
    assert process.returncode == 128 + signal.SIGINT, err
    assert "the running trial was marked interrupted" in err and "Traceback" not in err, err
    again = cli(*command(plugins, name, url), cwd=folder)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr


def killed(cli, plugins: Path, folder: Path, name: str, url: str | None) -> None:
    """The second trial's worker killed (SIGKILL, as the out-of-memory killer does): retried in the same start."""
    fault(folder, "kill", at=2)
    done = cli(*command(plugins, name, url), cwd=folder)
    exits_as_documented(done, "F61")
    assert done.returncode == 0 and "killed by SIGKILL" in done.stderr, done.stderr


def out_of_time(cli, plugins: Path, folder: Path, name: str, url: str | None) -> None:
    """The time budget runs out in the second trial (its build sleeps past it), then a start without a budget."""
    fault(folder, "sleep", at=2, seconds=BUDGET)
    done = cli(*command(plugins, name, url, "--time-budget", f"{BUDGET}s"), cwd=folder)
    exits_as_documented(done, "F61")
    assert done.returncode == 0 and "the running trial was queued again" in done.stderr, done.stderr
    again = cli(*command(plugins, name, url), cwd=folder)
    assert again.returncode == 0, again.stderr


FAULTS = {"sigint": interrupted, "sigkill": killed, "budget": out_of_time}


def retried(folder: Path, name: str, url: str | None) -> list:
    """The trials of the sweep that a fault ended (interrupted or lost), each retried."""
    from lossbench.results import read_sweep

    data = read_sweep(name, url or str(folder / "results" / name / "sweep.journal"))
    trials = [t for arm in data.arms for t in [*arm.tuning, *arm.final]]
    return [t for t in trials if t.status in ("interrupted", "lost")]


@pytest.mark.parametrize("case", list(FAULTS))
def test_F61_a_resumed_sweep_gives_the_numbers_of_an_uninterrupted_one(cli, cli_process, plugins, reference,
                                                                      tmp_path, case):
    run = FAULTS[case]
    if case == "sigint":
        run(cli, cli_process, plugins, tmp_path, "same", None)
    else:
        run(cli, plugins, tmp_path, "same", None)
    assert retried(tmp_path, "same", None), "the fault ended no trial: nothing was tested"
    assert numbers(tmp_path / "results" / "same") == reference
